"""``performance_report.json``: what ``mycelium-bench`` measured on one host and interpreter.

The contract between ``mycelium-bench`` on a host and ``invoke bench`` on the maintainer's
machine, which reads it as untrusted input: every string is bounded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mycelium.bench.targets import Grade
from mycelium.qa.report import HostAlias, Label, Name, Origin, Token
from mycelium.status import Status

PERFORMANCE_SCHEMA_VERSION: Final = 1
Text = Annotated[str, StringConstraints(max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fingerprint(_Model):
    """The environment a figure was measured in; comparisons need the same one."""

    cpu_model: Label
    cpu_count: int
    python_implementation: Label
    python_version: Label
    python_build: Label
    platform: Label  # e.g. Linux-6.1.0-x86_64-with-glibc2.36
    machine: Label
    load_average: tuple[float, float, float] | None
    cpu_governor: Label | None  # None: not readable on this host
    turbo: Label | None  # None: not readable on this host


class Noise(_Model):
    """How far a figure can be trusted."""

    relative_stdev: float  # stdev / mean
    outliers: int  # samples beyond 1.5 IQR of the quartiles
    noisy: bool
    warning: Text | None = None


class Latency(_Model):
    p50_ms: float
    p95_ms: float
    p99_ms: float
    count: int


class Operation(_Model):
    """One benchmarked operation: its samples, their statistics, and its grade."""

    name: Name  # a key of mycelium.bench.targets.TARGETS, or another checklist-shaped name
    label: Text
    kind: Literal["call", "process", "throughput"]
    status: Status  # pass: measured (and not over the threshold); fail: over; skip; error
    reason: Text | None = None  # for skip and error: why
    grade: Grade | None = None
    # Times in seconds, per single operation (a sample's time divided by its loops).
    samples_s: list[float] = Field(default_factory=list, max_length=10_000)
    loops: int = 0
    warmups: int = 0
    mean_s: float | None = None
    median_s: float | None = None
    p95_s: float | None = None
    p99_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    stdev_s: float | None = None
    noise: Noise | None = None
    # kind "throughput" (coordination patterns): items per second and their latency.
    throughput: float | None = None
    throughput_unit: Label | None = None  # msg/s, tasks/s, gen/s
    latency: Latency | None = None


class PerformanceReport(_Model):
    schema_version: Literal[1] = PERFORMANCE_SCHEMA_VERSION
    kind: Literal["mycelium-performance-report"] = "mycelium-performance-report"
    host_alias: HostAlias | None = None
    origin: Origin = Field(default_factory=Origin)
    mycelium_version: Token
    started_at: datetime
    finished_at: datetime
    fingerprint: Fingerprint
    tool: Text  # what measured: e.g. "pyperf 2.8.1" or "mycelium.bench (perf_counter)"
    operations: list[Operation] = Field(max_length=200)
    profile: Text | None = None  # file name of the .pstats next to the report, if any

    @property
    def ok(self) -> bool:
        return not any(op.status in {Status.FAIL, Status.ERROR} for op in self.operations)
