"""An operation's grade and status from its median and the one targets table."""

from __future__ import annotations

from mycelium.bench.targets import TARGETS, Grade, Target
from mycelium.status import Status

# Operations that share a row of the targets table: every console script's `--help`.
_GROUPS = ("cli_help",)


def target_for(name: str) -> Target | None:
    """The row of ``TARGETS`` that grades ``name`` (``cli_help_qa`` → ``cli_help``)."""
    if name in TARGETS:
        return TARGETS[name]
    for group in _GROUPS:
        if name.startswith(f"{group}_"):
            return TARGETS[group]
    return None


def grade(name: str, median_s: float) -> tuple[Grade, Status]:
    """The grade of a median, and ``fail`` only past the seed's threshold."""
    target = target_for(name)
    if target is None:
        return Grade.UNTARGETED, Status.PASS
    found = target.grade(median_s)
    return found, Status.FAIL if found is Grade.OVER else Status.PASS
