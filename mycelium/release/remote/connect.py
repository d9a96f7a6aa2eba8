"""The transport an inventory host asks for: local, SSH or a container.

Fabric and the Docker SDK are imported only when a host uses them.
"""

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
    if host.is_container:
        from mycelium.release.remote.container import ContainerTransport  # noqa: PLC0415 - the Docker SDK only when used

        return ContainerTransport(host, options)
    from mycelium.release.remote.ssh import SSHTransport  # noqa: PLC0415 - Fabric costs ~0.3 s

    return SSHTransport(host, options)
