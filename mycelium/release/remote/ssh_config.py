"""``~/.ssh/config`` as OpenSSH reads it, ``Include`` included (paramiko ignores it)."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Final

from paramiko.config import SSHConfig

MAX_INCLUDE_DEPTH: Final = 16  # OpenSSH's own limit


def user_ssh_dir() -> Path:
    return Path(os.path.expanduser("~/.ssh"))  # noqa: PTH111 - honours $HOME like OpenSSH


def expand_includes(path: Path, depth: int = 0) -> str:
    """The text of ``path`` with every ``Include`` replaced by the files it names.

    Relative include paths are relative to ``~/.ssh``, and globs expand in sorted order, as
    ssh_config(5) says. A missing file is skipped, like OpenSSH does.
    """
    if depth > MAX_INCLUDE_DEPTH:
        return ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    out: list[str] = []
    for line in lines:
        words = line.strip().split(None, 1)
        if len(words) == 2 and words[0].lower() == "include":  # noqa: PLR2004
            for pattern in words[1].split():
                full = os.path.expanduser(pattern)  # noqa: PTH111
                if not os.path.isabs(full):  # noqa: PTH117
                    full = str(user_ssh_dir() / full)
                matches = sorted(glob.glob(full))  # noqa: PTH207 - a shell glob from the file
                out.extend(expand_includes(Path(match), depth + 1) for match in matches)
        else:
            out.append(line)
    return "\n".join(out)


def load_user_ssh_config(path: Path | None = None) -> SSHConfig:
    config_path = path or user_ssh_dir() / "config"
    return SSHConfig.from_text(expand_includes(config_path) if config_path.exists() else "")


def known_hosts_files(host_config: dict[str, object]) -> list[Path]:
    """``UserKnownHostsFile`` for this host, else ``~/.ssh/known_hosts``."""
    value = host_config.get("userknownhostsfile")
    if isinstance(value, str) and value.strip():
        return [Path(os.path.expanduser(v)) for v in value.split()]  # noqa: PTH111
    return [user_ssh_dir() / "known_hosts"]
