"""Configuration: the schema, where it lives, and how it is read and written.

The names below load on first use (PEP 562): ``mycelium.config.paths`` and the store's
existence check stay free of pydantic and PyYAML, so a command that finds no file to read
(``mycelium-onboarding --detect``) never pays for them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mycelium.config.loader import LoadedConfig, load_text
    from mycelium.config.models import (
        CURRENT_SCHEMA_VERSION,
        DeploymentConfig,
        DeploymentMethod,
        MyceliumConfig,
        PostgresConfig,
        RedisConfig,
        ServicesConfig,
        TaskQueueBackend,
        TaskQueueConfig,
        TelemetryConfig,
        TemporalConfig,
    )
    from mycelium.config.paths import ConfigLocation, resolve
    from mycelium.config.store import ConfigStore

    ConfigManager = ConfigStore

_MODELS = "mycelium.config.models"
# Each public name and the module that defines it.
_HOME: dict[str, str] = {
    "CURRENT_SCHEMA_VERSION": _MODELS,
    "ConfigLocation": "mycelium.config.paths",
    "ConfigStore": "mycelium.config.store",
    "DeploymentConfig": _MODELS,
    "DeploymentMethod": _MODELS,
    "LoadedConfig": "mycelium.config.loader",
    "MyceliumConfig": _MODELS,
    "PostgresConfig": _MODELS,
    "RedisConfig": _MODELS,
    "ServicesConfig": _MODELS,
    "TaskQueueBackend": _MODELS,
    "TaskQueueConfig": _MODELS,
    "TelemetryConfig": _MODELS,
    "TemporalConfig": _MODELS,
    "load_text": "mycelium.config.loader",
    "resolve": "mycelium.config.paths",
}
# The seed's name for ``ConfigStore`` (its Task 10.2 script imports it).
_ALIASES: dict[str, str] = {"ConfigManager": "ConfigStore"}

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "ConfigLocation",
    "ConfigManager",
    "ConfigStore",
    "DeploymentConfig",
    "DeploymentMethod",
    "LoadedConfig",
    "MyceliumConfig",
    "PostgresConfig",
    "RedisConfig",
    "ServicesConfig",
    "TaskQueueBackend",
    "TaskQueueConfig",
    "TelemetryConfig",
    "TemporalConfig",
    "load_text",
    "resolve",
]


def __getattr__(name: str) -> object:
    target = _ALIASES.get(name, name)
    home = _HOME.get(target)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), target)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
