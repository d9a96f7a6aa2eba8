"""What the wizard knows about the machine, gathered once before the first question.

This is the only impure part of the flow: it reads the scan and probes ports. The flow
itself (``flow.py``) is a pure function of these facts and the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.config.checks import port_in_use
from mycelium.detection.results import Status

if TYPE_CHECKING:
    from collections.abc import Callable

    from mycelium.config.models import MyceliumConfig
    from mycelium.detection import ProbeResult, ScanResult

PROPOSAL_RANGE: Final = 100  # how far above a taken port we look for a free one


@dataclass(frozen=True)
class ServiceFacts:
    name: str
    port: int  # the port the configuration (or the default) gives
    present: bool  # the service itself answered on that port
    detected: str  # a few words for people: "running 7.4.1", "not running", "port taken"
    taken_by_other: bool = False  # something that is not the service holds the port
    proposal: int | None = None  # a free port to offer instead


@dataclass(frozen=True)
class WizardContext:
    """Everything the pure flow needs besides the answers."""

    base: MyceliumConfig  # the saved configuration, or the defaults
    existing: bool  # ``base`` was read from a file: start from it, change only answers
    services: tuple[ServiceFacts, ...]
    docker_reachable: bool
    docker_reason: str | None = None
    ask_details: bool = True  # ports and output directory (the interactive wizard asks them)
    target: str = ""  # where the configuration will be saved, for the summary

    def facts(self, name: str) -> ServiceFacts:
        return next(f for f in self.services if f.name == name)


def describe(result: ProbeResult) -> str:
    """A few words next to a service's name; the scan table above has the details."""
    if result.available:
        version = f" {result.version}" if result.version else ""
        where = f" ({result.runs_in.value})" if result.runs_in else ""
        return f"running{version}{where}"
    if result.status is Status.AUTH_REQUIRED:
        return "running, needs a password"
    if result.status.service_present:
        return f"running, {result.status.value}"
    if result.status.port_taken_by_other:
        return f"port {result.port} taken by something else"
    return "not running"


def gather(
    config: MyceliumConfig,
    scan: ScanResult,
    *,
    existing: bool,
    ask_details: bool = True,
    target: str = "",
    in_use: Callable[[int], bool] = port_in_use,
) -> WizardContext:
    services = config.services
    ports = {"redis": services.redis.port, "postgres": services.postgres.port}
    ports["temporal"] = services.temporal.port
    results = {"redis": scan.redis, "postgres": scan.postgres, "temporal": scan.temporal}
    reserved = set(ports.values()) | {services.temporal.ui_port}
    facts: list[ServiceFacts] = []
    for name, configured in ports.items():
        result = results[name]
        port = result.port or configured  # the port probed (a --port flag may override)
        present = result.status.service_present
        taken = not present and (result.status.port_taken_by_other or in_use(port))
        proposal = _free_port_above(port, reserved, in_use) if taken else None
        if proposal is not None:
            reserved.add(proposal)
        facts.append(
            ServiceFacts(
                name=name,
                port=port,
                present=present,
                detected=describe(result),
                taken_by_other=taken,
                proposal=proposal,
            )
        )
    return WizardContext(
        base=config,
        existing=existing,
        services=tuple(facts),
        docker_reachable=scan.docker.available,
        docker_reason=None if scan.docker.available else scan.docker.reason,
        ask_details=ask_details,
        target=target,
    )


def _free_port_above(port: int, reserved: set[int], in_use: Callable[[int], bool]) -> int | None:
    for candidate in range(port + 1, min(port + PROPOSAL_RANGE, 65535) + 1):
        if candidate not in reserved and not in_use(candidate):
            return candidate
    return None
