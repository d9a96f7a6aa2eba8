"""Known vulnerabilities in the locked runtime dependencies (pip-audit), honestly.

The requirements come from ``uv.lock`` (``uv export --no-dev``, pinned); pip-audit asks its
vulnerability service about each. pip-audit exits 0 and prints "No known vulnerabilities
found" even when it could not ask about a single package (each is then "skipped": "not
found on PyPI and could not be audited"). So the verdict reads the JSON: a vulnerability is
a failure; a package it could not audit makes the check "not run" with pip-audit's own
reason; only every package audited and none vulnerable is a pass. The run is bounded.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, failed, not_run, passed

if TYPE_CHECKING:
    from pathlib import Path

NAME: Final = "pip-audit"
TIMEOUT_S: Final = 180.0
REQUEST_TIMEOUT_S: Final = 15


def judge(report: dict[str, Any], service: str) -> CheckResult:
    """The verdict on pip-audit's JSON report (``-f json``)."""
    deps = [d for d in report.get("dependencies", []) if isinstance(d, dict)]
    vulnerable = [
        f"✘ {d.get('name')} {d.get('version')}: "
        + ", ".join(
            f"{v.get('id')} (fixed in {', '.join(v.get('fix_versions') or []) or 'no release'})"
            for v in d.get("vulns", [])
        )
        for d in deps
        if d.get("vulns")
    ]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    if vulnerable:
        return failed(
            NAME,
            f"{len(vulnerable)} vulnerable runtime dependencies: upgrade them in uv.lock",
            *vulnerable,
            audited=audited,
        )
    if not deps:
        return not_run(NAME, "pip-audit reported no dependency at all")
    if skipped:
        reason = str(skipped[0].get("skip_reason"))
        return not_run(
            NAME,
            f"{len(skipped)} of {len(deps)} packages could not be audited against {service} "
            f"(no answer from the vulnerability service: pip-audit says {reason!r}); "
            + (f"{audited} audited, none of them vulnerable" if audited else "none audited"),
            *(f"– {d.get('name')}: {d.get('skip_reason')}" for d in skipped),
        )
    return passed(
        NAME,
        f"{audited} locked runtime dependencies audited against {service}: no known vulnerability",
        audited=audited,
    )


def check_audit(project_dir: Path, scratch: Path, service: str = "pypi") -> CheckResult:
    """The ``pip-audit`` check of the locked runtime dependencies."""
    uv = tool("uv")
    audit = tool("pip-audit")
    if uv is None or audit is None:
        return not_run(NAME, "uv or pip-audit is not installed: run `uv sync` (dev group)")
    exported = run_tool(
        [uv, "export", "--no-dev", "--no-emit-project", "--format", "requirements.txt",
         "--frozen", "--no-header", "--quiet"],
        cwd=project_dir,
        timeout=120,
    )  # fmt: skip
    if not exported.ok:
        return failed(NAME, f"uv export failed: {exported.tail(5)}")
    requirements = scratch / "runtime-requirements.txt"
    requirements.write_text(exported.stdout, encoding="utf-8")
    run = run_tool(
        [audit, "-r", str(requirements), "--no-deps", "--disable-pip", "--progress-spinner",
         "off", "-f", "json", "-s", service, "--timeout", str(REQUEST_TIMEOUT_S)],
        cwd=project_dir,
        timeout=TIMEOUT_S,
    )  # fmt: skip
    if run.timed_out:
        return not_run(NAME, f"pip-audit got no answer within {TIMEOUT_S:g} s (no network?)")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        last = run.tail(1) or "no output"
        return not_run(NAME, f"pip-audit could not reach {service} ({last})")
    return judge(report, service)
