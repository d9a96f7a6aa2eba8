"""``.env``: the services' passwords, generated once and kept across regenerations.

Secrets come from :func:`secrets.token_urlsafe`: letters, digits, ``-`` and ``_`` only, so
neither Compose interpolation, a dotenv parser nor a shell can mangle them. A second run
reads the existing file with python-dotenv (it reads what Compose reads) and keeps every
value (rotating a password under a running database would lock its clients out); only
``rotate=True`` draws new ones. What the user wrote is carried over as the very lines they
wrote, never re-serialised: a quote, a ``#`` or a line break in a value survives as is.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Final

from dotenv.parser import parse_stream

from mycelium.generators.rendering import render

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mycelium.config.models import MyceliumConfig

SECRET_BYTES: Final = 32  # 256 bits, 43 characters
PROJECT_VARIABLE: Final = "COMPOSE_PROJECT_NAME"


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


@dataclass(frozen=True)
class EnvEntry:
    """One variable of a dotenv file: its value as Compose reads it, and its own text."""

    name: str
    value: str | None  # None for a bare ``NAME`` line, which sets nothing
    text: str  # the line(s) as written, ending with a newline


def read_env(text: str) -> dict[str, EnvEntry]:
    """The variables of a dotenv file by name, in order; the last assignment wins."""
    entries: dict[str, EnvEntry] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is None or binding.error:
            continue  # comments, blank lines; a line no reader understands is dropped
        line = binding.original.string
        entries.pop(binding.key, None)
        entries[binding.key] = EnvEntry(
            binding.key, binding.value, line if line.endswith("\n") else line + "\n"
        )
    return entries


def parse_env(text: str) -> dict[str, str]:
    """``NAME=value`` pairs of a dotenv file, in order, as Compose reads them."""
    return {name: e.value for name, e in read_env(text).items() if e.value is not None}


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
        existing_env: str | None = None,
        *,
        rotate: bool = False,
    ) -> str:
        """``.env`` for ``config``, keeping what ``existing_env`` (the current file) holds."""
        entries = read_env(existing_env or "")
        existing = {name: e.value for name, e in entries.items() if e.value is not None}
        values = self.values(config, existing, rotate=rotate)
        # A kept secret is the user's own line, so how they quoted it stays as it was.
        kept = [
            {
                "name": name,
                "value": value,
                "kept": entries[name].text if existing.get(name) == value else None,
            }
            for name, value in values.items()
        ]
        # Variables the user added, or secrets of a service disabled for now (its volume
        # still holds data under that password), are carried over as they were written.
        extra = [
            entry.text
            for name, entry in entries.items()
            if name not in values and name != PROJECT_VARIABLE
        ]
        return render(
            "env.j2",
            {"project": config.project_name, "secrets": kept, "extra": extra},
        )
