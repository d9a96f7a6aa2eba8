"""The targets of every benchmarked operation: the one table the harness, the QA checklist
and ``invoke bench`` read (DESIGN.md, "Benchmarks").

Columns: the seed's target, acceptable and threshold, and our own (tighter) goal. Past the
seed's threshold an operation fails ``mycelium-bench`` and the QA performance check.
Times are in seconds; ``None`` where the seed sets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Grade(StrEnum):
    """Where a median falls in the targets table, best first."""

    GOAL = "goal"  # within our own goal
    TARGET = "target"  # within the seed's target
    ACCEPTABLE = "acceptable"  # within the seed's acceptable
    SLOW = "slow"  # within the seed's threshold, past acceptable
    OVER = "over"  # past the seed's threshold: a failure
    UNTARGETED = "untargeted"  # measured, no target set


@dataclass(frozen=True)
class Target:
    label: str  # as DESIGN.md's table names it
    goal_s: float | None
    seed_s: float | None = None
    acceptable_s: float | None = None
    threshold_s: float | None = None

    def grade(self, median_s: float) -> Grade:
        for limit, grade in (
            (self.goal_s, Grade.GOAL),
            (self.seed_s, Grade.TARGET),
            (self.acceptable_s, Grade.ACCEPTABLE),
            (self.threshold_s, Grade.SLOW),
        ):
            if limit is not None and median_s <= limit:
                return grade
        if self.threshold_s is not None:
            return Grade.OVER
        return Grade.UNTARGETED if self.goal_s is None else Grade.SLOW


MS: Final = 1e-3

TARGETS: Final[dict[str, Target]] = {
    "docker_detection": Target("Docker detection", 5 * MS, 50 * MS, 100 * MS, 200 * MS),
    "redis_detection": Target("Redis detection", 2 * MS, 30 * MS, 50 * MS, 100 * MS),
    "full_scan": Target("Full infrastructure scan", 20 * MS, 200 * MS, 500 * MS, 1000 * MS),
    "config_validation": Target("Configuration validation", 0.2 * MS, 10 * MS, 20 * MS, 50 * MS),
    "compose_generation": Target("Docker Compose generation", 2 * MS, 20 * MS, 50 * MS, 100 * MS),
    "justfile_generation": Target("Justfile generation", 2 * MS, 20 * MS, 50 * MS, 100 * MS),
    "wizard_flow": Target(
        "Wizard complete flow (non-interactive, whole process)", 250 * MS, 5.0, 10.0, 20.0
    ),
    "detect_json": Target("`mycelium-onboarding --detect --json` (whole process)", 120 * MS),
    "cli_help": Target("A product CLI's `--help` (whole process)", 60 * MS),
    "telemetry_cost": Target("Telemetry cost with the collector down", 50 * MS),
}
