"""The matrix: every expected cell shows, exit codes follow Ansible's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.qa.report import PlatformInfo
from mycelium.release.matrix import failed_cells, render_text, write_outputs
from mycelium.release.remote_qa import Cell, CellState, exit_code_for

if TYPE_CHECKING:
    from pathlib import Path

LINUX = PlatformInfo(os="Linux", os_version="24.04", distro="ubuntu", python_version="3.12.3",
                     architecture="x86_64", wsl=False)  # fmt: skip


def cell(host: str, python: str, state: CellState, **kw: object) -> Cell:
    return Cell(host, python, state, **kw)  # type: ignore[arg-type]


def test_exit_codes_follow_ansible_and_failures_win() -> None:
    ok = cell("a", "3.11", CellState.PASS, passed=3, total=3)
    assert exit_code_for([ok]) == 0
    assert exit_code_for([ok, cell("b", "3.11", CellState.UNREACHABLE)]) == 4
    assert exit_code_for([ok, cell("b", "3.11", CellState.HOSTKEY)]) == 4
    assert (
        exit_code_for([cell("b", "3.11", CellState.AUTH), cell("c", "3.11", CellState.INSTALL)])
        == 2
    )


def test_an_allowed_missing_interpreter_passes_but_a_run_that_tested_nothing_fails() -> None:
    ok = cell("a", "3.11", CellState.PASS, passed=3, total=3)
    absent = cell("a", "3.12", CellState.ABSENT)
    assert exit_code_for([ok, absent]) == 0
    assert exit_code_for([absent]) == 2


def test_the_table_has_a_cell_for_every_expected_host_and_python() -> None:
    cells = [
        cell("u24", "python3.11", CellState.PASS, passed=41, total=41, platform=LINUX),
        cell("u24", "python3.12", CellState.FAILED, passed=38, total=41, platform=LINUX,
             failing=("generation/compose_valid",)),
        cell("mac", "python3.11", CellState.UNREACHABLE,
             message="connection refused by 1.2.3.4:22"),
    ]  # fmt: skip
    text = render_text(cells)
    assert text.splitlines()[:4] == [
        "host                        python3.11    python3.12",
        "--------------------------  ------------  ------------",
        "u24 (ubuntu 24.04, x86_64)  ✓ 41/41       ✗ 38/41",
        "mac                         unreachable   —",
    ]
    assert "  u24 / python3.12: failed: generation/compose_valid" in text
    assert "  mac / python3.11: unreachable: connection refused by 1.2.3.4:22" in text


def test_outputs_are_written_and_failed_cells_can_be_read_back(tmp_path: Path) -> None:
    cells = [
        cell("a", "python3.11", CellState.PASS, passed=1, total=1),
        cell("a", "python3.12", CellState.INSTALL, message="pip failed"),
        cell("b", "python3.11", CellState.TIMEOUT),
    ]
    meta = {"version": "1.0.0", "run_id": "r1", "git_commit": "", "wheel_sha256": "0" * 64}
    matrix, summary = write_outputs(tmp_path, cells, meta)
    assert matrix.read_text().startswith("# QA matrix: mycelium 1.0.0\n")
    assert "| a      | ✓ 1/1        | install      |" in matrix.read_text()
    assert failed_cells(summary) == {"a": ["python3.12"], "b": ["python3.11"]}
