"""The verdicts of ``invoke bench --compare``, proven on synthetic samples (no timing here)."""

from __future__ import annotations

import pytest

from mycelium.errors import UserError
from mycelium.release.bench.compare import (
    FingerprintMismatchError,
    Verdict,
    compare_reports,
    confirm_by_rounds,
    judge,
)
from tests.unit.bench_reports import FINGERPRINT, report, timings

MS = 1e-3


def test_a_build_slowed_on_purpose_is_regressed() -> None:
    old = timings(10 * MS, 20, seed=1)
    new = [t * 1.3 for t in timings(10 * MS, 20, seed=2)]
    verdict, ratio, p, _ = judge(old, new)
    assert verdict is Verdict.REGRESSED
    assert ratio is not None
    assert 1.2 < ratio < 1.4
    assert p is not None
    assert p < 0.01


def test_a_build_made_faster_is_improved() -> None:
    old = timings(10 * MS, 20, seed=3)
    new = [t * 0.7 for t in timings(10 * MS, 20, seed=4)]
    assert judge(old, new)[0] is Verdict.IMPROVED


@pytest.mark.parametrize("seed", range(5))
def test_two_identical_builds_are_never_regressed(seed: int) -> None:
    # Same distribution, different random draws, wide noise: never called a regression.
    old = timings(10 * MS, 20, seed=100 + seed, spread=0.15)
    new = timings(10 * MS, 20, seed=200 + seed, spread=0.15)
    assert judge(old, new)[0] is not Verdict.REGRESSED


def test_a_small_difference_under_the_tolerance_is_same_however_significant() -> None:
    old = timings(10 * MS, 200, seed=5, spread=0.01)
    new = [t * 1.05 for t in timings(10 * MS, 200, seed=6, spread=0.01)]
    verdict, ratio, p, _ = judge(old, new)
    assert verdict is Verdict.SAME
    assert ratio is not None
    assert 1.03 < ratio < 1.07
    assert p is not None
    assert p < 0.01  # significant, yet within 10 %: same


def test_few_samples_are_inconclusive() -> None:
    old = timings(10 * MS, 3, seed=7)
    new = [t * 2 for t in timings(10 * MS, 3, seed=8)]
    verdict, ratio, p, reason = judge(old, new)
    assert verdict is Verdict.INCONCLUSIVE
    assert reason == "too few samples (3 and 3; at least 5 each)"
    assert ratio is not None
    assert p is None


def test_a_large_but_noisy_difference_is_inconclusive_not_regressed() -> None:
    old = [10 * MS, 30 * MS, 11 * MS, 29 * MS, 12 * MS, 28 * MS]
    new = [13 * MS, 31 * MS, 14 * MS, 32 * MS, 12.5 * MS, 33 * MS]
    verdict, ratio, _, reason = judge(old, new)
    assert verdict is Verdict.INCONCLUSIVE
    assert ratio is not None
    assert ratio > 1.1
    assert "not significant" in reason


def test_identical_samples_are_same() -> None:
    assert judge([1.0] * 6, [1.0] * 6)[:3] == (Verdict.SAME, 1.0, 1.0)


def test_reports_compare_operation_by_operation_in_the_new_reports_order() -> None:
    old = report({"config_validation": timings(MS, 20, seed=9), "gone": timings(MS, 20, seed=9)})
    new = report(
        {
            "compose_generation": timings(MS, 20, seed=10),
            "config_validation": [t * 1.5 for t in timings(MS, 20, seed=11)],
        }
    )
    comparison = compare_reports(old, new)
    verdicts = {op.name: (op.verdict, op.reason) for op in comparison.operations}
    assert list(verdicts) == ["compose_generation", "config_validation", "gone"]
    assert verdicts["config_validation"] == (Verdict.REGRESSED, "")
    assert verdicts["compose_generation"] == (Verdict.INCONCLUSIVE, "not in the old report")
    assert verdicts["gone"] == (Verdict.INCONCLUSIVE, "not in the new report")
    assert comparison.regressed == ("config_validation",)


def test_an_operation_without_samples_is_inconclusive_saying_why() -> None:
    old = report({"redis_detection": timings(MS, 20, seed=12)})
    new = report({"redis_detection": []})
    [op] = compare_reports(old, new).operations
    assert (op.verdict, op.reason) == (Verdict.INCONCLUSIVE, "no samples in the new report (skip)")


def test_a_report_from_another_environment_is_refused_naming_each_field() -> None:
    other = FINGERPRINT.model_copy(update={"cpu_count": 8, "python_version": "3.12.1"})
    old = report({"config_validation": timings(MS, 20, seed=13)}, fingerprint=other)
    new = report({"config_validation": timings(MS, 20, seed=14)})
    with pytest.raises(FingerprintMismatchError) as raised:
        compare_reports(old, new, old_name="old.json", new_name="h python3")
    assert str(raised.value) == (
        "old.json vs h python3: the reports come from different environments "
        "(cpu_count: 8 → 2; python_version: '3.12.1' → '3.11.9'); their figures do not "
        "compare (--force compares them anyway)"
    )
    assert [d.field for d in raised.value.differences] == ["cpu_count", "python_version"]


def test_force_compares_across_environments_and_says_so() -> None:
    other = FINGERPRINT.model_copy(update={"machine": "arm64"})
    old = report({"config_validation": timings(MS, 20, seed=15)}, fingerprint=other)
    new = report({"config_validation": timings(MS, 20, seed=16)})
    comparison = compare_reports(old, new, force=True)
    assert [str(d) for d in comparison.forced] == ["machine: 'arm64' → 'x86_64'"]
    assert comparison.operations[0].verdict is not Verdict.REGRESSED


def test_load_average_and_governor_do_not_make_another_environment() -> None:
    busy = FINGERPRINT.model_copy(update={"load_average": (3.0, 2.0, 1.0), "turbo": "on"})
    old = report({"config_validation": timings(MS, 20, seed=17)}, fingerprint=busy)
    new = report({"config_validation": timings(MS, 20, seed=18)})
    assert compare_reports(old, new).forced == ()


def test_a_tolerance_outside_zero_to_one_is_refused() -> None:
    same = report({"config_validation": timings(MS, 20, seed=19)})
    with pytest.raises(UserError, match="between 0 and 1"):
        compare_reports(same, same, tolerance=10)


def test_a_verdict_the_rounds_disagree_on_is_inconclusive_naming_their_ratios() -> None:
    old = report({"detect_json": timings(MS, 20, seed=20), "full_scan": timings(MS, 20, seed=21)})
    new = report(
        {
            "detect_json": [t * 0.7 for t in timings(MS, 20, seed=22)],
            "full_scan": [t * 1.5 for t in timings(MS, 20, seed=23)],
        }
    )
    comparison = confirm_by_rounds(
        compare_reports(old, new), {"detect_json": [0.5, 1.02], "full_scan": [1.4, 1.6]}
    )
    verdicts = {op.name: (op.verdict, op.reason) for op in comparison.operations}
    assert verdicts["detect_json"] == (
        Verdict.INCONCLUSIVE,
        "the rounds disagree (ratio per round: 0.50, 1.02)",
    )
    assert verdicts["full_scan"] == (Verdict.REGRESSED, "")
