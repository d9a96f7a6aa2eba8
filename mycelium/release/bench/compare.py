"""Two builds' timings, operation by operation: regressed, improved, same or inconclusive.

A regression is called only when two things hold at once: the difference is statistically
significant (a two-sided Mann-Whitney U test on the two sets of samples, which assumes
nothing about their distribution: timings are skewed, with a long tail, never normal), and
the ratio of the medians is past a tolerance (default 10 %). Significant but small is
``same``; large but not significant (too much noise for that many samples) is
``inconclusive``, as is an operation with too few samples to test at all.

Figures from two environments do not compare: ``compare_reports`` refuses a pair whose
fingerprints differ (CPU, Python, machine, platform), naming each field, unless forced.
"""

from __future__ import annotations

import math
import statistics
import warnings
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from mycelium.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mycelium.bench.report import Fingerprint, Operation, PerformanceReport

TOLERANCE: Final = 0.10  # a ratio within 1 ± 10 % is "same", however significant
ALPHA: Final = 0.01  # the significance level of the test
MIN_SAMPLES: Final = 5  # fewer on either side cannot reach ALPHA: inconclusive
# The fields of the fingerprint that must match for two reports to compare. The load
# average, CPU governor and turbo are noise to report, not a different machine.
FINGERPRINT_FIELDS: Final = (
    "cpu_model",
    "cpu_count",
    "python_implementation",
    "python_version",
    "machine",
    "platform",
)


class Verdict(StrEnum):
    REGRESSED = "regressed"  # significantly slower, by more than the tolerance
    IMPROVED = "improved"  # significantly faster, by more than the tolerance
    SAME = "same"  # within the tolerance
    INCONCLUSIVE = "inconclusive"  # too few samples, or too noisy to tell

    @property
    def mark(self) -> str:
        return _MARKS[self]


_MARKS: Final = {
    Verdict.REGRESSED: "✗",
    Verdict.IMPROVED: "↑",
    Verdict.SAME: "=",
    Verdict.INCONCLUSIVE: "?",
}


@dataclass(frozen=True)
class FieldDifference:
    field: str
    old: object
    new: object

    def __str__(self) -> str:
        return f"{self.field}: {self.old!r} → {self.new!r}"


class FingerprintMismatchError(UserError):
    """The two reports come from different environments; ``--force`` compares anyway."""

    def __init__(self, differences: Sequence[FieldDifference], where: str = "") -> None:
        self.differences = tuple(differences)
        named = "; ".join(map(str, differences))
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}the reports come from different environments ({named}); "
            "their figures do not compare (--force compares them anyway)"
        )


@dataclass(frozen=True)
class OperationComparison:
    name: str
    label: str
    verdict: Verdict
    ratio: float | None  # new median / old median; > 1 is slower
    p_value: float | None
    old_median_s: float | None
    new_median_s: float | None
    old_samples: int
    new_samples: int
    reason: str = ""  # why inconclusive, or what else a reader should know


@dataclass(frozen=True)
class Comparison:
    old: str  # what the old side is (a file, "A: v1.0.0 (abc123)")
    new: str
    tolerance: float
    alpha: float
    operations: tuple[OperationComparison, ...]
    forced: tuple[FieldDifference, ...] = ()  # differences --force compared through

    @property
    def regressed(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.operations if op.verdict is Verdict.REGRESSED)


def fingerprint_differences(old: Fingerprint, new: Fingerprint) -> list[FieldDifference]:
    return [
        FieldDifference(name, getattr(old, name), getattr(new, name))
        for name in FINGERPRINT_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]


def mann_whitney_p(old: Sequence[float], new: Sequence[float]) -> float:
    """The two-sided p-value that both sets of samples come from one distribution."""
    if len(set(old) | set(new)) == 1:
        return 1.0  # every sample equal: no evidence of any difference
    from scipy.stats import mannwhitneyu  # noqa: PLC0415 - scipy is slow to import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ties: the asymptotic method copes
        p = float(mannwhitneyu(old, new, alternative="two-sided").pvalue)
    return 1.0 if math.isnan(p) else p


def judge(
    old: Sequence[float],
    new: Sequence[float],
    *,
    tolerance: float = TOLERANCE,
    alpha: float = ALPHA,
    min_samples: int = MIN_SAMPLES,
) -> tuple[Verdict, float | None, float | None, str]:
    """The verdict on two sets of samples, with the ratio of medians, the p-value and why."""
    if len(old) < min_samples or len(new) < min_samples:
        return (
            Verdict.INCONCLUSIVE,
            _ratio(old, new),
            None,
            f"too few samples ({len(old)} and {len(new)}; at least {min_samples} each)",
        )
    ratio = _ratio(old, new)
    if ratio is None:
        return Verdict.INCONCLUSIVE, None, None, "a median of zero has no ratio"
    p = mann_whitney_p(old, new)
    beyond = ratio > 1 + tolerance or ratio < 1 - tolerance
    if not beyond:
        return Verdict.SAME, ratio, p, ""
    if p >= alpha:
        return (
            Verdict.INCONCLUSIVE,
            ratio,
            p,
            f"{_percent(ratio)} but not significant (p = {p:.3g} ≥ {alpha:g}): too noisy",
        )
    return (Verdict.REGRESSED if ratio > 1 else Verdict.IMPROVED), ratio, p, ""


def _ratio(old: Sequence[float], new: Sequence[float]) -> float | None:
    if not old or not new:
        return None
    base = statistics.median(old)
    return statistics.median(new) / base if base > 0 else None


def _percent(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.0f} %"


def compare_operation(
    old: Operation | None,
    new: Operation | None,
    *,
    tolerance: float = TOLERANCE,
    alpha: float = ALPHA,
) -> OperationComparison:
    """One operation of both reports; missing on one side, or unmeasured, is inconclusive."""
    either = new or old
    assert either is not None  # noqa: S101 - called with at least one side
    old_samples = list(old.samples_s) if old is not None else []
    new_samples = list(new.samples_s) if new is not None else []

    def result(
        verdict: Verdict, ratio: float | None, p: float | None, reason: str
    ) -> OperationComparison:
        return OperationComparison(
            name=either.name,
            label=either.label,
            verdict=verdict,
            ratio=ratio,
            p_value=p,
            old_median_s=statistics.median(old_samples) if old_samples else None,
            new_median_s=statistics.median(new_samples) if new_samples else None,
            old_samples=len(old_samples),
            new_samples=len(new_samples),
            reason=reason,
        )

    for side, op in (("old", old), ("new", new)):
        if op is None:
            return result(Verdict.INCONCLUSIVE, None, None, f"not in the {side} report")
        if not op.samples_s:
            why = f": {op.reason}" if op.reason else ""
            return result(
                Verdict.INCONCLUSIVE,
                None,
                None,
                f"no samples in the {side} report ({op.status}{why})",
            )
    verdict, ratio, p, reason = judge(old_samples, new_samples, tolerance=tolerance, alpha=alpha)
    noisy = [
        side for side, op in (("old", old), ("new", new)) if op and op.noise and op.noise.noisy
    ]
    if noisy and not reason:
        reason = f"noisy in the {' and '.join(noisy)} report"
    return result(verdict, ratio, p, reason)


def compare_reports(
    old: PerformanceReport,
    new: PerformanceReport,
    *,
    tolerance: float = TOLERANCE,
    alpha: float = ALPHA,
    force: bool = False,
    old_name: str = "old",
    new_name: str = "new",
) -> Comparison:
    """Every operation of either report, in the new report's order.

    Raises:
        FingerprintMismatchError: the environments differ and ``force`` is false.
    """
    if not 0 <= tolerance < 1:
        raise UserError(f"the tolerance must be between 0 and 1 (0.10 is 10 %), not {tolerance}")
    differences = fingerprint_differences(old.fingerprint, new.fingerprint)
    if differences and not force:
        raise FingerprintMismatchError(differences, f"{old_name} vs {new_name}")
    old_ops = {op.name: op for op in old.operations}
    new_ops = {op.name: op for op in new.operations}
    names = list(new_ops) + [name for name in old_ops if name not in new_ops]
    return Comparison(
        old=old_name,
        new=new_name,
        tolerance=tolerance,
        alpha=alpha,
        operations=tuple(
            compare_operation(old_ops.get(n), new_ops.get(n), tolerance=tolerance, alpha=alpha)
            for n in names
        ),
        forced=tuple(differences),
    )


def confirm_by_rounds(
    comparison: Comparison, round_ratios: Mapping[str, Sequence[float]]
) -> Comparison:
    """``--compare REF``: a regression or improvement stands only if every round agrees.

    Each round ran A then B back to back; a verdict that one busy stretch of the machine
    produced shows as rounds whose ratios fall on both sides of 1. Such an operation is
    ``inconclusive``, with the ratios of its rounds.
    """
    operations = []
    for op in comparison.operations:
        ratios = list(round_ratios.get(op.name, ()))
        called = op.verdict in {Verdict.REGRESSED, Verdict.IMPROVED}
        slower = op.verdict is Verdict.REGRESSED
        if called and len(ratios) > 1 and not all((r > 1) == slower for r in ratios):
            shown = ", ".join(f"{r:.2f}" for r in ratios)
            op = replace(  # noqa: PLW2901 - the operation, confirmed or not
                op,
                verdict=Verdict.INCONCLUSIVE,
                reason=f"the rounds disagree (ratio per round: {shown})",
            )
        operations.append(op)
    return replace(comparison, operations=tuple(operations))


def round_ratio(old: Operation | None, new: Operation | None) -> float | None:
    """One round's ratio of medians for one operation, when both sides have samples."""
    if old is None or new is None:
        return None
    return _ratio(old.samples_s, new.samples_s)
