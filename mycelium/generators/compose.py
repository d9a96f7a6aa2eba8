"""``docker-compose.yml`` from a configuration: every enabled service, hardened.

Images are pinned to the versions in the configuration, ports are published on
``deployment.bind_address`` only, passwords come from ``.env`` through ``${VAR}``
interpolation, and each service waits for the health of what it depends on.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from mycelium.generators.quoting import UnsafeValueError
from mycelium.generators.rendering import render

if TYPE_CHECKING:
    from mycelium.config.models import MyceliumConfig

_SIZE: Final = re.compile(r"^(?P<number>[0-9]+)(?P<unit>kb|mb|gb)$")
_MIB_PER_UNIT: Final = {"kb": 1 / 1024, "mb": 1, "gb": 1024}
# Room above Redis's maxmemory for its own bookkeeping, buffers and a background save.
_REDIS_HEADROOM: Final = 2
_REDIS_FLOOR_MIB: Final = 128


def published(bind_address: str, port: int) -> str:
    """``ADDRESS:PORT`` as Compose reads it; IPv6 addresses go in brackets."""
    # Decided by the colon rather than by parsing: the address was validated already, and
    # what reaches here is quoted as one scalar whatever it holds.
    host = f"[{bind_address}]" if ":" in bind_address else bind_address
    return f"{host}:{port}"


def _limits(cpus: str, memory_mib: int, pids: int) -> dict[str, Any]:
    return {"cpus": cpus, "memory": f"{memory_mib}M", "pids": pids}


def redis_memory_limit_mib(max_memory: str) -> int:
    """The container's memory limit for a Redis told to use ``max_memory`` for data."""
    match = _SIZE.fullmatch(str(max_memory))
    if match is None:  # the config schema only lets the pattern through
        raise UnsafeValueError(
            f"services.redis.max_memory: {str(max_memory)[:40]!r} is not a size; use for "
            "example 256mb"
        )
    mib = int(match["number"]) * _MIB_PER_UNIT[match["unit"]]
    return max(_REDIS_FLOOR_MIB, int(mib * _REDIS_HEADROOM + 0.999))


@dataclass(frozen=True)
class DockerComposeGenerator:
    """Renders ``docker-compose.yml``; a pure function of the configuration."""

    file_name: ClassVar[str] = "docker-compose.yml"

    def context(self, config: MyceliumConfig) -> dict[str, Any]:
        services = config.services
        bind = config.deployment.bind_address
        volumes: list[str] = []
        context: dict[str, Any] = {
            "project": config.project_name,
            "redis": None,
            "postgres": None,
            "temporal": None,
            "taskqueue": None,
            "volumes": volumes,
        }
        redis = services.redis
        if redis.enabled:
            context["redis"] = {
                "version": redis.version,
                "published": published(bind, redis.port),
                # Compose stores the command; the password stays in the environment.
                "command": (
                    'exec redis-server --port 6379 --requirepass "$REDIS_PASSWORD" '
                    f"--maxmemory {shlex.quote(str(redis.max_memory))} "
                    f"--appendonly {'yes' if redis.persistence else 'no'}"
                ),
                "limits": _limits("1.0", redis_memory_limit_mib(redis.max_memory), 256),
            }
            volumes.append("redis-data")
        postgres = services.postgres
        if postgres.enabled:
            context["postgres"] = {
                "version": postgres.version,
                "published": published(bind, postgres.port),
                "database": postgres.database,
                "user": postgres.user,
                "max_connections": postgres.max_connections,
                "limits": _limits("2.0", 1024, 512),
            }
            volumes.append("postgres-data")
        temporal = services.temporal
        if temporal.enabled:
            context["temporal"] = {
                "version": temporal.version,
                "ui_version": temporal.ui_version,
                "db_version": postgres.version,
                "namespace": temporal.namespace,
                "published": published(bind, temporal.port),
                "ui_published": published(bind, temporal.ui_port),
                "limits": _limits("2.0", 1024, 512),
                "ui_limits": _limits("0.5", 256, 128),
                "db_limits": _limits("1.0", 512, 256),
            }
            volumes.append("temporal-db-data")
        queue = services.taskqueue
        if queue.enabled:
            context["taskqueue"] = {
                "backend": queue.backend.value,
                "queue": queue.queue,
                "workers": queue.workers,
                "visibility_timeout_s": queue.visibility_timeout_s,
            }
        return context

    def render(self, config: MyceliumConfig) -> str:
        return render("docker-compose.yml.j2", self.context(config))

    def generate(self, config: MyceliumConfig) -> str:
        """The seed's name for :meth:`render` (its Task 10.2 script calls it): the text."""
        return self.render(config)
