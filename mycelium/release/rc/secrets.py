"""CR-10.2: no key, token or ``.env`` in the repository or in what we ship.

The repository's tracked files and every member of the built wheel and sdist are read
(bounded: the first 2 MB of each) for private keys and the token formats the common
services issue. An ``.env`` file inside a distribution is a failure whatever it holds; a
tracked one too, unless it is a test fixture. A line that holds a fake token on purpose (a
test of the redaction) says so with ``rc: allow-secret`` on the same line, and is counted.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final

from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, failed, passed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NAME: Final = "secrets"
MAX_BYTES: Final = 2 * 1024 * 1024
ALLOW_MARK: Final = "rc: allow-secret"
PATTERNS: Final = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Stripe key": re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}\b"),
    "PyPI token": re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
}
_ENV_NAME: Final = re.compile(r"^\.env(?:\.[A-Za-z0-9_-]+)?$")
_ENV_EXAMPLES: Final = frozenset({".env.example", ".env.sample", ".env.template"})


@dataclass(frozen=True)
class Hit:
    where: str  # "repo:path:line", "wheel:member:line"
    kind: str

    def format(self) -> str:
        return f"✘ {self.where}: {self.kind}"


def scan_text(where: str, text: str) -> tuple[list[Hit], int]:
    """The hits in one file's text, and how many lines were allowed by the mark."""
    hits: list[Hit] = []
    allowed = 0
    for number, line in enumerate(text.splitlines(), start=1):
        kinds = [kind for kind, pattern in PATTERNS.items() if pattern.search(line)]
        if not kinds:
            continue
        if ALLOW_MARK in line:
            allowed += 1
            continue
        hits.extend(Hit(f"{where}:{number}", kind) for kind in kinds)
    return hits, allowed


def _is_env_file(name: str) -> bool:
    base = PurePosixPath(name).name
    return bool(_ENV_NAME.match(base)) and base not in _ENV_EXAMPLES


def tracked_files(project_dir: Path) -> list[str]:
    git = tool("git")
    if git is None:
        return []
    run = run_tool([git, "ls-files", "-z"], cwd=project_dir, timeout=60)
    return [name for name in run.stdout.split("\0") if name] if run.ok else []


def _repo_members(project_dir: Path) -> Iterator[tuple[str, str, bytes]]:
    for name in tracked_files(project_dir):
        path = project_dir / name
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as handle:
            yield "repo", name, handle.read(MAX_BYTES)


def _archive_members(archive: Path) -> Iterator[tuple[str, str, bytes]]:
    label = "wheel" if archive.suffix == ".whl" else "sdist"
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            for info in wheel.infolist():
                if not info.is_dir():
                    with wheel.open(info) as handle:
                        yield label, info.filename, handle.read(MAX_BYTES)
        return
    with tarfile.open(archive, "r:gz") as sdist:
        for member in sdist.getmembers():
            if member.isfile():
                extracted = sdist.extractfile(member)
                if extracted is not None:
                    yield label, member.name, extracted.read(MAX_BYTES)


def scan(
    members: Iterator[tuple[str, str, bytes]], *, fixtures: tuple[str, ...] = ()
) -> tuple[list[Hit], int, int]:
    """(hits, files read, lines allowed by the mark)."""
    hits: list[Hit] = []
    files = 0
    allowed = 0
    for label, name, data in members:
        files += 1
        if _is_env_file(name) and not (label == "repo" and name.startswith(fixtures)):
            hits.append(Hit(f"{label}:{name}", "a .env file (secrets) is tracked or shipped"))
        if b"\0" in data[:1024]:
            continue  # binary
        found, marked = scan_text(f"{label}:{name}", data.decode("utf-8", errors="replace"))
        hits += found
        allowed += marked
    return hits, files, allowed


def check_secrets(project_dir: Path, archives: tuple[Path, ...]) -> CheckResult:
    """The ``secrets`` check over the tracked files and ``archives`` (the wheel, the sdist)."""

    def members() -> Iterator[tuple[str, str, bytes]]:
        yield from _repo_members(project_dir)
        for archive in archives:
            yield from _archive_members(archive)

    hits, files, allowed = scan(members(), fixtures=("tests/",))
    shipped = ", ".join(a.name for a in archives) or "no archive"
    if hits:
        return failed(
            NAME,
            f"{len(hits)} secret(s) or .env file(s) in the repository or {shipped}",
            *(h.format() for h in hits),
            files=files,
        )
    return passed(
        NAME,
        f"no key, token or .env in {files} files (the repository, {shipped}); "
        f"{allowed} marked test line(s)",
        files=files,
        allowed=allowed,
    )
