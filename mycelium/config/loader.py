"""Text of a configuration file to a validated ``MyceliumConfig``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from mycelium.config.migrations import OLDEST_SUPPORTED, migrate
from mycelium.config.models import CURRENT_SCHEMA_VERSION, MyceliumConfig
from mycelium.config.yaml_document import YamlDocument, parse_yaml
from mycelium.errors import ConfigError


@dataclass(frozen=True)
class LoadedConfig:
    config: MyceliumConfig
    migrated_from: int | None = None


def load_text(text: str, source: str) -> LoadedConfig:
    """Parse, migrate and validate; every problem is a ``ConfigError`` naming ``source``."""
    doc = parse_yaml(text, source)
    if doc.data is None:
        raise ConfigError(
            f"{source}: the file is empty",
            ("run `mycelium-configuration init --force` to write the defaults",),
        )
    if not isinstance(doc.data, dict):
        raise ConfigError(
            f"{source}: the top level must be a mapping of settings "
            f"(project_name:, services:, deployment:), not a {type(doc.data).__name__}"
        )
    data: dict[str, Any] = doc.data
    version = data.get("schema_version", CURRENT_SCHEMA_VERSION)
    migrated_from: int | None = None
    if isinstance(version, int) and not isinstance(version, bool):
        if version > CURRENT_SCHEMA_VERSION:
            raise ConfigError(
                f"{_at(doc, source)}: schema_version: {version} is newer than this mycelium "
                f"understands ({CURRENT_SCHEMA_VERSION}); install a newer mycelium release "
                "(`uv tool install --force` its wheel, as docs/INSTALLATION.md says)"
            )
        if OLDEST_SUPPORTED <= version < CURRENT_SCHEMA_VERSION:
            data = migrate(data, version)
            migrated_from = version
            # Line numbers still point into the file the user wrote.
    return LoadedConfig(config=validate_data(data, source, doc), migrated_from=migrated_from)


def validate_data(data: Any, source: str, doc: YamlDocument | None = None) -> MyceliumConfig:
    try:
        return MyceliumConfig.model_validate(data)
    except ValidationError as exc:
        # The messages (difflib, the schema walk) load only when there is a problem to tell.
        from mycelium.config.messages import validation_problems  # noqa: PLC0415

        problems = tuple(validation_problems(exc, source, doc))
        count = exc.error_count()
        noun = "problem" if count == 1 else "problems"
        raise ConfigError(f"{source}: invalid configuration ({count} {noun}):", problems) from None


def _at(doc: YamlDocument, source: str) -> str:
    line = doc.line_of(("schema_version",))
    return f"{source}:{line}" if line else source
