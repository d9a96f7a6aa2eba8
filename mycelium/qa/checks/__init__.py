"""The checklist, category by category, in the order a report lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.qa.checks import (
    configuration,
    coordination,
    detection,
    generation,
    installation,
    performance,
    platform_checks,
    wizard,
)

if TYPE_CHECKING:
    from mycelium.qa.checklist import Check

CATEGORIES: tuple[str, ...] = (
    "installation",
    "detection",
    "wizard",
    "configuration",
    "generation",
    "coordination",
    "platform",
    "performance",
)


def all_checks() -> list[Check]:
    return [
        *installation.CHECKS,
        *detection.CHECKS,
        *wizard.CHECKS,
        *configuration.CHECKS,
        *generation.CHECKS,
        *coordination.CHECKS,
        *platform_checks.CHECKS,
        *performance.CHECKS,
    ]
