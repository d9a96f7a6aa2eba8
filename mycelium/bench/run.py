"""``mycelium-bench`` as a function: set up the ground truth, time each operation, grade it.

Everything runs inside the QA sandbox (a temporary HOME, XDG dirs and working directory),
so no operation reads or writes the user's configuration; the only files written outside it
are the report and the profile, by the caller's choice of paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.bench.grading import grade
from mycelium.bench.ground import Ground, OperationSkippedError
from mycelium.bench.measure import (
    Measurement,
    ProcessFailedError,
    Settings,
    Stats,
    judge_noise,
    measure_call,
    measure_process,
)
from mycelium.bench.operations import OPERATIONS, BenchOperation, Call, Process, Throughput
from mycelium.bench.report import Latency, Noise, Operation, PerformanceReport
from mycelium.errors import UsageError, UserError
from mycelium.fileio import atomic_write
from mycelium.qa.checklist import QAContext
from mycelium.qa.report import Origin
from mycelium.qa.sandbox import sandbox
from mycelium.status import Status

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mycelium.bench.profile import ProfileFiles

TOOL: Final = "mycelium.bench (perf_counter, pyperf-style calibration, stdlib statistics)"
PATTERN_SIZES: Final = {  # (normal, quick): messages, tasks, generations
    "pubsub": (2000, 200),
    "taskqueue": (500, 100),
    "barrier": (50, 10),
}
PARTICIPANTS: Final = 4
PATTERN_TIMEOUT_S: Final = 60.0


@dataclass(frozen=True)
class BenchOptions:
    only: Sequence[str] = ()
    quick: bool = False
    expect_version: str | None = None
    host_alias: str | None = None
    origin: Origin = field(default_factory=Origin)
    profile_dir: Path | None = None  # None: no profile

    @property
    def settings(self) -> Settings:
        return Settings.quick() if self.quick else Settings()


@dataclass(frozen=True)
class BenchOutcome:
    report: PerformanceReport
    profile: ProfileFiles | None


def select_operations(only: Sequence[str]) -> list[BenchOperation]:
    """The named operations (a name, or a group such as ``cli_help``), in report order."""
    if not only:
        return list(OPERATIONS)
    names = [op.name for op in OPERATIONS]
    unknown = [n for n in only if not any(_matches(name, n) for name in names)]
    if unknown:
        raise UsageError(f"unknown operation {', '.join(unknown)}; choose from {', '.join(names)}")
    return [op for op in OPERATIONS if any(_matches(op.name, n) for n in only)]


def _matches(name: str, wanted: str) -> bool:
    return name == wanted or (wanted == "cli_help" and name.startswith("cli_help_"))


def run_bench(
    options: BenchOptions, on_operation: Callable[[Operation], None] = lambda _op: None
) -> BenchOutcome:
    """Time every selected operation; profile the slowest in-process one."""
    from mycelium import __version__  # noqa: PLC0415

    if options.expect_version and options.expect_version != __version__:
        raise UserError(
            f"mycelium {__version__} is installed, not {options.expect_version}: "
            "the figures would describe another build"
        )
    selected = select_operations(options.only)
    settings = options.settings
    started = datetime.now(UTC)
    outside_env, outside_home = dict(os.environ), Path.home()
    results: list[Operation] = []
    profile = None
    with sandbox() as root:
        ctx = QAContext(sandbox=root)
        ground = Ground(ctx, outside_env, outside_home)
        calls: dict[str, tuple[BenchOperation, Call, int]] = {}
        try:
            for op in selected:
                result = _run_one(op, ground, settings, calls)
                results.append(result)
                on_operation(result)
            if options.profile_dir is not None:
                profile = _profile_slowest(results, calls, options.profile_dir)
        finally:
            ctx.close()
    from mycelium.bench.environment import fingerprint  # noqa: PLC0415

    report = PerformanceReport(
        host_alias=options.host_alias,
        origin=options.origin,
        mycelium_version=__version__,
        started_at=started,
        finished_at=datetime.now(UTC),
        fingerprint=fingerprint(),
        tool=TOOL,
        operations=results,
        profile=profile.pstats.name if profile else None,
    )
    return BenchOutcome(report, profile)


def _run_one(
    op: BenchOperation,
    ground: Ground,
    settings: Settings,
    calls: dict[str, tuple[BenchOperation, Call, int]],
) -> Operation:
    base = {"name": op.name, "label": op.label, "kind": op.kind}
    try:
        prepared = op.prepare(ground)
        if isinstance(prepared, Throughput):
            return _throughput(op, prepared, settings)
        if isinstance(prepared, Call):
            measured = measure_call(prepared.func, settings)
            calls[op.name] = (op, prepared, measured.loops)
        else:
            assert isinstance(prepared, Process)  # noqa: S101 - the three kinds
            measured = measure_process(prepared.argv, prepared.env, prepared.cwd, settings)
    except OperationSkippedError as exc:
        return Operation(**base, status=Status.SKIP, reason=str(exc)[:2000])
    except ProcessFailedError as exc:
        return Operation(**base, status=Status.ERROR, reason=str(exc)[:2000])
    except Exception as exc:  # noqa: BLE001 - one broken operation must not end the run
        why = f"{type(exc).__name__}: {exc}"
        return Operation(**base, status=Status.ERROR, reason=why[:2000])
    return _figures(op, measured)


def _figures(op: BenchOperation, measured: Measurement) -> Operation:
    stats = Stats.of(measured.samples_s)
    noise = judge_noise(measured.samples_s)
    found, status = grade(op.name, stats.median)
    return Operation(
        name=op.name,
        label=op.label,
        kind=op.kind,
        status=status,
        reason=f"the median is past the seed's threshold ({found})"
        if status is Status.FAIL
        else None,
        grade=found,
        samples_s=list(measured.samples_s),
        loops=measured.loops,
        warmups=measured.warmups,
        mean_s=stats.mean,
        median_s=stats.median,
        p95_s=stats.p95,
        p99_s=stats.p99,
        min_s=stats.minimum,
        max_s=stats.maximum,
        stdev_s=stats.stdev,
        noise=Noise(
            relative_stdev=noise.relative_stdev,
            outliers=noise.outliers,
            noisy=noise.noisy,
            warning=noise.warning,
        ),
    )


def _throughput(op: BenchOperation, prepared: Throughput, settings: Settings) -> Operation:
    """Run a coordination pattern ``throughput_runs`` times; a sample is seconds per item."""
    from mycelium.coordination import Endpoints, Pattern, run_patterns  # noqa: PLC0415

    normal, quick = PATTERN_SIZES[prepared.pattern]
    size = quick if settings.small else normal
    runs = []
    for _ in range(max(1, settings.throughput_runs)):
        report = run_patterns(
            endpoints=Endpoints(redis_url=prepared.redis_url, postgres_url=None),
            patterns=[Pattern(prepared.pattern)],
            participants=PARTICIPANTS,
            messages=size,
            generations=size,
            timeout_s=PATTERN_TIMEOUT_S,
        )
        result = report.results[0]
        if not result.held or not result.throughput:
            problems = "; ".join(result.problems) or str(result.status)
            return Operation(
                name=op.name, label=op.label, kind=op.kind, status=Status.ERROR,
                reason=f"the pattern did not hold, so its rate means nothing: {problems}"[:2000],
            )  # fmt: skip
        runs.append(result)
    runs.sort(key=lambda r: r.throughput or 0.0)
    middle = runs[len(runs) // 2]
    measured = Measurement(tuple(1.0 / (r.throughput or 1.0) for r in runs), size, 0)
    figures = _figures(op, measured)
    latency = middle.latency
    # Validated, not model_copy(update=...), which would let a bad value into the report.
    return Operation.model_validate(
        {
            **figures.model_dump(),
            "throughput": 1.0 / (figures.median_s or 1.0),
            "throughput_unit": middle.throughput_unit,
            "latency": Latency(
                p50_ms=latency.p50_ms, p95_ms=latency.p95_ms, p99_ms=latency.p99_ms,
                count=latency.count,
            ) if latency else None,
        }
    )  # fmt: skip


def _profile_slowest(
    results: Sequence[Operation],
    calls: dict[str, tuple[BenchOperation, Call, int]],
    directory: Path,
) -> ProfileFiles | None:
    from mycelium.bench.profile import profile_call  # noqa: PLC0415

    candidates = [r for r in results if r.name in calls and calls[r.name][0].profile and r.median_s]
    if not candidates:
        return None
    slowest = max(candidates, key=lambda r: r.median_s or 0.0)
    op, call, loops = calls[slowest.name]
    directory.mkdir(parents=True, exist_ok=True)
    return profile_call(op.name, op.label, call.func, loops, directory)


def write_report(report: PerformanceReport, path: Path) -> None:
    atomic_write(path, (report.model_dump_json(indent=2) + "\n").encode("utf-8"), 0o644)
