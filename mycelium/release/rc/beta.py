"""Beta feedback (FR-10.3): the issues the forms in ``.github/ISSUE_TEMPLATE/`` open.

Every form labels its issue ``beta`` (and ``bug``, ``enhancement`` or ``feedback``); the
tester names the release candidate, and a bug also its severity and platform. GitHub
renders a form's answers as ``### <field label>`` sections of the body, which
:func:`parse_fields` reads back. ``invoke beta VERSION`` triages the issues of VERSION (an
RC: that RC; a final version: all its RCs) by severity and platform; ``invoke release`` of
a final version refuses while one of them is an open Critical or High bug, unless
``--accept-open-bugs REASON`` records why in the release notes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.errors import UserError
from mycelium.release.publish.versions import ReleaseVersion

if TYPE_CHECKING:
    from mycelium.release.publish.github import GitHubClient, IssueInfo

LABEL: Final = "beta"
SEVERITIES: Final = ("Critical", "High", "Medium", "Low")
BLOCKING: Final = frozenset({"Critical", "High"})
PLATFORMS: Final = ("Linux", "macOS", "WSL2", "Other")
# The form fields' labels, as .github/ISSUE_TEMPLATE/*.yml write them (a test reads both).
VERSION_FIELD: Final = "Release candidate"
SEVERITY_FIELD: Final = "Severity"
PLATFORM_FIELD: Final = "Platform"
KINDS: Final = {"bug": "bug", "enhancement": "feature", "feedback": "feedback"}
UNKNOWN: Final = "unknown"
_SECTION: Final = re.compile(r"^###\s+(.+?)\s*$", re.MULTILINE)
_NO_RESPONSE: Final = "_No response_"


def parse_fields(body: str) -> dict[str, str]:
    """An issue form's rendered body: ``{field label: answer}``."""
    fields: dict[str, str] = {}
    matches = list(_SECTION.finditer(body[:100_000]))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        value = body[match.end() : end].strip()
        fields[match.group(1)] = "" if value == _NO_RESPONSE else value
    return fields


def _pick(value: str, choices: tuple[str, ...]) -> str:
    first = value.strip().split()[0].strip(" .:,") if value.strip() else ""
    for choice in choices:
        if first.lower() == choice.lower():
            return choice
    return UNKNOWN


@dataclass(frozen=True)
class BetaIssue:
    number: int
    title: str
    open: bool
    kind: str  # bug, feature, feedback, unknown
    version: str | None  # PEP 440 of the RC it is about; None when unreadable
    severity: str  # Critical..Low, or "unknown"
    platform: str
    url: str

    @property
    def blocking(self) -> bool:
        return self.open and self.kind == "bug" and self.severity in BLOCKING


def to_beta_issue(issue: IssueInfo) -> BetaIssue:
    fields = parse_fields(issue.body)
    kind = next((KINDS[label] for label in issue.labels if label in KINDS), UNKNOWN)
    version: str | None = None
    candidates = [fields.get(VERSION_FIELD, "")] + [
        label.removeprefix("rc:") for label in issue.labels if label.startswith("rc:")
    ]
    for text in candidates:
        try:
            version = ReleaseVersion.parse(text.strip().split()[0]).pep440 if text.strip() else None
        except UserError:
            version = None
        if version:
            break
    severity = _pick(fields.get(SEVERITY_FIELD, ""), SEVERITIES)
    if kind == "bug" and severity == UNKNOWN:
        severity = "High"  # an unrated bug counts as blocking until someone rates it
    return BetaIssue(
        number=issue.number,
        title=issue.title[:120],
        open=issue.state == "open",
        kind=kind,
        version=version,
        severity=severity if kind == "bug" else "-",
        platform=_pick(fields.get(PLATFORM_FIELD, ""), PLATFORMS),
        url=issue.html_url,
    )


def belongs(issue: BetaIssue, version: ReleaseVersion) -> bool:
    """An RC's issues; for a final version, the issues of all its release candidates."""
    if issue.version is None:
        return False
    theirs = ReleaseVersion.parse(issue.version)
    if version.is_prerelease:
        return theirs.pep440 == version.pep440
    return theirs.release == version.release and (theirs.is_prerelease or theirs == version)


@dataclass(frozen=True)
class BetaTriage:
    version: str  # semver asked for
    issues: tuple[BetaIssue, ...]  # of this version, blocking first
    unmatched: int  # beta issues whose version could not be read

    @property
    def blockers(self) -> tuple[BetaIssue, ...]:
        return tuple(i for i in self.issues if i.blocking)

    def counts(self) -> dict[str, dict[str, int]]:
        """Open bugs by severity × platform."""
        counter = Counter(
            (i.severity, i.platform) for i in self.issues if i.open and i.kind == "bug"
        )
        return {
            severity: {p: counter[(severity, p)] for p in (*PLATFORMS, UNKNOWN)}
            for severity in SEVERITIES
        }


def triage(issues: list[IssueInfo], version: ReleaseVersion) -> BetaTriage:
    parsed = [to_beta_issue(i) for i in issues if LABEL in i.labels]
    ours = [i for i in parsed if belongs(i, version)]
    order = {s: n for n, s in enumerate(SEVERITIES)}
    ours.sort(key=lambda i: (not i.blocking, not i.open, order.get(i.severity, 9), i.number))
    return BetaTriage(version.semver, tuple(ours), sum(i.version is None for i in parsed))


def fetch_triage(client: GitHubClient, version: ReleaseVersion) -> BetaTriage:
    return triage(client.list_issues(LABEL, state="all"), version)


def render_table(result: BetaTriage) -> str:
    from tabulate import tabulate  # noqa: PLC0415 - maintainer side, only when printing

    counts = result.counts()
    platforms = [*PLATFORMS, UNKNOWN]
    rows = [[s, *(counts[s][p] or "" for p in platforms), sum(counts[s].values())]
            for s in SEVERITIES]  # fmt: skip
    parts = [
        f"Open beta bugs of {result.version} by severity and platform:",
        tabulate(rows, headers=["severity", *platforms, "total"], tablefmt="simple"),
    ]
    if result.issues:
        listing = [
            [f"#{i.number}", "open" if i.open else "closed", i.kind, i.severity, i.platform,
             i.version or "?", i.title[:60]]
            for i in result.issues
        ]  # fmt: skip
        headers = ["issue", "state", "kind", "severity", "platform", "rc", "title"]
        parts += ["", tabulate(listing, headers=headers, tablefmt="simple")]
    else:
        parts += ["", f"no beta issue names {result.version}"]
    if result.unmatched:
        parts.append(f"\n{result.unmatched} beta issue(s) name no readable release candidate")
    blockers = result.blockers
    parts.append(
        f"\n{len(blockers)} open Critical/High bug(s): "
        + (", ".join(f"#{i.number}" for i in blockers) if blockers else "none")
    )
    return "\n".join(parts)


def as_json(result: BetaTriage) -> dict[str, object]:
    return {
        "version": result.version,
        "blocking": [i.number for i in result.blockers],
        "counts": result.counts(),
        "unmatched": result.unmatched,
        "issues": [i.__dict__ for i in result.issues],
    }
