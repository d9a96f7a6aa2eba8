"""The checklist, category by category, in the order a report lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.qa.checks import configuration, installation, platform_checks

if TYPE_CHECKING:
    from mycelium.qa.checklist import Check

CATEGORIES: tuple[str, ...] = ("installation", "configuration", "platform")


def all_checks() -> list[Check]:
    return [*installation.CHECKS, *configuration.CHECKS, *platform_checks.CHECKS]
