"""``invoke release`` and ``invoke rollback`` as plain functions, and their text.

The tasks parse flags into :class:`ReleaseOptions` / :class:`RollbackOptions`, call one
function here, print :func:`render` of the outcome and exit with its code.
"""

from __future__ import annotations

from mycelium.release.publish.plan import Outcome, ReleaseOptions, RollbackOptions
from mycelium.release.publish.release import run_release
from mycelium.release.publish.rollback import run_rollback

__all__ = ["Outcome", "ReleaseOptions", "RollbackOptions", "release", "render", "rollback"]


def release(options: ReleaseOptions) -> Outcome:
    """Converge towards the release of ``options.version``; see ``publish/release.py``."""
    return run_release(options)


def rollback(options: RollbackOptions) -> Outcome:
    """Undo the release of ``options.version``; see ``publish/rollback.py``."""
    return run_rollback(options)


def render(outcome: Outcome, *, notes: bool = False) -> str:
    """The ✔/✘ lines, the notes (``--dry-run``), and the commands to run next."""
    parts = ["\n".join(outcome.lines)]
    if notes and outcome.notes:
        parts.append("Release notes:\n\n" + outcome.notes.rstrip("\n"))
    if outcome.next_commands:
        parts.append("Next:\n" + "\n".join(f"  {c}" for c in outcome.next_commands))
    if outcome.url:
        parts.append(outcome.url)
    return "\n\n".join(p for p in parts if p) + "\n"
