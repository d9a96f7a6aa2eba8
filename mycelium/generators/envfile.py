"""``.env``: the services' passwords, generated once and kept across regenerations.

Secrets come from :func:`secrets.token_urlsafe`: letters, digits, ``-`` and ``_`` only, so
neither Compose interpolation, a dotenv parser nor a shell can mangle them. A second run
reads the existing file and keeps every value (rotating a password under a running
database would lock its clients out); only ``rotate=True`` draws new ones.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Final

from mycelium.generators.rendering import render

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mycelium.config.models import MyceliumConfig

SECRET_BYTES: Final = 32  # 256 bits, 43 characters
PROJECT_VARIABLE: Final = "COMPOSE_PROJECT_NAME"
_LINE: Final = re.compile(
    r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)$"
)


def secret_names(config: MyceliumConfig) -> tuple[str, ...]:
    """The variables the deployment files read from ``.env`` for this configuration."""
    services = config.services
    names: list[str] = []
    if services.redis.enabled:
        names.append("REDIS_PASSWORD")
    if services.postgres.enabled:
        names.append("POSTGRES_PASSWORD")
    if services.temporal.enabled:
        names.append("TEMPORAL_DB_PASSWORD")
    return tuple(names)


def parse_env(text: str) -> dict[str, str]:
    """``NAME=value`` pairs of a dotenv file, in order; comments and blank lines skipped."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        value = match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":  # noqa: PLR2004
            value = value[1:-1]
        values[match["name"]] = value
    return values


def new_secret(token: Callable[[int], str] = secrets.token_urlsafe) -> str:
    """A fresh secret that never starts with ``-`` (a command line would read an option)."""
    while True:
        value = token(SECRET_BYTES)
        if not value.startswith("-"):
            return value


@dataclass(frozen=True)
class SecretsGenerator:
    """Renders ``.env`` from the configuration and the values already in ``.env``."""

    file_name: ClassVar[str] = ".env"
    token: Callable[[int], str] = field(default=secrets.token_urlsafe)

    def values(
        self, config: MyceliumConfig, existing: Mapping[str, str], *, rotate: bool = False
    ) -> dict[str, str]:
        """Each secret the configuration needs: kept from ``existing`` unless rotating."""
        return {
            name: existing[name] if existing.get(name) and not rotate else new_secret(self.token)
            for name in secret_names(config)
        }

    def render(
        self,
        config: MyceliumConfig,
        existing: Mapping[str, str] | None = None,
        *,
        rotate: bool = False,
    ) -> str:
        existing = existing or {}
        values = self.values(config, existing, rotate=rotate)
        # Variables the user added, or secrets of a service disabled for now (its volume
        # still holds data under that password), are carried over as they were.
        extra = [
            (name, value)
            for name, value in existing.items()
            if name not in values and name != PROJECT_VARIABLE
        ]
        return render(
            "env.j2",
            {"project": config.project_name, "secrets": list(values.items()), "extra": extra},
        )
