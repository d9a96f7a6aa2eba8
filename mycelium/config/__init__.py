"""Configuration: the schema, where it lives, and how it is read and written."""

from __future__ import annotations

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
"""The seed's name for :class:`ConfigStore` (its Task 10.2 script imports it)."""

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
