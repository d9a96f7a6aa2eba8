"""What a pattern run ends with: a status, its figures and the evidence behind them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from mycelium.status import Status

__all__ = ["Backend", "Latency", "Pattern", "PatternResult", "RunReport", "Status"]


class Pattern(StrEnum):
    PUBSUB = "pubsub"
    TASKQUEUE = "taskqueue"
    BARRIER = "barrier"


class Backend(StrEnum):
    REDIS = "redis"
    POSTGRES = "postgres"


@dataclass(frozen=True)
class Latency:
    """Percentiles in milliseconds over ``count`` samples."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    count: int

    @classmethod
    def from_ns(cls, samples: list[int]) -> Latency | None:
        if not samples:
            return None
        ordered = sorted(samples)

        def pick(q: float) -> float:
            # Nearest-rank percentile: always an observed value, never an interpolation.
            rank = max(1, math.ceil(q * len(ordered)))
            return ordered[rank - 1] / 1e6

        return cls(pick(0.50), pick(0.95), pick(0.99), len(ordered))


@dataclass(frozen=True)
class PatternResult:
    """One pattern on one backend.

    ``problems`` is the evidence of a failure or error, one line each; ``details`` are
    figures a reader may want (redeliveries, generations) as plain data.
    """

    pattern: Pattern
    backend: Backend
    participants: int
    status: Status
    duration_s: float
    throughput: float | None = None
    throughput_unit: str = ""
    latency: Latency | None = None
    latency_label: str = ""
    problems: tuple[str, ...] = ()
    details: dict[str, int | float | str] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        return self.status is Status.PASS


@dataclass(frozen=True)
class RunReport:
    run_id: str
    results: tuple[PatternResult, ...]

    @property
    def held(self) -> bool:
        """True only when every selected pattern ran and held its guarantee."""
        return bool(self.results) and all(result.held for result in self.results)
