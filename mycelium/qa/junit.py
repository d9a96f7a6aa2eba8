"""JUnit XML for CI systems: one testcase per check, grouped by category."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from mycelium.fileio import atomic_write
from mycelium.qa.report import QAReport, Status

if TYPE_CHECKING:
    from pathlib import Path

_TAGS = {Status.FAIL: "failure", Status.ERROR: "error", Status.SKIP: "skipped"}


def report_suite(report: QAReport, suite_name: str) -> ET.Element:
    """A ``<testsuite>`` with one ``<testcase>`` per check of ``report``."""
    summary = report.summary
    suite = ET.Element(
        "testsuite",
        name=suite_name,
        tests=str(summary.total),
        failures=str(summary.failed),
        errors=str(summary.errors),
        skipped=str(summary.skipped),
        time=f"{sum(r.duration for r in report.results):.3f}",
        timestamp=report.started_at.isoformat(),
    )
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{suite_name}.{result.category}",
            name=result.test,
            time=f"{result.duration:.3f}",
        )
        tag = _TAGS.get(result.status)
        if tag:
            ET.SubElement(case, tag, message=result.error or "")
    return suite


def xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def to_junit(report: QAReport, suite_name: str = "mycelium-qa") -> bytes:
    return xml_bytes(report_suite(report, suite_name))


def write_junit(report: QAReport, path: Path) -> None:
    atomic_write(path, to_junit(report), 0o644)
