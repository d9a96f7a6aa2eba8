"""Commits since a reference, read from git and parsed as conventional commits.

A leaf of ``publish/``: it knows git's log and the Conventional Commits grammar, nothing of
versions or Markdown. One ``git log`` process reads the whole range (fields separated by NUL,
which a commit message cannot contain), so 10,000 commits cost one fork.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mycelium.errors import ReleaseError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

GIT_TIMEOUT_S = 120.0

# type(scope)!: description — the header grammar of conventionalcommits.org 1.0.0.
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)"
    r"(?:\((?P<scope>[^()\r\n]+)\))?"
    r"(?P<bang>!)?: (?P<description>\S.*)$"
)
# A footer token `BREAKING CHANGE:` or `BREAKING-CHANGE:` at the start of a line of the body.
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE: ?(?P<text>.*)$", re.MULTILINE)
# Any other footer token (`Refs: #12`, `Acked-by: x`, `Fixes #3`): where a footer's value ends.
_FOOTER_TOKEN = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9-]*(?:: | #)|BREAKING[ -]CHANGE: )", re.MULTILINE
)
# What `git revert` writes in the body of the commit it makes.
_REVERTS = re.compile(r"This reverts commit (?P<sha>[0-9a-fA-F]{7,40})\b")
# user.name set to an address, or "Name <address>" pasted in: never published as such.
_EMAIL = re.compile(r"\s*<?[^\s<>@]+@[^\s<>@]+>?\s*")

_FIELDS = ("%H", "%s", "%b", "%an")
_FORMAT = "%x00".join(_FIELDS)


@dataclass(frozen=True)
class Commit:
    """One commit of the range, with its conventional-commit parts (``type`` None: not one)."""

    sha: str
    subject: str
    body: str
    author: str
    type: str | None
    scope: str | None
    breaking: bool
    description: str

    @property
    def breaking_note(self) -> str:
        """The text of a ``BREAKING CHANGE:`` footer ("" when the ``!`` alone says it)."""
        match = _BREAKING_FOOTER.search(self.body)
        if match is None:
            return ""
        rest = self.body[match.end() :]
        following = _FOOTER_TOKEN.search(rest)
        value = match.group("text") + (rest[: following.start()] if following else rest)
        return " ".join(value.split())

    @property
    def reverted_sha(self) -> str | None:
        """The commit this one reverts, as ``git revert`` names it in the body."""
        match = _REVERTS.search(self.body)
        return match.group("sha").lower() if match else None


def parse_commit(sha: str, subject: str, body: str, author: str) -> Commit:
    """Parse a commit's subject and footers; an unparseable subject keeps ``type`` None."""
    subject = subject.strip()
    body = body.strip("\n")
    match = _HEADER.match(subject)
    footer_breaking = _BREAKING_FOOTER.search(body) is not None
    if match is None:
        return Commit(
            sha=sha,
            subject=subject,
            body=body,
            author=author_name(author),
            type=None,
            scope=None,
            breaking=footer_breaking,
            description=subject,
        )
    scope = match.group("scope")
    return Commit(
        sha=sha,
        subject=subject,
        body=body,
        author=author_name(author),
        type=match.group("type").lower(),
        scope=scope.strip() if scope else None,
        breaking=bool(match.group("bang")) or footer_breaking,
        description=match.group("description").strip(),
    )


def author_name(raw: str) -> str:
    """The author's name without any e-mail address in it ("" when nothing else is left)."""
    name = _EMAIL.sub(" ", raw).strip()
    return " ".join(name.split())


def git(repo_dir: Path, *args: str) -> str:
    """Run one read-only git command in ``repo_dir``; a failure names the command and why."""
    command = ["git", "-C", str(repo_dir), *args]
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            timeout=GIT_TIMEOUT_S,
        )
    except FileNotFoundError:
        raise ReleaseError("git is not installed: install git (apt-get install git)") from None
    except subprocess.TimeoutExpired:
        raise ReleaseError(
            f"`git {' '.join(args)}` in {repo_dir} took over {GIT_TIMEOUT_S:g} s"
        ) from None
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise ReleaseError(f"`git {' '.join(args)}` failed in {repo_dir}: {why}")
    return proc.stdout


def read_log(repo_dir: Path, since_ref: str | None) -> list[Commit]:
    """Every non-merge commit of ``since_ref..HEAD`` (all of HEAD's history when None).

    Newest first, as ``git log`` lists them.
    """
    if since_ref is not None:
        # `rev-parse --verify` turns a mistyped ref into a one-line error naming it.
        try:
            git(repo_dir, "rev-parse", "--verify", "--quiet", f"{since_ref}^{{commit}}")
        except ReleaseError:
            raise ReleaseError(
                f"--since {since_ref!r}: no such commit or tag in {repo_dir}; "
                "give a tag, branch or sha that HEAD descends from"
            ) from None
    revision = f"{since_ref}..HEAD" if since_ref is not None else "HEAD"
    out = git(repo_dir, "log", "-z", "--no-merges", f"--format={_FORMAT}", revision, "--")
    return list(_parse_log(out))


def _parse_log(out: str) -> Iterable[Commit]:
    # With -z, records end in NUL too: fields and records are one flat NUL-separated list.
    fields = out.split("\x00")
    width = len(_FIELDS)
    for start in range(0, len(fields) - width + 1, width):
        sha, subject, body, author = fields[start : start + width]
        yield parse_commit(sha.strip(), subject, body, author)


def cancel_reverts(commits: list[Commit]) -> list[Commit]:
    """Drop each revert together with the commit it reverts, when both are in the range.

    ``commits`` is newest first. Walking from the newest, a revert cancels its target; a
    commit that a later one reverted is dropped without applying its own revert, so a
    revert of a revert brings the original back. A revert of a commit outside the range
    (released earlier) stays: it is a change since the last release.
    """
    cancelled: set[str] = set()
    kept: list[Commit] = []
    shas = [c.sha.lower() for c in commits]
    in_range = set(shas)
    for commit, sha in zip(commits, shas, strict=True):
        if sha in cancelled:
            continue
        target = commit.reverted_sha
        if target is not None:
            # A full sha is looked up; an abbreviated one (a hand-edited message) is searched.
            found = (
                target
                if target in in_range
                else next((s for s in shas if s.startswith(target) and s != sha), None)
            )
            if found is not None and found != sha:
                cancelled.add(found)
                continue
        kept.append(commit)
    return kept


def commits_since(repo_dir: Path, since_ref: str | None) -> list[Commit]:
    """The commits a release since ``since_ref`` contains: merges, reverts and release commits
    left out.

    Newest first. ``since_ref`` None means the whole history of HEAD (a first release).
    """
    # The release commits themselves (`chore(release): 1.0.0`, which `invoke release` makes)
    # only bump the version and write the changelog: they are not changes to list.
    return [c for c in cancel_reverts(read_log(repo_dir, since_ref)) if not _is_release(c)]


def _is_release(commit: Commit) -> bool:
    return commit.type == "chore" and commit.scope == "release"
