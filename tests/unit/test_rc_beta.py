"""Beta triage: the issue forms' fields read back from the body GitHub renders."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mycelium.release.publish.github import IssueInfo
from mycelium.release.publish.versions import ReleaseVersion
from mycelium.release.rc.beta import (
    PLATFORM_FIELD,
    PLATFORMS,
    SEVERITIES,
    SEVERITY_FIELD,
    VERSION_FIELD,
    parse_fields,
    render_table,
    to_beta_issue,
    triage,
)

FORMS = Path(__file__).resolve().parents[2] / ".github" / "ISSUE_TEMPLATE"


def body(version: str, severity: str = "High", platform: str = "macOS") -> str:
    return (
        f"### {VERSION_FIELD}\n\n{version}\n\n### {SEVERITY_FIELD}\n\n{severity}\n\n"
        f"### {PLATFORM_FIELD}\n\n{platform}\n\n### Python version\n\n_No response_\n\n"
        "### Steps to reproduce\n\n```console\n$ mycelium-onboarding\n```\n"
    )


def issue(number: int, text: str, labels: tuple[str, ...] = ("beta", "bug"),
          state: str = "open") -> IssueInfo:  # fmt: skip
    return IssueInfo(number, f"issue {number}", state, labels, text, f"https://x/{number}")


def test_the_forms_label_beta_and_use_the_fields_triage_reads() -> None:
    forms = {p.name: yaml.safe_load(p.read_text()) for p in FORMS.glob("*.yml")}
    assert set(forms) == {"bug_report.yml", "feature_request.yml", "feedback.yml"}
    for form in forms.values():
        assert "beta" in form["labels"]
        labels = [
            item["attributes"]["label"] for item in form["body"] if item["type"] != "markdown"
        ]
        assert VERSION_FIELD in labels
    bug = {i["attributes"]["label"]: i for i in forms["bug_report.yml"]["body"] if "id" in i}
    assert tuple(bug[SEVERITY_FIELD]["attributes"]["options"]) == SEVERITIES
    assert tuple(bug[PLATFORM_FIELD]["attributes"]["options"]) == PLATFORMS
    assert {"Steps to reproduce", "Expected", "Actual"} <= set(bug)


def test_a_rendered_form_body_reads_back_field_by_field() -> None:
    fields = parse_fields(body("0.2.0rc1"))
    assert fields[VERSION_FIELD] == "0.2.0rc1"
    assert fields["Python version"] == ""
    assert fields["Steps to reproduce"].startswith("```console")


def test_a_bug_of_an_rc_is_triaged_by_severity_and_platform() -> None:
    found = to_beta_issue(issue(7, body("0.2.0-rc.1", "Critical", "WSL2")))
    assert (found.version, found.severity, found.platform, found.blocking) == (
        "0.2.0rc1", "Critical", "WSL2", True,
    )  # fmt: skip


def test_a_final_version_gathers_the_issues_of_all_its_rcs_and_an_rc_only_its_own() -> None:
    issues = [
        issue(1, body("0.2.0rc1", "High")),
        issue(2, body("0.2.0rc2", "Low", "Linux")),
        issue(3, body("0.3.0rc1", "Critical")),
        issue(4, body("0.2.0rc2", "Critical"), state="closed"),
        issue(5, body("0.2.0rc1"), labels=("beta", "feedback")),
        issue(6, "no form at all"),
        issue(8, body("0.2.0rc1", "High"), labels=("bug",)),  # not a beta issue
    ]
    final = triage(issues, ReleaseVersion.parse("0.2.0"))
    assert [i.number for i in final.issues] == [1, 2, 5, 4]  # blocking, open, closed
    assert [i.number for i in final.blockers] == [1]
    assert final.unmatched == 1
    assert final.counts()["High"]["macOS"] == 1
    rc2 = triage(issues, ReleaseVersion.parse("0.2.0-rc.2"))
    assert [i.number for i in rc2.issues] == [2, 4]
    assert rc2.blockers == ()
    table = render_table(final)
    assert "1 open Critical/High bug(s): #1" in table
    assert "#5" in table


@pytest.mark.parametrize(
    "hostile",
    ["", "### " * 1000, "### Release candidate\n\n$(rm -rf ~)", "### Severity\n\n" + "A" * 10_000],
)
def test_hostile_bodies_never_raise_and_an_unrated_bug_counts_as_blocking(hostile: str) -> None:
    found = to_beta_issue(issue(9, hostile))
    assert found.version is None or found.version
    assert found.severity in {*SEVERITIES, "unknown"}
    assert found.blocking == (found.severity in {"Critical", "High"})
