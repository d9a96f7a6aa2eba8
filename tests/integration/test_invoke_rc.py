"""``invoke rc`` end to end on this repository, with the slow checks left out.

The full run (``uv run invoke rc 0.2.0-rc.1``: the whole suite under coverage, a build, every
docs block) takes many minutes; see docs/RELEASING.md for its figure. Here the checks that
read this tree cheaply run for real: licenses from uv.lock, bandit with the baseline, the
privacy check (not run until telemetry lands), the gates (not run: no RC wheel in dist/).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_rc_writes_the_report_with_pass_and_not_run_and_their_reasons(tmp_path: Path) -> None:
    run = invoke("rc", "0.2.0-rc.1", "--only", "licenses,bandit,privacy,qa-gate,bench-gate",
                 "--reports", str(tmp_path))  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((tmp_path / "0.2.0rc1" / "rc_report.json").read_text())
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["licenses"] == "pass"
    assert statuses["bandit"] == "pass"
    assert statuses["privacy"] in {"not-run", "pass"}
    assert statuses["tests"] == "not-run"
    reasons = {c["name"]: c["summary"] for c in report["checks"]}
    assert reasons["tests"] == "left out by --only/--skip"
    assert report["ok"] is True
    assert report["version"] == "0.2.0rc1"
    markdown = (tmp_path / "0.2.0rc1" / "rc_report.md").read_text()
    assert "| licenses | ✔ pass |" in markdown
    assert "## Manual checks" in markdown
    assert "✔ licenses: pass:" in run.stdout


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    cases = {
        ("rc", "1.0"): "invoke rc: version '1.0' is not a release version",
        ("rc", "0.2.0-rc.1", "--only", "tests,../../etc"): (
            "invoke rc: --only: unknown check '../../etc'; the checks are tests, lint,"
        ),
    }
    for args, start in cases.items():
        run = invoke(*args, "--reports", str(reports))
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith(start), run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
        assert "Traceback" not in run.stderr
    assert list(reports.iterdir()) == []


def test_publish_refuses_a_final_version_before_anything_is_released(tmp_path: Path) -> None:
    run = invoke("rc", "0.2.0", "--only", "privacy", "--publish", "--reports", str(tmp_path))
    assert run.returncode == 2
    assert "invoke rc: --publish cuts release candidates only; 0.2.0 is final" in run.stderr
