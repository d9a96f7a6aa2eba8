"""Synthetic ``performance_report.json`` contents for the maintainer side's unit tests."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mycelium.bench.grading import grade
from mycelium.bench.report import Fingerprint, Noise, Operation, PerformanceReport
from mycelium.qa.report import Origin

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SHA = "a" * 64
FINGERPRINT = Fingerprint(
    cpu_model="Test CPU 3000",
    cpu_count=2,
    python_implementation="CPython",
    python_version="3.11.9",
    python_build="main",
    platform="Linux-6.1.0-x86_64-with-glibc2.36",
    machine="x86_64",
    load_average=(0.5, 0.5, 0.5),
    cpu_governor=None,
    turbo=None,
)


def timings(median_s: float, n: int, *, seed: int, spread: float = 0.05) -> list[float]:
    """``n`` skewed timings around ``median_s``: log-normal noise, as real timings have."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    return [median_s * rng.lognormvariate(0.0, spread) for _ in range(n)]


def operation(name: str, samples: Sequence[float], **extra: object) -> Operation:
    median = statistics.median(samples) if samples else None
    found, status = grade(name, median) if median is not None else (None, "skip")
    fields: dict[str, object] = {
        "name": name,
        "label": name.replace("_", " "),
        "kind": "call",
        "status": status,
        "grade": found,
        "samples_s": list(samples),
        "loops": 1,
        "median_s": median,
        "mean_s": statistics.fmean(samples) if samples else None,
        "p95_s": max(samples) if samples else None,
        **extra,
    }
    return Operation.model_validate(fields)


def report(
    samples: Mapping[str, Sequence[float]],
    *,
    run_id: str = "run123",
    sha: str = SHA,
    version: str = "1.0.0",
    fingerprint: Fingerprint = FINGERPRINT,
    **extra: object,
) -> PerformanceReport:
    now = datetime.now(tz=UTC)
    return PerformanceReport(
        host_alias="h",
        origin=Origin(run_id=run_id, wheel_sha256=sha),
        mycelium_version=version,
        started_at=now,
        finished_at=now,
        fingerprint=fingerprint,
        tool="test",
        operations=[operation(name, values) for name, values in samples.items()],
        **extra,
    )


def noisy(op: Operation) -> Operation:
    return op.model_copy(update={"noise": Noise(relative_stdev=0.3, outliers=2, noisy=True)})
