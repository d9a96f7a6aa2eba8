"""The ``qa_report.json`` schema: what one host says about one interpreter.

The maintainer side validates every report it fetches against this model, so the model is
the contract between ``mycelium-qa`` on a host and ``invoke qa`` on the maintainer's machine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from mycelium.status import Status

__all__ = ["REPORT_SCHEMA_VERSION", "CheckResult", "Origin", "QAReport", "Status", "Summary"]

REPORT_SCHEMA_VERSION: Final = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Origin(_Model):
    """Proof of where a report comes from; a stale report does not match the current run."""

    run_id: str | None = None
    wheel_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    git_commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{7,40}$")


class PlatformInfo(_Model):
    os: str
    os_version: str
    distro: str | None
    python_version: str
    architecture: str
    wsl: bool


class CheckResult(_Model):
    test: str
    category: str
    status: Status
    duration: float = Field(ge=0, description="seconds")
    error: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Summary(_Model):
    total: int
    passed: int
    failed: int
    skipped: int
    errors: int
    pass_rate: float = Field(ge=0, le=1, description="passed / (total - skipped)")

    @classmethod
    def of(cls, results: list[CheckResult]) -> Summary:
        counts = {status: sum(r.status is status for r in results) for status in Status}
        ran = len(results) - counts[Status.SKIP]
        return cls(
            total=len(results),
            passed=counts[Status.PASS],
            failed=counts[Status.FAIL],
            skipped=counts[Status.SKIP],
            errors=counts[Status.ERROR],
            pass_rate=round(counts[Status.PASS] / ran, 4) if ran else 0.0,
        )


class QAReport(_Model):
    schema_version: Literal[1] = REPORT_SCHEMA_VERSION
    host_alias: str | None = None
    origin: Origin = Field(default_factory=Origin)
    platform: PlatformInfo
    mycelium_version: str
    started_at: datetime
    finished_at: datetime
    results: list[CheckResult]
    summary: Summary

    @property
    def ok(self) -> bool:
        return self.summary.failed == 0 and self.summary.errors == 0
