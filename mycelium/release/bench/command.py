"""``invoke bench`` as a plain function: run mycelium-bench on the selected hosts, or two
builds interleaved, read the reports back, compare, and write the matrix and the picture.

It returns data; the task renders it. The hosts are reached exactly as ``invoke qa`` reaches
them: the same inventory, pattern, fan-out, transport and per-host run (``qa.host``), with
``playbooks/bench.yml`` and a reader of ``performance_report.json``.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from mycelium.errors import UsageError, UserError
from mycelium.fileio import atomic_write
from mycelium.release.bench.compare import (
    ALPHA,
    Comparison,
    FingerprintMismatchError,
    compare_reports,
)
from mycelium.release.bench.layout import MATRIX_NAME, SVG_NAME, report_path
from mycelium.release.bench.outcome import (
    BenchOptions,
    BenchResult,
    CompareTarget,
    bench_flags,
    overall_exit_code,
)
from mycelium.release.bench.plot import MISSING, matplotlib_available, trend, write_svg
from mycelium.release.bench.render import Column, render_markdown
from mycelium.release.bench.reports import BENCH_READER, load_old_report, read_report
from mycelium.release.fleet.hostvars import python_label
from mycelium.release.qa.command import open_run, run_on_hosts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mycelium.bench.report import PerformanceReport
    from mycelium.release.qa.cells import Cell
    from mycelium.release.qa.host import RunSettings
    from mycelium.release.qa.progress import HostObserver

log = logging.getLogger("mycelium")

__all__ = ["BenchOptions", "BenchResult", "run_bench_command"]


def compare_target(value: str, project_dir: Path) -> CompareTarget:
    """``--compare``: an existing file is a report; anything else must name a git commit."""
    path = Path(value)
    if path.is_file():
        return CompareTarget(path=path)
    if value.endswith(".json"):
        raise UsageError(f"--compare {value}: no such file")
    commit = _resolve(value, project_dir)
    if commit is None:
        raise UsageError(
            f"--compare {value}: neither a performance_report.json nor a git ref of {project_dir}"
        )
    return CompareTarget(commit=commit, ref=value)


def _resolve(ref: str, project_dir: Path) -> str | None:
    if ref.startswith("-"):
        return None
    try:
        proc = subprocess.run(
            [  # noqa: S607 - git from PATH, as every git tool finds it
                "git",
                "-C",
                str(project_dir),
                "rev-parse",
                "--verify",
                "--quiet",
                f"{ref}^{{commit}}",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def run_bench_command(options: BenchOptions, observer: HostObserver) -> BenchResult:
    """Everything is checked (flags, inventory, pattern, playbook, --compare) before the
    build and any host."""
    if not 0 <= options.tolerance < 1:
        raise UsageError(f"--tolerance {options.tolerance}: between 0 and 1 (0.10 is 10 %)")
    target = compare_target(options.compare, options.project_dir) if options.compare else None
    if target is not None and target.commit is not None:
        if options.pattern != "localhost":
            raise UsageError(
                "--compare REF runs both builds on this machine, interleaved: "
                "it cannot be combined with --hosts"
            )
        from mycelium.release.bench.interleave import run_interleaved  # noqa: PLC0415

        return run_interleaved(options, target)
    old = load_old_report(target.path) if target is not None and target.path else None
    opened = open_run(options)
    hosts, wheel, reports_dir = opened.hosts, opened.wheel, opened.reports_dir
    pythons = {h.name: options.pythons or h.pythons for h in hosts}
    settings = opened.settings(
        options,
        reader=BENCH_READER,
        extra_vars={
            "mycelium_bench_flags": shlex.join(bench_flags(quick=options.quick, only=options.only))
        },
    )
    log.info(
        "benchmarks of mycelium %s on %d host(s): %s",
        wheel.version,
        len(hosts),
        ", ".join(h.name for h in hosts),
    )
    cells, interrupted = run_on_hosts(hosts, pythons, settings, observer, forks=options.forks)
    cells = opened.in_inventory_order(cells)
    columns = _columns(cells, settings)
    comparisons, refused = _compare_all(old, options, columns)
    meta = (
        f"run `{settings.run_id}`, commit `{settings.git_commit or 'unknown'}`, "
        f"wheel sha256 `{wheel.sha256}`"
    )
    title = f"Benchmarks: mycelium {wheel.version}"
    matrix_path = reports_dir / MATRIX_NAME
    reports_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(
        matrix_path,
        render_markdown(
            title,
            meta,
            columns=columns,
            cells=cells,
            comparisons=comparisons,
            refused=refused,
        ).encode("utf-8"),
    )
    history = trend(options.reports_root, *_first_cell(cells)) if columns else {}
    svg_path, svg_note = _svg(reports_dir / SVG_NAME, columns, history)
    return BenchResult(
        version=wheel.version,
        cells=cells,
        columns=columns,
        comparisons=comparisons,
        refused=refused,
        matrix_path=matrix_path,
        svg_path=svg_path,
        svg_note=svg_note,
        exit_code=overall_exit_code(cells, comparisons, refused),
        interrupted=interrupted,
    )


def _columns(cells: Sequence[Cell], settings: RunSettings) -> list[Column]:
    """The validated report of every cell that has one (the reader kept only those)."""
    columns = []
    for cell in cells:
        if cell.total is None:
            continue
        report, problem = read_report(
            report_path(settings.reports_dir, cell.host, cell.python), settings.expected
        )
        if report is None:
            raise UserError(
                f"{cell.host} / {cell.python}: the report cannot be read back: {problem}"
            )
        columns.append(Column(f"{cell.host} {cell.python}", report))
    return columns


def _first_cell(cells: Sequence[Cell]) -> tuple[str, str]:
    """The host and interpreter the trend follows: the first that reported."""
    cell = next(c for c in cells if c.total is not None)
    return cell.host, python_label(cell.python)


def _compare_all(
    old: PerformanceReport | None, options: BenchOptions, columns: Sequence[Column]
) -> tuple[list[Comparison], list[str]]:
    if old is None:
        return [], []
    comparisons, refused = [], []
    old_name = f"old ({options.compare}, {old.mycelium_version})"
    for column in columns:
        try:
            comparisons.append(
                compare_reports(
                    old,
                    column.report,
                    tolerance=options.tolerance,
                    alpha=ALPHA,
                    force=options.force,
                    old_name=old_name,
                    new_name=column.title,
                )
            )
        except FingerprintMismatchError as exc:
            refused.append(str(exc))
    return comparisons, refused


def _svg(
    path: Path, columns: Sequence[Column], history: dict[str, PerformanceReport]
) -> tuple[Path | None, str]:
    if not matplotlib_available():
        path.unlink(missing_ok=True)  # never leave an old picture that looks current
        return None, MISSING
    if not columns:
        return None, "no report came back: no bench.svg"
    return write_svg(path, columns, history), ""
