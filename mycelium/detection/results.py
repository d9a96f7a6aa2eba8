"""What a probe found: frozen results that the CLI renders as a table or as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from mycelium.redaction import redact_text

JSON_SCHEMA_VERSION: Final = 1


class Status(StrEnum):
    """How a probe ended. Only ``AVAILABLE`` means "usable as it is"."""

    AVAILABLE = "available"
    AUTH_REQUIRED = "auth-required"  # the service answered, but wants credentials
    REJECTING = "rejecting"  # the service answered, but refuses connections (starting up)
    NOT_LISTENING = "not-listening"  # connection refused, or no socket file
    NO_ANSWER = "no-answer"  # something accepted the connection and said nothing in time
    WRONG_PROTOCOL = "wrong-protocol"  # something answered, but not as this service
    UNSUPPORTED = "unsupported"  # an endpoint we do not probe (ssh://, TLS without certs)
    ERROR = "error"  # any other failure; the reason says which

    @property
    def service_present(self) -> bool:
        """The service itself answered, usable or not."""
        return self in {Status.AVAILABLE, Status.AUTH_REQUIRED, Status.REJECTING}

    @property
    def port_taken_by_other(self) -> bool:
        """Something that is not the service holds the endpoint."""
        return self in {Status.NO_ANSWER, Status.WRONG_PROTOCOL}


class RunsIn(StrEnum):
    NATIVE = "native"
    CONTAINER = "container"


@dataclass(frozen=True)
class ProbeResult:
    """One probe's answer.

    ``reason`` is a sentence for people: why the service is unavailable, or a note on an
    available one (``"accepting connections; the version needs credentials"``).
    """

    service: str
    status: Status
    endpoint: str
    latency_ms: float
    version: str | None = None
    reason: str | None = None
    port: int | None = None
    details: tuple[tuple[str, str], ...] = ()
    runs_in: RunsIn | None = None

    def __post_init__(self) -> None:
        # Every string a probe shows passes the one redaction module, whoever built it: an
        # endpoint such as DOCKER_HOST=tcp://user:pw@host carries credentials, and so does
        # any reason or detail that quotes it.
        object.__setattr__(self, "endpoint", redact_text(self.endpoint))
        if self.reason is not None:
            object.__setattr__(self, "reason", redact_text(self.reason))
        details = tuple((name, redact_text(value)) for name, value in self.details)
        object.__setattr__(self, "details", details)

    @property
    def available(self) -> bool:
        return self.status is Status.AVAILABLE

    def with_runs_in(self, runs_in: RunsIn | None) -> ProbeResult:
        return replace(self, runs_in=runs_in)

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "available": self.available,
            "status": self.status.value,
            "endpoint": self.endpoint,
            "version": self.version,
            "latency_ms": round(self.latency_ms, 3),
            "reason": self.reason,
            "runs_in": self.runs_in.value if self.runs_in else None,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class PlatformInfo:
    """The machine: OS, distribution, WSL, architecture, Python, service managers."""

    os: str
    os_version: str
    kernel: str
    architecture: str
    python_version: str
    python_implementation: str
    distro: str | None = None
    distro_version: str | None = None
    distro_name: str | None = None
    macos_version: str | None = None
    wsl: bool = False
    wsl_version: int | None = None
    wsl_signals: tuple[str, ...] = ()
    docker_desktop_wsl: bool = False
    service_managers: tuple[str, ...] = ()
    in_container: bool = False
    container_signals: tuple[str, ...] = ()
    config_dir: str = ""
    latency_ms: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "os": self.os,
            "os_version": self.os_version,
            "kernel": self.kernel,
            "distro": self.distro,
            "distro_version": self.distro_version,
            "distro_name": self.distro_name,
            "macos_version": self.macos_version,
            "wsl": self.wsl,
            "wsl_version": self.wsl_version,
            "wsl_signals": list(self.wsl_signals),
            "docker_desktop_wsl": self.docker_desktop_wsl,
            "architecture": self.architecture,
            "python_version": self.python_version,
            "python_implementation": self.python_implementation,
            "service_managers": list(self.service_managers),
            "in_container": self.in_container,
            "container_signals": list(self.container_signals),
            "config_dir": self.config_dir,
            "latency_ms": round(self.latency_ms, 3),
        }


@dataclass(frozen=True)
class ScanResult:
    """Every probe of one scan, in a fixed order, and the scan's own wall time."""

    docker: ProbeResult
    redis: ProbeResult
    postgres: ProbeResult
    temporal: ProbeResult
    platform: PlatformInfo
    total_ms: float
    published_ports: frozenset[int] = field(default_factory=frozenset)

    @property
    def services(self) -> tuple[ProbeResult, ...]:
        return (self.docker, self.redis, self.postgres, self.temporal)

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "services": {result.service: result.to_dict() for result in self.services},
            "platform": self.platform.to_dict(),
            "scan_ms": round(self.total_ms, 3),
        }
