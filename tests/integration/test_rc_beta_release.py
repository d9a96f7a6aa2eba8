"""``invoke beta`` and the beta gate of ``invoke release``, and ``invoke rc --publish``,
on a real repository against the local GitHub double's issues and releases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.release.publish.command import release
from mycelium.release.rc.beta import render_table
from mycelium.release.rc.beta_command import beta_triage
from mycelium.release.rc.publish import publish_candidate
from mycelium.release.rc.result import passed
from mycelium.release.rc.runner import RCReport
from tests.integration.release_lab import REPO, TOKEN, Project, release_options

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.github_double import GitHubDouble

SKIP = {"skip_qa": "no fleet in this test", "skip_bench": "no fleet in this test"}


def form(version: str, severity: str, platform: str = "macOS") -> str:
    return (
        f"### Release candidate\n\n{version}\n\n### Severity\n\n{severity}\n\n"
        f"### Platform\n\n{platform}\n\n### Steps to reproduce\n\n$ mycelium-onboarding\n"
    )


def test_invoke_beta_reads_the_issues_through_pygithub(
    project: Project, github: GitHubDouble
) -> None:
    github.add_issue("wizard crashes", form("0.2.0rc1", "High"), ["beta", "bug"])
    github.add_issue("slow scan", form("0.2.0-rc.2", "Low", "Linux"), ["beta", "bug"])
    github.add_issue("love it", form("0.2.0rc1", ""), ["beta", "feedback"])
    github.add_issue("a pull request", form("0.2.0rc1", "Critical"), ["beta", "bug"],
                     pull_request=True)  # fmt: skip
    github.add_issue("another version", form("0.1.0rc1", "Critical"), ["beta", "bug"])
    env = {"GITHUB_API_URL": github.api_url, "GITHUB_TOKEN": TOKEN}
    found = beta_triage(project.root, "0.2.0", repo=REPO, env=env)
    assert [i.title for i in found.issues] == ["wizard crashes", "slow scan", "love it"]
    assert [i.number for i in found.blockers] == [1]
    table = render_table(found)
    assert "1 open Critical/High bug(s): #1" in table
    assert TOKEN not in table


def test_a_final_release_refuses_while_a_high_beta_bug_is_open_unless_a_reason_is_given(
    project: Project, github: GitHubDouble
) -> None:
    github.add_issue("wizard crashes", form("0.2.0rc1", "High", "WSL2"), ["beta", "bug"])
    github.add_issue("fixed one", form("0.2.0rc1", "Critical"), ["beta", "bug"], state="closed")
    refused = release(release_options(project, "0.2.0", github.api_url, TOKEN, **SKIP))
    assert refused.exit_code == exit_codes.FAILURE
    assert refused.message == (
        "1 Critical/High beta bug(s) of the release candidates are open: #1 (High, WSL2); "
        "fix them, or pass --accept-open-bugs REASON (it goes in the notes)"
    )
    assert github.writes == []
    assert "refs/tags" not in project.remote_refs()

    reason = "only on WSL2 with a custom DNS; documented in TROUBLESHOOTING"
    accepted = release(
        release_options(project, "0.2.0", github.api_url, TOKEN, accept_open_bugs=reason, **SKIP)
    )
    assert accepted.exit_code == 0, accepted.lines
    (published,) = github.releases_for("v0.2.0")
    assert f"open Critical/High beta bug(s) (#1): {reason}" in published["body"]


def test_a_release_candidate_is_not_held_by_beta_bugs(
    project: Project, github: GitHubDouble
) -> None:
    github.add_issue("wizard crashes", form("0.2.0rc1", "Critical"), ["beta", "bug"])
    outcome = release(release_options(project, "0.2.0-rc.2", github.api_url, TOKEN, **SKIP))
    assert outcome.exit_code == 0, outcome.lines


def test_rc_publish_cuts_the_prerelease_with_the_report_and_sbom_as_assets(
    project: Project, github: GitHubDouble, tmp_path: Path
) -> None:
    reports = tmp_path / "rc-reports"
    reports.mkdir()
    files = {name: reports / name for name in ("rc_report.json", "rc_report.md", "sbom.cdx.json")}
    for path in files.values():
        path.write_text("{}\n")
    report = RCReport(
        version="0.2.0rc1", semver="0.2.0-rc.1", commit=project.head(), created="now",
        seconds=1.0, checks=(passed("licenses", "ok"),), manual=(),
        json_path=files["rc_report.json"], md_path=files["rc_report.md"],
        sbom_path=files["sbom.cdx.json"],
    )  # fmt: skip
    outcome = publish_candidate(
        report, release_options(project, "0.2.0-rc.1", github.api_url, TOKEN, **SKIP)
    )
    assert outcome.exit_code == 0, outcome.lines
    (published,) = github.releases_for("v0.2.0-rc.1")
    assert published["prerelease"] is True
    names = {a["name"] for a in github.assets_of(published["id"])}
    assert {"rc_report.json", "rc_report.md", "sbom.cdx.json"} <= names
