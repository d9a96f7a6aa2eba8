"""``Justfile``: run the enabled services as native processes, without Docker.

Each service gets ``<name>-up``, ``-down``, ``-status``, ``-logs`` and ``-reset`` recipes,
and ``up``/``down``/``status``/``logs``/``reset`` act on all of them. Data and logs live
under ``data/`` beside the Justfile; passwords come from ``.env`` (just's dotenv-load).
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mycelium.generators.rendering import render

if TYPE_CHECKING:
    from mycelium.config.models import MyceliumConfig


def connect_host(bind_address: str) -> str:
    """Where a client on this machine reaches a server bound to ``bind_address``."""
    try:
        address = ipaddress.ip_address(bind_address)
    except ValueError:
        return bind_address  # validated already; the template quotes it whatever it is
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"  # noqa: PLR2004
    return bind_address


@dataclass(frozen=True)
class JustfileGenerator:
    """Renders the ``Justfile``; a pure function of the configuration."""

    file_name: ClassVar[str] = "Justfile"

    def context(self, config: MyceliumConfig) -> dict[str, Any]:
        services = config.services
        enabled = [name for name, s in services.network_services().items() if s.enabled]
        redis, postgres, temporal = services.redis, services.postgres, services.temporal
        return {
            "bind": config.deployment.bind_address,
            "connect_host": connect_host(config.deployment.bind_address),
            "services": enabled,
            "redis": {
                "port": redis.port,
                "max_memory": redis.max_memory,
                "persistence": "--appendonly yes"
                if redis.persistence
                else '--appendonly no --save ""',
            }
            if redis.enabled
            else None,
            "postgres": {
                "port": postgres.port,
                "user": postgres.user,
                "database": postgres.database,
                # pg_ctl runs the server through /bin/sh with these options.
                "options": shlex.join(
                    [
                        "-p",
                        str(postgres.port),
                        "-c",
                        f"listen_addresses={config.deployment.bind_address}",
                        "-c",
                        "unix_socket_directories=",
                        "-c",
                        f"max_connections={postgres.max_connections}",
                    ]
                ),
            }
            if postgres.enabled
            else None,
            "temporal": {
                "port": temporal.port,
                "ui_port": temporal.ui_port,
                "namespace": temporal.namespace,
            }
            if temporal.enabled
            else None,
        }

    def render(self, config: MyceliumConfig) -> str:
        return render("Justfile.j2", self.context(config))

    def generate(self, config: MyceliumConfig) -> str:
        """The seed's name for :meth:`render` (its Task 10.2 script calls it): the text."""
        return self.render(config)
