"""Real git repositories for the changelog tests: small ones commit by commit, big ones by
``git fast-import`` (10,000 commits in a few seconds).
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

AUTHORS = (
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.org"),
    ("Linus T", "linus@example.net"),
    ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
    ("Zoë Ünicode", "zoe@example.com"),
)
TYPES = ("feat", "fix", "perf", "docs", "refactor", "test", "chore", "build", "ci", "style")
SCOPES = ("config", "wizard", "generate", "publish", "qa", "fleet")
UNCONVENTIONAL = (
    "Update README.md",
    "WIP",
    "fix typo",
    "Initial import of the thing",
    "feat add something without a colon",
    "release 1.2",
)
# Near misses and odd forms, where a parser can go wrong.
EDGE = (
    "Feat: a capitalised type",
    "feat(): an empty scope",
    "feat:no space after the colon",
    "feat(a)(b): two scopes",
    "feat(x) : a space before the colon",
    "fix(a b): a space in the scope",
    "wip: a type we do not group",
    "chore(deps)!: a breaking chore",
    "fix: BREAKING CHANGE: inline, not a footer",
)


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return proc.stdout.strip()


def init_repo(repo: Path, *, remote_url: str | None = None) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Ada Lovelace")
    git(repo, "config", "user.email", "ada@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "config", "tag.gpgsign", "false")
    if remote_url is not None:
        git(repo, "remote", "add", "origin", remote_url)
    return repo


def commit(repo: Path, message: str, *, author: tuple[str, str] | None = None) -> str:
    """An empty commit with ``message``; returns its sha."""
    args = ["commit", "-q", "--allow-empty", "-m", message]
    if author is not None:
        args += ["--author", f"{author[0]} <{author[1]}>"]
    git(repo, *args)
    return git(repo, "rev-parse", "HEAD")


@dataclass(frozen=True)
class History:
    commits: int  # non-merge commits written
    merges: int


def _message(rng: random.Random, n: int) -> str:
    roll = rng.random()
    if roll < 0.01:
        return f"{rng.choice(EDGE)} #{n}"
    if roll < 0.06:
        return f"{rng.choice(UNCONVENTIONAL)} #{n}"
    kind = rng.choice(TYPES)
    scope = f"({rng.choice(SCOPES)})" if rng.random() < 0.6 else ""
    bang = "!" if rng.random() < 0.02 else ""
    subject = f"{kind}{scope}{bang}: change number {n} in the {rng.choice(SCOPES)} room"
    body = ""
    if rng.random() < 0.3:
        body = f"\n\nWhy: commit {n} explains itself over\ntwo lines."
    footer = rng.random()
    if footer < 0.01:
        body += f"\n\nBREAKING CHANGE: option {n} is gone"
    elif footer < 0.02:
        body += f"\n\nBREAKING-CHANGE: option {n} is renamed"
    elif footer < 0.05:
        body += "\n\nRefs: #12"
    return subject + body + "\n"


def _data(text: str) -> str:
    raw = text.encode("utf-8")
    return f"data {len(raw)}\n{text}\n"


def fast_import_history(
    repo: Path, *, commits: int, seed: int = 13, merge_every: int = 200
) -> History:
    """Write ``commits`` conventional (mostly) commits on ``main``, with a merge of a
    three-commit side branch every ``merge_every`` commits, in one ``git fast-import``.
    """
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    out: list[str] = []
    mark = 0
    main_tip: int | None = None
    written = merges = 0
    stamp = 1_700_000_000

    def emit(ref: str, message: str, parents: list[int]) -> int:
        nonlocal mark, stamp
        mark += 1
        stamp += 60
        name, email = rng.choice(AUTHORS)
        out.append(f"commit {ref}\nmark :{mark}\n")
        out.append(f"author {name} <{email}> {stamp} +0000\n")
        out.append(f"committer {name} <{email}> {stamp} +0000\n")
        out.append(_data(message))
        if parents:
            out.append(f"from :{parents[0]}\n")
        out.extend(f"merge :{p}\n" for p in parents[1:])
        out.append(f"M 644 inline f{mark % 64}.txt\n{_data(str(mark))}\n")
        return mark

    while written < commits:
        if main_tip is not None and written % merge_every == 0 and written + 3 <= commits:
            side = main_tip
            for _ in range(3):
                side = emit("refs/heads/side", _message(rng, written), [side])
                written += 1
            main_tip = emit("refs/heads/main", "Merge branch 'side'\n", [main_tip, side])
            merges += 1
            continue
        main_tip = emit("refs/heads/main", _message(rng, written), [main_tip] if main_tip else [])
        written += 1
    out.append("done\n")
    git(repo, "fast-import", "--quiet", "--done", stdin="".join(out))
    git(repo, "reset", "-q", "--hard", "main")
    return History(commits=written, merges=merges)
