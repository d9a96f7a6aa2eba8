"""Timing one operation: warm-up, calibrated loops, samples, and their statistics.

Modeled on pyperf (the reference of the field), with the standard library only:

- calibration as ``pyperf`` does it: start at one loop and double until one sample takes at
  least ``min_time_s`` (pyperf's default is 100 ms), so that a sub-millisecond operation
  repeats inside a sample and the clock's resolution and the loop's own cost vanish;
- percentiles by linear interpolation between the closest ranks (``pyperf._utils.percentile``,
  the same as ``statistics.quantiles(method="inclusive")``);
- pyperf's stability checks: a standard deviation of 10 % of the mean or more, or a minimum
  or maximum 50 % away from the mean, makes a figure *noisy*; we add Tukey's outliers
  (beyond 1.5 IQR of the quartiles), counted.

Why not pyperf itself is written in docs/COMMANDS.md ("mycelium-bench").
"""

from __future__ import annotations

import math
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

MAX_LOOPS: Final = 2**22  # pyperf's bound is 2**32; ours is reached only by a no-op
NOISY_RELATIVE_STDEV: Final = 0.10  # pyperf warns at a stdev of 10 % of the mean
EXTREME_FROM_MEAN: Final = 0.50  # pyperf warns at a min or max 50 % from the mean
OUTLIER_IQR: Final = 1.5  # Tukey's fences
PROCESS_TIMEOUT_S: Final = 120.0


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure; ``quick`` is for tests and smoke runs."""

    min_time_s: float = 0.1  # one in-process sample lasts at least this long
    samples: int = 20  # in-process samples
    process_samples: int = 10  # whole-process samples (each one is ~0.1-0.5 s already)
    warmups: int = 1  # samples run and thrown away first
    throughput_runs: int = 3  # runs of a coordination pattern
    small: bool = False  # coordination patterns move fewer messages

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            min_time_s=0.01, samples=5, process_samples=3, warmups=1, throughput_runs=1, small=True
        )


@dataclass(frozen=True)
class Measurement:
    """Samples in seconds per single operation, and how they were taken."""

    samples_s: tuple[float, ...]
    loops: int
    warmups: int


@dataclass(frozen=True)
class Stats:
    count: int
    mean: float
    median: float
    p95: float
    p99: float
    minimum: float
    maximum: float
    stdev: float  # sample standard deviation; 0 for a single sample

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        if not samples:
            raise ValueError("no samples to summarise")
        return cls(
            count=len(samples),
            mean=statistics.fmean(samples),
            median=statistics.median(samples),
            p95=percentile(samples, 0.95),
            p99=percentile(samples, 0.99),
            minimum=min(samples),
            maximum=max(samples),
            stdev=statistics.stdev(samples) if len(samples) > 1 else 0.0,
        )


@dataclass(frozen=True)
class NoiseVerdict:
    relative_stdev: float
    outliers: int
    noisy: bool
    warning: str | None


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1), interpolated linearly between the closest ranks."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"a quantile is between 0 and 1, not {q}")
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    k = (len(ordered) - 1) * q
    low, high = math.floor(k), math.ceil(k)
    if low == high:
        return ordered[low]
    return ordered[low] * (high - k) + ordered[high] * (k - low)


def outliers(samples: Sequence[float]) -> int:
    """How many samples lie beyond 1.5 IQR of the quartiles (Tukey's fences)."""
    if len(samples) < 4:  # noqa: PLR2004 - quartiles of fewer than 4 samples mean nothing
        return 0
    q1, q3 = percentile(samples, 0.25), percentile(samples, 0.75)
    fence = OUTLIER_IQR * (q3 - q1)
    return sum(1 for s in samples if s < q1 - fence or s > q3 + fence)


def judge_noise(samples: Sequence[float]) -> NoiseVerdict:
    """Whether the spread of ``samples`` lets their median stand as a figure."""
    stats = Stats.of(samples)
    relative = stats.stdev / stats.mean if stats.mean > 0 else 0.0
    found = outliers(samples)
    spread = []
    if relative >= NOISY_RELATIVE_STDEV:
        spread.append(f"the standard deviation is {relative:.0%} of the mean")
    for which, value in (("minimum", stats.minimum), ("maximum", stats.maximum)):
        away = (value - stats.mean) / stats.mean if stats.mean > 0 else 0.0
        if abs(away) >= EXTREME_FROM_MEAN:
            spread.append(f"the {which} is {abs(away):.0%} from the mean")
    # Outliers alone do not make a median noisy (it ignores them); they are reported.
    notes = [*spread, f"{found} of {len(samples)} samples are outliers"] if found else spread
    noisy = bool(spread)
    warning = "; ".join(notes) if notes else None
    if noisy:
        warning = f"{warning}: the machine was busy; rerun it when the machine is idle"
    return NoiseVerdict(relative, found, noisy, warning)


def _time_loops(func: Callable[[], object], loops: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(loops):
        func()
    return clock() - start


def calibrate(
    func: Callable[[], object],
    min_time_s: float,
    timer: Callable[[Callable[[], object], int], float] = _time_loops,
) -> int:
    """The number of loops (a power of two) for one sample to last at least ``min_time_s``."""
    loops = 1
    while loops < MAX_LOOPS:
        if timer(func, loops) >= min_time_s:
            return loops
        loops *= 2
    return MAX_LOOPS


def measure_call(
    func: Callable[[], object],
    settings: Settings,
    timer: Callable[[Callable[[], object], int], float] = _time_loops,
) -> Measurement:
    """Warm up, calibrate, then take ``settings.samples`` samples of ``func``."""
    func()  # the first call: imports, template compilation, first connection
    loops = calibrate(func, settings.min_time_s, timer)
    for _ in range(settings.warmups):
        timer(func, loops)
    samples = tuple(timer(func, loops) / loops for _ in range(settings.samples))
    return Measurement(samples, loops, settings.warmups)


class ProcessFailedError(RuntimeError):
    """A whole-process operation exited non-zero: its time would measure a failure."""


def run_process(argv: Sequence[str], env: Mapping[str, str], cwd: str) -> float:
    """Run ``argv`` to its end, output discarded; its wall time in seconds."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        timeout=PROCESS_TIMEOUT_S, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip()[-300:]
        raise ProcessFailedError(f"{PurePath(argv[0]).name} exited {proc.returncode}: {tail}")
    return elapsed


def measure_process(
    argv: Sequence[str], env: Mapping[str, str], cwd: str, settings: Settings
) -> Measurement:
    """Warm up (the page cache, .pyc files), then time ``settings.process_samples`` runs."""
    for _ in range(settings.warmups):
        run_process(argv, env, cwd)
    samples = tuple(run_process(argv, env, cwd) for _ in range(settings.process_samples))
    return Measurement(samples, 1, settings.warmups)
