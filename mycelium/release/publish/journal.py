"""``.git/mycelium-release.json``: what each release run did, so a re-run resumes and
``invoke rollback`` knows what to undo.

It lives in ``.git/``: never committed, never in a build, one per clone. It holds commits,
tags, release ids, asset names and digests; never a token or a URL with credentials.
A corrupt file is an error naming it and the fix, never a silent restart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mycelium.errors import ReleaseError
from mycelium.fileio import atomic_write

if TYPE_CHECKING:
    from pathlib import Path

JOURNAL_NAME: Final = "mycelium-release.json"
SCHEMA_VERSION: Final = 1


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    at: str
    detail: str = ""


class Entry(BaseModel):
    """One version's release: the facts a resume and a rollback need."""

    model_config = ConfigDict(extra="forbid")

    version: str
    tag: str
    branch: str = ""
    base_commit: str = ""  # HEAD before the bump commit
    bump_commit: str = ""  # the commit "chore(release): X" this run made ("" if none)
    wheel_sha256: str = ""
    built_commit: str = ""
    checked: bool = False  # twine check and the test install passed for wheel_sha256
    pushed: bool = False
    release_id: int | None = None
    published: bool = False
    rolled_back: bool = False
    steps: list[Step] = Field(default_factory=list)


class JournalFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "mycelium-release-journal"
    schema_version: int = SCHEMA_VERSION
    releases: dict[str, Entry] = Field(default_factory=dict)


@dataclass
class Journal:
    """The file and its contents; ``save`` writes atomically, ``dry_run`` never writes."""

    path: Path
    data: JournalFile = field(default_factory=JournalFile)
    dry_run: bool = False

    @classmethod
    def load(cls, git_dir: Path, *, dry_run: bool = False) -> Journal:
        path = git_dir / JOURNAL_NAME
        if not path.exists():
            return cls(path, JournalFile(), dry_run)
        try:
            data = JournalFile.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a release journal"
            raise ReleaseError(
                f"{path}: cannot be read ({reason}); move it aside to start over "
                "(rollback then works from the remote state)"
            ) from None
        return cls(path, data, dry_run)

    def entry(self, version: str, tag: str) -> Entry:
        if version not in self.data.releases:
            self.data.releases[version] = Entry(version=version, tag=tag)
        return self.data.releases[version]

    def get(self, version: str) -> Entry | None:
        return self.data.releases.get(version)

    def record(self, version: str, tag: str, step: str, detail: str = "", **facts: Any) -> None:
        entry = self.entry(version, tag)
        for key, value in facts.items():
            setattr(entry, key, value)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        entry.steps.append(Step(name=step, at=now, detail=detail))
        self.save()

    def forget(self, version: str) -> None:
        self.data.releases.pop(version, None)
        self.save()

    def save(self) -> None:
        if self.dry_run:
            return
        text = json.dumps(self.data.model_dump(mode="json"), indent=2) + "\n"
        atomic_write(self.path, text.encode("utf-8"), mode=0o600)
