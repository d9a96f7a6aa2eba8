"""``bench.svg``: each operation's median and p95 against its targets, and the trend.

matplotlib (the ``plot`` extra, Agg backend: no display needed) is imported here only; when
it is not installed the picture is skipped and the caller says so in one line.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Final

from packaging.version import InvalidVersion, Version

from mycelium.bench.grading import target_for
from mycelium.bench.report import PerformanceReport
from mycelium.fileio import atomic_write
from mycelium.release.bench.layout import REPORT_NAME
from mycelium.release.bench.render import operation_names

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from mycelium.release.bench.render import Column

log = logging.getLogger("mycelium")

MISSING: Final = "matplotlib is not installed: no bench.svg (uv sync --extra plot, or pip install 'mycelium[plot]')"  # noqa: E501 - one message
MAX_TREND_VERSIONS: Final = 12


def matplotlib_available() -> bool:
    try:
        import matplotlib as mpl  # noqa: F401, PLC0415 - the optional extra
    except ImportError:
        return False
    return True


def trend(reports_root: Path, host: str, python: str) -> dict[str, PerformanceReport]:
    """Each version's report for ``host``/``python`` under ``reports_root``, oldest first.

    Reports that do not validate are left out (a log line says so); at most the last
    ``MAX_TREND_VERSIONS`` versions.
    """
    found: list[tuple[Version, str, PerformanceReport]] = []
    if not reports_root.is_dir():
        return {}
    for directory in reports_root.iterdir():
        try:
            version = Version(directory.name)
        except InvalidVersion:
            continue
        path = directory / host / python / REPORT_NAME
        if not path.is_file():
            continue
        try:
            report = PerformanceReport.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            log.info("%s: left out of the trend: %s", path, str(exc).splitlines()[0])
            continue
        found.append((version, directory.name, report))
    found.sort(key=lambda item: item[0])
    return {name: report for _, name, report in found[-MAX_TREND_VERSIONS:]}


def write_svg(
    path: Path, columns: Sequence[Column], history: Mapping[str, PerformanceReport]
) -> Path | None:
    """Draw the figure to ``path``; ``None`` (and nothing written) without matplotlib."""
    if not matplotlib_available() or not columns:
        return None
    import matplotlib as mpl  # noqa: PLC0415 - the optional extra

    mpl.use("Agg")
    from matplotlib import pyplot as plt  # noqa: PLC0415

    names = [n for n in operation_names([c.report for c in columns]) if _timed(n, columns)]
    show_trend = len(history) >= 2  # noqa: PLR2004 - a trend needs two versions
    rows = 2 if show_trend else 1
    figure, axes = plt.subplots(
        rows, 1, figsize=(10, 0.45 * len(names) + 2.5 + (4 if show_trend else 0)), squeeze=False
    )
    _targets_axes(axes[0][0], names, columns)
    if show_trend:
        _trend_axes(axes[1][0], names, history)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    atomic_write(path, buffer.getvalue().encode("utf-8"))
    return path


def _timed(name: str, columns: Sequence[Column]) -> bool:
    return any(
        op.name == name and op.median_s is not None and op.median_s > 0
        for c in columns
        for op in c.report.operations
    )


def _targets_axes(  # noqa: C901 - one loop per layer of the figure
    ax: object, names: Sequence[str], columns: Sequence[Column]
) -> None:
    from matplotlib.axes import Axes  # noqa: PLC0415

    assert isinstance(ax, Axes)  # noqa: S101 - what plt.subplots returns
    ys = list(range(len(names)))
    height = 0.8 / max(len(columns), 1)
    labelled: set[str] = set()

    def once(label: str) -> str | None:
        """A legend entry the first time only."""
        if label in labelled:
            return None
        labelled.add(label)
        return label

    for index, column in enumerate(columns):
        ops = {op.name: op for op in column.report.operations}
        offset = (index - (len(columns) - 1) / 2) * height
        for y, name in zip(ys, names, strict=True):
            op = ops.get(name)
            if op is None or op.median_s is None or op.median_s <= 0:
                continue
            p95 = op.p95_s if op.p95_s is not None and op.p95_s > 0 else op.median_s
            ax.plot([op.median_s, p95], [y + offset] * 2, color=f"C{index}", linewidth=2)
            ax.plot(op.median_s, y + offset, "o", color=f"C{index}", label=once(column.title))
    for y, name in zip(ys, names, strict=True):
        target = target_for(name)
        if target is None:
            continue
        for limit, colour, label in (
            (target.goal_s, "tab:green", "our goal"),
            (target.seed_s, "tab:olive", "seed target"),
            (target.threshold_s, "tab:red", "seed threshold"),
        ):
            if limit is not None:
                ax.plot(limit, y, "|", color=colour, markersize=14, markeredgewidth=2,
                        label=once(label))  # fmt: skip
    ax.set_xscale("log")
    ax.set_yticks(ys, [_short(name) for name in names])
    ax.invert_yaxis()
    ax.set_xlabel("seconds per operation (log): dot = median, bar to p95; | = targets")
    ax.set_title("mycelium benchmarks against their targets")
    ax.grid(visible=True, axis="x", which="both", alpha=0.3)
    if labelled:
        ax.legend(fontsize="small", loc="lower right")


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:39] + "…"  # noqa: PLR2004 - tick width


def _trend_axes(ax: object, names: Sequence[str], history: Mapping[str, PerformanceReport]) -> None:
    from matplotlib.axes import Axes  # noqa: PLC0415

    assert isinstance(ax, Axes)  # noqa: S101 - what plt.subplots returns
    versions = list(history)
    xs = list(range(len(versions)))
    for index, name in enumerate(names):
        points = [
            (x, op.median_s)
            for x, version in zip(xs, versions, strict=True)
            for op in history[version].operations
            if op.name == name and op.median_s is not None and op.median_s > 0
        ]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                    color=f"C{index % 10}", label=_short(name))  # fmt: skip
    ax.set_yscale("log")
    ax.set_xticks(xs, versions)
    ax.set_ylabel("median, seconds (log)")
    ax.set_title("the trend across versions")
    ax.grid(visible=True, which="both", alpha=0.3)
    ax.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.0, 0.5))
