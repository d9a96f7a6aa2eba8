"""What every release-candidate check returns: pass, fail, or not run with the reason.

A check that could not look (no network, a tool missing, no evidence yet) is ``not-run``
with a reason a person can act on, never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    NOT_RUN = "not-run"

    @property
    def mark(self) -> str:
        return _MARKS[self]


_MARKS = {CheckStatus.PASS: "✔", CheckStatus.FAIL: "✘", CheckStatus.NOT_RUN: "–"}


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict, its one-line summary, the evidence lines and figures."""

    name: str
    status: CheckStatus
    summary: str
    details: tuple[str, ...] = ()
    figures: dict[str, float | int | str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def line(self) -> str:
        word = "not run" if self.status is CheckStatus.NOT_RUN else self.status.value
        return f"{self.status.mark} {self.name}: {word}: {self.summary}"


def passed(name: str, summary: str, *details: str, **figures: float | str) -> CheckResult:
    return CheckResult(name, CheckStatus.PASS, summary, tuple(details), dict(figures))


def failed(name: str, summary: str, *details: str, **figures: float | str) -> CheckResult:
    return CheckResult(name, CheckStatus.FAIL, summary, tuple(details), dict(figures))


def not_run(name: str, reason: str, *details: str) -> CheckResult:
    return CheckResult(name, CheckStatus.NOT_RUN, reason, tuple(details))


def verdict(
    name: str, problems: list[str], ok: str, bad: str, **figures: float | str
) -> CheckResult:
    """A pass when ``problems`` is empty, else a fail listing them."""
    if problems:
        return failed(name, bad, *problems, **figures)
    return passed(name, ok, **figures)
