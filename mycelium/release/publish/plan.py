"""The release's vocabulary: options, the ✔/✘ lines, the recording executor, the result.

As in pyinvoke's invocations, each run reads the state, says what is done (✔) and what is
left (✘), acts, and reads the state again. ``--dry-run`` runs the same code with an
executor that records each write instead of doing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

from mycelium.release.publish.github import BACKOFF_S
from mycelium.release.publish.versions import DEFAULT_TAG_TEMPLATE

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import date

T = TypeVar("T")

DONE: Final = "✔"
LEFT: Final = "✘"
NOTE: Final = "–"
WARN: Final = "!"
RELEASE_SUBJECT: Final = "chore(release): {semver}"


@dataclass(frozen=True)
class ReleaseOptions:
    """``invoke release VERSION`` and its flags, as a typed value."""

    project_dir: Path
    version: str
    dry_run: bool = False
    draft: bool = False
    skip_qa: str | None = None
    skip_bench: str | None = None
    sign: bool = False
    replace: bool = False
    repo: str | None = None
    inventory: Path = Path("inventory/hosts.yml")
    reports: Path = Path("reports")
    strict: bool = False
    branch: str = "main"
    remote: str = "origin"
    tag_template: str = DEFAULT_TAG_TEMPLATE
    env: Mapping[str, str] | None = None  # None: os.environ
    today: date | None = None  # None: the maintainer's calendar day
    accept_open_bugs: str | None = None  # a final release despite open Critical/High beta bugs
    extra_assets: tuple[Path, ...] = ()  # uploaded too (invoke rc --publish: its report, SBOM)
    backoff: float = BACKOFF_S  # seconds; the HTTP retries and the upload retry back off so


@dataclass(frozen=True)
class RollbackOptions:
    project_dir: Path
    version: str
    force: bool = False
    repo: str | None = None
    branch: str = "main"
    remote: str = "origin"
    tag_template: str = DEFAULT_TAG_TEMPLATE
    env: Mapping[str, str] | None = None
    backoff: float = BACKOFF_S


@dataclass(frozen=True)
class Outcome:
    """What a release or rollback run says: its lines, the notes, what to run next, the code."""

    lines: tuple[str, ...]
    exit_code: int
    message: str
    notes: str = ""
    next_commands: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()  # --dry-run: the writes it would have made
    url: str | None = None


@dataclass
class Recorder:
    """The executor: does each write, or (``dry_run``) records it and does nothing."""

    dry_run: bool
    lines: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)

    def done(self, text: str) -> None:
        self.lines.append(f"{DONE} {text}")

    def left(self, text: str) -> None:
        self.lines.append(f"{LEFT} {text}")

    def note(self, text: str) -> None:
        self.lines.append(f"{NOTE} {text}")

    def warn(self, text: str) -> None:
        self.lines.append(f"{WARN} {text}")

    def act(self, todo: str, done: str, action: Callable[[], T]) -> T | None:
        """Run ``action`` and say ✔ ``done``; under ``--dry-run`` say ✘ ``todo`` instead."""
        if self.dry_run:
            self.planned.append(todo)
            self.left(f"{todo} (dry run: not done)")
            return None
        result = action()
        self.done(done)
        return result
