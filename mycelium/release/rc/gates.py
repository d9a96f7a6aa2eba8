"""The release gates of ``invoke release`` (QA matrix, bench), reported for the candidate.

They read ``reports/<version>/`` for reports that name the wheel ``invoke release VERSION``
prepared in ``dist/``. Before that wheel exists, or before any report of this version, the
gates are "not run" with the commands that produce the evidence; a report that fails is a
failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mycelium.errors import MyceliumError
from mycelium.release.publish.artifacts import artifacts_in
from mycelium.release.publish.gates import Evidence, GateResult, bench_gate, qa_gate
from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, CheckStatus, failed, not_run

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.release.publish.versions import ReleaseVersion

QA: Final = "qa-gate"
BENCH: Final = "bench-gate"


def _head(project_dir: Path) -> str:
    git = tool("git")
    run = run_tool([git or "git", "rev-parse", "HEAD"], cwd=project_dir, timeout=30)
    return run.stdout.strip() if run.ok else ""


def check_gates(
    project_dir: Path, version: ReleaseVersion, reports_dir: Path, inventory: Path
) -> tuple[CheckResult, CheckResult]:
    artifacts = artifacts_in(project_dir / "dist")
    prepare = f"uv run invoke release {version.semver}"
    if artifacts is None or artifacts.version != version.pep440:
        reason = (
            f"no wheel of {version.pep440} in dist/ yet: `{prepare}` prepares it, then "
            "invoke qa and invoke bench run on it"
        )
        return not_run(QA, reason), not_run(BENCH, reason)
    evidence = Evidence(
        reports_dir=reports_dir,
        wheel=artifacts.wheel,
        wheel_sha256=artifacts.wheel_sha256,
        commit=_head(project_dir),
        inventory=inventory,
    )
    results = []
    wheel = f"dist/{artifacts.wheel.name}"
    for name, gate, pattern, command in (
        (QA, qa_gate, "*/*/qa_report.json", f"uv run invoke qa --hosts all --wheel {wheel}"),
        (BENCH, bench_gate, "*/*/performance_report.json", f"uv run invoke bench --wheel {wheel}"),
    ):
        if not any(reports_dir.glob(pattern)):
            results.append(not_run(name, f"no report of {version.pep440} yet: {command}"))
            continue
        try:
            results.append(_as_check(name, gate(evidence)))
        except MyceliumError as exc:
            results.append(failed(name, str(exc)))
    return results[0], results[1]


def _as_check(name: str, gate: GateResult) -> CheckResult:
    status = CheckStatus.PASS if gate.passed else CheckStatus.FAIL
    summary = (
        f"{sum(line.startswith('✔') for line in gate.lines)} report(s) of this wheel pass"
        if gate.passed
        else f"{len(gate.problems)} problem(s); then: {'; '.join(gate.commands)}"
    )
    return CheckResult(name, status, summary, gate.lines)
