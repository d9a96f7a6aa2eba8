"""``mycelium-bench`` as a host runs it: the report validates, the profile is written.

No figure is asserted (timings belong in ``invoke bench``): only that every operation ran
against the ground truth the harness set up itself and that the files say so.
"""

from __future__ import annotations

import os
import pstats
import subprocess
from typing import TYPE_CHECKING

from mycelium.bench.report import PerformanceReport
from mycelium.bench.targets import TARGETS
from mycelium.status import Status

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def test_a_quick_run_writes_a_valid_report_and_the_profile(
    console_script: Callable[[str], str], tmp_path: Path, isolated_home: Path
) -> None:
    report_path = tmp_path / "out" / "performance_report.json"
    proc = subprocess.run(
        [console_script("mycelium-bench"), "--quick", "--report", str(report_path),
         "--host-alias", "lab-1", "--run-id", "run-7", "--git-commit", "abcdef1"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )  # fmt: skip
    report = PerformanceReport.model_validate_json(report_path.read_text())
    assert proc.returncode == (0 if report.ok else 1), proc.stdout + proc.stderr
    assert (report.host_alias, report.origin.run_id) == ("lab-1", "run-7")
    by_name = {op.name: op for op in report.operations}
    errors = {op.name: op.reason for op in report.operations if op.status is Status.ERROR}
    assert errors == {}
    for name in set(TARGETS) - {"cli_help"}:
        assert by_name[name].grade is not None, name
    measured = [op for op in report.operations if op.status in {Status.PASS, Status.FAIL}]
    for op in measured:
        assert op.median_s is not None
        assert op.noise is not None
        assert len(op.samples_s) >= 1
        assert op.loops >= 1
    # The harness's own redis-server: detection found it, and the patterns ran on it.
    assert by_name["redis_detection"].status is Status.PASS
    pubsub = by_name["pubsub_throughput"]
    assert pubsub.throughput is not None
    assert pubsub.latency is not None
    assert pubsub.throughput_unit == "msg/s"
    # The profile of the slowest in-process operation, next to the report.
    assert report.profile == "performance_profile.pstats"
    stats = pstats.Stats(str(report_path.parent / "performance_profile.pstats"))
    assert stats.total_calls > 0  # type: ignore[attr-defined]
    text = (report_path.parent / "performance_profile.txt").read_text()
    assert text.startswith("cProfile of ")
    assert "operation" in proc.stdout
    assert "median" in proc.stdout
    assert not any(isolated_home.iterdir()), "the run wrote into the user's HOME"


def test_an_operation_whose_server_is_missing_skips_with_the_reason(
    console_script: Callable[[str], str], tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    # No redis-server on PATH: the harness cannot start its ground truth.
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    proc = subprocess.run(
        [console_script("mycelium-bench"), "--quick",
         "--only", "redis_detection,barrier_throughput",
         "--report", str(report_path), "--profile-dir", str(tmp_path / "profile")],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = PerformanceReport.model_validate_json(report_path.read_text())
    assert [(op.name, op.status) for op in report.operations] == [
        ("redis_detection", Status.SKIP),
        ("barrier_throughput", Status.SKIP),
    ]
    assert report.operations[0].reason == "redis-server is not installed on this host"
    assert report.profile is None


def test_usage_errors_and_a_wrong_version_are_refused(
    console_script: Callable[[str], str], tmp_path: Path
) -> None:
    bench = console_script("mycelium-bench")
    unknown = subprocess.run(
        [bench, "--only", "nope"], capture_output=True, text=True, timeout=60, check=False
    )
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("mycelium-bench: error: unknown operation nope; choose from")
    wrong = subprocess.run(
        [bench, "--quick", "--only", "config_validation", "--expect-version", "9.9.9",
         "--report", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert wrong.returncode == 1
    assert "is installed, not 9.9.9" in wrong.stderr
    assert not (tmp_path / "r.json").exists()
