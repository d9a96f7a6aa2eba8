"""The reports and profiles hosts send back: untrusted input, validated before anything reads it.

A ``performance_report.json`` must validate against the schema and carry this very run's id
and wheel checksum, or its cell is an error and the file is removed (as ``invoke qa`` does).
The profiles come back as one tar; only plain files with plain names (``*.pstats``,
``*.txt``, ``*.prof``), each of bounded size, are taken out of it, flat, next to the report.
"""

from __future__ import annotations

import logging
import re
import tarfile
from typing import TYPE_CHECKING, Final

from mycelium.bench.report import PerformanceReport
from mycelium.errors import UsageError
from mycelium.release.bench.layout import Register, profiles_path, report_path
from mycelium.release.qa.cells import Cell, CellState
from mycelium.release.qa.classify import ReportReader, load_json_model, read_run_report
from mycelium.status import Status

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.release.qa.classify import Expected

log = logging.getLogger("mycelium")

# 200 operations of up to 10,000 samples each, as JSON floats, stay under this.
MAX_REPORT_BYTES: Final = 64 * 1024 * 1024
MAX_PROFILE_BYTES: Final = 32 * 1024 * 1024  # one file out of the profiles tar
MAX_PROFILE_FILES: Final = 40
_PROFILE_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.(pstats|txt|prof)$")


def read_report(path: Path, expected: Expected) -> tuple[PerformanceReport | None, str]:
    """A ``performance_report.json`` of this very run, else why not."""
    return read_run_report(path, PerformanceReport, MAX_REPORT_BYTES, expected)


def load_old_report(path: Path) -> PerformanceReport:
    """``--compare OLD.json``: any earlier ``performance_report.json`` (no run to match)."""
    report, problem = load_json_model(path, PerformanceReport, MAX_REPORT_BYTES)
    if report is None:
        problem = problem.replace("no report came back", "no such file")
        raise UsageError(f"--compare {path}: {problem}")
    return report


def unpack_profiles(tar_path: Path) -> list[Path]:
    """The profile files of ``tar_path``, written next to it; the tar is then removed.

    Anything else in the tar (directories, links, devices, other names, oversized files)
    is skipped with a warning: the tar comes from a host.
    """
    target = tar_path.parent
    written: list[Path] = []
    try:
        with tarfile.open(tar_path, mode="r:") as archive:
            for member in archive:
                name = member.name.removeprefix("./")
                if member.isdir() and name in {"", "."}:
                    continue
                if (
                    not member.isreg()
                    or not _PROFILE_NAME.match(name)
                    or member.size > MAX_PROFILE_BYTES
                    or len(written) >= MAX_PROFILE_FILES
                ):
                    log.warning("%s: skipped %r (not a profile file)", tar_path, member.name)
                    continue
                source = archive.extractfile(member)
                if source is None:
                    continue
                path = target / name
                path.write_bytes(source.read(MAX_PROFILE_BYTES))
                written.append(path)
    except (OSError, tarfile.TarError) as exc:
        log.warning("%s: the profiles could not be read: %s", tar_path, exc)
    finally:
        tar_path.unlink(missing_ok=True)
    return written


def operation_failures(report: PerformanceReport) -> tuple[str, ...]:
    return tuple(
        f"{op.name} ({op.status})"
        for op in report.operations
        if op.status in {Status.FAIL, Status.ERROR}
    )


class _BenchReader:
    tool = "mycelium-bench"
    register = Register.BENCH.value

    def stale_paths(self, reports_dir: Path, host: str, python: str) -> list[Path]:
        report = report_path(reports_dir, host, python)
        directory = report.parent
        old_profiles = (
            [p for p in directory.iterdir() if _PROFILE_NAME.match(p.name)]
            if directory.is_dir()
            else []
        )
        return [report, profiles_path(reports_dir, host, python), *old_profiles]

    def cell(self, host: str, python: str, expected: Expected, *, required: bool) -> Cell:
        path = report_path(expected.reports_dir, host, python)
        tar = profiles_path(expected.reports_dir, host, python)
        report, problem = read_report(path, expected)
        if report is None:
            path.unlink(missing_ok=True)  # keep only what validated
            tar.unlink(missing_ok=True)
            return Cell(host, python, CellState.ERROR, message=problem, required=required)
        if tar.is_file():
            unpack_profiles(tar)
        failing = operation_failures(report)
        measured = [op for op in report.operations if op.status is not Status.SKIP]
        return Cell(
            host=host,
            python=python,
            state=CellState.PASS if report.ok else CellState.FAILED,
            passed=sum(op.status is Status.PASS for op in measured),
            total=len(measured),
            message="" if report.ok else f"{len(failing)} operation(s) failed",
            failing=failing,
            required=required,
        )


BENCH_READER: Final[ReportReader] = _BenchReader()
