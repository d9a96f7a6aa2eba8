"""``mycelium-qa`` as a function: select checks, run them in a sandbox, build the report."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mycelium.errors import UsageError
from mycelium.fileio import atomic_write
from mycelium.qa.checklist import Check, QAContext
from mycelium.qa.checks import CATEGORIES, all_checks
from mycelium.qa.platform_info import current_platform
from mycelium.qa.report import CheckResult, Origin, QAReport, Summary
from mycelium.qa.runner import run_checks
from mycelium.qa.sandbox import sandbox
from mycelium.qa.scrub import Scrubber

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


@dataclass(frozen=True)
class QAOptions:
    only: Sequence[str] = ()
    expect_version: str | None = None
    keep: bool = False
    host_alias: str | None = None
    origin: Origin = field(default_factory=Origin)


def select_checks(only: Sequence[str], checks: Sequence[Check] | None = None) -> list[Check]:
    """The checks of the named categories (all when ``only`` is empty), in report order."""
    pool = list(all_checks() if checks is None else checks)
    unknown = sorted(set(only) - set(CATEGORIES))
    if unknown:
        raise UsageError(
            f"unknown category {', '.join(unknown)}; choose from {', '.join(CATEGORIES)}"
        )
    return [c for c in pool if not only or c.category in only]


def run_qa(
    options: QAOptions,
    on_result: Callable[[CheckResult], None] = lambda _r: None,
    checks: Sequence[Check] | None = None,
) -> tuple[QAReport, Path | None]:
    """Run the checklist; returns the report and the kept sandbox (``--keep``) if any."""
    from mycelium import __version__  # noqa: PLC0415

    selected = select_checks(options.only, checks)
    started = datetime.now(UTC)
    outside_env, outside_home = dict(os.environ), Path.home()
    with sandbox(keep=options.keep) as root:
        scrubber = Scrubber.for_host(root)
        ctx = QAContext(
            sandbox=root,
            expect_version=options.expect_version,
            outside_env=outside_env,
            outside_home=outside_home,
        )
        try:
            results = run_checks(selected, ctx, scrubber, on_result)
        finally:
            ctx.close()
    report = QAReport(
        host_alias=options.host_alias,
        origin=options.origin,
        platform=current_platform(),
        mycelium_version=__version__,
        started_at=started,
        finished_at=datetime.now(UTC),
        results=results,
        summary=Summary.of(results),
    )
    return report, root if options.keep else None


def write_report(report: QAReport, path: Path) -> None:
    atomic_write(path, (report.model_dump_json(indent=2) + "\n").encode("utf-8"), 0o644)
