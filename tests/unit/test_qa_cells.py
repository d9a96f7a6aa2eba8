"""Cells: one table from transport failures to states, and Ansible's exit codes."""

from __future__ import annotations

from mycelium.release.qa.cells import (
    STATE_FOR_FAILURE,
    Cell,
    CellState,
    exit_code_for,
    with_missing_required,
)
from mycelium.release.remote.transport import FailureKind


def cell(host: str, python: str, state: CellState, **kw: object) -> Cell:
    return Cell(host, python, state, **kw)  # type: ignore[arg-type]


def test_every_transport_failure_has_a_cell_state() -> None:
    assert set(STATE_FOR_FAILURE) == set(FailureKind)
    assert STATE_FOR_FAILURE[FailureKind.CONNECTION_LOST] is CellState.UNREACHABLE


def test_exit_codes_follow_ansible_and_failures_win() -> None:
    ok = cell("a", "3.11", CellState.PASS, passed=3, total=3)
    assert exit_code_for([ok]) == 0
    assert exit_code_for([ok, cell("b", "3.11", CellState.UNREACHABLE)]) == 4
    assert exit_code_for([ok, cell("b", "3.11", CellState.HOSTKEY)]) == 4
    assert (
        exit_code_for([cell("b", "3.11", CellState.AUTH), cell("c", "3.11", CellState.INSTALL)])
        == 2
    )


def test_an_interrupted_run_exits_130() -> None:
    ok = cell("a", "3.11", CellState.PASS, passed=3, total=3)
    assert exit_code_for([ok, cell("b", "3.11", CellState.INTERRUPTED)]) == 130


def test_an_allowed_missing_interpreter_passes_but_a_run_that_tested_nothing_fails() -> None:
    ok = cell("a", "3.11", CellState.PASS, passed=3, total=3)
    absent = cell("a", "3.12", CellState.ABSENT)
    assert exit_code_for([ok, absent]) == 0
    assert exit_code_for([absent]) == 2
    assert exit_code_for([]) == 2


def test_a_required_cell_the_run_lacks_is_a_missing_failure() -> None:
    ok = cell("a", "python3.11", CellState.PASS, passed=3, total=3, required=True)
    cells = with_missing_required([ok], [("a", "python3.11"), ("mac", "python3.12")])
    assert [(c.host, c.python, c.state) for c in cells] == [
        ("a", "python3.11", CellState.PASS),
        ("mac", "python3.12", CellState.MISSING),
    ]
    assert exit_code_for(cells) == 2
