"""The one call the console scripts make, after a command's exit code is known.

``after_command`` decides what the command is worth reporting (its success event, or an
``error`` naming the operation), reads the consent, and hands the events to the background
sender. It never raises and never waits for the network: telemetry cannot fail or slow a
command (DESIGN.md, "Monitoring and privacy").
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Final

from mycelium import exit_codes

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.config.models import DeploymentMethod

log = logging.getLogger("mycelium")

_NOT_ERRORS: Final = frozenset({exit_codes.OK, exit_codes.USAGE, exit_codes.INTERRUPTED})
_OPERATIONS: Final = frozenset({"onboarding", "configuration", "generate", "test"})


def method_of(config: Path | None) -> DeploymentMethod | None:
    """The deployment method of the configuration the command used, or None."""
    from mycelium.config import ConfigStore, resolve  # noqa: PLC0415
    from mycelium.errors import ConfigError  # noqa: PLC0415

    try:
        location = resolve(config)
        if not location.path.exists():
            return None
        return ConfigStore(location).load().config.deployment.method
    except (ConfigError, OSError):
        return None


def after_command(*, prog: str, code: int, event: str | None, config: Path | None = None) -> None:
    """Report the command ``prog`` that ended with ``code``; ``event`` is its success event."""
    try:
        _report(prog, code, event, config)
    except Exception as exc:  # noqa: BLE001 - telemetry must never fail the user's command
        log.debug("telemetry: skipped (%s: %s)", type(exc).__name__, exc)


def _report(prog: str, code: int, event: str | None, config: Path | None) -> None:
    if prog.removeprefix("mycelium-") not in _OPERATIONS:
        return  # mycelium-qa and mycelium-bench run on test hosts: not the product's use
    from mycelium.telemetry.settings import load_settings  # noqa: PLC0415

    settings = load_settings(os.environ)
    if not settings.consent.enabled:
        return
    from mycelium.telemetry import client  # noqa: PLC0415
    from mycelium.telemetry.schema import WITH_METHOD, EventName, Operation  # noqa: PLC0415

    events = []
    version = client.mycelium_version()
    if client.first_run_of_version(settings, version):
        events.append(client.build_event(EventName.INSTALLATION))
    if code not in _NOT_ERRORS:
        operation = Operation(prog.removeprefix("mycelium-"))
        events.append(client.build_event(EventName.ERROR, operation=operation))
    elif code == exit_codes.OK and event is not None:
        name = EventName(event)
        method = method_of(config) if name in WITH_METHOD else None
        events.append(client.build_event(name, method=method))
    client.submit(settings, events)
