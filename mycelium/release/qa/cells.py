"""The matrix's vocabulary: a cell per host × interpreter, its state, and the run's exit code.

A transport says what went wrong on its side (``FailureKind``); ``STATE_FOR_FAILURE`` is
the one table that says what that means for a cell. Ctrl-C is a state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from mycelium import exit_codes
from mycelium.release.remote.transport import FailureKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mycelium.qa.report import PlatformInfo


class CellState(StrEnum):
    PASS = "pass"  # noqa: S105 - a state, not a password
    FAILED = "failed"  # the checklist ran and some check failed
    UNREACHABLE = "unreachable"
    AUTH = "auth"
    HOSTKEY = "hostkey"
    TIMEOUT = "timeout"
    NO_PYTHON = "no-python"
    INSTALL = "install"
    ERROR = "error"  # the run broke: a step failed, a report was missing or invalid
    INTERRUPTED = "interrupted"  # Ctrl-C before the cell finished
    ABSENT = "absent"  # no such interpreter, and --allow-missing said that is fine
    MISSING = "missing"  # a required cell the run did not produce
    IMAGE = "image"  # a container host's image is not on this machine: nothing ran (exit 4)


STATE_FOR_FAILURE: Final[dict[FailureKind, CellState]] = {
    FailureKind.UNREACHABLE: CellState.UNREACHABLE,
    FailureKind.AUTH: CellState.AUTH,
    FailureKind.HOSTKEY: CellState.HOSTKEY,
    FailureKind.TIMEOUT: CellState.TIMEOUT,
    FailureKind.CONNECTION_LOST: CellState.UNREACHABLE,
    FailureKind.IMAGE: CellState.IMAGE,
}
# The host never ran a step: Ansible's exit 4 ("unreachable"), unless a failure elsewhere wins.
UNREACHABLE_STATES: Final = frozenset(
    {CellState.UNREACHABLE, CellState.AUTH, CellState.HOSTKEY, CellState.IMAGE}
)
GREEN_STATES: Final = frozenset({CellState.PASS, CellState.ABSENT})


@dataclass(frozen=True)
class Cell:
    host: str
    python: str
    state: CellState
    passed: int | None = None
    total: int | None = None
    message: str = ""
    failing: tuple[str, ...] = ()
    platform: PlatformInfo | None = None
    required: bool = False
    container: bool = False  # the inventory runs this host in a container

    @property
    def text(self) -> str:
        if self.state is CellState.PASS:
            return f"✓ {self.passed}/{self.total}"
        if self.state is CellState.FAILED:
            return f"✗ {self.passed}/{self.total}"
        return self.state.value


def cells_of(
    host: str, pythons: Iterable[str], state: CellState, message: str, *, required: bool = False
) -> list[Cell]:
    """The same state for every interpreter of one host."""
    return [Cell(host, python, state, message=message, required=required) for python in pythons]


def with_missing_required(cells: Sequence[Cell], required: Iterable[tuple[str, str]]) -> list[Cell]:
    """``cells`` plus a ``missing`` cell for each required (host, python) the run lacks.

    A required platform that never reported must never let a release gate look green.
    """
    have = {(c.host, c.python) for c in cells}
    extra = [
        Cell(host, python, CellState.MISSING, message="required, but no result", required=True)
        for host, python in required
        if (host, python) not in have
    ]
    return [*cells, *extra]


def exit_code_for(cells: Sequence[Cell]) -> int:
    """Ansible's convention: 0 all passed, 4 some host unreachable, 2 any other failure (wins)."""
    states = {c.state for c in cells}
    if not states or states == {CellState.ABSENT}:
        return exit_codes.QA_FAILED  # a run that tested nothing must never look green
    if states & {CellState.INTERRUPTED}:
        return exit_codes.INTERRUPTED
    if states - UNREACHABLE_STATES - GREEN_STATES:
        return exit_codes.QA_FAILED
    if states & UNREACHABLE_STATES:
        return exit_codes.QA_UNREACHABLE
    return exit_codes.OK
