"""Warnings: settings that are valid but doubtful. ``validate --strict`` fails on them."""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from mycelium.config.models import MyceliumConfig

PRIVILEGED_BELOW: Final = 1024
_LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something on this machine already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def find_warnings(config: MyceliumConfig, *, probe_ports: bool = True) -> list[str]:
    """One line per doubtful setting, each naming the field and what to do."""
    warnings: list[str] = []
    services = config.services
    enabled_ports = {port: path for path, port in services.listening_ports()}
    for path, port in services.listening_ports():
        if port < PRIVILEGED_BELOW:
            warnings.append(
                f"{path}: {port} is a privileged port (below {PRIVILEGED_BELOW}); "
                "services need root to listen there, pick one above 1023"
            )
    for name, service in services.network_services().items():
        if not service.enabled and service.port in enabled_ports:
            warnings.append(
                f"services.{name}.port: {service.port} is also {enabled_ports[service.port]} "
                f"(services.{name} is disabled, but enabling it would clash)"
            )
    if probe_ports:
        for path, port in services.listening_ports():
            host = _service_host(config, path)
            if host in _LOCAL_HOSTS and port_in_use(port):
                warnings.append(
                    f"{path}: port {port} is already in use on this machine; if that is not "
                    "this service already running, choose a free port"
                )
    if config.deployment.bind_address not in {"127.0.0.1", "::1"}:
        warnings.append(
            f"deployment.bind_address: {config.deployment.bind_address} publishes the services "
            "beyond this machine; use 127.0.0.1 unless other hosts must connect"
        )
    return warnings


def _service_host(config: MyceliumConfig, path: str) -> str:
    name = path.split(".")[1]
    return config.services.network_services()[name].host
