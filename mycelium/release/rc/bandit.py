"""CR-10.2: bandit on ``mycelium/``, every finding either fixed or accepted with a reason.

The baseline (``bandit-baseline.toml``) accepts a test everywhere (``[policy]``) or one
finding (``[[accepted]]``: test, file and the text of the flagged line). A finding the
baseline does not name is a failure; so is an accepted entry that no longer matches
anything (a stale entry would accept the next finding that happens to look like it).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, failed, not_run, passed

if TYPE_CHECKING:
    from pathlib import Path

NAME: Final = "bandit"
BASELINE: Final = "bandit-baseline.toml"
TIMEOUT_S: Final = 300.0


@dataclass(frozen=True)
class Finding:
    test: str
    severity: str
    file: str
    line_number: int
    line: str  # the flagged source line, stripped
    text: str

    def format(self) -> str:
        return f"{self.file}:{self.line_number}: {self.test} ({self.severity}) {self.text}"


@dataclass(frozen=True)
class Baseline:
    policy: dict[str, str]
    accepted: tuple[tuple[str, str, str, str], ...]  # test, file, line, reason


def load_baseline(path: Path) -> Baseline:
    """Raises ValueError naming the entry and the fix."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    policy = data.get("policy") or {}
    for test, reason in policy.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{path}: [policy] {test}: give the reason as a non-empty string")
    accepted = []
    for index, entry in enumerate(data.get("accepted") or []):
        fields = [entry.get(k) if isinstance(entry, dict) else None
                  for k in ("test", "file", "line", "reason")]  # fmt: skip
        if not all(isinstance(v, str) and v.strip() for v in fields):
            raise ValueError(
                f"{path}: [[accepted]] #{index + 1}: needs test, file, line and reason"
            )
        accepted.append(tuple(str(v).strip() for v in fields))
    return Baseline(dict(policy), tuple(accepted))  # type: ignore[arg-type]


def parse_findings(report: dict[str, Any], root: Path) -> list[Finding]:
    findings = []
    for item in report.get("results", []):
        file = str(item.get("filename", ""))
        number = int(item.get("line_number", 0))
        try:
            source = (root / file).read_text(encoding="utf-8").splitlines()[number - 1].strip()
        except (OSError, IndexError, UnicodeDecodeError):
            source = ""
        findings.append(
            Finding(
                test=str(item.get("test_id", "")),
                severity=str(item.get("issue_severity", "")),
                file=file,
                line_number=number,
                line=source,
                text=str(item.get("issue_text", "")).splitlines()[0][:120] if item.get(
                    "issue_text") else "",
            )
        )  # fmt: skip
    return findings


def judge(findings: list[Finding], baseline: Baseline) -> tuple[list[str], list[str], int]:
    """(new findings, stale baseline entries, accepted count)."""
    used: set[int] = set()
    new = []
    accepted = 0
    for finding in findings:
        if finding.test in baseline.policy:
            accepted += 1
            continue
        match = next(
            (
                i
                for i, (test, file, line, _) in enumerate(baseline.accepted)
                if test == finding.test and file == finding.file and line == finding.line
            ),
            None,
        )
        if match is None:
            new.append(f"✘ {finding.format()}: fix it, or accept it in {BASELINE} with a reason")
        else:
            used.add(match)
            accepted += 1
    stale = [
        f"✘ {BASELINE}: [[accepted]] {test} {file} {line!r} matches no finding: remove it"
        for i, (test, file, line, _) in enumerate(baseline.accepted)
        if i not in used
    ]
    return new, stale, accepted


def check_bandit(project_dir: Path, target: str = "mycelium") -> CheckResult:
    """The ``bandit`` check over ``project_dir/target`` with the project's baseline."""
    bandit = tool("bandit")
    if bandit is None:
        return not_run(NAME, "bandit is not installed: run `uv sync` (it is in the dev group)")
    try:
        baseline = load_baseline(project_dir / BASELINE)
    except FileNotFoundError:
        return failed(NAME, f"{BASELINE} is missing: write the reviewed baseline")
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        return failed(NAME, str(exc))
    run = run_tool([bandit, "-r", target, "-f", "json", "-q"], cwd=project_dir, timeout=TIMEOUT_S)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return failed(NAME, f"bandit printed no report: {run.tail(5)}")
    errors = [f"✘ {e.get('filename')}: {e.get('reason')}" for e in report.get("errors", [])]
    findings = parse_findings(report, project_dir)
    new, stale, accepted = judge(findings, baseline)
    problems = errors + new + stale
    figures = {"findings": len(findings), "accepted": accepted, "new": len(new)}
    if problems:
        return failed(
            NAME,
            f"{len(new)} finding(s) not in the baseline, {len(stale)} stale entr(ies), "
            f"{len(errors)} error(s)",
            *problems,
            **figures,
        )
    return passed(
        NAME,
        f"{len(findings)} findings, all accepted by the reviewed baseline "
        f"({len(baseline.accepted)} entries, {len(baseline.policy)} policies)",
        **figures,
    )
