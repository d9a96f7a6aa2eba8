"""The benchmarks for people: the operation × host table, ``bench_matrix.md``, comparisons.

Every string from a report (operation names and labels, reasons, warnings) comes from a
host: the terminal gets it through ``plain``, Markdown through ``markdown_cell``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from tabulate import tabulate

from mycelium.bench.grading import target_for
from mycelium.bench.units import duration
from mycelium.release.qa.render import markdown_cell, plain, problems
from mycelium.status import Status

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mycelium.bench.report import Operation, PerformanceReport
    from mycelium.release.bench.compare import Comparison
    from mycelium.release.qa.cells import Cell

NOISY: Final = "~"


@dataclass(frozen=True)
class Column:
    """One report of the table: a host and interpreter, or a build (A, B)."""

    title: str
    report: PerformanceReport


def operation_text(op: Operation) -> str:
    """``12.3 ms goal``; ``✗ 250 ms over``; ``– skip``; ``~`` marks a noisy figure."""
    if op.status in {Status.SKIP, Status.ERROR} and op.median_s is None:
        return f"{op.status.mark} {op.status.value}"
    if op.kind == "throughput" and op.throughput is not None:
        figure = f"{op.throughput:.3g} {op.throughput_unit or '/s'}"
    else:
        figure = duration(op.median_s)
    mark = f"{op.status.mark} " if op.status is not Status.PASS else ""
    grade = f" {op.grade.value}" if op.grade is not None else ""
    noisy = f" {NOISY}" if op.noise is not None and op.noise.noisy else ""
    return f"{mark}{figure}{grade}{noisy}"


def operation_names(reports: Sequence[PerformanceReport]) -> list[str]:
    """Every operation of the reports, in the order the harness ran them."""
    names: list[str] = []
    for report in reports:
        names += [op.name for op in report.operations if op.name not in names]
    return names


def _label(name: str, columns: Sequence[Column]) -> str:
    for column in columns:
        for op in column.report.operations:
            if op.name == name:
                return op.label
    return name


def table(columns: Sequence[Column], tablefmt: str = "simple") -> str:
    """Operation × column: the median and its grade, with the goal and the threshold."""
    escape: Callable[[object], str] = markdown_cell if tablefmt == "github" else plain
    rows = []
    for name in operation_names([c.report for c in columns]):
        target = target_for(name)
        cells = []
        for column in columns:
            op = next((o for o in column.report.operations if o.name == name), None)
            cells.append("—" if op is None else escape(operation_text(op)))
        rows.append(
            [
                escape(_label(name, columns)),
                duration(target.goal_s) if target else "—",
                duration(target.threshold_s) if target else "—",
                *cells,
            ]
        )
    headers = ["operation", "goal", "threshold", *(escape(c.title) for c in columns)]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def notes(columns: Sequence[Column]) -> list[str]:
    """One unescaped line per operation that failed, erred, was skipped or was noisy."""
    lines = []
    for column in columns:
        for op in column.report.operations:
            if op.status is not Status.PASS and op.reason:
                lines.append(f"{column.title}: {op.name}: {op.status.value}: {op.reason}")
            if op.noise is not None and op.noise.noisy:
                why = op.noise.warning or (
                    f"relative stdev {op.noise.relative_stdev:.0%}, {op.noise.outliers} outlier(s)"
                )
                lines.append(f"{column.title}: {op.name}: noisy: {why}")
    return lines


def comparison_table(comparison: Comparison, tablefmt: str = "simple") -> str:
    escape: Callable[[object], str] = markdown_cell if tablefmt == "github" else plain
    rows = [
        [
            escape(op.label or op.name),
            duration(op.old_median_s),
            duration(op.new_median_s),
            f"{op.ratio:.3f}" if op.ratio is not None else "—",
            f"{op.p_value:.2g}" if op.p_value is not None else "—",
            f"{op.verdict.mark} {op.verdict.value}",
            escape(op.reason),
        ]
        for op in comparison.operations
    ]
    headers = ["operation", escape(comparison.old), escape(comparison.new), "ratio", "p",
               "verdict", "note"]  # fmt: skip
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def comparison_heading(comparison: Comparison) -> str:
    head = (
        f"{comparison.new} against {comparison.old}: ratio = new median / old median; "
        f"a regression is significant (Mann-Whitney U, p < {comparison.alpha:g}) and past "
        f"{comparison.tolerance:.0%}"
    )
    if comparison.forced:
        head += "; compared with --force across: " + "; ".join(map(str, comparison.forced))
    return head


def render_text(
    *,
    columns: Sequence[Column],
    cells: Sequence[Cell],
    comparisons: Sequence[Comparison] = (),
    refused: Sequence[str] = (),
) -> str:
    """What the terminal shows: the table, its notes, the problems, each comparison."""
    parts = [table(columns)] if columns else ["no report came back"]
    found = notes(columns)
    if found:
        parts.append("notes:\n" + "\n".join(f"  {plain(line)}" for line in found))
    trouble = problems(cells)
    if trouble:
        parts.append("problems:\n" + "\n".join(f"  {plain(line)}" for line in trouble))
    parts += [plain(comparison_heading(c)) + "\n" + comparison_table(c) for c in comparisons]
    if refused:
        parts.append("not compared:\n" + "\n".join(f"  {plain(line)}" for line in refused))
    return "\n\n".join(parts)


def render_markdown(
    title: str,
    meta_line: str,
    *,
    columns: Sequence[Column],
    cells: Sequence[Cell],
    comparisons: Sequence[Comparison] = (),
    refused: Sequence[str] = (),
) -> str:
    """``bench_matrix.md``."""
    lines = [f"# {markdown_cell(title)}", "", meta_line, ""]
    lines += [table(columns, tablefmt="github") if columns else "No report came back.", ""]
    lines += [
        (
            f"Each cell: the median, then its grade in the targets table; {NOISY} marks a "
            "noisy figure (see the notes)."
        ),
        "",
    ]
    found = notes(columns)
    if found:
        lines += ["## Notes", "", *(f"- {markdown_cell(line)}" for line in found), ""]
    trouble = problems(cells)
    if trouble:
        lines += ["## Problems", "", *(f"- {markdown_cell(line)}" for line in trouble), ""]
    for comparison in comparisons:
        lines += [
            f"## {markdown_cell(comparison.new)} against {markdown_cell(comparison.old)}",
            "",
            markdown_cell(comparison_heading(comparison)),
            "",
            comparison_table(comparison, tablefmt="github"),
            "",
        ]
    if refused:
        lines += ["## Not compared", "", *(f"- {markdown_cell(line)}" for line in refused), ""]
    return "\n".join(lines)
