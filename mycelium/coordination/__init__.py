"""Coordination tests: pub/sub, task queue and barrier, checked against live services."""

from __future__ import annotations

from mycelium.coordination.endpoints import Endpoints, choose
from mycelium.coordination.errors import ServiceUnavailableError
from mycelium.coordination.results import (
    Backend,
    Latency,
    Pattern,
    PatternResult,
    RunReport,
    Status,
)
from mycelium.coordination.runner import run_patterns

__all__ = [
    "Backend",
    "Endpoints",
    "Latency",
    "Pattern",
    "PatternResult",
    "RunReport",
    "ServiceUnavailableError",
    "Status",
    "choose",
    "run_patterns",
]
