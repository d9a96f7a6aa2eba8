"""``.env``: the services' passwords, generated once and kept across regenerations.

Secrets come from :func:`secrets.token_urlsafe`: letters, digits, ``-`` and ``_`` only, so
neither Compose interpolation, a dotenv parser nor a shell can mangle them. A second run
reads the existing file with python-dotenv (it reads what Compose reads) and keeps every
value (rotating a password under a running database would lock its clients out); only
``rotate=True`` draws new ones. What the user wrote is carried over as the very lines they
wrote, never re-serialised: a quote, a ``#``, a ``\r`` or a line break in a value survives
as is, and so do their comments and lines no reader understands.
"""

from __future__ import annotations

import functools
import io
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Final

from dotenv.parser import parse_stream

from mycelium.generators.rendering import render

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from dotenv.parser import Binding

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
    """One line of a dotenv file (several, for a quoted value spanning lines), as written.

    ``name`` is ``None`` for a comment, a blank line or a line no reader understands.
    """

    name: str | None
    value: str | None  # None for a bare ``NAME`` line, which sets nothing
    text: str  # the line(s) as written, ending with a newline


def read_lines(text: str) -> list[EnvEntry]:
    """Every line of a dotenv file in order, each exactly as written.

    A line ends only at ``\n``: python-dotenv also stops a value at ``\r``, and cutting
    the line there would turn ``CR=a\rX`` into two lines when it is written back.
    """
    lines: list[EnvEntry] = []
    pending: list[Binding] = []
    for binding in parse_stream(io.StringIO(text)):
        pending.append(binding)
        if binding.original.string.endswith("\n"):
            lines.append(_entry(pending))
            pending = []
    if pending:
        lines.append(_entry(pending))
    return lines


def _entry(bindings: list[Binding]) -> EnvEntry:
    text = "".join(b.original.string for b in bindings)
    first = bindings[0]
    name = None if first.error else first.key
    return EnvEntry(name, first.value, text if text.endswith("\n") else text + "\n")


def read_env(text: str) -> dict[str, EnvEntry]:
    """The variables of a dotenv file by name, in order; the last assignment wins."""
    return _by_name(read_lines(text))


def _by_name(lines: list[EnvEntry]) -> dict[str, EnvEntry]:
    entries: dict[str, EnvEntry] = {}
    for entry in lines:
        if entry.name is not None:
            entries.pop(entry.name, None)
            entries[entry.name] = entry
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
        lines = read_lines(existing_env or "")
        entries = _by_name(lines)
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
        # still holds data under that password), are carried over as they were written; so
        # are the user's comments and lines no reader understands, in their order.
        extra = [
            entry.text
            for entry in lines
            if (entry.name is None and _users_own(entry.text))
            or (
                entry.name is not None
                and entries.get(entry.name) is entry
                and entry.name not in values
                and entry.name != PROJECT_VARIABLE
            )
        ]
        return render(
            "env.j2",
            {"project": config.project_name, "secrets": kept, "extra": extra},
        )


def _users_own(text: str) -> bool:
    """Whether a line without a variable is the user's (not blank, not our own comment)."""
    return bool(text.strip()) and text not in _template_comments()


@functools.cache
def _template_comments() -> frozenset[str]:
    # The comment lines env.j2 writes itself: they are written afresh, never carried over.
    sample = render("env.j2", {"project": "p", "secrets": [], "extra": ["X=1\n"]})
    return frozenset(line for line in sample.splitlines(keepends=True) if line.startswith("#"))
