"""The GitHub Actions workflow runs the README's test command on the promised matrix.

actionlint checks that the workflow is valid (tests/integration/test_actionlint.py); this
checks that it is the one the README and issue 14 describe, so neither drifts alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "test.yml"


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    commands: list[str] = re.findall(r"^\$ (uv run invoke test)$", readme, re.MULTILINE)
    assert commands == ["uv run invoke test"]
    return commands[0]


def job() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    jobs: dict[str, dict[str, Any]] = workflow["jobs"]
    assert list(jobs) == ["test"]
    return jobs["test"]


def test_the_matrix_is_ubuntu_and_macos_by_python_311_and_312() -> None:
    test = job()
    assert test["strategy"] == {
        "fail-fast": False,
        "matrix": {"os": ["ubuntu-latest", "macos-latest"], "python": ["3.11", "3.12"]},
    }
    assert test["runs-on"] == "${{ matrix.os }}"
    assert test["env"]["UV_PYTHON"] == "${{ matrix.python }}"
    assert 0 < test["timeout-minutes"] <= 90


def test_it_runs_the_readme_test_command_and_keeps_the_reports_of_a_failure() -> None:
    steps = job()["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    # As root (the sshd lab logs in as root), with this environment and PATH.
    assert runs[-1] == f'sudo --preserve-env env "PATH=$PATH" {readme_test_command()}'
    upload = steps[-1]
    assert upload["if"] == "failure()"
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "reports/"
