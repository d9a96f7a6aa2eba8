"""invoke qa as a plain function, over fake transports: selection, rerun, the matrix."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import InventoryError
from mycelium.release.qa import host as host_module
from mycelium.release.qa.cells import Cell, CellState
from mycelium.release.qa.command import QACommandOptions, run_qa_command
from mycelium.release.qa.progress import HostObserver
from mycelium.release.qa.summary import QASummary, write_summary
from mycelium.release.remote.transport import CommandResult
from tests.unit.fake_transport import FakeTransport
from tests.unit.test_qa_host import PLAYBOOK, report_json

if TYPE_CHECKING:
    from pathlib import Path


def options(tmp_path: Path, **kw: object) -> QACommandOptions:
    wheel = tmp_path / "mycelium-1.0.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n    mycelium_pythons: [python3]\n"
        "  hosts:\n    a: {}\n    b: {}\n    c: {}\n"
    )
    return QACommandOptions(project_dir=tmp_path, inventory=inventory, playbook=PLAYBOOK,
                            reports_root=tmp_path / "reports", wheel=wheel, **kw)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeTransport]:
    """Every host is a fake whose checklist passes; the dict shows which hosts ran."""
    opened: dict[str, FakeTransport] = {}

    def open_fake(host: object, _ssh: object) -> FakeTransport:
        name = str(host.name)  # type: ignore[attr-defined]
        transport = FakeTransport(name)

        def qa(command: str) -> CommandResult:
            report = re.search(r'--report "([^"]+)"', command)
            run_id = re.search(r'--run-id "([^"]+)"', command)
            sha = re.search(r'--wheel-sha256 "([^"]+)"', command)
            assert report and run_id and sha  # noqa: PT018
            transport.files[report.group(1)] = report_json(run_id.group(1), sha=sha.group(1))
            return CommandResult(0, "", "")

        transport.answers.append((r"bin/mycelium-qa\"", qa))
        opened[name] = transport
        return transport

    monkeypatch.setattr(host_module, "open_transport", open_fake)
    return opened


def test_every_selected_host_runs_and_the_matrix_is_in_inventory_order(
    tmp_path: Path, fleet: dict[str, FakeTransport]
) -> None:
    result = run_qa_command(options(tmp_path, pattern="c:a"), HostObserver())
    assert sorted(fleet) == ["a", "c"]
    assert [(c.host, c.state) for c in result.cells] == [
        ("a", CellState.PASS),
        ("c", CellState.PASS),
    ]
    assert result.exit_code == 0
    summary = json.loads(result.summary_path.read_text())
    assert summary["exit_code"] == 0
    assert summary["schema_version"] == 1


def test_rerun_failed_runs_only_what_did_not_pass_and_keeps_the_rest(
    tmp_path: Path, fleet: dict[str, FakeTransport]
) -> None:
    earlier = [
        Cell("a", "python3", CellState.PASS, passed=2, total=2),
        Cell("b", "python3", CellState.TIMEOUT, message="slow"),
    ]
    summary = QASummary.build(earlier, version="1.0.0", run_id="old", git_commit="",
                              wheel_sha256="0" * 64, pattern="all", inventory="i",
                              interrupted=False, exit_code=2)  # fmt: skip
    (tmp_path / "reports" / "1.0.0").mkdir(parents=True)
    write_summary(tmp_path / "reports" / "1.0.0" / "qa_summary.json", summary)
    result = run_qa_command(options(tmp_path, pattern="all", rerun_failed=True), HostObserver())
    assert sorted(fleet) == ["b", "c"]  # b failed; c was not in the last run
    assert [(c.host, c.state) for c in result.cells] == [
        ("a", CellState.PASS), ("b", CellState.PASS), ("c", CellState.PASS)
    ]  # fmt: skip


def test_a_required_host_left_out_by_the_pattern_is_missing_and_fails(
    tmp_path: Path, fleet: dict[str, FakeTransport]
) -> None:
    opts = options(tmp_path, pattern="a")
    opts.inventory.write_text(
        opts.inventory.read_text() + "    mac:\n      mycelium_required: true\n"
    )
    result = run_qa_command(opts, HostObserver())
    assert [(c.host, c.state) for c in result.cells] == [
        ("a", CellState.PASS), ("mac", CellState.MISSING)
    ]  # fmt: skip
    assert result.exit_code == 2
    assert list(fleet) == ["a"]


def test_the_commit_is_empty_without_gitpython_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from mycelium.release.qa.command import git_commit_of

    monkeypatch.setitem(sys.modules, "git", None)  # import git -> ImportError
    assert git_commit_of(tmp_path) == ""


def test_a_planted_link_at_the_version_directory_is_refused_and_nothing_lands_outside(
    tmp_path: Path, fleet: dict[str, FakeTransport]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "1.0.0").symlink_to(outside)
    with pytest.raises(InventoryError, match="would leave"):
        run_qa_command(options(tmp_path, pattern="a"), HostObserver())
    assert list(outside.iterdir()) == []
    assert fleet == {}
