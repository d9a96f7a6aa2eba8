"""The transport an inventory host asks for: local, or SSH (Fabric only when SSH is used)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.release.remote.local import LocalTransport

if TYPE_CHECKING:
    from mycelium.release.fleet.inventory import Host
    from mycelium.release.remote.transport import SSHOptions, Transport


def open_transport(host: Host, options: SSHOptions) -> Transport:
    """An open transport to ``host``, or ``TransportError`` saying why not."""
    if host.is_local:
        return LocalTransport(host.name)
    from mycelium.release.remote.ssh import SSHTransport  # noqa: PLC0415 - Fabric costs ~0.3 s

    return SSHTransport(host, options)
