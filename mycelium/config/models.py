"""The configuration schema: what a user chose to run, and how.

Every model forbids unknown keys, so a typo (``prot:``) is an error with a suggestion rather
than a silently ignored setting. Cross-field rules that make a config unusable are
validators here; rules that only make it doubtful are warnings in ``checks.py``.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)

CURRENT_SCHEMA_VERSION: Final = 2

# RFC 1123 host names; matched with fullmatch, so a trailing newline is not let through.
_HOSTNAME: Final = re.compile(
    r"(?=.{1,253}\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*"
)
# An IPv6 zone is an interface name or index: ipaddress accepts almost anything after
# the '%', and the address reaches shell lines and YAML in the generated files.
_SCOPE_ID: Final = re.compile(r"[A-Za-z0-9_.-]{1,15}")
_MAX_SHOWN: Final = 60


def _shown(value: str) -> str:
    """``value`` quoted on one line, cut short: an error message never carries a payload."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 4] + "...'"


class _ZoneError(ValueError):
    """An IPv6 address whose zone (after ``%``) is not an interface name."""


def _ip_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``value`` as an address; raises ``ValueError``, ``_ZoneError`` for a bad zone."""
    address = ipaddress.ip_address(value)
    scope = address.scope_id if isinstance(address, ipaddress.IPv6Address) else None
    if scope is not None and not _SCOPE_ID.fullmatch(scope):
        raise _ZoneError(value)
    return address


def _zone_message(value: str) -> str:
    return (
        f"{_shown(value)} is not an IP address: the zone after '%' must be an interface "
        "name (letters, digits, '_', '.', '-'; at most 15); use for example fe80::1%eth0"
    )


def _check_port(value: int) -> int:
    if not 1 <= value <= 65535:  # noqa: PLR2004 - the TCP port range
        raise ValueError(f"{value} is not a valid port; use 1–65535")
    return value


def _check_host(value: str) -> str:
    try:
        _ip_address(value)
    except _ZoneError:
        raise ValueError(_zone_message(value)) from None
    except ValueError:
        # A last label of digits only is an address that did not parse (999.999.999.999,
        # 0x7f.1), never a host name: no top-level domain is all-numeric (RFC 3696).
        if not _HOSTNAME.fullmatch(value) or value.rsplit(".", 1)[-1].isdigit():
            raise ValueError(
                f"{_shown(value)} is not a host name or IP address; use for example 127.0.0.1"
            ) from None
    return value


def _check_directory(value: Path) -> Path:
    text = str(value)
    if len(text) > 1024 or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):  # noqa: PLR2004
        raise ValueError(
            f"{_shown(text)} is not a directory name: no control characters or line breaks, "
            "at most 1024 characters; use for example mycelium-deploy"
        )
    return value


def _check_bind_address(value: str) -> str:
    try:
        _ip_address(value)
    except _ZoneError:
        raise ValueError(_zone_message(value)) from None
    except ValueError:
        raise ValueError(
            f"{_shown(value)} is not an IP address; use 127.0.0.1 (this machine only) or 0.0.0.0"
        ) from None
    return value


Port = Annotated[int, AfterValidator(_check_port)]
Host = Annotated[str, AfterValidator(_check_host)]
BindAddress = Annotated[str, AfterValidator(_check_bind_address)]
Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="lower-case letters, digits, '-' and '_'; starts with a letter or digit",
    ),
]
ImageTag = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class _Service(_Section):
    enabled: bool = True
    host: Host = "127.0.0.1"
    port: Port


class RedisConfig(_Service):
    port: Port = 6379
    version: ImageTag = "7.4.1"
    password: SecretStr | None = Field(
        default=None,
        description="only for an existing server; generated deployments keep theirs in .env",
    )
    max_memory: Annotated[str, Field(pattern=r"^[0-9]+(kb|mb|gb)$")] = "256mb"
    persistence: bool = True


class PostgresConfig(_Service):
    port: Port = 5432
    version: ImageTag = "16.4"
    database: Identifier = "mycelium"
    user: Identifier = "mycelium"
    password: SecretStr | None = Field(
        default=None,
        description="only for an existing server; generated deployments keep theirs in .env",
    )
    max_connections: Annotated[int, Field(ge=1, le=10_000)] = 100


class TemporalConfig(_Service):
    enabled: bool = False
    port: Port = 7233
    ui_port: Port = 8233
    namespace: Identifier = "default"
    version: ImageTag = "1.25.2"
    ui_version: ImageTag = "2.31.2"


class TaskQueueBackend(StrEnum):
    REDIS = "redis"
    POSTGRES = "postgres"


class TaskQueueConfig(_Section):
    enabled: bool = True
    backend: TaskQueueBackend = TaskQueueBackend.REDIS
    queue: Identifier = "mycelium-tasks"
    workers: Annotated[int, Field(ge=1, le=256)] = 4
    visibility_timeout_s: Annotated[int, Field(ge=1, le=86_400)] = 30


class ServicesConfig(_Section):
    redis: RedisConfig = Field(default_factory=RedisConfig)
    postgres: PostgresConfig = Field(default_factory=PostgresConfig)
    temporal: TemporalConfig = Field(default_factory=TemporalConfig)
    taskqueue: TaskQueueConfig = Field(default_factory=TaskQueueConfig)

    def network_services(self) -> dict[str, _Service]:
        """The services that listen on a port, by name."""
        return {"redis": self.redis, "postgres": self.postgres, "temporal": self.temporal}

    def listening_ports(self) -> list[tuple[str, int]]:
        """(field path, port) for every port an enabled service listens on."""
        ports: list[tuple[str, int]] = []
        for name, service in self.network_services().items():
            if service.enabled:
                ports.append((f"services.{name}.port", service.port))
        if self.temporal.enabled:
            ports.append(("services.temporal.ui_port", self.temporal.ui_port))
        return ports


class DeploymentMethod(StrEnum):
    DOCKER_COMPOSE = "docker-compose"
    JUSTFILE = "justfile"


class DeploymentConfig(_Section):
    method: DeploymentMethod = DeploymentMethod.DOCKER_COMPOSE
    output_dir: Annotated[Path, AfterValidator(_check_directory)] = Path("mycelium-deploy")
    bind_address: BindAddress = Field(
        default="127.0.0.1",
        description="address published ports bind to; 127.0.0.1 keeps services off the network",
    )


def _check_endpoint(value: str) -> str:
    from mycelium.telemetry.endpoint import check_endpoint  # noqa: PLC0415 - only when set

    return check_endpoint(value)


class TelemetryConfig(_Section):
    enabled: bool = False
    endpoint: Annotated[str, AfterValidator(_check_endpoint)] | None = Field(
        default=None,
        description="where opted-in events go; https, or http to this machine only",
    )


class MyceliumConfig(_Section):
    """A whole configuration file."""

    schema_version: Literal[2] = CURRENT_SCHEMA_VERSION
    project_name: Identifier = "mycelium"
    services: ServicesConfig = Field(default_factory=ServicesConfig)
    deployment: DeploymentConfig = Field(default_factory=DeploymentConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)

    @model_validator(mode="after")
    def _cross_field_rules(self) -> MyceliumConfig:
        services = self.services
        if not any(s.enabled for s in services.network_services().values()):
            raise ValueError(
                "no service is enabled; set services.redis.enabled (or postgres, temporal) to true"
            )
        seen: dict[int, str] = {}
        for path, port in services.listening_ports():
            if port in seen:
                raise ValueError(
                    f"{path} and {seen[port]} both use port {port}; give one of them another port"
                )
            seen[port] = path
        queue = services.taskqueue
        if queue.enabled:
            backend = (
                services.redis if queue.backend is TaskQueueBackend.REDIS else services.postgres
            )
            if not backend.enabled:
                raise ValueError(
                    f"services.taskqueue.backend is {queue.backend.value} but "
                    f"services.{queue.backend.value}.enabled is false; enable it or choose "
                    "another backend"
                )
        return self

    def redacted(self) -> dict[str, object]:
        """The config as plain data with every secret replaced by a mask."""
        return self.model_dump(mode="json")

    def revealed(self) -> dict[str, object]:
        """The config as plain data with secrets in clear, for writing back to its file."""
        data: dict[str, object] = {
            key: _plain(value) for key, value in self.model_dump(mode="python").items()
        }
        return data


def _plain(value: object) -> object:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Path):
        return value.as_posix()
    return value
