"""Our changelog groups 10,000 commits exactly as git-cliff does (the tool we measure against).

git-cliff is configured to our groups (cliff.toml below) and asked for its context as JSON:
every commit with the group it chose. The timing comparison is not asserted here (timings
belong in benchmarks, not in tests); docs/RELEASING.md has the figures and how to measure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from mycelium.release.publish.changelog import build_section, commits_since, group_of
from mycelium.release.publish.versions import ReleaseVersion
from tests.integration.git_history import fast_import_history, git, init_repo

COMMITS = 10_000
REMOTE = "git@github.example.com:acme/widgets.git"

# git-cliff configured to our groups: the first parser that matches decides.
CLIFF_TOML = Path(__file__).with_name("cliff.toml")


def git_cliff() -> str:
    found = shutil.which("git-cliff") or str(Path(sys.executable).with_name("git-cliff"))
    if not Path(found).exists():
        pytest.fail("git-cliff is not installed: run `uv sync` (it is in the dev group)")
    return found


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = init_repo(tmp_path_factory.mktemp("cliff") / "repo", remote_url=REMOTE)
    history = fast_import_history(repo, commits=COMMITS)
    assert history.merges > 0
    shutil.copyfile(CLIFF_TOML, repo / "cliff.toml")
    return repo


def cliff_groups(repo: Path) -> dict[str, str]:
    done = subprocess.run(
        [git_cliff(), "--config", str(repo / "cliff.toml"), "--repository", str(repo),
         "--context"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )  # fmt: skip
    releases = json.loads(done.stdout)
    return {c["id"]: c["group"] for release in releases for c in release["commits"]}


def test_our_groups_are_git_cliffs_on_10000_commits(big_repo: Path) -> None:
    theirs = cliff_groups(big_repo)
    ours = {c.sha: group_of(c) for c in commits_since(big_repo, None)}
    assert len(ours) == COMMITS  # every merge skipped, nothing else dropped
    assert Counter(ours.values()) == Counter(theirs.values())
    assert ours == theirs  # and commit by commit, not only in total
    section = build_section(
        big_repo, ReleaseVersion.parse("1.0.0"), since_ref=None, today=date(2026, 1, 1),
        remote_url=REMOTE,
    )  # fmt: skip
    assert dict(section.counts) == dict(Counter(theirs.values()))
    assert next(iter(section.counts)) == "Breaking changes"
    assert set(section.counts) == {
        "Breaking changes", "Features", "Fixes", "Performance", "Documentation",
        "Refactoring", "Tests", "Chores", "Other",
    }  # fmt: skip


def test_a_range_from_a_tag_is_the_same_range_for_both(big_repo: Path) -> None:
    tag_at = git(big_repo, "rev-list", "--first-parent", "--skip=1000", "-n", "1", "HEAD")
    git(big_repo, "tag", "v1.0.0", tag_at)
    try:
        theirs = cliff_groups_range(big_repo, "v1.0.0..HEAD")
        ours = {c.sha: group_of(c) for c in commits_since(big_repo, "v1.0.0")}
        assert ours == theirs
        assert 900 < len(ours) < 1100
    finally:
        git(big_repo, "tag", "-d", "v1.0.0")


def cliff_groups_range(repo: Path, revision_range: str) -> dict[str, str]:
    done = subprocess.run(
        [git_cliff(), "--config", str(repo / "cliff.toml"), "--repository", str(repo),
         "--context", revision_range],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )  # fmt: skip
    return {c["id"]: c["group"] for release in json.loads(done.stdout) for c in release["commits"]}
