"""What invoke bench shows and writes: the table, bench_matrix.md, the SVG, merged rounds."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from mycelium.bench.units import duration as seconds
from mycelium.release.bench import plot
from mycelium.release.bench.compare import compare_reports
from mycelium.release.bench.interleave import merge_reports
from mycelium.release.bench.render import Column, render_markdown, render_text
from mycelium.release.qa.cells import Cell, CellState
from mycelium.status import Status
from tests.unit.bench_reports import noisy, operation, report, timings

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

MS = 1e-3


def two_hosts() -> list[Column]:
    fast = report({"config_validation": [0.05 * MS] * 6, "compose_generation": [1.5 * MS] * 6})
    slow = report({"config_validation": [60 * MS] * 6})
    return [Column("h1 python3", fast), Column("h2 python3.12", slow)]


def test_the_table_has_an_operation_per_row_and_a_host_per_column() -> None:
    text = render_text(columns=two_hosts(), cells=[])
    lines = text.splitlines()
    assert lines[0].split() == ["operation", "goal", "threshold", "h1", "python3", "h2",
                                "python3.12"]  # fmt: skip
    assert "config validation" in lines[2]
    assert "50 µs goal" in lines[2]
    assert "✗ 60 ms over" in lines[2]  # past the 50 ms threshold
    assert "1.5 ms goal" in lines[3]
    assert lines[3].rstrip().endswith("—")  # h2 did not measure it


def test_seconds_read_in_the_unit_that_fits() -> None:
    assert [seconds(v) for v in (None, 42e-6, 0.0123, 2.5)] == ["—", "42 µs", "12.3 ms", "2.5 s"]


def test_hosts_that_could_not_run_and_noisy_figures_are_listed() -> None:
    columns = [
        Column(
            "h1 python3",
            report({}).model_copy(
                update={"operations": [noisy(operation("full_scan", timings(MS, 6, seed=1)))]}
            ),
        )
    ]
    cells = [Cell("closed", "python3", CellState.UNREACHABLE, message="connection refused")]
    text = render_text(columns=columns, cells=cells)
    assert "goal ~" in text
    assert "h1 python3: full_scan: noisy: relative stdev 30%, 2 outlier(s)" in text
    assert "closed / python3: unreachable: connection refused" in text


def test_host_strings_cannot_inject_markdown_rows_or_terminal_controls() -> None:
    evil = operation("config_validation", [MS] * 6).model_copy(
        update={"label": "x | y\x1b[31m", "status": Status.ERROR, "reason": "boom\n| row |"}
    )
    columns = [Column("h1 python3", report({}).model_copy(update={"operations": [evil]}))]
    text = render_text(columns=columns, cells=[])
    assert "\x1b" not in text
    assert "\\x1b[31m" in text
    markdown = render_markdown("t", "m", columns=columns, cells=[])
    assert "x \\| y" in markdown
    assert "\n| row |" not in markdown


def test_a_comparison_is_printed_with_its_ratio_and_verdict() -> None:
    old = report({"config_validation": timings(MS, 20, seed=2)})
    new = report({"config_validation": [t * 1.5 for t in timings(MS, 20, seed=3)]})
    comparison = compare_reports(old, new, old_name="A: main", new_name="B: this tree")
    text = render_text(columns=[Column("B: this tree", new)], cells=[], comparisons=[comparison])
    assert "B: this tree against A: main" in text
    section = text.split("B: this tree against A: main")[1]
    row = next(line for line in section.splitlines() if line.startswith("config validation  "))
    assert "✗ regressed" in row
    markdown = render_markdown("t", "m", columns=[], cells=[], comparisons=[comparison],
                               refused=["old vs new: cpu_count differs"])  # fmt: skip
    assert "## B: this tree against A: main" in markdown
    assert "## Not compared" in markdown


def test_rounds_of_one_build_merge_into_one_operation_with_every_sample() -> None:
    rounds = [report({"config_validation": timings(MS, 6, seed=s)}) for s in range(3)]
    [merged] = merge_reports(rounds).operations
    assert len(merged.samples_s) == 18
    assert merged.median_s is not None
    assert merged.min_s == min(s for r in rounds for s in r.operations[0].samples_s)
    assert merged.status is Status.PASS


def test_the_svg_is_drawn_with_a_trend_when_reports_hold_earlier_versions(tmp_path: Path) -> None:
    for version, median in (("0.9.0", 2 * MS), ("0.10.0", 1.5 * MS), ("not-a-version", MS)):
        directory = tmp_path / version / "h1" / "python3"
        directory.mkdir(parents=True)
        (directory / "performance_report.json").write_text(
            report({"config_validation": [median] * 6}, version="0.9.0").model_dump_json()
        )
    history = plot.trend(tmp_path, "h1", "python3")
    assert list(history) == ["0.9.0", "0.10.0"]  # versions in order, not as strings sort
    svg = plot.write_svg(tmp_path / "bench.svg", two_hosts(), history)
    assert svg is not None
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml")
    assert "<svg" in text


def test_without_matplotlib_the_svg_is_skipped_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".", maxsplit=1)[0] == "matplotlib":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert not plot.matplotlib_available()
    assert plot.write_svg(tmp_path / "bench.svg", two_hosts(), {}) is None
    assert not (tmp_path / "bench.svg").exists()
    assert plot.MISSING.startswith("matplotlib is not installed: no bench.svg")
