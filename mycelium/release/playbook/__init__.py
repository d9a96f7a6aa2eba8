"""A documented subset of Ansible playbooks, loaded, templated and run over a transport."""
