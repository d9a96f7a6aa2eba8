"""``invoke release`` and ``invoke rollback`` on a real repository with a bare local origin,
against the local GitHub double (PyGithub talks to it through ``GITHUB_API_URL``)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from typing import TYPE_CHECKING

import pytest

from mycelium import exit_codes
from mycelium.errors import MyceliumError
from mycelium.release.publish.command import release, rollback
from tests.integration.release_lab import (
    TOKEN,
    Project,
    git,
    release_options,
    rollback_options,
    write_reports,
)

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.release.publish.plan import Outcome
    from tests.integration.github_double import GitHubDouble

ASSETS = {
    "widget-0.2.0-py3-none-any.whl",
    "widget-0.2.0.tar.gz",
    "SHA256SUMS",
    "qa_matrix.md",
    "performance_report.json",
}


def run(project: Project, github: GitHubDouble, version: str = "0.2.0", **kw: object) -> Outcome:
    token = kw.pop("token", TOKEN)
    assert token is None or isinstance(token, str)
    return release(release_options(project, version, github.api_url, token, **kw))


def skip_gates() -> dict[str, str]:
    return {"skip_qa": "no fleet in this test", "skip_bench": "no fleet in this test"}


def wheel_of(project: Project) -> Path:
    (wheel,) = (project.root / "dist").glob("*.whl")
    return wheel


def test_a_release_converges_over_two_runs_and_ships_the_wheel_qa_passed(
    project: Project, github: GitHubDouble
) -> None:
    base = project.head()
    first = run(project, github)
    assert first.exit_code == exit_codes.RELEASE_WAITING, first.lines
    assert project.pyproject_version() == "0.2.0"
    assert git(project.root, "log", "-1", "--format=%s") == "chore(release): 0.2.0"
    assert git(project.root, "rev-parse", "HEAD~1") == base
    assert any("invoke qa" in c for c in first.next_commands)
    assert any("invoke bench" in c for c in first.next_commands)
    assert project.remote_refs().count("refs/tags") == 0  # nothing pushed yet
    assert github.writes == []

    qa_sha = write_reports(project, "0.2.0", wheel_of(project))
    second = run(project, github)
    assert second.exit_code == 0, second.lines
    head = project.head()
    tag_commit = git(project.root, "rev-parse", "v0.2.0^{commit}")
    assert tag_commit == head
    assert git(project.root, "cat-file", "-t", "v0.2.0") == "tag"  # annotated
    assert f"{head} refs/heads/main" in project.remote_refs()
    assert "refs/tags/v0.2.0" in project.remote_refs()
    (published,) = github.releases_for("v0.2.0")
    assert published["draft"] is False
    assert published["prerelease"] is False
    assets = {a["name"]: a for a in github.assets_of(published["id"])}
    assert set(assets) == ASSETS
    wheel_asset = assets["widget-0.2.0-py3-none-any.whl"]
    assert hashlib.sha256(github.blob(wheel_asset["id"])).hexdigest() == qa_sha
    assert "QA passed on this wheel" in published["body"]
    assert "widgets no longer wobble" in published["body"]
    assert published["body"].startswith("# widget 0.2.0\n")
    assert "/releases/download/v0.2.0/widget-0.2.0-py3-none-any.whl" in published["body"]
    tag_message = git(project.root, "tag", "-l", "--format=%(contents)", "v0.2.0")
    assert "widgets no longer wobble" in tag_message
    assert "## Installation" not in tag_message
    changelog = (project.root / "CHANGELOG.md").read_text()
    assert "## [0.2.0] - 2026-03-01" in changelog
    assert changelog.index("## [Unreleased]") < changelog.index("## [0.2.0]")
    assert "a hand-written note." in changelog.split("## [0.2.0]")[1]

    writes = len(github.writes)
    third = run(project, github)
    assert third.exit_code == 0, third.lines
    assert len(github.writes) == writes  # converged: nothing left to do
    assert all(line.startswith(("✔", "  ✔", "  –", "–")) for line in third.lines), third.lines


def test_an_upload_that_fails_twice_stops_the_run_and_a_rerun_finishes_without_duplicates(
    project: Project, github: GitHubDouble
) -> None:
    github.fail_next("upload", 2, partial=True)
    first = run(project, github, **skip_gates())
    assert first.exit_code == exit_codes.FAILURE
    assert "upload" in first.message
    assert "widget-0.2.0-py3-none-any.whl" in first.message
    second = run(project, github, **skip_gates())
    assert second.exit_code == 0, second.lines
    (published,) = github.releases_for("v0.2.0")
    names = [a["name"] for a in github.assets_of(published["id"])]
    assert sorted(names) == sorted(["widget-0.2.0-py3-none-any.whl", "widget-0.2.0.tar.gz",
                                    "SHA256SUMS"])  # fmt: skip
    assert all(a["state"] == "uploaded" for a in github.assets_of(published["id"]))
    assert project.local_refs().count("refs/tags/v0.2.0") == 1
    assert "skipped: no fleet in this test" in published["body"]


def test_a_failed_upload_within_the_retry_budget_does_not_fail_the_run(
    project: Project, github: GitHubDouble
) -> None:
    github.fail_next("upload", 1)
    github.fail_next("list_releases", 2)  # retried by the HTTP layer
    outcome = run(project, github, **skip_gates())
    assert outcome.exit_code == 0, outcome.lines
    (published,) = github.releases_for("v0.2.0")
    assert len(github.assets_of(published["id"])) == 3


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "localhost/python3: no report"),
        ("failed", "localhost/python3: failed"),
        ("other-wheel", "from another wheel"),
        ("bench-fail", "past the threshold: config_validation"),
    ],
)
def test_the_gates_refuse_missing_failed_and_foreign_reports(
    project: Project, github: GitHubDouble, case: str, expected: str
) -> None:
    first = run(project, github)
    assert first.exit_code == exit_codes.RELEASE_WAITING
    wheel = wheel_of(project)
    if case == "failed":
        write_reports(project, "0.2.0", wheel, qa_status="fail")
    elif case == "other-wheel":
        write_reports(project, "0.2.0", wheel, sha256="0" * 64)
    elif case == "bench-fail":
        write_reports(project, "0.2.0", wheel, bench_status="fail")
    else:
        write_reports(project, "0.2.0", wheel, qa=False)
    second = run(project, github)
    assert second.exit_code == exit_codes.RELEASE_WAITING, second.lines
    assert any(expected in line for line in second.lines), second.lines
    assert "refs/tags" not in project.local_refs()
    assert github.writes == []


def test_dry_run_changes_nothing_in_the_repository_the_remote_or_github(
    project: Project, github: GitHubDouble
) -> None:
    before = project.state()
    snapshot = github.snapshot()
    outcome = run(project, github, dry_run=True, **skip_gates())
    assert outcome.exit_code == 0, outcome.lines
    assert project.state() == before
    assert github.snapshot() == snapshot
    assert github.writes == []
    assert any("create annotated tag v0.2.0" in p for p in outcome.planned)
    assert any("twine check passed" in line for line in outcome.lines)
    assert any("installed in a fresh venv" in line for line in outcome.lines)
    assert "widgets no longer wobble" in outcome.notes


def test_dry_run_without_a_token_says_so_and_still_shows_the_plan(
    project: Project, github: GitHubDouble
) -> None:
    before = project.state()
    outcome = run(project, github, dry_run=True, token=None, **skip_gates())
    assert outcome.exit_code == exit_codes.FAILURE
    assert "no GitHub token" in outcome.message
    assert any("built widget-0.2.0" in line for line in outcome.lines)
    assert project.state() == before


def test_rollback_after_a_full_release_needs_force_and_leaves_nothing(
    project: Project, github: GitHubDouble
) -> None:
    assert run(project, github, **skip_gates()).exit_code == 0
    refused = rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN))
    assert refused.exit_code == exit_codes.FAILURE
    assert "is published" in refused.message
    assert github.releases_for("v0.2.0")
    done = rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN, force=True))
    assert done.exit_code == 0, done.lines
    _assert_rolled_back(project, github)
    assert git(project.root, "log", "-1", "--format=%s").startswith('Revert "chore(release)')
    again = rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN, force=True))
    assert again.exit_code == 0, again.lines
    assert project.head() == git(project.origin, "rev-parse", "main")


def test_rollback_after_a_half_made_release_removes_the_draft_and_the_pushed_tag(
    project: Project, github: GitHubDouble
) -> None:
    github.fail_next("upload", 5)
    assert run(project, github, **skip_gates()).exit_code == exit_codes.FAILURE
    assert github.releases_for("v0.2.0")[0]["draft"] is True
    assert "refs/tags/v0.2.0" in project.remote_refs()
    done = rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN))
    assert done.exit_code == 0, done.lines
    _assert_rolled_back(project, github)


def test_rollback_of_a_prepared_release_resets_the_unpushed_bump(
    project: Project, github: GitHubDouble
) -> None:
    base = project.head()
    assert run(project, github).exit_code == exit_codes.RELEASE_WAITING
    done = rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN))
    assert done.exit_code == 0, done.lines
    assert project.head() == base
    assert project.pyproject_version() == "0.1.0"


def test_rollback_with_nothing_to_undo_and_no_github_repository_ends_well(
    project: Project, github: GitHubDouble
) -> None:
    before = project.state()
    done = rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN, repo=None))

    assert done.exit_code == 0, done.lines
    assert done.message.startswith("nothing to undo for v0.2.0 (GitHub not checked: ")
    assert project.state() == before
    git(project.root, "tag", "-a", "v0.2.0", "-m", "made by hand")
    refused = rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN, repo=None))
    assert refused.exit_code != 0
    assert "v0.2.0" in project.local_refs()


def _assert_rolled_back(project: Project, github: GitHubDouble) -> None:
    assert github.releases_for("v0.2.0") == []
    assert "v0.2.0" not in project.local_refs()
    assert "v0.2.0" not in project.remote_refs()
    assert project.pyproject_version() == "0.1.0"
    assert project.pyproject_version(git(project.origin, "rev-parse", "main")) == "0.1.0"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("1.0", "is not a release version"),
        ("v1.0.0.0", "is not a release version"),
        ("lower", "is not greater than the last release 0.5.0"),
        ("dirty", "uncommitted changes (notes.txt)"),
        ("detached", "HEAD is detached"),
        ("no-token", "no GitHub token"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    project: Project, github: GitHubDouble, case: str, expected: str
) -> None:
    version = "0.2.0"
    token: str | None = TOKEN
    if case in {"1.0", "v1.0.0.0"}:
        version = case
    elif case == "lower":
        git(project.root, "tag", "-a", "v0.5.0", "-m", "old")
    elif case == "dirty":
        (project.root / "notes.txt").write_text("edited\n")
    elif case == "detached":
        git(project.root, "checkout", "-q", "--detach")
    else:
        token = None
    before = project.state()
    try:
        outcome = run(project, github, version, token=token, **skip_gates())
        message, code = outcome.message, outcome.exit_code
    except MyceliumError as exc:
        message, code = str(exc), exc.exit_code
    assert code != 0
    assert expected in message
    assert "\n" not in message
    assert project.state() == before
    assert github.writes == []


def test_a_clone_without_its_remote_is_named_by_gits_own_verdict(
    project: Project, github: GitHubDouble
) -> None:
    git(project.root, "remote", "remove", "origin")

    outcome = run(project, github, **skip_gates())

    assert outcome.exit_code != 0
    assert outcome.message == (
        "git ls-remote failed: fatal: 'origin' does not appear to be a git repository"
    )
    assert github.writes == []


def test_a_tag_on_another_commit_stops_the_release(project: Project, github: GitHubDouble) -> None:
    git(project.root, "tag", "-a", "v0.2.0", "-m", "elsewhere", "HEAD~1")
    outcome = run(project, github, **skip_gates())
    assert outcome.exit_code == exit_codes.FAILURE
    assert "tag v0.2.0 exists locally on" in outcome.message


def test_the_token_appears_in_no_output_and_no_file_of_a_run(
    project: Project, github: GitHubDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level("DEBUG")
    github.fail_next("upload", 2)
    outcomes = [run(project, github, **skip_gates()) for _ in range(2)]
    outcomes.append(rollback(rollback_options(project, "0.2.0", github.api_url, TOKEN, force=True)))
    github.state.token = "another"  # a rejected token: the error must not echo ours either
    outcomes.append(run(project, github, "0.3.0", **skip_gates()))
    captured = capsys.readouterr()
    texts = [captured.out, captured.err, caplog.text]
    for outcome in outcomes:
        texts += [*outcome.lines, outcome.message, outcome.notes, json.dumps(outcome.planned)]
    assert not [t for t in texts if TOKEN in t]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=project.root, capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert TOKEN.encode() not in objects
    assert github.state.auth_seen  # the token did reach the API, in the header only


def test_a_release_candidate_is_a_github_prerelease_and_draft_stops_before_publishing(
    project: Project, github: GitHubDouble
) -> None:
    outcome = run(project, github, "0.2.0-rc.1", draft=True, **skip_gates())
    assert outcome.exit_code == 0, outcome.lines
    assert project.pyproject_version() == "0.2.0rc1"
    (draft,) = github.releases_for("v0.2.0-rc.1")
    assert draft["draft"] is True
    assert draft["prerelease"] is True
    assert {a["name"] for a in github.assets_of(draft["id"])} >= {"widget-0.2.0rc1.tar.gz"}
    published = run(project, github, "0.2.0-rc.1", **skip_gates())
    assert published.exit_code == 0, published.lines
    (release_,) = github.releases_for("v0.2.0-rc.1")
    assert release_["draft"] is False


def test_the_same_commit_builds_the_same_bytes(project: Project, tmp_path: Path) -> None:
    from mycelium.release.publish.artifacts import build_commit
    from mycelium.release.publish.git import GitRepo

    repo = GitRepo(project.root)
    first = build_commit(repo, project.head(), tmp_path / "one")
    second = build_commit(repo, project.head(), tmp_path / "two")
    assert first.wheel_sha256 == second.wheel_sha256
    assert first.checksums.read_text() == second.checksums.read_text()
