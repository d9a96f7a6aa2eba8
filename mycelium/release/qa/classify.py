"""One host's journal and the reports it sent back, turned into its cells.

A report is untrusted input from the host: it must validate against the schema and carry
this very run's id and wheel checksum, or the cell is an error and the file is removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from mycelium.bench.report import PerformanceReport
from mycelium.qa.report import Origin, QAReport, Status
from mycelium.release.fleet.hostvars import python_label
from mycelium.release.qa.cells import Cell, CellState, cells_of
from mycelium.release.qa.layout import Register, report_path

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from mycelium.release.playbook.runner import HostRun

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", QAReport, PerformanceReport)  # the reports a run fetches from its hosts

_LAST_LINES: Final = 6
MAX_REPORT_BYTES: Final = 16 * 1024 * 1024  # a checklist report is a few kB


@dataclass(frozen=True)
class Expected:
    """What a report must prove to count: this run, this wheel, under ``reports_dir``."""

    run_id: str
    wheel_sha256: str
    reports_dir: Path
    allow_missing: bool = False


class ReportReader(Protocol):
    """What one playbook leaves per interpreter, and how its report becomes a cell.

    ``invoke qa`` reads ``qa_report.json`` (``QA_READER``); ``invoke bench`` its own report
    through the same per-host run.
    """

    tool: str  # the console script the playbook runs, as messages name it
    register: str  # the register name of the step that runs it

    def stale_paths(self, reports_dir: Path, host: str, python: str) -> list[Path]:
        """Files an earlier run may have left for this cell, removed before the run."""
        ...

    def cell(self, host: str, python: str, expected: Expected, *, required: bool) -> Cell:
        """The cell of an interpreter whose tool completed: from its fetched report."""
        ...


def _item_result(run: HostRun, register: str, python: str) -> dict[str, Any] | None:
    for result in run.registered.get(register, {}).get("results", []):
        if result.get("item") == python:
            return dict(result)
    return None


def _tail(result: Mapping[str, Any]) -> str:
    text = "\n".join(filter(None, [str(result.get("stderr", "")), str(result.get("stdout", ""))]))
    lines = [line for line in text.splitlines() if line.strip()][-_LAST_LINES:]
    return " | ".join(lines) or f"exit status {result.get('rc')}"


def classify(
    host: str,
    pythons: Sequence[str],
    run: HostRun,
    expected: Expected,
    *,
    required: bool,
    reader: ReportReader | None = None,
) -> list[Cell]:
    """Each interpreter's cell from the host's journal and the report it sent back."""
    reader = reader or QA_READER
    if run.failed_task is not None and Register.FOUND.value not in run.registered:
        failed = run.failed_task
        message = f"step '{failed.task}' failed: {_tail(failed.result)}"
        return cells_of(host, map(python_label, pythons), CellState.ERROR, message,
                        required=required)  # fmt: skip
    return [
        _classify_one(host, python, run, expected, required=required, reader=reader)
        for python in pythons
    ]


def _classify_one(
    host: str,
    python: str,
    run: HostRun,
    expected: Expected,
    *,
    required: bool,
    reader: ReportReader,
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
    tool = _item_result(run, reader.register, python)
    if tool is None or tool.get("rc") not in {0, 1}:
        detail = _tail(tool) if tool else "step did not run"
        return cell(CellState.ERROR, f"{reader.tool} did not complete: {detail}")
    return reader.cell(host, label, expected, required=required)


class _QAReader:
    tool = "mycelium-qa"
    register = Register.QA.value

    def stale_paths(self, reports_dir: Path, host: str, python: str) -> list[Path]:
        return [report_path(reports_dir, host, python)]

    def cell(self, host: str, python: str, expected: Expected, *, required: bool) -> Cell:
        path = report_path(expected.reports_dir, host, python)
        report, problem = read_report(path, expected)
        if report is None:
            path.unlink(missing_ok=True)  # keep only what validated
            return Cell(host, python, CellState.ERROR, message=problem, required=required)
        failing = tuple(
            f"{r.category}/{r.test}"
            for r in report.results
            if r.status in {Status.FAIL, Status.ERROR}
        )
        return Cell(
            host=host,
            python=python,
            state=CellState.PASS if report.ok else CellState.FAILED,
            passed=report.summary.passed,
            total=report.summary.total - report.summary.skipped,
            message="" if report.ok else f"{len(failing)} check(s) failed",
            failing=failing,
            platform=report.platform,
            required=required,
        )


QA_READER: Final[ReportReader] = _QAReader()


def load_json_model(path: Path, model: type[M], max_bytes: int) -> tuple[M | None, str]:
    """The file at ``path`` validated as ``model`` (untrusted input), else why it is not."""
    try:
        if path.stat().st_size > max_bytes:
            return None, f"invalid report: larger than {max_bytes} bytes"
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, "no report came back"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"invalid report: cannot be read: {exc}"
    try:
        return model.model_validate_json(raw), ""
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        return None, f"invalid report: {where}: {first['msg']}"
    except (ValueError, json.JSONDecodeError) as exc:
        return None, f"invalid report: {exc}"


STALE: Final = "stale report: it does not carry this run's id and wheel checksum"


def is_from_run(origin: Origin, expected: Expected) -> bool:
    return origin.run_id == expected.run_id and origin.wheel_sha256 == expected.wheel_sha256


def read_run_report(
    path: Path, model: type[R], max_bytes: int, expected: Expected
) -> tuple[R | None, str]:
    """The report at ``path`` if it validates as ``model`` and is from this very run (its
    origin names this run's id and wheel), else why not: QA and bench reports alike."""
    report, problem = load_json_model(path, model, max_bytes)
    if report is None:
        return None, problem
    if not is_from_run(report.origin, expected):
        return None, STALE
    return report, ""


def read_report(path: Path, expected: Expected) -> tuple[QAReport | None, str]:
    """A ``qa_report.json`` of this very run, else why not."""
    return read_run_report(path, QAReport, MAX_REPORT_BYTES, expected)
