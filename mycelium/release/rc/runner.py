"""``invoke rc VERSION``: every check of the release-candidate checklist, one report.

Each check is its own module returning a frozen :class:`CheckResult`; this module runs the
selected ones in order (a check that raises is a failure with the error, never a pass),
writes ``reports/<version>/rc_report.json`` and ``rc_report.md`` (and the SBOM beside
them), and says whether any failed. ``--only`` / ``--skip`` narrow the run; a check left
out is reported as "not run: left out by --only/--skip".
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.errors import MyceliumError, UsageError
from mycelium.fileio import atomic_write
from mycelium.release.publish.versions import ReleaseVersion
from mycelium.release.qa.layout import contained
from mycelium.release.rc import (
    actionlint,
    audit,
    bandit,
    composelint,
    docs,
    licenses,
    package,
    privacy,
    quality,
    sbom,
    secrets,
)
from mycelium.release.rc import gates as rc_gates
from mycelium.release.rc.context import RCContext
from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, CheckStatus, failed, not_run

if TYPE_CHECKING:
    from collections.abc import Callable

REPORT_JSON: Final = "rc_report.json"
REPORT_MD: Final = "rc_report.md"
CHECKS: Final = (
    "tests", "lint", "actionlint", "bandit", "compose-security", "secrets", "pip-audit",
    "licenses", "sbom", "package", "docs", "privacy", "qa-gate", "bench-gate",
)  # fmt: skip
# What no machine here can tick: the short, honest manual list printed with every report.
MANUAL: Final = (
    (
        "Read the docs changed since the last release for accuracy (the docs check proves the "
        "runnable blocks and the links, not the prose)."
    ),
    (
        "Triage the beta feedback: `uv run invoke beta VERSION` (a final release refuses while a "
        "Critical or High beta bug is open)."
    ),
    (
        "Check the QA matrix covers Linux, macOS and WSL2 hosts (`mycelium_required` in the "
        "inventory); a platform without a host is untested."
    ),
    (
        "Where pip-audit was not run, audit the locked runtime dependencies from a machine that "
        "reaches the vulnerability service."
    ),
)


@dataclass(frozen=True)
class RCOptions:
    project_dir: Path
    version: str
    reports: Path = Path("reports")
    inventory: Path = Path("inventory/hosts.yml")
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    test_paths: tuple[str, ...] = ("tests",)


@dataclass(frozen=True)
class RCReport:
    version: str  # PEP 440
    semver: str
    commit: str
    created: str
    seconds: float
    checks: tuple[CheckResult, ...]
    manual: tuple[str, ...]
    json_path: Path
    md_path: Path
    sbom_path: Path | None

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.FAIL)

    @property
    def ok(self) -> bool:
        return not self.failed


def selected(only: tuple[str, ...], skip: tuple[str, ...]) -> tuple[str, ...]:
    """The checks to run; an unknown name is a usage error listing the known ones."""
    for flag, names in (("--only", only), ("--skip", skip)):
        unknown = [n for n in names if n not in CHECKS]
        if unknown:
            raise UsageError(
                f"{flag}: unknown check {unknown[0][:40]!r}; the checks are {', '.join(CHECKS)}"
            )
    chosen = [c for c in CHECKS if (not only or c in only) and c not in skip]
    if not chosen:
        raise UsageError("--only/--skip leave no check to run")
    return tuple(chosen)


def _commit(project_dir: Path) -> str:
    run = run_tool([tool("git") or "git", "rev-parse", "HEAD"], cwd=project_dir, timeout=30)
    return run.stdout.strip() if run.ok else ""


def run_rc(options: RCOptions) -> RCReport:
    """Run the selected checks and write the report.

    Raises:
        UsageError: a bad version, check name or reports directory (nothing written).
    """
    version = ReleaseVersion.parse(options.version)
    chosen = selected(options.only, options.skip)
    project = options.project_dir.resolve()
    root = options.reports if options.reports.is_absolute() else project / options.reports
    try:
        reports_dir = contained(root, version.pep440)
    except MyceliumError as exc:
        raise UsageError(f"--reports: {exc}") from None
    inventory = (
        options.inventory if options.inventory.is_absolute() else project / options.inventory
    )
    started = time.monotonic()
    results: dict[str, CheckResult] = {}
    sbom_path = reports_dir / sbom.SBOM_NAME
    with tempfile.TemporaryDirectory(prefix="mycelium-rc-") as tmp:
        ctx = RCContext(project_dir=project, version=version, reports_dir=reports_dir,
                        scratch=Path(tmp))  # fmt: skip
        runners = _runners(ctx, options, inventory, sbom_path)
        gate_results: tuple[CheckResult, CheckResult] | None = None
        for name in CHECKS:
            if name not in chosen:
                results[name] = not_run(name, "left out by --only/--skip")
                continue
            begun = time.monotonic()
            try:
                if name in {rc_gates.QA, rc_gates.BENCH}:
                    if gate_results is None:
                        gate_results = rc_gates.check_gates(project, version, reports_dir,
                                                            inventory)  # fmt: skip
                    result = gate_results[0] if name == rc_gates.QA else gate_results[1]
                else:
                    result = runners[name]()
            except (MyceliumError, OSError, ValueError) as exc:
                result = failed(name, f"the check itself failed: {exc}")
            results[name] = CheckResult(
                result.name, result.status, result.summary, result.details, result.figures,
                round(time.monotonic() - begun, 1),
            )  # fmt: skip
    report = RCReport(
        version=version.pep440,
        semver=version.semver,
        commit=_commit(project),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.monotonic() - started, 1),
        checks=tuple(results[name] for name in CHECKS),
        manual=MANUAL,
        json_path=reports_dir / REPORT_JSON,
        md_path=reports_dir / REPORT_MD,
        sbom_path=sbom_path if sbom_path.is_file() and "sbom" in chosen else None,
    )
    write_report(report)
    return report


def _runners(
    ctx: RCContext, options: RCOptions, inventory: Path, sbom_path: Path
) -> dict[str, Callable[[], CheckResult]]:
    project = ctx.project_dir
    del inventory

    def archives() -> tuple[Path, ...]:
        built = ctx.dist()
        return (built.wheel, built.sdist)

    def package_check() -> CheckResult:
        built = ctx.dist()
        return package.check_package(built.wheel, built.sdist, built.checksums, cwd=project)

    return {
        "tests": lambda: quality.check_tests(project, ctx.scratch, paths=options.test_paths),
        "lint": lambda: quality.check_lint(project),
        "actionlint": lambda: actionlint.check_actionlint(project),
        "bandit": lambda: bandit.check_bandit(project),
        "compose-security": composelint.check_compose_security,
        "secrets": lambda: secrets.check_secrets(project, archives()),
        "pip-audit": lambda: audit.check_audit(project, ctx.scratch),
        "licenses": lambda: licenses.check_licenses(project),
        "sbom": lambda: sbom.check_sbom(project, sbom_path, ctx.version.pep440),
        "package": package_check,
        "docs": lambda: docs.check_docs(project),
        "privacy": lambda: privacy.check_privacy(project),
    }


def report_data(report: RCReport) -> dict[str, object]:
    counts = {s.value: sum(c.status is s for c in report.checks) for s in CheckStatus}
    return {
        "schema_version": 1,
        "version": report.version,
        "semver": report.semver,
        "commit": report.commit,
        "created": report.created,
        "seconds": report.seconds,
        "ok": report.ok,
        "counts": counts,
        "checks": [
            {**asdict(c), "status": c.status.value, "details": list(c.details)}
            for c in report.checks
        ],
        "manual": list(report.manual),
    }


def render_markdown(report: RCReport) -> str:
    verdict = "passes" if report.ok else f"fails ({len(report.failed)} check(s))"
    lines = [
        f"# Release candidate {report.semver}: {verdict}",
        "",
        f"Commit `{report.commit[:12] or '?'}`, {report.created}, {report.seconds:g} s.",
        "",
        "| Check | Result | Summary |",
        "| --- | --- | --- |",
    ]
    for check in report.checks:
        word = "not run" if check.status is CheckStatus.NOT_RUN else check.status.value
        summary = check.summary.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {check.name} | {check.status.mark} {word} | {summary} |")
    for check in report.checks:
        if check.status is CheckStatus.FAIL and check.details:
            lines += ["", f"## {check.name}", "", "```text", *check.details[:60], "```"]
    lines += ["", "## Manual checks", "", *(f"- [ ] {item}" for item in report.manual), ""]
    return "\n".join(lines)


def render_text(report: RCReport) -> str:
    lines = [check.line for check in report.checks]
    for check in report.checks:
        if check.status is CheckStatus.FAIL:
            shown = [d for d in check.details if not d.startswith("–")][:30]
            lines += [f"\n{check.name}:", *(f"  {d}" for d in shown)]
    lines += ["", "Manual checks:", *(f"  - {item}" for item in report.manual)]
    return "\n".join(lines)


def write_report(report: RCReport) -> None:
    report.json_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(report.json_path, (json.dumps(report_data(report), indent=2) + "\n").encode())
    atomic_write(report.md_path, render_markdown(report).encode())
