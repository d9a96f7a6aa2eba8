"""The ``qa_report.json`` schema: what one host says about one interpreter.

The maintainer side validates every report it fetches against this model, so the model is
the contract between ``mycelium-qa`` on a host and ``invoke qa`` on the maintainer's machine.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from mycelium.status import Status

__all__ = ["REPORT_SCHEMA_VERSION", "CheckResult", "Origin", "QAReport", "Status", "Summary"]

REPORT_SCHEMA_VERSION: Final = 1


# A report comes from a host and is read on the maintainer's machine: every string in it is
# bounded, and the ones shown in tables are of the checklist's own shape.
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Label = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f-\x9f]{0,128}$")]
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@+!-]{0,127}$")]
MAX_ERROR_CHARS: Final = 20_000
# An inventory alias: one plain path component (the maintainer side files reports under it).
HOST_ALIAS_PATTERN: Final = r"^(?!\.\.?$)(?!-)[A-Za-z0-9._@+:\[\]-]{1,128}$"


def _host_alias(value: str) -> str:
    # pydantic's own regex engine has no lookahead: this one is checked with Python's.
    if not re.match(HOST_ALIAS_PATTERN, value):
        raise ValueError("not an inventory alias (letters, digits and . _ - @ : only)")
    return value


HostAlias = Annotated[str, AfterValidator(_host_alias)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Origin(_Model):
    """Proof of where a report comes from; a stale report does not match the current run."""

    run_id: Token | None = None
    wheel_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    git_commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{7,40}$")


class PlatformInfo(_Model):
    os: Label
    os_version: Label
    distro: Label | None
    python_version: Label
    architecture: Label
    wsl: bool
    container: bool = False  # ran in a container: the distro is the image's, not the kernel's


class CheckResult(_Model):
    test: Name
    category: Name
    status: Status
    duration: float = Field(ge=0, description="seconds")
    error: str | None = Field(default=None, max_length=MAX_ERROR_CHARS)
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
    host_alias: HostAlias | None = None
    origin: Origin = Field(default_factory=Origin)
    platform: PlatformInfo
    mycelium_version: Token
    started_at: datetime
    finished_at: datetime
    results: list[CheckResult] = Field(max_length=1000)
    summary: Summary

    @property
    def ok(self) -> bool:
        return self.summary.failed == 0 and self.summary.errors == 0
