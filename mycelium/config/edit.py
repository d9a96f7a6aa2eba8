"""``mycelium-configuration edit``: edit a copy, save only what validates."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.config.loader import load_text
from mycelium.config.models import MyceliumConfig
from mycelium.config.store import ConfigStore, render
from mycelium.errors import ConfigError, UserError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MAX_ROUNDS: Final = 50


class EditOutcome(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"
    ABORTED = "aborted"


@dataclass(frozen=True)
class EditResult:
    outcome: EditOutcome
    message: str


def editor_command(environ: dict[str, str] | None = None) -> list[str]:
    """``$VISUAL``, then ``$EDITOR``, then the first of vi/nano on PATH."""
    env = os.environ if environ is None else environ
    for var in ("VISUAL", "EDITOR"):
        value = env.get(var, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise UserError(
                    f"${var} ({_clip(value)!r}) cannot be read as a command: {exc}; "
                    f"fix its quoting, for example `export {var}=nano`"
                ) from None
            if words:
                return words
    for fallback in ("vi", "nano"):
        found = shutil.which(fallback)
        if found:
            return [found]
    raise UserError("no editor found; set $EDITOR (for example `export EDITOR=nano`)")


def edit_config(
    store: ConfigStore,
    *,
    editor: Sequence[str],
    ask_again: Callable[[ConfigError], bool],
) -> EditResult:
    """Open ``editor`` on a copy until it validates or the user gives up.

    The real file is replaced (atomically, with a backup) only by a valid result; an
    abandoned edit stays in a temporary file whose path the result names.
    """
    original = store.read_text() if store.exists() else render(MyceliumConfig())
    workdir = Path(tempfile.mkdtemp(prefix="mycelium-edit-"))
    copy = workdir / store.path.name
    copy.write_text(original, encoding="utf-8")
    for _ in range(MAX_ROUNDS):
        try:
            returncode = subprocess.call([*editor, str(copy)])
        except OSError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            problem = (
                "not found" if isinstance(exc, FileNotFoundError) else f"cannot run: {exc.strerror}"
            )
            raise UserError(
                f"editor {_clip(editor[0])!r} {problem}; set $EDITOR to an installed editor"
            ) from None
        if returncode != 0:
            return EditResult(
                EditOutcome.ABORTED,
                f"the editor exited with status {returncode}; {store.path} is unchanged "
                f"(your edit is kept in {copy})",
            )
        text = copy.read_text(encoding="utf-8")
        if text == original and store.exists():
            shutil.rmtree(workdir, ignore_errors=True)
            return EditResult(EditOutcome.UNCHANGED, f"no changes; {store.path} is unchanged")
        try:
            loaded = load_text(text, str(store.path))
        except ConfigError as exc:
            if ask_again(exc):
                continue
            return EditResult(
                EditOutcome.ABORTED,
                f"{store.path} is unchanged; your edit is kept in {copy}",
            )
        store.save_text(text, loaded.config, expected_previous=original if store.exists() else None)
        shutil.rmtree(workdir, ignore_errors=True)
        return EditResult(EditOutcome.SAVED, f"saved {store.path}")
    return EditResult(
        EditOutcome.ABORTED, f"gave up after {MAX_ROUNDS} attempts; your edit is kept in {copy}"
    )


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
