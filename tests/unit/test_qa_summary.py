"""qa_summary.json: written with a schema, read back or refused with a clear message."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import UserError
from mycelium.release.qa.cells import Cell, CellState
from mycelium.release.qa.summary import QASummary, load_summary, write_summary

if TYPE_CHECKING:
    from pathlib import Path

META = {"version": "1.0.0", "run_id": "r1", "git_commit": "", "wheel_sha256": "0" * 64,
        "pattern": "all", "inventory": "inventory/hosts.yml", "interrupted": False,
        "exit_code": 2}  # fmt: skip
HINT = "run `invoke qa` without --rerun-failed to write a new one"


def summary() -> QASummary:
    cells = [
        Cell("a", "python3.11", CellState.PASS, passed=1, total=1),
        Cell("a", "python3.12", CellState.INSTALL, message="pip failed"),
        Cell("b", "python3.11", CellState.TIMEOUT),
    ]
    return QASummary.build(cells, **META)


def test_a_summary_round_trips_and_names_the_cells_to_run_again(tmp_path: Path) -> None:
    path = tmp_path / "qa_summary.json"
    write_summary(path, summary())
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1
    assert data["totals"]["pass"] == 1
    loaded = load_summary(path)
    assert loaded == summary()
    assert loaded.failed_cells() == {"a": ["python3.12"], "b": ["python3.11"]}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"kind": "something-else"}', "not a qa_summary.json written by invoke qa"),
        (b'{"schema_version": 99}', "schema_version is not 1 (written by another version)"),
        (b"[1, 2]", "(top level): Input should be an object"),
        (b'{"version": "1"}', "run_id: Field required"),
    ],
)
def test_a_corrupt_or_foreign_summary_is_a_clear_error(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "qa_summary.json"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        load_summary(path)
    assert str(info.value) == f"{path}: invalid QA summary: {problem}; {HINT}"


def test_a_summary_whose_cells_are_garbage_is_refused(tmp_path: Path) -> None:
    data = json.loads(summary().model_dump_json())
    data["cells"][0]["state"] = "green"
    path = tmp_path / "qa_summary.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"invalid QA summary: cells\.0\.state: Input should be"):
        load_summary(path)
