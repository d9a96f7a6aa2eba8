"""One host's run through the real playbook over a fake transport: every outcome a cell."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mycelium.qa.report import CheckResult, Origin, PlatformInfo, QAReport, Status, Summary
from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.playbook.loader import load_playbook
from mycelium.release.qa import host as host_module
from mycelium.release.qa.cells import CellState
from mycelium.release.qa.host import RunSettings, WheelInfo, qa_on_host, run_dir_of
from mycelium.release.qa.progress import HostObserver
from mycelium.release.remote.fanout import StopSignal
from mycelium.release.remote.transport import CommandResult, FailureKind, TransportError
from tests.unit.fake_transport import FakeTransport

if TYPE_CHECKING:
    from mycelium.release.fleet.inventory import Host
    from mycelium.release.qa.cells import Cell

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "qa.yml"
SHA = "a" * 64
LINUX = PlatformInfo(os="Linux", os_version="12", distro="debian", python_version="3.11.7",
                     architecture="x86_64", wsl=False)  # fmt: skip


def report_json(run_id: str, *, sha: str = SHA, status: Status = Status.PASS) -> bytes:
    now = datetime.now(tz=UTC)
    results = [
        CheckResult(test="version", category="installation", status=status, duration=0.1),
        CheckResult(test="xdg", category="platform", status=Status.PASS, duration=0.1),
        CheckResult(test="docker", category="detection", status=Status.SKIP, duration=0.0),
    ]
    report = QAReport(host_alias="h", origin=Origin(run_id=run_id, wheel_sha256=sha),
                      platform=LINUX, mycelium_version="1.0.0", started_at=now, finished_at=now,
                      results=results, summary=Summary.of(results))  # fmt: skip
    return report.model_dump_json().encode()


def fake_host(tmp_path: Path, python: str = "python3") -> Host:
    path = tmp_path / "hosts.yml"
    path.write_text(
        textwrap.dedent(f"""\
        all:
          hosts:
            h:
              ansible_connection: local
              mycelium_pythons: [{python}]
        """)
    )
    return load_inventory(path).hosts["h"]


def settings(tmp_path: Path, playbook: Path = PLAYBOOK, **kw: Any) -> RunSettings:
    """A run of ``playbook`` (qa.yml by default) with a stand-in wheel of mycelium 1.0.0."""
    wheel = tmp_path / "mycelium-1.0.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel")
    return RunSettings(
        play=load_playbook(playbook)[0],
        wheel=WheelInfo(path=wheel, sha256=SHA, version="1.0.0"),
        run_id="run123",
        git_commit="",
        reports_dir=tmp_path / "reports" / "1.0.0",
        **kw,
    )


def writes_report(transport: FakeTransport, content: bytes | None = None) -> None:
    """mycelium-qa answers by leaving its report in the run directory, as on a host."""

    def qa(command: str) -> CommandResult:
        found = re.search(r'--report "([^"]+)"', command)
        run_id = re.search(r'--run-id "([^"]+)"', command)
        assert found
        assert run_id
        transport.files[found.group(1)] = content or report_json(run_id.group(1))
        return CommandResult(0, "", "")

    transport.answers.append((r"bin/mycelium-qa\"", qa))


def run_host(
    tmp_path: Path,
    transport: FakeTransport,
    monkeypatch: pytest.MonkeyPatch,
    stop: StopSignal | None = None,
    **kw: Any,
) -> list[Cell]:
    monkeypatch.setattr(host_module, "open_transport", lambda _host, _ssh: transport)
    host = fake_host(tmp_path)
    return qa_on_host(host, host.pythons, settings(tmp_path, **kw), HostObserver(),
                      stop or StopSignal())  # fmt: skip


def test_a_host_whose_checklist_passes_is_a_green_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h")
    writes_report(transport)
    [cell] = run_host(tmp_path, transport, monkeypatch)
    assert (cell.state, cell.text) == (CellState.PASS, "✓ 2/2")
    assert (tmp_path / "reports/1.0.0/h/python3/qa_report.json").is_file()
    assert (tmp_path / "reports/1.0.0/h/run.log").read_text().endswith("=== python3: ✓ 2/2\n")
    assert transport.closed


def test_a_failing_check_is_a_red_cell_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h")
    writes_report(transport, report_json("run123", status=Status.FAIL))
    [cell] = run_host(tmp_path, transport, monkeypatch)
    assert (cell.state, cell.failing) == (CellState.FAILED, ("installation/version",))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no report came back"),
        (b"{", "invalid report: "),
        (b'{"schema_version": 1}', "invalid report: platform: Field required"),
    ],
)
def test_a_missing_or_invalid_report_is_an_error_cell_and_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None, message: str
) -> None:
    transport = FakeTransport("h")
    if content is not None:
        writes_report(transport, content)
    [cell] = run_host(tmp_path, transport, monkeypatch)
    assert cell.state is CellState.ERROR
    assert cell.message.startswith(message)
    assert not (tmp_path / "reports/1.0.0/h/python3/qa_report.json").exists()


def test_a_stale_report_from_another_run_or_wheel_never_looks_green(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h")
    writes_report(transport, report_json("an-older-run"))
    [cell] = run_host(tmp_path, transport, monkeypatch)
    assert cell.state is CellState.ERROR
    assert cell.message == "stale report: it does not carry this run's id and wheel checksum"


@pytest.mark.parametrize(
    ("step", "state", "message"),
    [
        ("command -v", CellState.NO_PYTHON, "python3 not found on the host"),
        ("venv", CellState.INSTALL, "creating the virtualenv failed: no venv module"),
        ("pip install", CellState.INSTALL, "installing the wheel failed: no venv module"),
    ],
)
def test_each_failing_step_gives_its_own_state(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    state: CellState,
    message: str,
) -> None:
    transport = FakeTransport("h", answers=[(step, CommandResult(1, "", "no venv module"))])
    [cell] = run_host(tmp_path, transport, monkeypatch)
    assert (cell.state, cell.message) == (state, message)


def test_an_absent_interpreter_is_absent_when_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h", answers=[("command -v", CommandResult(1, "", ""))])
    [cell] = run_host(tmp_path, transport, monkeypatch, allow_missing=True)
    assert cell.state is CellState.ABSENT


@pytest.mark.parametrize(
    ("kind", "state"),
    [(FailureKind.TIMEOUT, CellState.TIMEOUT),
     (FailureKind.CONNECTION_LOST, CellState.UNREACHABLE)],
)  # fmt: skip
def test_a_transport_failure_mid_run_is_the_cells_state_and_the_run_dir_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: FailureKind, state: CellState
) -> None:
    transport = FakeTransport("h", answers=[("venv", TransportError(kind, "it broke"))])
    [cell] = run_host(tmp_path, transport, monkeypatch)
    assert (cell.state, cell.message) == (state, "it broke")
    assert "rm -rf -- /tmp/mycelium-qa/run123-h 2>/dev/null" in transport.commands[-1]


def test_a_stop_before_the_host_starts_is_an_interrupted_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = StopSignal()
    stop.stop()
    transport = FakeTransport("h")
    [cell] = run_host(tmp_path, transport, monkeypatch, stop=stop)
    assert cell.state is CellState.INTERRUPTED
    assert transport.commands == []


def test_a_stop_between_steps_is_interrupted_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = StopSignal()

    def uname(_command: str) -> CommandResult:
        stop.stop()  # Ctrl-C arrives while this step runs
        return CommandResult(0, "Linux", "")

    transport = FakeTransport("h", answers=[("uname", uname)])
    [cell] = run_host(tmp_path, transport, monkeypatch, stop=stop)
    assert cell.state is CellState.INTERRUPTED
    # What still runs of this run is ended first, then the directory removed.
    assert transport.commands[-2] == "pkill -f -- '[/]tmp/mycelium-qa/run123-h'"
    assert "rm -rf -- /tmp/mycelium-qa/run123-h 2>/dev/null" in transport.commands[-1]


@pytest.mark.parametrize(
    "run_dir",
    ["/tmp/victim", "/tmp/mycelium-qa/run123-h/../../victim", "relative/run123-h", "/"],
)
def test_the_clean_up_only_ever_targets_a_directory_this_run_made(run_dir: str) -> None:
    play = load_playbook(PLAYBOOK)[0]
    hijacked = type(play)(play.name, play.hosts, {**play.vars, "run_dir": run_dir}, play.tasks)
    assert run_dir_of(hijacked, {}, "run123") is None
    assert run_dir_of(play, {"mycelium_run_id": "run123", "inventory_hostname": "h"},
                      "run123") == "/tmp/mycelium-qa/run123-h"  # fmt: skip
