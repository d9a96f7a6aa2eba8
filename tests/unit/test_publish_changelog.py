"""Conventional commits, groups, links, contributors and CHANGELOG.md, without git."""

from __future__ import annotations

from datetime import date

import pytest

from mycelium.errors import ReleaseError
from mycelium.release.publish.changelog import (
    build_section_from,
    group_of,
    has_section,
    prepend_section,
    release_section_text,
    web_url,
)
from mycelium.release.publish.commits import Commit, author_name, cancel_reverts, parse_commit
from mycelium.release.publish.versions import ReleaseVersion

SHA = "0123456789abcdef0123456789abcdef01234567"
DAY = date(2026, 3, 14)


def c(subject: str, body: str = "", author: str = "Ada", sha: str = SHA) -> Commit:
    return parse_commit(sha, subject, body, author)


@pytest.mark.parametrize(
    ("subject", "body", "kind", "scope", "breaking", "description"),
    [
        ("feat: add x", "", "feat", None, False, "add x"),
        ("fix(config): keep y", "", "fix", "config", False, "keep y"),
        ("feat(api)!: drop z", "", "feat", "api", True, "drop z"),
        ("refactor!: all of it", "", "refactor", None, True, "all of it"),
        ("perf(a-b/c): faster", "", "perf", "a-b/c", False, "faster"),
        ("Feat: capital type", "", "feat", None, False, "capital type"),
        ("fix: a", "Why.\n\nBREAKING CHANGE: the flag is gone", "fix", None, True, "a"),
        ("fix: a", "BREAKING-CHANGE: renamed", "fix", None, True, "a"),
        (
            "docs: a",
            "mentions BREAKING CHANGE: inline, not a footer line",
            "docs",
            None,
            False,
            "a",
        ),
        ("Update README.md", "", None, None, False, "Update README.md"),
        ("feat add no colon", "", None, None, False, "feat add no colon"),
        ("feat:no space", "", None, None, False, "feat:no space"),
        ("feat(): empty scope", "", None, None, False, "feat(): empty scope"),
        ('Revert "feat: x"', "This reverts commit abc1234.", None, None, False, 'Revert "feat: x"'),
    ],
)
def test_each_commit_form_is_parsed(  # noqa: PLR0917 - one parameter per column
    subject: str, body: str, kind: str | None, scope: str | None, breaking: bool, description: str
) -> None:
    commit = c(subject, body)
    assert (commit.type, commit.scope, commit.breaking, commit.description) == (
        kind,
        scope,
        breaking,
        description,
    )


def test_groups_breaking_first_then_by_type_and_other_last() -> None:
    assert group_of(c("feat: x")) == "Features"
    assert group_of(c("feat!: x")) == "Breaking changes"
    assert group_of(c("fix: x")) == "Fixes"
    assert group_of(c("perf: x")) == "Performance"
    assert group_of(c("docs: x")) == "Documentation"
    assert group_of(c("refactor: x")) == "Refactoring"
    assert group_of(c("test: x")) == "Tests"
    for kind in ("chore", "build", "ci", "style"):
        assert group_of(c(f"{kind}: x")) == "Chores"
    assert group_of(c("wip: x")) == "Other"
    assert group_of(c("Bump things")) == "Other"


def _sha(n: int) -> str:
    return f"{n:040x}"


def test_the_section_lists_groups_in_order_with_scopes_in_bold_and_links() -> None:
    commits = [
        c("Update README.md", sha=_sha(9), author="Zed"),
        c("chore(deps): bump", sha=_sha(8), author="dependabot[bot]"),
        c("test: cover it", sha=_sha(7)),
        c("refactor(core): split", sha=_sha(6)),
        c("docs: explain", sha=_sha(5)),
        c("perf: faster", sha=_sha(4)),
        c("fix(config): keep comments", sha=_sha(3), author="Grace <grace@example.com>"),
        c("feat(wizard): ask less", sha=_sha(2), author="Ada"),
        c("feat(api)!: drop v1", "BREAKING CHANGE: v1 clients must\nupgrade", sha=_sha(1)),
    ]
    section = build_section_from(
        commits,
        ReleaseVersion.parse("1.0.0"),
        today=DAY,
        remote_url="git@github.com:acme/widgets.git",
    )
    url = "https://github.com/acme/widgets/commit/"
    assert section.markdown == (
        "## [1.0.0] - 2026-03-14\n\n"
        "### Breaking changes\n\n"
        f"- **api:** drop v1 ([0000000]({url}{_sha(1)}))\n  v1 clients must upgrade\n\n"
        "### Features\n\n"
        f"- **wizard:** ask less ([0000000]({url}{_sha(2)}))\n\n"
        "### Fixes\n\n"
        f"- **config:** keep comments ([0000000]({url}{_sha(3)}))\n\n"
        "### Performance\n\n"
        f"- faster ([0000000]({url}{_sha(4)}))\n\n"
        "### Documentation\n\n"
        f"- explain ([0000000]({url}{_sha(5)}))\n\n"
        "### Refactoring\n\n"
        f"- **core:** split ([0000000]({url}{_sha(6)}))\n\n"
        "### Tests\n\n"
        f"- cover it ([0000000]({url}{_sha(7)}))\n\n"
        "### Chores\n\n"
        f"- **deps:** bump ([0000000]({url}{_sha(8)}))\n\n"
        "### Other\n\n"
        f"- Update README.md ([0000000]({url}{_sha(9)}))\n\n"
        "### Contributors\n\n"
        "Ada, dependabot\\[bot\\], Grace, Zed\n"
    )
    assert dict(section.counts) == {
        "Breaking changes": 1,
        "Features": 1,
        "Fixes": 1,
        "Performance": 1,
        "Documentation": 1,
        "Refactoring": 1,
        "Tests": 1,
        "Chores": 1,
        "Other": 1,
    }
    assert section.contributors == ("Ada", "dependabot[bot]", "Grace", "Zed")
    assert "@" not in section.markdown
    assert section.body.startswith("### Breaking changes\n")


def test_without_a_web_remote_the_short_sha_stands_alone() -> None:
    section = build_section_from(
        [c("fix: x")], ReleaseVersion.parse("0.1.1"), today=DAY, remote_url="/srv/git/x.git"
    )
    assert "- x (`0123456`)" in section.markdown


def test_an_empty_range_says_so() -> None:
    section = build_section_from([], ReleaseVersion.parse("0.1.1"), today=DAY, remote_url=None)
    assert section.markdown == "## [0.1.1] - 2026-03-14\n\nNo changes.\n"
    assert section.counts == {}


@pytest.mark.parametrize(
    ("remote", "web"),
    [
        ("https://github.com/acme/widgets.git", "https://github.com/acme/widgets"),
        ("https://github.com/acme/widgets", "https://github.com/acme/widgets"),
        ("https://x-access-token:ghp_secret@github.com/acme/widgets.git", "https://github.com/acme/widgets"),
        ("git@github.com:acme/widgets.git", "https://github.com/acme/widgets"),
        ("git@github.example.com:o/r.git", "https://github.example.com/o/r"),
        ("ssh://git@github.example.com:2222/o/r.git", "https://github.example.com/o/r"),
        ("https://github.example.com:8443/o/r.git", "https://github.example.com:8443/o/r"),
        ("http://ghe.internal/o/r.git", "http://ghe.internal/o/r"),
        ("git://github.com/o/r.git", "https://github.com/o/r"),
        ("/srv/git/r.git", None),
        ("file:///srv/git/o/r.git", None),
        ("../r.git", None),
        ("https://github.com/only-owner", None),
        ("", None),
        (None, None),
    ],
)  # fmt: skip
def test_links_come_from_the_remote_url(remote: str | None, web: str | None) -> None:
    assert web_url(remote) == web


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("ada@example.com", ""),
        ("Ada <ada@example.com>", "Ada"),
        ("  Zoë   Ünicode ", "Zoë Ünicode"),
    ],
)
def test_author_names_never_carry_an_address(raw: str, name: str) -> None:
    assert author_name(raw) == name


def test_a_revert_and_its_commit_cancel_and_a_revert_of_a_revert_restores() -> None:
    original = c("feat: x", sha=_sha(1))
    revert = c('Revert "feat: x"', f"This reverts commit {_sha(1)}.", sha=_sha(2))
    assert cancel_reverts([revert, original]) == []
    again = c('Revert "Revert "feat: x""', f"This reverts commit {_sha(2)[:10]}.", sha=_sha(3))
    assert cancel_reverts([again, revert, original]) == [original]
    released_earlier = c('Revert "feat: y"', f"This reverts commit {'f' * 40}.", sha=_sha(4))
    assert cancel_reverts([released_earlier]) == [released_earlier]


# CHANGELOG.md

OLD = """\
## [0.9.0] - 2025-01-01

### Fixes

- **config:** odd   spacing kept\t
- trailing line without newline"""

CHANGELOG = f"""\
# Changelog

All notable changes; Keep a Changelog.

## [Unreleased]

### Security

- **config:** a hand-written line.

```
### not a heading, inside a fence
## [Not] a section either
```

{OLD}"""


def _section(version: str = "1.0.0") -> object:
    return build_section_from(
        [c("feat(x): new", sha=_sha(1))], ReleaseVersion.parse(version), today=DAY, remote_url=None
    )


def test_the_release_goes_below_unreleased_with_its_notes_as_highlights() -> None:
    section = build_section_from(
        [c("feat(x): new", sha=_sha(1))], ReleaseVersion.parse("1.0.0"), today=DAY, remote_url=None
    )
    text = prepend_section(CHANGELOG, section)
    assert text == (
        "# Changelog\n\nAll notable changes; Keep a Changelog.\n\n"
        "## [Unreleased]\n\n"
        "## [1.0.0] - 2026-03-14\n\n"
        "### Highlights\n\n"
        "#### Security\n\n"
        "- **config:** a hand-written line.\n\n"
        "```\n### not a heading, inside a fence\n## [Not] a section either\n```\n\n"
        "### Features\n\n"
        "- **x:** new (`0000000`)\n\n"
        "### Contributors\n\nAda\n\n" + OLD
    )
    assert text.endswith(OLD)  # older sections byte for byte
    assert release_section_text(CHANGELOG, section) in text


def test_an_empty_unreleased_gives_no_highlights_and_a_second_release_stacks() -> None:
    first = prepend_section(CHANGELOG, _section("1.0.0"))  # type: ignore[arg-type]
    second = prepend_section(first, _section("1.1.0"))  # type: ignore[arg-type]
    assert "### Highlights" not in second.split("## [1.0.0]")[0]
    head, tail = second.split("## [1.1.0] - 2026-03-14\n\n### Features", 1)
    assert head.endswith("## [Unreleased]\n\n")
    assert tail.endswith(first.split("## [Unreleased]\n\n", 1)[1])  # 1.0.0 and older unchanged


def test_without_unreleased_the_section_goes_above_the_first_release() -> None:
    text = "# Changelog\n\nIntro.\n\n" + OLD
    new = prepend_section(text, _section())  # type: ignore[arg-type]
    assert new.startswith("# Changelog\n\nIntro.\n\n## [1.0.0] - 2026-03-14\n")
    assert new.endswith("\n\n" + OLD)
    assert prepend_section("", _section()).startswith("## [1.0.0]")  # type: ignore[arg-type]


def test_crlf_and_odd_bytes_in_older_sections_are_kept() -> None:
    old = "## [0.1.0] - 2020-01-01\r\n\r\n- crlf line\r\n\u00a0nbsp\r\n"
    text = "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n" + old
    assert prepend_section(text, _section()).endswith(old)  # type: ignore[arg-type]


def test_a_version_already_in_the_changelog_is_refused() -> None:
    assert has_section(CHANGELOG, ReleaseVersion.parse("0.9.0"))
    assert not has_section(CHANGELOG, ReleaseVersion.parse("1.0.0"))
    with pytest.raises(ReleaseError, match=r"CHANGELOG.md already has a section for 0.9.0"):
        prepend_section(CHANGELOG, _section("0.9.0"))  # type: ignore[arg-type]


def test_commit_text_cannot_open_html_but_code_spans_stay_as_written() -> None:
    commits = [
        c("fix(config): a planted `<name>.bak` link <!-- hides the rest", sha=_sha(1)),
        c("feat!: drop <b>", "BREAKING CHANGE: use `<new>` and <i>", sha=_sha(2)),
        c("Odd `tick <x>", sha=_sha(3)),
    ]
    section = build_section_from(commits, ReleaseVersion.parse("1.0.0"), today=DAY, remote_url=None)
    assert "- **config:** a planted `<name>.bak` link \\<!-- hides the rest" in section.markdown
    assert "- drop \\<b> (`0000000`)\n  use `<new>` and \\<i>" in section.markdown
    assert "- Odd `tick \\<x>" in section.markdown


def test_commit_text_and_author_names_cannot_open_a_link_or_html() -> None:
    commits = [
        c("fix: a \\<a href=https://evil.example>click", sha=_sha(1)),
        c("fix: \\`<details>` hides", sha=_sha(2)),
        c("fix: [download](https://evil.example) ![x](https://e.example/t.png)", sha=_sha(3)),
        c("fix: keep `[a](b)` as code", author="[Ada](https://evil.example) <b>", sha=_sha(4)),
    ]
    section = build_section_from(commits, ReleaseVersion.parse("1.0.0"), today=DAY, remote_url=None)

    assert "- a \\\\\\<a href=https://evil.example>click" in section.markdown
    assert "- \\\\`<details>` hides" in section.markdown
    assert "- \\[download\\](https://evil.example) !\\[x\\](https://e.example/t.png)" in (
        section.markdown
    )
    assert "- keep `[a](b)` as code" in section.markdown
    assert "### Contributors\n\n\\[Ada\\](https://evil.example) \\<b\\>, Ada\n" in section.markdown
