"""The few values a command needs from a saved configuration, read without the schema.

``mycelium-onboarding --detect`` needs only the services' ports, the Redis password and the
PostgreSQL user; the telemetry hook after every command only ``telemetry.enabled`` and its
endpoint. Reading them with the bounded YAML loader alone, not the pydantic schema, keeps a
scan well under its 120 ms goal: importing pydantic costs more than the scan itself.
Nothing is weakened: a file this reader is not sure of (another schema version, a value of
the wrong type or out of range, an unexpected shape) is handed back (``None``) to the full
validation, which reports it exactly as ``mycelium-configuration validate`` would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

CURRENT_SCHEMA: Final = 2  # mycelium.config.models.CURRENT_SCHEMA_VERSION (a test keeps them equal)
DEFAULT_TEMPORAL_UI_PORT: Final = 8233  # TemporalConfig.ui_port's default (a test keeps them equal)
_IDENTIFIER: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_MAX_PORT: Final = 65535


@dataclass(frozen=True)
class ScanSettings:
    """``None`` for what the file does not set: the configuration's default applies."""

    redis_port: int | None = None
    redis_password: str | None = None
    postgres_port: int | None = None
    postgres_user: str | None = None
    temporal_enabled: bool | None = None
    temporal_port: int | None = None
    temporal_ui_port: int | None = None


class _Unsure(Exception):  # noqa: N818 - a signal inside this module, never raised out of it
    """The value is not one this reader vouches for: full validation decides."""


def read_scan_settings(text: str) -> ScanSettings | None:
    """The scan's values from the text of a configuration file, or ``None`` when unsure."""
    try:
        return _settings(_load(text))
    except _Unsure:
        return None


def read_telemetry(text: str) -> tuple[bool | None, str | None] | None:
    """``telemetry.enabled`` and ``telemetry.endpoint`` (``None``: unset), or ``None`` when
    unsure. The endpoint is returned as written: the caller checks it as the schema does."""
    try:
        return _telemetry(_root(_load(text)))
    except _Unsure:
        return None


def _telemetry(root: dict[str, Any]) -> tuple[bool | None, str | None]:
    section = _section(root, "telemetry")
    enabled, endpoint = section.get("enabled"), section.get("endpoint")
    if ("enabled" in section and not isinstance(enabled, bool)) or (
        endpoint is not None and not isinstance(endpoint, str)
    ):
        raise _Unsure
    return enabled, endpoint


def _load(text: str) -> Any:
    import yaml  # noqa: PLC0415 - only when a file is there to read

    from mycelium.config.yaml_document import safe_load  # noqa: PLC0415

    try:
        return safe_load(text)
    except yaml.YAMLError:
        raise _Unsure from None


def _root(data: Any) -> dict[str, Any]:
    root = _mapping(data)
    if root.get("schema_version") != CURRENT_SCHEMA or isinstance(root["schema_version"], bool):
        raise _Unsure
    return root


def _settings(data: Any) -> ScanSettings:
    root = _root(data)
    services = _section(root, "services")
    redis = _section(services, "redis")
    postgres = _section(services, "postgres")
    temporal = _section(services, "temporal")
    password = redis.get("password")
    if password is not None and not isinstance(password, str):
        raise _Unsure
    user = postgres.get("user")
    if user is not None and not (isinstance(user, str) and _IDENTIFIER.fullmatch(user)):
        raise _Unsure
    enabled = temporal.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise _Unsure
    if (user is None and "user" in postgres) or (enabled is None and "enabled" in temporal):
        raise _Unsure  # an explicit null the schema refuses
    return ScanSettings(
        redis_port=_port(redis, "port"),
        redis_password=password,
        postgres_port=_port(postgres, "port"),
        postgres_user=user,
        temporal_enabled=enabled,
        temporal_port=_port(temporal, "port"),
        temporal_ui_port=_port(temporal, "ui_port"),
    )


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unsure
    return value


def _section(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` as a mapping; absent is empty, anything else (null included) unsure."""
    return _mapping(parent[key]) if key in parent else {}


def _port(section: dict[str, Any], key: str) -> int | None:
    if key not in section:
        return None
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_PORT:
        raise _Unsure
    return value
