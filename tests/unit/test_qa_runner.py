"""The QA runner: every outcome a check can have becomes the right row, hangs included."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import UsageError
from mycelium.qa.checklist import Check, CheckFailedError, CheckSkippedError, QAContext, check
from mycelium.qa.junit import to_junit
from mycelium.qa.report import QAReport, Status, Summary
from mycelium.qa.run import QAOptions, run_qa, select_checks
from mycelium.qa.runner import run_check
from mycelium.qa.scrub import Scrubber

if TYPE_CHECKING:
    from pathlib import Path

NO_SCRUB = Scrubber(())
release = threading.Event()


@check("demo")
def passes(_ctx: QAContext) -> dict[str, object]:
    return {"answer": 42}


@check("demo")
def fails(_ctx: QAContext) -> None:
    raise CheckFailedError("the product is wrong", {"seen": 1})


@check("demo")
def skips(_ctx: QAContext) -> None:
    raise CheckSkippedError("no redis-server on PATH")


@check("demo")
def breaks(_ctx: QAContext) -> None:
    raise KeyError("oops")


@check("demo", timeout_s=0.2)
def hangs(_ctx: QAContext) -> None:
    release.wait(5)


def run_one(item: Check, tmp_path: Path) -> tuple[Status, str | None, dict[str, object]]:
    result = run_check(item, QAContext(sandbox=tmp_path), NO_SCRUB)
    return result.status, result.error, result.details


def test_each_outcome_maps_to_its_status(tmp_path: Path) -> None:
    assert run_one(passes, tmp_path) == (Status.PASS, None, {"answer": 42})
    assert run_one(fails, tmp_path) == (Status.FAIL, "the product is wrong", {"seen": 1})
    assert run_one(skips, tmp_path) == (Status.SKIP, "no redis-server on PATH", {})
    assert run_one(breaks, tmp_path) == (Status.ERROR, "KeyError: 'oops'", {})


def test_a_hanging_check_is_cut_by_its_timeout_and_reported_as_error(tmp_path: Path) -> None:
    try:
        assert run_one(hangs, tmp_path) == (Status.ERROR, "timed out after 0.2s", {})
    finally:
        release.set()


def test_summary_counts_and_pass_rate_leave_skips_out() -> None:
    report, _ = run_qa(QAOptions(), checks=[passes, fails, skips, breaks])
    assert report.summary == Summary(
        total=4, passed=1, failed=1, skipped=1, errors=1, pass_rate=0.3333
    )
    assert not report.ok
    assert QAReport.model_validate_json(report.model_dump_json()) == report


def test_the_sandbox_is_removed_unless_kept() -> None:
    seen: list[Path] = []

    @check("demo")
    def remember(ctx: QAContext) -> None:
        seen.append(ctx.sandbox)

    run_qa(QAOptions(), checks=[remember])
    assert not seen[0].exists()
    _, kept = run_qa(QAOptions(keep=True), checks=[remember])
    assert kept == seen[1]
    assert kept.is_dir()


def test_only_selects_categories_and_rejects_unknown_ones() -> None:
    chosen = select_checks(["platform"])
    assert chosen
    assert {c.category for c in chosen} == {"platform"}
    with pytest.raises(UsageError, match="unknown category nope; choose from installation"):
        select_checks(["nope"])


def test_junit_has_one_testcase_per_check_with_its_outcome() -> None:
    report, _ = run_qa(QAOptions(), checks=[passes, fails, skips, breaks])
    suite = ET.fromstring(to_junit(report))
    assert suite.attrib["tests"] == "4"
    assert suite.attrib["failures"] == "1"
    assert suite.attrib["errors"] == "1"
    kinds = {case.attrib["name"]: [child.tag for child in case] for case in suite}
    assert kinds == {"passes": [], "fails": ["failure"], "skips": ["skipped"], "breaks": ["error"]}


def test_the_help_lists_every_category() -> None:
    from mycelium.cli.qa import CATEGORIES as SHOWN
    from mycelium.qa.checks import CATEGORIES

    assert ", ".join(CATEGORIES) == SHOWN
