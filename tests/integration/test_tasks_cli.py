"""The tasks as a maintainer types them: a flag where the version goes is a clear error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("task", ["release", "rollback", "rc", "beta"])
def test_help_after_a_task_that_takes_a_version_says_how_to_ask_for_help(task: str) -> None:
    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent))
    assert invoke
    proc = subprocess.run(
        [invoke, task, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"invoke {task}: '--help' is not a version; give it first "
        f"(`invoke {task} 1.0.0 ...`); help: `invoke --help {task}`"
    )
