"""``invoke rollback VERSION``: undo a release, in reverse, from the journal or the remote.

Delete the GitHub release (a published one only with ``--force``: people may have it), delete
the remote and the local tag, then undo the bump commit: ``git revert`` (and push) when it
was pushed, ``git reset --hard`` to its parent when it was not. Each step looks first, so a
second run finds nothing left and says so.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.errors import MyceliumError, ReleaseError, UsageError
from mycelium.release.publish.git import GitRepo
from mycelium.release.publish.github import (
    GitHubClient,
    Secret,
    api_url,
    resolve_repo,
    resolve_token,
    scrub,
)
from mycelium.release.publish.journal import Journal
from mycelium.release.publish.plan import RELEASE_SUBJECT, Outcome, Recorder
from mycelium.release.publish.versions import ReleaseVersion, project_version

if TYPE_CHECKING:
    from mycelium.release.publish.plan import RollbackOptions


def run_rollback(options: RollbackOptions) -> Outcome:
    env = dict(os.environ if options.env is None else options.env)
    version = ReleaseVersion.parse(options.version)
    tag = version.tag(options.tag_template)
    repo = GitRepo(options.project_dir, options.remote)
    rec = Recorder(dry_run=False)
    token: Secret | None = None
    client: GitHubClient | None = None
    try:
        state = repo.state()
        if state.branch is None:
            raise ReleaseError(
                f"HEAD is detached at {state.head[:7]}: git switch {options.branch} first"
            )
        if state.dirty:
            raise ReleaseError(
                f"the work tree has uncommitted changes ({', '.join(state.dirty[:5])}): "
                "commit or stash them; the rollback may revert or reset a commit"
            )
        journal = Journal.load(repo.git_dir)
        entry = journal.get(version.pep440)
        subject = RELEASE_SUBJECT.format(semver=version.semver)
        bump = _bump_commit(repo, tag, subject, entry.bump_commit if entry else "")
        try:
            full_name = resolve_repo(options.repo, env, state.remote_url)
        except UsageError as exc:
            if entry is None and bump is None and not _tagged(repo, tag, state.remote_url):
                # Nothing here to undo: a repeated rollback ends well even with no GitHub.
                rec.done(f"no tag {tag}, bump commit or journal entry of {version.pep440} here")
                message = f"nothing to undo for {tag} (GitHub not checked: {exc})"
                return Outcome(tuple(rec.lines), exit_codes.OK, message)
            raise
        token = resolve_token(env)
        if token is None:
            raise ReleaseError(
                f"no GitHub token: set GITHUB_TOKEN (the rollback deletes the release on "
                f"{full_name}), or log in with `gh auth login`"
            )
        client = GitHubClient(full_name, token, api_url(env), backoff=options.backoff)
        _delete_releases(client, rec, tag, force=options.force)
        _delete_tags(repo, rec, tag)
        # 3. The bump commit.
        _undo_bump(repo, rec, bump, version, options.branch)
        if entry is not None:
            journal.forget(version.pep440)
            rec.done(f"removed {version.pep440} from {journal.path.name}")
    except MyceliumError as exc:
        message = scrub(str(exc), token)
        rec.left(message)
        return Outcome(tuple(scrub(x, token) for x in rec.lines), exc.exit_code, message)
    finally:
        if client is not None:
            client.close()
    return Outcome(tuple(rec.lines), exit_codes.OK, f"{tag} rolled back")


def _tagged(repo: GitRepo, tag: str, remote_url: str | None) -> bool:
    """Whether the tag is here or on the remote; a remote that cannot be asked may have it."""
    if repo.local_tag(tag) is not None:
        return True
    if remote_url is None:
        return False
    try:
        return repo.remote_tag(tag) is not None
    except MyceliumError:
        return True


def _delete_releases(client: GitHubClient, rec: Recorder, tag: str, *, force: bool) -> None:
    """Every release carrying the tag, drafts included; a published one only with force."""
    releases = client.releases_for(tag)
    published = [r for r in releases if not r.draft]
    if published and not force:
        raise ReleaseError(
            f"release {tag} is published ({published[0].html_url}): people may have "
            "downloaded it; a new patch release is usually the better fix. Pass --force "
            "to delete it anyway"
        )
    for release in releases:
        client.delete_release(release.id)
        kind = "draft" if release.draft else "published release"
        rec.done(f"deleted the {kind} {tag} (id {release.id})")
    if not releases:
        rec.done(f"no release {tag} on GitHub")


def _delete_tags(repo: GitRepo, rec: Recorder, tag: str) -> None:
    """The remote tag first: a local tag alone harms no one."""
    if repo.remote_tag(tag) is not None:
        repo.delete_remote_tag(tag)
        rec.done(f"deleted tag {tag} on {repo.remote}")
    else:
        rec.done(f"no tag {tag} on {repo.remote}")
    if repo.local_tag(tag) is not None:
        repo.delete_local_tag(tag)
        rec.done(f"deleted the local tag {tag}")
    else:
        rec.done(f"no local tag {tag}")


def _bump_commit(repo: GitRepo, tag: str, subject: str, journalled: str) -> str | None:
    """The release's bump commit: the journal's, else the tagged commit or HEAD by subject."""
    if journalled and repo.has_commit(journalled):
        return journalled
    for candidate in (repo.local_tag(tag), repo.remote_tag(tag), repo.head()):
        if candidate and repo.has_commit(candidate) and repo.subject(candidate) == subject:
            return candidate
    return None


def _undo_bump(
    repo: GitRepo, rec: Recorder, bump: str | None, version: ReleaseVersion, branch: str
) -> None:
    if bump is None:
        rec.done(f"no bump commit for {version.semver} to undo")
        return
    remote_branch = repo.remote_branch(branch)
    pushed = remote_branch is not None and (
        remote_branch == bump
        or (repo.has_commit(remote_branch) and repo.is_ancestor(bump, remote_branch))
    )
    contains = repo.is_ancestor(bump, repo.head())
    current = project_version(repo.root / "pyproject.toml")
    if not contains or current != version.pep440:
        rec.done(f"the bump {bump[:7]} is already undone (pyproject.toml says {current})")
    elif not pushed and repo.head() == bump:
        parent = repo.parent(bump)
        if parent is None:
            raise ReleaseError(f"the bump {bump[:7]} has no parent to reset to")
        repo.reset_hard(parent)
        rec.done(f"reset {branch} to {parent[:7]}: the unpushed bump {bump[:7]} is gone")
        return
    else:
        sha = repo.revert(bump)
        rec.done(f"reverted the bump {bump[:7]} with {sha[:7]}")
    if pushed and remote_branch != repo.head():
        remote_now = repo.remote_branch(branch)
        if remote_now and repo.has_commit(remote_now) and repo.is_ancestor(remote_now, repo.head()):
            repo.push_branch(branch)
            rec.done(f"pushed the revert to {repo.remote}/{branch}")
