"""``invoke test``: provision the system tools, then run the whole pytest suite."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.release.dev.provision import ensure_tools

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

PYTEST_NO_TESTS = 5


def needs_system_tools(paths: Sequence[str]) -> bool:
    """Whether running ``paths`` runs integration tests, which need the servers installed."""
    return any(p == "tests" or p.startswith("tests/integration") for p in paths)


def run_suite(
    project_dir: Path,
    *,
    paths: Sequence[str] = ("tests",),
    keyword: str | None = None,
    install: bool = True,
    extra: Sequence[str] = (),
) -> int:
    """Run pytest over ``paths``; "no tests collected" is a failure, not a success."""
    if needs_system_tools(paths):
        ensure_tools(install=install)
    command = [sys.executable, "-m", "pytest", *paths, *extra]
    if keyword:
        command += ["-k", keyword]
    code = subprocess.call(command, cwd=project_dir)
    if code == PYTEST_NO_TESTS:
        print("invoke test: pytest collected no tests; that is a failure", file=sys.stderr)  # noqa: T201
        return exit_codes.FAILURE
    return code
