"""Applying a plan: never overwrite what the user changed, and keep secrets private.

``.mycelium-generated.json`` in the output directory records the sha256 of every file as
it was generated. A file whose content no longer matches that record (or that was there
before Mycelium) was edited by someone: it is only replaced with ``force``, and then the
edited version is kept as ``<name>.bak``. Nothing is written when any file conflicts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from mycelium.errors import UserError
from mycelium.fileio import (
    FileTooLargeError,
    NotRegularFileError,
    SymbolicLinkError,
    atomic_write,
    backup_path,
    describe,
    read_regular_file,
)
from mycelium.generators.envfile import PROJECT_VARIABLE
from mycelium.generators.plan import SECRET_MODE, Plan, PlannedFile
from mycelium.redaction import redact_env_text

if TYPE_CHECKING:
    from pathlib import Path

MANIFEST: Final = ".mycelium-generated.json"


class Action(StrEnum):
    """What happens to one file; the value is the verb a person reads."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    REPLACE = "replace"


@dataclass(frozen=True)
class FileChange:
    file: PlannedFile
    path: Path
    action: Action
    old: str | None


@dataclass(frozen=True)
class Outcome:
    changes: tuple[FileChange, ...]
    written: bool

    @property
    def conflicts(self) -> tuple[FileChange, ...]:
        return tuple(c for c in self.changes if c.action is Action.CONFLICT)


class GenerationConflictError(UserError):
    """Files the user edited since the last generation; nothing was written."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_text(path: Path) -> str | None:
    """The UTF-8 text of the generated file ``path``, or ``None`` when there is none.

    A symbolic link there is refused: reading, backing up or tightening through it would
    touch a file outside the output directory (``.env -> ~/.bashrc``).
    """
    try:
        raw = read_regular_file(path, follow_links=False)
    except SymbolicLinkError:
        raise UserError(_LINK_REFUSED.format(path=path)) from None
    except NotADirectoryError:
        raise UserError(f"{path.parent}: is not a directory; choose another --output") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied; check the file's owner and mode") from None
    except (IsADirectoryError, NotRegularFileError, FileTooLargeError) as exc:
        # Other OSErrors (a name too long, a full disk) reach the edge, which words them.
        raise UserError(
            f"{path}: {describe(exc)}; move it away or choose another --output"
        ) from None
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; move it away or run with --force") from None


def refuse_link(path: Path) -> None:
    """Refuse a symbolic link at ``path``, a name this run may write (a ``.bak``)."""
    try:
        is_link = path.is_symlink()
    except OSError:
        return  # whatever else is wrong there, writing it reports it
    if is_link:
        raise UserError(_LINK_REFUSED.format(path=path))


_LINK_REFUSED: Final = (
    "{path}: is a symbolic link, which mycelium-generate never follows; "
    "remove the link and run again"
)


def read_manifest(output_dir: Path) -> dict[str, str]:
    text = read_text(output_dir / MANIFEST)
    if text is None:
        return {}
    try:
        data = json.loads(text)
        files = data["files"]
    except (ValueError, KeyError, TypeError):
        # A damaged record only means we cannot tell edits apart: every file is then
        # treated as edited, which errs on the side of keeping the user's work.
        return {}
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def review(plan: Plan, *, force: bool = False) -> tuple[FileChange, ...]:
    """Compare each planned file with the disk and the manifest; no side effects."""
    manifest = read_manifest(plan.output_dir)
    changes: list[FileChange] = []
    for planned in plan.files:
        path = plan.output_dir / planned.name
        old = read_text(path)
        refuse_link(backup_path(path))
        if old is None:
            action = Action.CREATE
        elif old == planned.text:
            action = Action.UNCHANGED
        elif not planned.managed or manifest.get(planned.name) == sha256(old):
            action = Action.UPDATE
        else:
            action = Action.REPLACE if force else Action.CONFLICT
        changes.append(FileChange(planned, path, action, old))
    return tuple(changes)


def apply(plan: Plan, *, force: bool = False, dry_run: bool = False) -> Outcome:
    """Write the plan; refuse (writing nothing) when a file was edited, unless ``force``.

    Raises:
        GenerationConflictError: a file changed since it was generated and not ``force``.
    """
    changes = review(plan, force=force)
    outcome = Outcome(changes, written=False)
    if dry_run:
        return outcome
    if outcome.conflicts:
        _secure_existing(changes)
        raise GenerationConflictError(conflict_message(outcome.conflicts))
    try:
        _write(plan, changes)
    except OSError as exc:
        where = exc.filename or plan.output_dir
        raise UserError(
            f"{where}: cannot write: {exc.strerror}; check the directory's owner and mode, "
            "or choose another --output"
        ) from None
    # Re-verify: what is on disk now must be exactly the plan (a concurrent writer, a
    # filesystem that rewrites line endings, ... would show up here, not later).
    drifted = [c.path for c in review(plan) if c.action is not Action.UNCHANGED]
    if drifted:
        raise UserError(
            f"{drifted[0]}: differs from what was just written; another program changed it, "
            "run mycelium-generate again"
        )
    return Outcome(changes, written=True)


def _write(plan: Plan, changes: tuple[FileChange, ...]) -> None:
    manifest = read_manifest(plan.output_dir)
    for change in changes:
        planned = change.file
        if change.action is Action.REPLACE and change.old is not None:
            atomic_write(backup_path(change.path), change.old.encode("utf-8"), planned.mode)
        if change.action is not Action.UNCHANGED:
            atomic_write(change.path, planned.text.encode("utf-8"), planned.mode)
        elif planned.secret:
            _tighten(change.path)
        if planned.managed:
            manifest[planned.name] = sha256(planned.text)
    record = {"generator": "mycelium-generate", "files": dict(sorted(manifest.items()))}
    text = json.dumps(record, indent=2) + "\n"
    if read_text(plan.output_dir / MANIFEST) != text:
        atomic_write(plan.output_dir / MANIFEST, text.encode("utf-8"))


def _tighten(path: Path) -> None:
    # A secret file someone loosened (chmod 644) is made private again on every run; on
    # the descriptor opened without following links, so a link's target is never changed.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return  # gone or swapped for a link since it was read: nothing of ours to tighten
    try:
        status = os.fstat(fd)
        if stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) != SECRET_MODE:
            os.fchmod(fd, SECRET_MODE)
    finally:
        os.close(fd)


def _secure_existing(changes: tuple[FileChange, ...]) -> None:
    for change in changes:
        if change.file.secret and change.old is not None:
            _tighten(change.path)


def conflict_message(conflicts: tuple[FileChange, ...]) -> str:
    lines = [
        f"{c.path}: changed since mycelium-generate wrote it (or was not written by it)"
        for c in conflicts
    ]
    count = len(conflicts)
    head = f"nothing was written: {count} file{'s' if count > 1 else ''} would lose your edits"
    fix = (
        "keep your version and stop here, or run again with --force to replace it "
        "(your version is kept as <name>.bak); --diff shows the difference"
    )
    return "\n".join([head, *(f"  {line}" for line in lines), f"  {fix}"])


def mask_secrets(text: str) -> str:
    """``.env`` text with each value replaced by a short fingerprint, safe to print."""
    return redact_env_text(text, public=(PROJECT_VARIABLE,))


def unified_diff(change: FileChange) -> str:
    """The change as a unified diff; secret values appear only as fingerprints."""
    old, new = change.old or "", change.file.text
    if change.file.secret:
        old, new = mask_secrets(old), mask_secrets(new)
    name = change.file.name
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if change.old is None else f"a/{name}",
            tofile=f"b/{name}",
        )
    )
