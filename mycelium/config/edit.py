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
        text = _read_edit(copy, store.path)
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
        try:
            store.save_text(
                text, loaded.config, expected_previous=original if store.exists() else None
            )
        except ConfigError as exc:
            # Another writer changed the file meanwhile: the user's edit is not lost.
            raise ConfigError(f"{exc}; your edit is kept in {copy}") from None
        shutil.rmtree(workdir, ignore_errors=True)
        return EditResult(EditOutcome.SAVED, f"saved {store.path}")
    return EditResult(
        EditOutcome.ABORTED, f"gave up after {MAX_ROUNDS} attempts; your edit is kept in {copy}"
    )


def _read_edit(copy: Path, target: Path) -> str:
    """The edited copy as text, or a ``UserError`` saying what the editor left instead."""
    from mycelium.fileio import read_regular_file  # noqa: PLC0415

    unchanged = f"{target} is unchanged"
    try:
        raw = read_regular_file(copy)
    except OSError as exc:
        raise UserError(
            f"{copy}: the editor left something that is not a text file ({exc.strerror or exc}); "
            f"{unchanged}"
        ) from None
    if raw is None:
        raise UserError(f"the editor removed {copy} instead of saving it; {unchanged}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{copy}: not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x}); save it as "
            f"UTF-8 and run `mycelium-configuration edit` again; {unchanged}, your edit is "
            f"kept in {copy}"
        ) from None


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
