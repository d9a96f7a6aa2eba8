"""The one status vocabulary of every check Mycelium runs and reports.

QA checks (``qa_report.json``), coordination patterns (``mycelium-test --json``) and the
maintainer's matrix read and write these strings; reports and metrics depend on them, so
they are defined once, here, in a module that imports nothing of ours.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"  # the product is wrong: a check found a broken guarantee
    SKIP = "skip"  # the host lacks a capability, or the service is not configured
    ERROR = "error"  # the check itself could not finish (timeout, connection lost)

    @property
    def mark(self) -> str:
        return _MARKS[self]


_MARKS = {Status.PASS: "✓", Status.FAIL: "✗", Status.SKIP: "–", Status.ERROR: "!"}
