"""One host's journal and the reports it sent back, turned into its cells.

A report is untrusted input from the host: it must validate against the schema and carry
this very run's id and wheel checksum, or the cell is an error and the file is removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from mycelium.qa.report import QAReport, Status
from mycelium.release.fleet.hostvars import python_label
from mycelium.release.qa.cells import Cell, CellState, cells_of
from mycelium.release.qa.layout import Register, report_path

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from mycelium.release.playbook.runner import HostRun

_LAST_LINES: Final = 6
MAX_REPORT_BYTES: Final = 16 * 1024 * 1024  # a checklist report is a few kB


@dataclass(frozen=True)
class Expected:
    """What a report must prove to count: this run, this wheel, under ``reports_dir``."""

    run_id: str
    wheel_sha256: str
    reports_dir: Path
    allow_missing: bool = False


def _item_result(run: HostRun, register: Register, python: str) -> dict[str, Any] | None:
    for result in run.registered.get(register.value, {}).get("results", []):
        if result.get("item") == python:
            return dict(result)
    return None


def _tail(result: Mapping[str, Any]) -> str:
    text = "\n".join(filter(None, [str(result.get("stderr", "")), str(result.get("stdout", ""))]))
    lines = [line for line in text.splitlines() if line.strip()][-_LAST_LINES:]
    return " | ".join(lines) or f"exit status {result.get('rc')}"


def classify(
    host: str, pythons: Sequence[str], run: HostRun, expected: Expected, *, required: bool
) -> list[Cell]:
    """Each interpreter's cell from the host's journal and the report it sent back."""
    if run.failed_task is not None and Register.FOUND.value not in run.registered:
        failed = run.failed_task
        message = f"step '{failed.task}' failed: {_tail(failed.result)}"
        return cells_of(host, map(python_label, pythons), CellState.ERROR, message,
                        required=required)  # fmt: skip
    return [_classify_one(host, python, run, expected, required=required) for python in pythons]


def _classify_one(
    host: str, python: str, run: HostRun, expected: Expected, *, required: bool
) -> Cell:
    label = python_label(python)

    def cell(state: CellState, message: str) -> Cell:
        return Cell(host, label, state, message=message, required=required)

    found = _item_result(run, Register.FOUND, python)
    if found is None or found.get("rc") != 0:
        state = CellState.ABSENT if expected.allow_missing else CellState.NO_PYTHON
        return cell(state, f"{python} not found on the host")
    for register, what in (
        (Register.VENVS, "creating the virtualenv"),
        (Register.INSTALLS, "installing the wheel"),
    ):
        step = _item_result(run, register, python)
        if step is None or step.get("failed"):
            detail = _tail(step) if step else "step did not run"
            return cell(CellState.INSTALL, f"{what} failed: {detail}")
    qa = _item_result(run, Register.QA, python)
    if qa is None or qa.get("rc") not in {0, 1}:
        detail = _tail(qa) if qa else "step did not run"
        return cell(CellState.ERROR, f"mycelium-qa did not complete: {detail}")
    path = report_path(expected.reports_dir, host, label)
    report, problem = read_report(path, expected)
    if report is None:
        path.unlink(missing_ok=True)  # keep only what validated
        return cell(CellState.ERROR, problem)
    failing = tuple(
        f"{r.category}/{r.test}" for r in report.results if r.status in {Status.FAIL, Status.ERROR}
    )
    return Cell(
        host=host,
        python=label,
        state=CellState.PASS if report.ok else CellState.FAILED,
        passed=report.summary.passed,
        total=report.summary.total - report.summary.skipped,
        message="" if report.ok else f"{len(failing)} check(s) failed",
        failing=failing,
        platform=report.platform,
        required=required,
    )


def read_report(  # noqa: PLR0911 - one return per way a report can be wrong
    path: Path, expected: Expected
) -> tuple[QAReport | None, str]:
    """The report at ``path`` if it is valid and from this very run, else why not."""
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None, f"invalid report: larger than {MAX_REPORT_BYTES} bytes"
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, "no report came back"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"invalid report: cannot be read: {exc}"
    try:
        report = QAReport.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        return None, f"invalid report: {where}: {first['msg']}"
    except (ValueError, json.JSONDecodeError) as exc:
        return None, f"invalid report: {exc}"
    origin = report.origin
    if origin.run_id != expected.run_id or origin.wheel_sha256 != expected.wheel_sha256:
        return None, "stale report: it does not carry this run's id and wheel checksum"
    return report, ""
