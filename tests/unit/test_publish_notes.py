"""The GitHub release body: the seed's release-notes shape, filled from the release's facts."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mycelium.errors import UsageError
from mycelium.release.publish.notes import (
    MAX_BODY,
    KnownIssue,
    NotesFacts,
    counts_of,
    python_needed,
    quick_start,
    render_notes,
    split_contributors,
)
from mycelium.release.publish.versions import ReleaseVersion

CHANGES = """\
### Features

- **qa:** the checklist catches more ([abc1234](https://github.com/o/r/commit/abc1234))
- a second feature

### Fixes

- one fix

### Contributors

Ada Lovelace, Grace Hopper
"""

FACTS = NotesFacts(
    project="mycelium",
    version=ReleaseVersion.parse("1.0.0"),
    tag="v1.0.0",
    day=date(2026, 11, 26),
    changes=CHANGES,
    repo_url="https://github.com/o/r",
    wheel_name="mycelium-1.0.0-py3-none-any.whl",
    requires_python=">=3.11",
    verification=["- QA passed on this wheel (3 reports)", "- wheel sha256 `ab12`"],
    previous_tag="v0.9.0",
    quick_start=("mycelium-onboarding", "mycelium-test --pattern pubsub"),
)

SEED_SECTIONS = [
    "Overview",
    "What's new",
    "Installation",
    "Quick start",
    "System requirements",
    "Known issues",
    "Verification",
    "Contributors",
    "Links",
]


def headings(text: str) -> list[str]:
    return re.findall(r"(?m)^## (.+)$", text)


def test_the_body_has_the_seed_templates_sections_in_order() -> None:
    body = render_notes(FACTS)

    assert body.startswith("# mycelium 1.0.0\n\n**Release date**: 2026-11-26\n")
    assert headings(body) == SEED_SECTIONS


def test_whats_new_is_the_changelog_section_and_the_contributors_get_their_own_part() -> None:
    body = render_notes(FACTS)
    whats_new = body.split("## What's new\n", 1)[1].split("\n## ", 1)[0]

    assert "- **qa:** the checklist catches more" in whats_new
    assert "Contributors" not in whats_new
    assert "Thank you: Ada Lovelace, Grace Hopper." in body


def test_the_overview_counts_the_changes_since_the_last_tag() -> None:
    body = render_notes(FACTS)

    assert "A release of mycelium. Changes since v0.9.0: features 2, fixes 1." in body


def test_installation_points_at_the_wheel_attached_to_this_very_release() -> None:
    body = render_notes(FACTS)
    url = "https://github.com/o/r/releases/download/v1.0.0/mycelium-1.0.0-py3-none-any.whl"

    assert f"$ uv tool install {url}" in body
    assert f"$ pipx install {url}" in body
    assert "[Documentation](https://github.com/o/r/blob/v1.0.0/docs)" in body


def test_a_release_candidate_says_so_and_asks_for_testing() -> None:
    facts = replace(FACTS, version=ReleaseVersion.parse("1.0.0-rc.1"), tag="v1.0.0-rc.1")
    body = render_notes(facts)

    assert "**release candidate**: for testing, not for production" in body
    assert "/blob/v1.0.0-rc.1/docs/BETA_TESTING.md" in body
    assert "beta testing guide" not in render_notes(FACTS)


def test_known_issues_list_the_accepted_beta_bugs_made_inert() -> None:
    hostile = KnownIssue(
        7, "[win a prize](https://evil.example) <!-- hide the rest", "High", "WSL2"
    )
    body = render_notes(replace(FACTS, known_issues=[hostile]))
    known = body.split("## Known issues\n", 1)[1].split("\n## ", 1)[0]

    shown = "- #7 ` [win a prize](https://evil.example) <!-- hide the rest ` (High, WSL2)"
    assert shown in known
    assert "None known at release time." in render_notes(FACTS)


def test_a_repository_address_that_is_not_a_plain_web_address_makes_no_link() -> None:
    body = render_notes(replace(FACTS, repo_url="javascript:alert(1)"))

    assert "javascript:" not in body
    assert "$ uv tool install mycelium-1.0.0-py3-none-any.whl" in body
    assert "[Changelog](CHANGELOG.md)" in body


def test_a_huge_changelog_section_is_cut_below_githubs_body_limit() -> None:
    changes = "### Features\n\n" + "".join(f"- feature number {n}\n" for n in range(20_000))
    body = render_notes(replace(FACTS, changes=changes))

    assert len(body) < MAX_BODY
    assert "… (the rest is in the changelog)" in body
    assert headings(body)[-1] == "Links"


def test_counts_leave_out_hand_written_parts() -> None:
    changes = "### Highlights\n\n- big news\n\n### Fixes\n\n- a\n- b\n"

    assert counts_of(changes) == {"Fixes": 2}


def test_contributors_are_split_off_wherever_they_stand() -> None:
    rest, names = split_contributors("### Contributors\n\nAda\n\n### Fixes\n\n- a\n")

    assert names == "Ada"
    assert rest == "### Fixes\n\n- a"
    assert split_contributors("### Fixes\n\n- a\n") == ("### Fixes\n\n- a", "")


def test_the_python_requirement_reads_as_a_person_says_it() -> None:
    assert python_needed(">=3.11") == "3.11 or newer"
    assert python_needed(">=3.11,<3.14") == "`>=3.11,<3.14`"
    assert python_needed("`x`") == "`x`"


def test_the_quick_start_comes_from_pyproject_or_else_the_console_scripts() -> None:
    body = render_notes(FACTS)
    assert "```console\n$ mycelium-onboarding\n$ mycelium-test --pattern pubsub\n```" in body
    setting = {"tool": {"mycelium": {"release": {"quick-start": ["a --go"]}}}}
    scripts = {"project": {"scripts": {"widget": "w:main", "widget-admin": "w:admin"}}}

    assert quick_start(setting) == ("a --go",)
    assert quick_start(scripts) == ("widget --help", "widget-admin --help")
    assert "## Quick start" not in render_notes(replace(FACTS, quick_start=()))


@pytest.mark.parametrize(
    "value",
    ["mycelium-onboarding", ["two\nlines"], ["```"], [1], [""], ["x" * 121], ["a"] * 9],
)
def test_a_bad_quick_start_setting_names_the_file_and_the_field(value: object) -> None:
    setting = {"tool": {"mycelium": {"release": {"quick-start": value}}}}

    with pytest.raises(
        UsageError,
        match=r"^/p/pyproject.toml: \[tool.mycelium.release\] quick-start must be a list",
    ):
        quick_start(setting, "/p/pyproject.toml")


def test_this_projects_quick_start_setting_is_valid() -> None:
    data = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))

    assert quick_start(data)[0].startswith("mycelium-onboarding")


def test_many_huge_known_issues_stay_below_githubs_body_limit() -> None:
    issues = [KnownIssue(n, "x" * 1_000_000, "High", "Linux") for n in range(1000)]
    body = render_notes(replace(FACTS, known_issues=issues, verification=["- v" * 9] * 5000))

    assert len(body) <= MAX_BODY
    assert "- … and 950 more, in the issue tracker" in body
    assert headings(body)[-1] == "Links"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/o/r\n",
        "https://github.com/o/r\u202e",
        "https://github.com/o/r\x00",
        "https://github.com/o/r)](https://evil.example",
        "https://github.com/o/r\\",
        "https://github.com/o/r with space",
        "javascript:alert(1)//https://github.com/o/r",
    ],
)
def test_a_repository_address_with_odd_characters_makes_no_link(url: str) -> None:
    body = render_notes(replace(FACTS, repo_url=url))

    assert "github.com/o/r" not in body.replace("github.com/o/r/commit/abc1234", "")
    assert "[Changelog](CHANGELOG.md)" in body


def test_a_project_name_with_markdown_is_shown_not_followed() -> None:
    body = render_notes(replace(FACTS, project="[x](https://evil.example) <!--"))

    assert body.startswith("# \\[x\\](https\\://evil.example) \\<!-- 1.0.0\n")
    assert "A release of \\[x\\](https\\://evil.example) \\<!--." in body


def test_known_issue_titles_cannot_become_autolinks() -> None:
    issue = KnownIssue(1, "see https://evil.example/login or www.evil.example", "High", "x")
    body = render_notes(replace(FACTS, known_issues=[issue]))

    assert "` see https://evil.example/login or www.evil.example ` (High, x)" in body


@pytest.mark.parametrize(
    "title",
    [
        "@octocat and @acme/security-team please look",
        "``` fenced ``` and `tick` and ``two``",
        "<script>alert(1)</script> [x](https://evil.example)",
        "ends with a backtick`",
    ],
)
def test_a_known_issue_title_renders_as_code_whatever_it_holds(title: str) -> None:
    from markdown_it import MarkdownIt

    body = render_notes(replace(FACTS, known_issues=[KnownIssue(3, title, "Low", "Linux")]))
    known = body.split("## Known issues\n", 1)[1].split("\n## ", 1)[0]
    html = MarkdownIt("commonmark").render(known)

    assert html.count("<code>") == 1
    shown = html.split("<code>", 1)[1].split("</code>", 1)[0]
    assert shown == title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;"
    )
    assert "<a " not in html.replace(shown, "")
