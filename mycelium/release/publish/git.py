"""The git side of a release, through GitPython: state, commit, tag, atomic push, ls-remote.

Every read of the remote is ``git ls-remote`` (it changes nothing, so ``--dry-run`` may use
it); every write is a method here, so the release code never builds a git command itself.
Git never asks for credentials on a terminal (``GIT_TERMINAL_PROMPT=0``): a push that needs
them fails with git's own message instead of hanging.
"""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import git

from mycelium.errors import ReleaseError

NETWORK_TIMEOUT_S: Final = 120.0
_ENV: Final = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}


@dataclass(frozen=True)
class RepoState:
    """What the release reads before it decides anything."""

    root: Path
    branch: str | None  # None: HEAD is detached
    head: str
    dirty: tuple[str, ...]  # changed, staged or untracked paths (ignored files excluded)
    remote: str
    remote_url: str | None  # None: no such remote


class GitRepo:
    """One repository and its remote (``origin`` unless told otherwise)."""

    def __init__(self, path: Path, remote: str = "origin") -> None:
        try:
            self._repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise ReleaseError(
                f"{path}: not inside a git repository; run it from a clone"
            ) from None
        if self._repo.working_tree_dir is None:
            raise ReleaseError(f"{path}: a bare repository; run it from a clone with a work tree")
        self.root = Path(self._repo.working_tree_dir)
        self.git_dir = Path(self._repo.git_dir)
        self.remote = remote

    # -- reading -------------------------------------------------------------------------

    def _git(self, *args: str, timeout: float | None = None) -> str:
        try:
            out = self._repo.git.execute(
                ["git", *args],
                env={**os.environ, **_ENV},
                kill_after_timeout=timeout,
                with_extended_output=False,
                strip_newline_in_stdout=True,
            )
        except git.GitCommandError as exc:
            raise ReleaseError(f"git {args[0]} failed: {_stderr_tail(exc)}") from None
        return str(out)

    def state(self) -> RepoState:
        try:
            branch: str | None = self._repo.active_branch.name
        except TypeError:  # GitPython's way of saying "detached HEAD"
            branch = None
        status = self._git("status", "--porcelain", "--untracked-files=normal")
        dirty = tuple(line[3:] for line in status.splitlines() if line.strip())
        return RepoState(
            root=self.root,
            branch=branch,
            head=self.head(),
            dirty=dirty,
            remote=self.remote,
            remote_url=self.remote_url(),
        )

    def head(self) -> str:
        try:
            return str(self._repo.head.commit.hexsha)
        except ValueError:
            raise ReleaseError(f"{self.root}: the repository has no commit yet") from None

    def remote_url(self) -> str | None:
        try:
            return str(self._repo.remote(self.remote).url)
        except ValueError:
            return None

    def subject(self, rev: str) -> str:
        return str(self._repo.commit(rev).summary)

    def parent(self, rev: str) -> str | None:
        parents = self._repo.commit(rev).parents
        return str(parents[0].hexsha) if parents else None

    def commit_time(self, rev: str) -> int:
        return int(self._repo.commit(rev).committed_date)

    def show(self, rev: str, path: str) -> str | None:
        """The text of ``path`` at ``rev``, or None when the commit has no such file."""
        try:
            return self._git("show", f"{rev}:{path}")
        except ReleaseError:
            return None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            return bool(self._repo.is_ancestor(ancestor, descendant))  # type: ignore[arg-type]
        except git.GitCommandError:
            return False  # an object this clone does not have

    def has_commit(self, sha: str) -> bool:
        try:
            self._repo.commit(sha)
        except (ValueError, git.BadName):
            return False
        return True

    def local_tag(self, tag: str) -> str | None:
        """The commit the local tag points to (peeled), or None."""
        ref = next((t for t in self._repo.tags if t.name == tag), None)
        return str(ref.commit.hexsha) if ref is not None else None

    def _ls_remote(self, *refs: str) -> dict[str, str]:
        out = self._git("ls-remote", self.remote, *refs, timeout=NETWORK_TIMEOUT_S)
        found: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            found[ref] = sha
        return found

    def remote_tag(self, tag: str) -> str | None:
        """The commit the remote's tag points to (peeled), or None. Read-only."""
        refs = self._ls_remote(f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}")
        return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")

    def remote_branch(self, branch: str) -> str | None:
        """The commit the remote's branch is at, or None. Read-only."""
        return self._ls_remote(f"refs/heads/{branch}").get(f"refs/heads/{branch}")

    def export(self, rev: str, dest: Path) -> Path:
        """The tree of ``rev`` written to ``dest`` (``git archive``), nothing else of the clone."""
        buffer = io.BytesIO()
        self._repo.archive(buffer, treeish=rev, format="tar")
        buffer.seek(0)
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=buffer) as archive:
            archive.extractall(dest, filter="data")
        return dest

    # -- writing -------------------------------------------------------------------------

    def commit(self, paths: list[str], message: str) -> str:
        self._git("add", "--", *paths)
        self._git("commit", "--quiet", "--no-verify", "-m", message, "--", *paths)
        return self.head()

    def create_tag(self, tag: str, rev: str, message: str, *, sign: bool = False) -> None:
        self._git("tag", "-s" if sign else "-a", tag, rev, "-m", message)

    def delete_local_tag(self, tag: str) -> None:
        self._git("tag", "-d", tag)

    def fetch_tag(self, tag: str) -> None:
        self._git(
            "fetch", "--no-tags", self.remote, f"refs/tags/{tag}:refs/tags/{tag}",
            timeout=NETWORK_TIMEOUT_S,
        )  # fmt: skip

    def push_atomic(self, branch: str, tag: str) -> None:
        """Branch and tag reach the remote together, or neither does (``git push --atomic``)."""
        self._git(
            "push", "--atomic", "--porcelain", self.remote,
            f"refs/heads/{branch}:refs/heads/{branch}", f"refs/tags/{tag}:refs/tags/{tag}",
            timeout=NETWORK_TIMEOUT_S,
        )  # fmt: skip

    def push_branch(self, branch: str) -> None:
        self._git(
            "push", "--porcelain", self.remote, f"refs/heads/{branch}:refs/heads/{branch}",
            timeout=NETWORK_TIMEOUT_S,
        )  # fmt: skip

    def delete_remote_tag(self, tag: str) -> None:
        self._git(
            "push", "--porcelain", self.remote, f":refs/tags/{tag}", timeout=NETWORK_TIMEOUT_S
        )

    def revert(self, rev: str) -> str:
        self._git("revert", "--no-edit", rev)
        return self.head()

    def reset_hard(self, rev: str) -> None:
        self._git("reset", "--hard", "--quiet", rev)


def _stderr_tail(exc: git.GitCommandError) -> str:
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    lines = [
        line.strip().removeprefix("stderr: ").strip("'").strip()
        for line in text.splitlines()
        if line.strip()
    ]
    # git's own verdict ("fatal: ...") comes first; advice lines follow it.
    verdict = next((line for line in lines if line.startswith(("fatal:", "error:"))), None)
    return verdict or (lines[-1] if lines else f"exit status {exc.status}")
