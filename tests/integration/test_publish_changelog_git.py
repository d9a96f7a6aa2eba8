"""The changelog and the last release read from real git repositories."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import ReleaseError
from mycelium.release.publish.changelog import build_section, preview_changelog
from mycelium.release.publish.commits import commits_since
from mycelium.release.publish.versions import ReleaseVersion, last_release
from tests.integration.git_history import commit, git, init_repo
from tests.integration.qa_runs import ROOT

if TYPE_CHECKING:
    from pathlib import Path

DAY = date(2026, 3, 14)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = init_repo(tmp_path / "repo", remote_url="git@github.example.com:acme/widgets.git")
    commit(path, "chore: initial")
    return path


def subjects(repo: Path, since: str | None) -> list[str]:
    return [c.subject for c in commits_since(repo, since)]


def test_commits_since_the_tag_newest_first(repo: Path) -> None:
    git(repo, "tag", "-a", "v0.1.0", "-m", "0.1.0")
    commit(repo, "feat: one")
    commit(repo, "fix(x): two")
    assert subjects(repo, "v0.1.0") == ["fix(x): two", "feat: one"]
    assert subjects(repo, None) == ["fix(x): two", "feat: one", "chore: initial"]


def test_the_release_commits_themselves_are_not_listed(repo: Path) -> None:
    commit(repo, "chore(release): 0.1.0")
    git(repo, "tag", "-a", "v0.1.0", "-m", "0.1.0")
    commit(repo, "feat: one")
    commit(repo, "chore(release): 0.2.0")
    commit(repo, "chore(deps): bump")
    assert subjects(repo, "v0.1.0") == ["chore(deps): bump", "feat: one"]


def test_a_merge_commit_is_skipped_and_the_branch_commits_are_kept(repo: Path) -> None:
    git(repo, "tag", "v0.1.0")
    git(repo, "switch", "-q", "-c", "topic")
    commit(repo, "feat(topic): on the branch")
    git(repo, "switch", "-q", "main")
    commit(repo, "fix: on main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")
    assert sorted(subjects(repo, "v0.1.0")) == ["feat(topic): on the branch", "fix: on main"]


def test_a_real_git_revert_cancels_the_commit_it_reverts(repo: Path) -> None:
    (repo / "f.txt").write_text("x\n", encoding="utf-8")
    git(repo, "add", "f.txt")
    git(repo, "commit", "-q", "-m", "feat: add f")
    git(repo, "tag", "v0.1.0")
    (repo / "g.txt").write_text("y\n", encoding="utf-8")
    git(repo, "add", "g.txt")
    git(repo, "commit", "-q", "-m", "feat: add g")
    commit(repo, "fix: keep me")
    git(repo, "revert", "--no-edit", "HEAD~1")  # reverts "feat: add g", in the range
    git(repo, "revert", "--no-edit", "v0.1.0")  # reverts "feat: add f", released before
    assert subjects(repo, "v0.1.0") == ['Revert "feat: add f"', "fix: keep me"]
    section = build_section(
        repo, ReleaseVersion.parse("0.2.0"), since_ref="v0.1.0", today=DAY, remote_url=None
    )
    assert dict(section.counts) == {"Fixes": 1, "Other": 1}


def test_contributors_are_author_names_without_addresses(repo: Path) -> None:
    commit(repo, "feat: a", author=("Grace Hopper", "grace@example.org"))
    commit(repo, "fix: b", author=("Zoë Ünicode", "zoe@example.com"))
    section = build_section(
        repo,
        ReleaseVersion.parse("1.0.0"),
        since_ref=None,
        today=DAY,
        remote_url=git(repo, "remote", "get-url", "origin"),
    )
    assert section.contributors == ("Ada Lovelace", "Grace Hopper", "Zoë Ünicode")
    assert "@" not in section.markdown.replace("git@", "")
    sha = git(repo, "rev-parse", "HEAD")
    assert f"https://github.example.com/acme/widgets/commit/{sha}" in section.markdown


def test_an_unknown_since_ref_is_one_line_naming_it(repo: Path) -> None:
    with pytest.raises(ReleaseError) as caught:
        commits_since(repo, "v9.9.9")
    assert str(caught.value) == (
        f"--since 'v9.9.9': no such commit or tag in {repo}; give a tag, branch or sha that "
        "HEAD descends from"
    )


def test_the_last_release_is_the_greatest_version_reachable_from_head(repo: Path) -> None:
    assert last_release(repo) is None
    git(repo, "tag", "v1.9.0")
    commit(repo, "feat: a")
    git(repo, "tag", "v1.10.0")  # greater as a version, smaller as a string
    git(repo, "tag", "not-a-release")
    git(repo, "tag", "v1.2")
    git(repo, "switch", "-q", "-c", "side")
    commit(repo, "feat: on a side branch")
    git(repo, "tag", "v9.0.0")  # not reachable from main
    git(repo, "switch", "-q", "main")
    commit(repo, "fix: b")
    assert last_release(repo) == ("v1.10.0", ReleaseVersion.parse("1.10.0"))


def test_both_rc_spellings_name_one_release_and_the_template_spelling_wins(repo: Path) -> None:
    git(repo, "tag", "v1.0.0rc1")
    assert last_release(repo) == ("v1.0.0rc1", ReleaseVersion.parse("1.0.0-rc.1"))
    git(repo, "tag", "v1.0.0-rc.1")
    assert last_release(repo) == ("v1.0.0-rc.1", ReleaseVersion.parse("1.0.0rc1"))
    git(repo, "tag", "release-1.0.0")
    assert last_release(repo, "release-{semver}") == (
        "release-1.0.0",
        ReleaseVersion.parse("1.0.0"),
    )


def test_a_repository_without_commits_is_one_line(tmp_path: Path) -> None:
    empty = init_repo(tmp_path / "empty")
    with pytest.raises(ReleaseError, match="has no commit at HEAD: commit something"):
        last_release(empty)


def test_the_preview_bumps_the_last_release_as_the_commits_ask(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "w"\nversion = "0.3.0"\n', "utf-8")
    (repo / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- by hand\n", "utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "build: project")
    preview = preview_changelog(repo, version=None, since_ref=None, today=DAY)
    assert preview.version.semver == "0.3.1"
    assert preview.reason == (
        "version 0.3.1: 2 commits in the whole history call for a patch bump from pyproject's 0.3.0"
    )
    git(repo, "tag", "v1.0.0")
    commit(repo, "feat: new")
    preview = preview_changelog(repo, version=None, since_ref=None, today=DAY)
    assert preview.version.semver == "1.1.0"
    assert preview.since_ref == "v1.0.0"
    assert preview.text.startswith("## [1.1.0] - 2026-03-14\n\n### Highlights\n\n- by hand\n")
    given = preview_changelog(repo, version="1.0.1", since_ref=None, today=DAY)
    assert given.warning is not None
    assert given.warning.startswith("version 1.0.1 is a patch bump from 1.0.0, but the commits")
    assert (repo / "CHANGELOG.md").read_text("utf-8").endswith("- by hand\n")  # untouched


def _invoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", "changelog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_invoke_changelog_prints_the_section_and_changes_nothing() -> None:
    before = git(ROOT, "status", "--porcelain")
    done = _invoke("--version", "9.9.9")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("## [9.9.9] - ")
    assert "version 9.9.9 (given)" in done.stderr
    assert git(ROOT, "status", "--porcelain") == before


def test_invoke_changelog_refuses_a_bad_version_in_one_line() -> None:
    done = _invoke("--version", "1.0")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "invoke changelog: version '1.0' is not a release version: give MAJOR.MINOR.PATCH "
        "with an optional pre-release, e.g. 1.0.0 or 1.0.0-rc.1"
    )
