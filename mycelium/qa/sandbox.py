"""A throwaway HOME, XDG dirs and working directory for one QA run.

Checks run in-process and in subprocesses; both see the sandbox through the environment, so
no check can read or write the user's own configuration.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_XDG = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_CACHE_HOME": ".cache",
    "XDG_STATE_HOME": ".local/state",
}
_CLEARED = ("MYCELIUM_CONFIG", "MYCELIUM_REDIS_URL", "MYCELIUM_POSTGRES_URL", "VISUAL", "EDITOR")


@contextlib.contextmanager
def sandbox(keep: bool = False) -> Iterator[Path]:
    """Enter a fresh sandbox; on exit restore the environment and cwd, and remove it."""
    root = Path(tempfile.mkdtemp(prefix="mycelium-qa-"))
    home = root / "home"
    work = root / "work"
    home.mkdir()
    work.mkdir()
    saved_env = dict(os.environ)
    saved_cwd = Path.cwd()
    os.environ["HOME"] = str(home)
    for var, sub in _XDG.items():
        os.environ[var] = str(home / sub)
    for var in _CLEARED:
        os.environ.pop(var, None)
    os.chdir(work)
    try:
        yield root
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
