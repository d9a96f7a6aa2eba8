"""``mycelium-qa`` as a host runs it: the report on disk validates and says what happened."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from mycelium.qa.report import QAReport, Status

if TYPE_CHECKING:
    from collections.abc import Callable


def test_a_run_writes_a_valid_report_junit_and_never_touches_home(
    console_script: Callable[[str], str], tmp_path: Path, isolated_home: Path
) -> None:
    report_path = tmp_path / "out" / "qa_report.json"
    junit_path = tmp_path / "out" / "junit.xml"
    proc = subprocess.run(
        [console_script("mycelium-qa"), "--only", "configuration,platform",
         "--report", str(report_path), "--junit", str(junit_path), "--host-alias", "lab-1",
         "--run-id", "run-42", "--git-commit", "abcdef1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = QAReport.model_validate_json(report_path.read_text())
    assert report.host_alias == "lab-1"
    assert report.origin.run_id == "run-42"
    assert {r.category for r in report.results} == {"configuration", "platform"}
    assert report.summary.failed == report.summary.errors == 0
    assert {r.test: r.status for r in report.results}["wsl_path_conversion"] is Status.SKIP
    assert "✓ configuration  persistence_round_trip" in proc.stdout
    assert "QA passed on Linux" in proc.stdout
    assert len(ET.parse(junit_path).getroot()) == report.summary.total
    assert not any(isolated_home.iterdir()), "the run wrote into the user's HOME"
    assert str(Path.home()) not in report_path.read_text()


def test_json_goes_to_stdout_and_progress_to_stderr(console_script: Callable[[str], str]) -> None:
    proc = subprocess.run(
        [console_script("mycelium-qa"), "--only", "platform", "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["total"] == 4
    assert "file_modes_are_kept" in proc.stderr


def test_an_unknown_category_is_a_usage_error(console_script: Callable[[str], str]) -> None:
    proc = subprocess.run(
        [console_script("mycelium-qa"), "--only", "nope"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith("mycelium-qa: error: unknown category nope; choose from ")


def test_expect_version_fails_on_a_mismatch(console_script: Callable[[str], str]) -> None:
    proc = subprocess.run(
        [console_script("mycelium-qa"), "--only", "installation",
         "--expect-version", "99.0.0", "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    results = {r["test"]: r for r in json.loads(proc.stdout)["results"]}
    assert results["version_matches_expected"]["status"] == "fail"
    assert results["version_matches_expected"]["error"].endswith("is not the expected 99.0.0")
