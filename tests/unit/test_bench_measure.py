"""The harness's statistics, calibration and grading, on synthetic samples (no timing)."""

from __future__ import annotations

import statistics

import pytest

from mycelium.bench.grading import grade, target_for
from mycelium.bench.measure import (
    MAX_LOOPS,
    Settings,
    Stats,
    calibrate,
    judge_noise,
    measure_call,
    outliers,
    percentile,
)
from mycelium.bench.run import select_operations
from mycelium.bench.targets import TARGETS, Grade
from mycelium.errors import UsageError
from mycelium.status import Status

MS = 1e-3


def test_percentiles_interpolate_between_the_closest_ranks() -> None:
    samples = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(samples, 0.5) == 50.5
    assert percentile(samples, 0.95) == pytest.approx(95.05)
    assert percentile(samples, 0.99) == pytest.approx(99.01)
    assert percentile(samples, 0.0) == 1.0
    assert percentile(samples, 1.0) == 100.0
    assert percentile([7.0], 0.95) == 7.0
    # The same definition as the standard library's inclusive quantiles.
    assert percentile(samples, 0.25) == statistics.quantiles(samples, n=4, method="inclusive")[0]


def test_a_percentile_outside_zero_to_one_or_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 95)
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)


def test_stats_of_samples_give_every_figure_and_the_count() -> None:
    stats = Stats.of([1.0, 2.0, 3.0, 4.0, 10.0])
    assert (stats.count, stats.mean, stats.median) == (5, 4.0, 3.0)
    assert (stats.minimum, stats.maximum) == (1.0, 10.0)
    assert stats.stdev == pytest.approx(statistics.stdev([1.0, 2.0, 3.0, 4.0, 10.0]))
    assert stats.p95 == pytest.approx(8.8)
    assert Stats.of([5.0]).stdev == 0.0


def test_outliers_are_beyond_one_and_a_half_iqr_of_the_quartiles() -> None:
    steady = [10.0, 10.1, 9.9, 10.0, 10.2, 9.8, 10.0, 10.1]
    assert outliers(steady) == 0
    assert outliers([*steady, 30.0, 1.0]) == 2
    assert outliers([1.0, 100.0, 1.0]) == 0  # fewer than 4 samples: no quartiles


def test_steady_samples_are_not_noisy() -> None:
    verdict = judge_noise([10.0, 10.1, 9.9, 10.0, 10.2, 9.8, 10.0, 10.1])
    assert not verdict.noisy
    assert verdict.warning is None
    assert verdict.relative_stdev < 0.02


def test_a_wide_spread_is_noisy_and_says_why() -> None:
    verdict = judge_noise([10.0, 14.0, 7.0, 12.0, 9.0, 16.0, 6.0, 11.0])
    assert verdict.noisy
    assert verdict.warning is not None
    assert "standard deviation is" in verdict.warning
    assert "rerun it when the machine is idle" in verdict.warning


def test_one_outlier_is_reported_but_leaves_the_median_trusted() -> None:
    samples = [10.0] * 9 + [10.5] * 10 + [12.0]
    verdict = judge_noise(samples)
    assert verdict.outliers == 1
    assert not verdict.noisy
    assert verdict.warning == "1 of 20 samples are outliers"


def test_a_maximum_far_from_the_mean_makes_a_figure_noisy() -> None:
    verdict = judge_noise([1.0] * 30 + [3.0])
    assert verdict.noisy
    assert verdict.warning is not None
    assert "the maximum is" in verdict.warning


def _fake_timer(per_call_s: float) -> object:
    def timer(_func: object, loops: int) -> float:
        return per_call_s * loops

    return timer


def test_calibration_doubles_loops_until_a_sample_is_long_enough() -> None:
    assert calibrate(lambda: None, 0.1, _fake_timer(1.0)) == 1  # type: ignore[arg-type]
    assert calibrate(lambda: None, 0.1, _fake_timer(0.03)) == 4  # type: ignore[arg-type]
    assert calibrate(lambda: None, 0.1, _fake_timer(1e-6)) == 131072  # type: ignore[arg-type]
    assert calibrate(lambda: None, 0.1, _fake_timer(0.0)) == MAX_LOOPS  # type: ignore[arg-type]


def test_a_measurement_divides_each_sample_by_its_loops() -> None:
    calls = []
    settings = Settings(min_time_s=0.1, samples=7, warmups=2)
    measured = measure_call(lambda: calls.append(1), settings, _fake_timer(0.01))  # type: ignore[arg-type]
    assert measured.loops == 16
    assert measured.warmups == 2
    assert measured.samples_s == (0.01,) * 7
    assert calls == [1]  # the fake timer never calls; the first (warming) call is real


def test_grades_follow_the_targets_table_and_only_over_the_threshold_fails() -> None:
    assert grade("redis_detection", 1 * MS) == (Grade.GOAL, Status.PASS)
    assert grade("redis_detection", 20 * MS) == (Grade.TARGET, Status.PASS)
    assert grade("redis_detection", 40 * MS) == (Grade.ACCEPTABLE, Status.PASS)
    assert grade("redis_detection", 90 * MS) == (Grade.SLOW, Status.PASS)
    assert grade("redis_detection", 150 * MS) == (Grade.OVER, Status.FAIL)
    assert grade("full_scan_cached", 5.0) == (Grade.UNTARGETED, Status.PASS)
    # Our own goal alone is never a failure: no seed threshold there.
    assert grade("detect_json", 10.0) == (Grade.SLOW, Status.PASS)


def test_every_help_operation_is_graded_against_the_cli_help_row() -> None:
    assert target_for("cli_help_qa") is TARGETS["cli_help"]
    assert target_for("cli_help") is TARGETS["cli_help"]
    assert target_for("import_mycelium") is None


def test_every_operation_with_a_target_row_has_the_rows_name() -> None:
    names = {op.name for op in select_operations(())}
    assert set(TARGETS) - names == {"cli_help"}
    assert len(names) == len(select_operations(()))  # unique


def test_only_selects_by_name_or_group_and_refuses_unknown_names() -> None:
    assert [op.name for op in select_operations(("full_scan",))] == ["full_scan"]
    assert all(op.name.startswith("cli_help_") for op in select_operations(("cli_help",)))
    from mycelium.distribution import console_scripts

    # Every console script the distribution declares is measured, none listed by hand.
    assert len(select_operations(("cli_help",))) == len(console_scripts()) >= 8
    with pytest.raises(UsageError, match=r"^unknown operation nope; choose from docker_detection"):
        select_operations(("nope",))


def test_the_seeds_names_exist() -> None:
    from mycelium.config import ConfigManager, ConfigStore, MyceliumConfig
    from mycelium.generators import DockerComposeGenerator, JustfileGenerator

    config = MyceliumConfig()
    assert ConfigManager is ConfigStore
    assert DockerComposeGenerator().generate(config) == DockerComposeGenerator().render(config)
    assert JustfileGenerator().generate(config) == JustfileGenerator().render(config)
