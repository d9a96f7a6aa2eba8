"""Tests with coverage (≥ 80 % of ``mycelium/``), and lint and types with no finding."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Final

from mycelium.errors import MyceliumError
from mycelium.release.dev.provision import ensure_tools
from mycelium.release.dev.testing import needs_system_tools
from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, failed, not_run, passed

if TYPE_CHECKING:
    from pathlib import Path

TESTS: Final = "tests"
LINT: Final = "lint"
MIN_COVERAGE: Final = 80.0
TESTS_TIMEOUT_S: Final = 3600.0
LINT_TIMEOUT_S: Final = 600.0


def check_tests(
    project_dir: Path,
    scratch: Path,
    *,
    paths: tuple[str, ...] = ("tests",),
    minimum: float = MIN_COVERAGE,
) -> CheckResult:
    """The whole suite under pytest-cov; a failing test or coverage under ``minimum`` fails.

    The system tools the integration tests need are installed first, as ``invoke test``
    does: a server missing on a fresh machine must not read as a failing product.
    """
    if needs_system_tools(paths):
        try:
            ensure_tools(install=True)
        except MyceliumError as exc:
            return failed(TESTS, f"the system tools the tests need are missing: {exc}")
    data = scratch / "coverage.json"
    run = run_tool(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=mycelium",
         "--cov-branch", f"--cov-report=json:{data}", "--cov-report=", *paths],
        cwd=project_dir,
        timeout=TESTS_TIMEOUT_S,
        env={**_env(), "COVERAGE_FILE": str(scratch / ".coverage")},
    )  # fmt: skip
    last = (run.stdout.strip().splitlines() or ["no output"])[-1]
    if run.timed_out:
        return failed(TESTS, f"the suite took over {TESTS_TIMEOUT_S:g} s")
    try:
        totals = json.loads(data.read_text(encoding="utf-8"))["totals"]
        percent = float(totals["percent_covered"])
    except (OSError, ValueError, KeyError):
        return failed(TESTS, f"no coverage data (pytest: {last})", run.tail(10))
    figures: dict[str, float | str] = {"coverage_percent": round(percent, 1), "pytest": last}
    if run.returncode != 0:
        return failed(TESTS, f"tests failed: {last}", run.tail(20), **figures)
    if percent < minimum:
        return failed(
            TESTS, f"coverage {percent:.1f} % of mycelium/ is under {minimum:g} %: {last}",
            **figures,
        )  # fmt: skip
    return passed(TESTS, f"{last}; coverage {percent:.1f} % of mycelium/ (≥ {minimum:g} %)",
                  **figures)  # fmt: skip


def _env() -> dict[str, str]:
    import os  # noqa: PLC0415 - only here

    return dict(os.environ)


def check_lint(project_dir: Path) -> CheckResult:
    """``ruff check``, ``ruff format --check`` and ``mypy`` (strict, from pyproject)."""
    ruff = tool("ruff")
    mypy = tool("mypy")
    if ruff is None or mypy is None:
        return not_run(LINT, "ruff or mypy is not installed: run `uv sync` (dev group)")
    problems = []
    done = []
    for argv in ([ruff, "check", "."], [ruff, "format", "--check", "."], [mypy]):
        run = run_tool(argv, cwd=project_dir, timeout=LINT_TIMEOUT_S)
        shown = " ".join(["ruff", *argv[1:]] if argv[0] == ruff else ["mypy"])
        if run.ok:
            done.append(f"✔ {shown}")
        else:
            problems.append(f"✘ {shown}:\n{run.tail(20)}")
    if problems:
        return failed(LINT, f"{len(problems)} of 3 tools found problems", *problems, *done)
    return passed(LINT, "ruff check, ruff format --check, mypy --strict: no finding", *done)
