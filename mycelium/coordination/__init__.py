"""Coordination tests: pub/sub, task queue and barrier, checked against live services."""

from __future__ import annotations

from mycelium.coordination.endpoints import Endpoints, choose
from mycelium.coordination.errors import ServiceUnavailableError
from mycelium.coordination.results import Latency, PatternResult, RunReport, Status
from mycelium.coordination.runner import Pattern, run_patterns

__all__ = [
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
