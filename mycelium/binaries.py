"""Finding system programs that are not always on PATH (PostgreSQL's server binaries)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

# Debian keeps initdb/pg_ctl/postgres under a versioned directory off PATH; Homebrew keeps
# keg-only formulae under opt/. Newest first, so the highest version wins.
EXTRA_DIRS: Final = (
    "/usr/lib/postgresql/*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
    "/usr/sbin",
    "/usr/local/sbin",
)


def locate(name: str) -> Path | None:
    """``name`` on PATH, else in the well-known directories; ``None`` when absent."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for pattern in EXTRA_DIRS:
        matches = Path("/").glob(pattern.lstrip("/"))
        for directory in sorted(matches, key=_version_key, reverse=True):
            candidate = directory / name
            if candidate.is_file() and shutil.which(str(candidate)):
                return candidate
    return None


def _version_key(directory: Path) -> tuple[int, ...]:
    digits = "".join(ch if ch.isdigit() else " " for ch in str(directory)).split()
    return tuple(int(d) for d in digits)
