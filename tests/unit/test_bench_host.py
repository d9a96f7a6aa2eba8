"""One host's benchmark run through the real bench.yml over a fake transport."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from mycelium.release.bench.reports import BENCH_READER, unpack_profiles
from mycelium.release.qa import host as host_module
from mycelium.release.qa.cells import CellState
from mycelium.release.qa.host import RunSettings, qa_on_host
from mycelium.release.qa.progress import HostObserver
from mycelium.release.remote.fanout import StopSignal
from mycelium.release.remote.transport import CommandResult
from tests.unit.bench_reports import report, timings
from tests.unit.fake_transport import FakeTransport
from tests.unit.test_qa_host import fake_host
from tests.unit.test_qa_host import settings as qa_settings

if TYPE_CHECKING:
    import pytest

    from mycelium.release.qa.cells import Cell

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "bench.yml"
MS = 1e-3


def settings(tmp_path: Path) -> RunSettings:
    return qa_settings(
        tmp_path,
        PLAYBOOK,
        reader=BENCH_READER,
        extra_vars={"mycelium_bench_flags": "--quick --only config_validation"},
    )


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def bench_answers(transport: FakeTransport, *, rc: int = 0, run_id: str | None = None,
                  slow: bool = False) -> None:  # fmt: skip
    """mycelium-bench leaves its report; tar packs the profiles: as on a host."""

    def bench(command: str) -> CommandResult:
        found = re.search(r'--report "([^"]+)"', command)
        given = re.search(r'--run-id "([^"]+)"', command)
        assert found
        assert given
        median = 80 * MS if slow else 1 * MS
        transport.files[found.group(1)] = (
            report(
                {"config_validation": timings(median, 6, seed=1)}, run_id=run_id or given.group(1)
            )
            .model_dump_json()
            .encode()
        )
        return CommandResult(rc, "", "")

    def pack(command: str) -> CommandResult:
        name = re.search(r'tar -cf "([^"]+)"', command)
        assert name
        run_dir = next(k for k in transport.files if k.endswith(".whl")).rsplit("/", 1)[0]
        transport.files[f"{run_dir}/{name.group(1)}"] = tar_of(
            {"./performance_profile.pstats": b"stats", "./../evil.txt": b"x"}
        )
        return CommandResult(0, "", "")

    transport.answers.append((r"bin/mycelium-bench\"", bench))
    transport.answers.append((r"tar -cf", pack))


def run_host(tmp_path: Path, transport: FakeTransport, monkeypatch: pytest.MonkeyPatch) -> Cell:
    monkeypatch.setattr(host_module, "open_transport", lambda _host, _ssh: transport)
    host = fake_host(tmp_path)
    [cell] = qa_on_host(host, host.pythons, settings(tmp_path), HostObserver(), StopSignal())
    return cell


def test_a_host_whose_benchmarks_pass_is_a_green_cell_with_its_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h")
    bench_answers(transport)
    cell = run_host(tmp_path, transport, monkeypatch)
    assert (cell.state, cell.text) == (CellState.PASS, "✓ 1/1")
    directory = tmp_path / "reports/1.0.0/h/python3"
    assert sorted(p.name for p in directory.iterdir()) == [
        "performance_profile.pstats",
        "performance_report.json",
    ]  # the tar is unpacked and removed; "../evil.txt" never left it
    assert not (tmp_path / "reports/1.0.0/h/evil.txt").exists()
    command = next(c for c in transport.commands if "bin/mycelium-bench" in c)
    assert "--quick --only config_validation" in command


def test_an_operation_past_its_threshold_fails_the_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h")
    bench_answers(transport, rc=1, slow=True)
    cell = run_host(tmp_path, transport, monkeypatch)
    assert (cell.state, cell.failing) == (CellState.FAILED, ("config_validation (fail)",))


def test_a_report_of_another_run_is_an_error_and_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h")
    bench_answers(transport, run_id="someoldrun")
    cell = run_host(tmp_path, transport, monkeypatch)
    assert cell.state is CellState.ERROR
    assert cell.message == "stale report: it does not carry this run's id and wheel checksum"
    assert not (tmp_path / "reports/1.0.0/h/python3/performance_report.json").exists()


def test_a_harness_that_crashed_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport("h")
    transport.answers.append((r"bin/mycelium-bench\"", CommandResult(3, "", "Traceback: boom")))
    cell = run_host(tmp_path, transport, monkeypatch)
    assert cell.state is CellState.ERROR
    assert cell.message == "mycelium-bench did not complete: Traceback: boom"


def test_only_plain_profile_files_come_out_of_the_tar(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    tar = tmp_path / "out" / "profiles.tar"
    tar.write_bytes(tar_of({"a.pstats": b"1", "b.txt": b"2", "run.sh": b"3", "/etc/x.txt": b"4",
                            "sub/c.txt": b"5"}))  # fmt: skip
    written = unpack_profiles(tar)
    assert sorted(p.name for p in written) == ["a.pstats", "b.txt"]
    assert sorted(p.name for p in tar.parent.iterdir()) == ["a.pstats", "b.txt"]


def test_a_broken_tar_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    tar = tmp_path / "profiles.tar"
    tar.write_bytes(b"not a tar at all")
    assert unpack_profiles(tar) == []
    assert not tar.exists()
