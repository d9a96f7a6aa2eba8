"""The fleet: an Ansible-format inventory, host patterns and the ``mycelium_*`` host variables."""
