"""Where the release finds its repository and token, and that the token never shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mycelium.errors import UsageError
from mycelium.release.publish.github import (
    Secret,
    repo_from_url,
    resolve_repo,
    resolve_token,
    scrub,
    web_url_of,
)
from mycelium.release.publish.journal import Journal

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/widget.git", "acme/widget"),
        ("git@github.com:acme/widget.git", "acme/widget"),
        ("ssh://git@ghe.example.com:2222/acme/widget", "acme/widget"),
        ("https://user:secret@github.com/acme/widget", "acme/widget"),
        ("/srv/git/acme/widget.git", None),
        ("file:///srv/git/acme/widget.git", None),
        (None, None),
    ],
)
def test_the_origin_url_names_the_repository(url: str | None, expected: str | None) -> None:
    assert repo_from_url(url) == expected


def test_the_flag_wins_over_the_environment_and_the_origin() -> None:
    env = {"GITHUB_REPOSITORY": "env/repo"}
    assert resolve_repo("flag/repo", env, "git@github.com:o/n.git") == "flag/repo"
    assert resolve_repo(None, env, "git@github.com:o/n.git") == "env/repo"
    assert resolve_repo(None, {}, "git@github.com:o/n.git") == "o/n"


def test_no_repository_is_one_error_naming_all_three_sources() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_repo(None, {}, "/local/path")
    assert "--repo OWNER/NAME" in str(caught.value)
    assert "GITHUB_REPOSITORY" in str(caught.value)
    assert "origin" in str(caught.value)


def test_a_bad_repo_flag_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--repo 'nope': not OWNER/NAME"):
        resolve_repo("nope", {}, None)


def test_the_token_comes_from_the_environment_and_never_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no gh
    assert resolve_token({}) is None
    token = resolve_token({"GITHUB_TOKEN": "ghp_abc123"})
    assert token is not None
    assert token.reveal() == "ghp_abc123"
    assert "ghp_abc123" not in f"{token} {token!r}"
    assert scrub("failed with ghp_abc123 inside", token) == "failed with *** inside"


def test_gh_auth_token_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text("#!/bin/sh\necho gho_fromgh\n")
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    token = resolve_token({})
    assert isinstance(token, Secret)
    assert token.reveal() == "gho_fromgh"
    assert token.source == "gh auth token"


def test_a_corrupt_journal_is_an_error_naming_the_file(tmp_path: Path) -> None:
    from mycelium.errors import ReleaseError

    git_dir = tmp_path
    (git_dir / "mycelium-release.json").write_text("{not json")
    with pytest.raises(ReleaseError, match=r"mycelium-release.json: cannot be read"):
        Journal.load(git_dir)


def test_a_dry_run_journal_writes_nothing(tmp_path: Path) -> None:
    git_dir = tmp_path
    journal = Journal.load(git_dir, dry_run=True)
    journal.record("1.0.0", "v1.0.0", "bump", bump_commit="abc")
    assert not (git_dir / "mycelium-release.json").exists()
    real = Journal.load(git_dir)
    real.record("1.0.0", "v1.0.0", "bump", bump_commit="abc")
    assert Journal.load(git_dir).get("1.0.0") is not None


def test_the_web_address_without_asking_github_follows_the_api_in_use() -> None:
    assert web_url_of("o/r", {}) == "https://github.com/o/r"
    enterprise = {"GITHUB_API_URL": "https://ghe.example/api/v3/"}
    assert web_url_of("o/r", enterprise) == "https://ghe.example/o/r"
    actions = {**enterprise, "GITHUB_SERVER_URL": "https://ghe.example/"}
    assert web_url_of("o/r", actions) == "https://ghe.example/o/r"
