"""The release gates: QA passed on the required hosts, and the benchmark on this very wheel.

The evidence is what ``invoke qa`` and ``invoke bench`` wrote under ``reports/<version>/``.
A report counts only when its proof of origin names this wheel's sha256 and this commit:
a report that is missing, failed, unreadable or from another wheel is a failure, never a
pass. Each failure names the cell and the command that produces the missing evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pydantic import ValidationError

from mycelium.bench.report import PerformanceReport
from mycelium.errors import UserError
from mycelium.fileio import shown_path
from mycelium.qa.report import QAReport
from mycelium.release.fleet.hostvars import python_label
from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.qa.cells import CellState
from mycelium.release.qa.layout import SUMMARY_NAME, report_path
from mycelium.release.qa.summary import load_summary
from mycelium.status import Status

if TYPE_CHECKING:
    from pathlib import Path

PERFORMANCE_NAME: Final = "performance_report.json"
MAX_REPORT_BYTES: Final = 16 * 1024 * 1024


@dataclass(frozen=True)
class Evidence:
    """What the gates compare every report with."""

    reports_dir: Path  # reports/<version>
    wheel: Path
    wheel_sha256: str
    commit: str
    inventory: Path


@dataclass(frozen=True)
class GateResult:
    name: str  # "QA" or "bench"
    passed: bool
    lines: tuple[str, ...]  # one per cell or report: "✔ ..." / "✘ ..."
    commands: tuple[str, ...] = ()  # what to run to produce the missing evidence
    skipped: str | None = None  # the recorded reason, when skipped
    reports: tuple[Path, ...] = ()  # the passing reports (the bench gate uploads them)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(line for line in self.lines if line.startswith("✘"))


def skipped(name: str, reason: str) -> GateResult:
    return GateResult(
        name, passed=True, lines=(f"– {name} gate skipped: {reason}",), skipped=reason
    )


def _origin_problem(
    origin_sha: str | None, origin_commit: str | None, evidence: Evidence
) -> str | None:
    if origin_sha != evidence.wheel_sha256:
        theirs = (origin_sha or "none")[:12]
        return f"from another wheel (sha256 {theirs}…, this wheel {evidence.wheel_sha256[:12]}…)"
    if not origin_commit or not evidence.commit.startswith(origin_commit):
        return (
            f"from another commit ({(origin_commit or 'none')[:12]}, HEAD {evidence.commit[:12]})"
        )
    return None


def _read(path: Path, model: type[QAReport | PerformanceReport]) -> QAReport | PerformanceReport:
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise UserError("larger than 16 MB")
    try:
        return model.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise UserError(f"invalid: {where}: {first['msg']}") from None


DEFAULT_INVENTORY: Final = "inventory/hosts.yml"


def qa_gate(evidence: Evidence) -> GateResult:
    """Every required host × interpreter has a passing report of this wheel and commit."""
    inventory = load_inventory(evidence.inventory)
    required = [
        (host.name, python_label(p))
        for host in inventory.hosts.values()
        if host.required
        for p in host.pythons
    ]
    wheel = evidence.wheel.name
    shown = shown_path(evidence.inventory)
    where = "" if shown == DEFAULT_INVENTORY else f" --inventory {shown}"
    rerun = f"invoke qa --hosts all{where} --wheel dist/{wheel}"
    lines: list[str] = []
    if not required:
        lines.append(
            f"– no host in {shown} is mycelium_required: the gate takes every report of this wheel"
        )
        required = sorted(
            (p.parent.parent.name, p.parent.name)
            for p in evidence.reports_dir.glob("*/*/qa_report.json")
        )
        if not required:
            lines.append(f"✘ no QA report of this wheel under {shown_path(evidence.reports_dir)}")
    lines += _summary_lines(evidence)
    for host, python in required:
        path = report_path(evidence.reports_dir, host, python)
        lines.append(_qa_cell(host, python, path, evidence))
    passed = not any(line.startswith("✘") for line in lines)
    return GateResult("QA", passed, tuple(lines), () if passed else (rerun,))


def _summary_lines(evidence: Evidence) -> list[str]:
    path = evidence.reports_dir / SUMMARY_NAME
    if not path.exists():
        return [f"✘ {shown_path(path)}: missing (invoke qa writes it)"]
    try:
        summary = load_summary(path)
    except UserError as exc:
        return [f"✘ {exc}"]
    if summary.wheel_sha256 != evidence.wheel_sha256:
        return [f"✘ {shown_path(path)}: from another wheel (sha256 {summary.wheel_sha256[:12]}…)"]
    missing = [
        f"{c.host}/{c.python} {c.state}"
        for c in summary.cells
        if c.required and c.state is not CellState.PASS
    ]
    if missing:
        return [f"✘ {shown_path(path)}: required cells not passed: {', '.join(missing)}"]
    return [f"✔ {path.name}: run {summary.run_id} of this wheel"]


def _qa_cell(host: str, python: str, path: Path, evidence: Evidence) -> str:
    cell = f"{host}/{python}"
    if not path.is_file():
        return f"✘ {cell}: no report ({path})"
    try:
        report = _read(path, QAReport)
    except (UserError, OSError) as exc:
        return f"✘ {cell}: {path} unreadable: {exc}"
    assert isinstance(report, QAReport)  # noqa: S101 - _read returns the model it was given
    problem = _origin_problem(report.origin.wheel_sha256, report.origin.git_commit, evidence)
    if problem:
        return f"✘ {cell}: report {problem}"
    if not report.ok:
        failing = [r.test for r in report.results if r.status in {Status.FAIL, Status.ERROR}]
        return (
            f"✘ {cell}: failed ({report.summary.failed} failed, {report.summary.errors} errors: "
            f"{', '.join(failing[:5])})"
        )
    return f"✔ {cell}: {report.summary.passed}/{report.summary.total} passed"


def bench_gate(evidence: Evidence) -> GateResult:
    """This wheel's performance reports exist and have no operation past its threshold."""
    wheel = evidence.wheel.name
    rerun = f"invoke bench --wheel dist/{wheel}"
    lines: list[str] = []
    ours: list[Path] = []
    for path in sorted(evidence.reports_dir.glob(f"*/*/{PERFORMANCE_NAME}")):
        cell = f"{path.parent.parent.name}/{path.parent.name}"
        try:
            report = _read(path, PerformanceReport)
        except (UserError, OSError) as exc:
            lines.append(f"✘ {cell}: {path} unreadable: {exc}")
            continue
        assert isinstance(report, PerformanceReport)  # noqa: S101 - as asked
        if _origin_problem(report.origin.wheel_sha256, report.origin.git_commit, evidence):
            continue  # another wheel's figures: not evidence for this one
        ours.append(path)
        over = [op.name for op in report.operations if op.status is Status.FAIL]
        errored = [op.name for op in report.operations if op.status is Status.ERROR]
        if over:
            lines.append(f"✘ {cell}: past the threshold: {', '.join(over)}")
        else:
            note = (
                f" ({len(errored)} could not be measured: {', '.join(errored)})" if errored else ""
            )
            lines.append(f"✔ {cell}: {len(report.operations)} operations within thresholds{note}")
    if not ours:
        lines.append(
            f"✘ no {PERFORMANCE_NAME} of this wheel under "
            f"{shown_path(evidence.reports_dir)}/<host>/<python>/"
        )
    passed = bool(ours) and not any(line.startswith("✘") for line in lines)
    return GateResult(
        "bench", passed, tuple(lines), () if passed else (rerun,), reports=tuple(ours)
    )
