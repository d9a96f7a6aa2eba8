"""The effective telemetry settings: consent, endpoint and the local files, read once.

Only the user's own configuration counts (the user file, or ``$MYCELIUM_CONFIG``): a
project's ``mycelium.yaml`` arrives with a clone, and must not opt anyone in or send their
events elsewhere. A configuration that cannot be read counts as "not opted in".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.telemetry import endpoint as _endpoint
from mycelium.telemetry.consent import Consent, decide

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mycelium.config import ConfigLocation, ConfigStore

APP_NAME: Final = "mycelium"
DEFAULT_ENDPOINT: Final[str | None] = None
"""Where events go when nothing else is set. None until the maintainers' collector has a
public address: until then an opted-in user who sets no endpoint sends nothing, and the
spool says so."""


@dataclass(frozen=True)
class Settings:
    consent: Consent
    endpoint: str | None
    endpoint_source: str  # "MYCELIUM_TELEMETRY_URL", "configuration", "default"
    config_file: Path
    state_dir: Path
    problem: str | None = None  # why the configuration was not read, when it was not

    @property
    def queue(self) -> Path:
        return self.state_dir / "queue.jsonl"

    @property
    def spool(self) -> Path:
        return self.state_dir / "sent.jsonl"


def state_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME/mycelium/telemetry`` (``~/.local/state``), on every platform."""
    base = environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / APP_NAME / "telemetry"


def user_location(environ: Mapping[str, str]) -> ConfigLocation:
    """The user's own configuration: ``$MYCELIUM_CONFIG`` or the user file, never a project's."""
    from mycelium.config.paths import (  # noqa: PLC0415 - loaded only when telemetry asks
        ENV_VAR,
        USER_FILE_NAME,
        ConfigLocation,
        Source,
        user_config_dir,
    )

    from_env = environ.get(ENV_VAR)
    if from_env:
        return ConfigLocation(Path(from_env).expanduser(), Source.ENVIRONMENT)
    return ConfigLocation(user_config_dir() / USER_FILE_NAME, Source.USER)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the environment and the user's configuration; never raises for a bad file."""
    env = os.environ if environ is None else environ
    location = user_location(env)
    configured: bool | None = None
    config_endpoint: str | None = None
    problem: str | None = None
    if location.path.exists():
        from mycelium.config import ConfigStore  # noqa: PLC0415 - loaded only when it exists
        from mycelium.errors import ConfigError  # noqa: PLC0415

        try:
            configured, config_endpoint = _configured(ConfigStore(location))
        except (ConfigError, OSError) as exc:
            problem = str(exc).splitlines()[0]
    consent = decide(env, configured, str(location.path))
    url, source = _choose_endpoint(env, config_endpoint)
    return Settings(consent, url, source, location.path, state_dir(env), problem)


def _configured(store: ConfigStore) -> tuple[bool | None, str | None]:
    """``telemetry.enabled`` and its endpoint: read without the schema when the file is
    plain (every command pays this), by full validation when the quick read is unsure."""
    from mycelium.config.quick_read import read_telemetry  # noqa: PLC0415

    quick = read_telemetry(store.read_text())
    if quick is not None:
        enabled, endpoint = quick
        try:
            return enabled, _endpoint.check_endpoint(endpoint) if endpoint else None
        except ValueError:
            pass  # the schema says it better: full validation below
    section = store.load().config.telemetry
    return section.enabled, section.endpoint


def _choose_endpoint(environ: Mapping[str, str], configured: str | None) -> tuple[str | None, str]:
    from_env = environ.get(_endpoint.ENV_VAR)
    if from_env:
        try:
            return _endpoint.check_endpoint(from_env), _endpoint.ENV_VAR
        except ValueError as exc:
            return None, f"{_endpoint.ENV_VAR} ignored: {exc}"
    if configured:
        return configured, "configuration"
    return DEFAULT_ENDPOINT, "default"
