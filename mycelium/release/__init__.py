"""The maintainer side, one room per job; never imported by the product's console scripts.

- ``fleet``: the Ansible-format inventory, host patterns, the ``mycelium_*`` host variables.
- ``remote``: transports (local, SSH) and the bounded fan-out over hosts.
- ``playbook``: the Ansible-subset loader, templating, modules and runner.
- ``qa``: ``invoke qa``: one host's run, its cells, ``qa_summary.json``, the renderers.
- ``mutate``: ``invoke mutate``: the promise register, the mutants, the mutation runs.
- ``dev``: the build, the test-suite runner, provisioning of system tools.
"""
