"""Detection: what runs on this machine, found by speaking each service's protocol."""

from __future__ import annotations

from mycelium.detection.detector import DEFAULT_TIMEOUT_S, InfraDetector, Targets
from mycelium.detection.results import PlatformInfo, ProbeResult, RunsIn, ScanResult, Status

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "InfraDetector",
    "PlatformInfo",
    "ProbeResult",
    "RunsIn",
    "ScanResult",
    "Status",
    "Targets",
]
