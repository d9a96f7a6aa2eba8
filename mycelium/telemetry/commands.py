"""What ``mycelium-telemetry`` does, as functions that return frozen results."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mycelium.telemetry.settings import Settings, load_settings, user_location

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from mycelium.config import MyceliumConfig


@dataclass(frozen=True)
class Status:
    settings: Settings
    recorded: int  # lines in the spool
    queued: int  # lines waiting for the sender

    def as_dict(self) -> dict[str, object]:
        s = self.settings
        return {
            "enabled": s.consent.enabled,
            "source": s.consent.source.value,
            "reason": s.consent.detail,
            "configuration": os.fspath(s.config_file),
            "configuration_problem": s.problem,
            "endpoint": s.endpoint,
            "endpoint_source": s.endpoint_source,
            "spool": os.fspath(s.spool),
            "recorded": self.recorded,
            "queued": self.queued,
        }


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def status(environ: Mapping[str, str] | None = None) -> Status:
    settings = load_settings(environ)
    return Status(settings, _count_lines(settings.spool), _count_lines(settings.queue))


@dataclass(frozen=True)
class Changed:
    path: Path
    status: Status


def set_enabled(enabled: bool, environ: Mapping[str, str] | None = None) -> Changed:
    """Write ``telemetry.enabled`` to the user's own configuration; disabling drops the queue.

    Raises:
        ConfigError: the configuration cannot be read or written.
    """
    from mycelium.config import ConfigStore  # noqa: PLC0415

    env = os.environ if environ is None else environ
    location = user_location(env)

    def change(current: MyceliumConfig) -> MyceliumConfig:
        current.telemetry.enabled = enabled
        return current

    ConfigStore(location).update(change)
    if not enabled:
        with contextlib.suppress(FileNotFoundError):
            load_settings(env).queue.unlink()
    return Changed(location.path, status(env))


def preview() -> tuple[bytes, ...]:
    """The exact bytes of each kind of event this machine would send; nothing is sent."""
    from mycelium.telemetry import client  # noqa: PLC0415
    from mycelium.telemetry.hook import method_of  # noqa: PLC0415
    from mycelium.telemetry.schema import EventName, Operation  # noqa: PLC0415

    method = method_of(None)
    events = [
        client.build_event(name, method=method) for name in EventName if name is not EventName.ERROR
    ]
    events.append(client.build_event(EventName.ERROR, operation=Operation.GENERATE))
    return tuple(event.to_bytes() for event in events)
