"""Reaching hosts: one transport interface (local, SSH) and a bounded fan-out over hosts."""
