"""One bounded way to run a tool: argv only, a timeout always, output captured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

DEFAULT_TIMEOUT_S: Final = 300.0


@dataclass(frozen=True)
class ToolRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 15) -> str:
        return "\n".join((self.stderr + "\n" + self.stdout).strip().splitlines()[-lines:])


def tool(name: str) -> str | None:
    """A console script of this environment (beside the interpreter), else one on PATH."""
    here = Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which(name)


def run_tool(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float = DEFAULT_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> ToolRun:
    """Run ``argv`` in ``cwd``; a timeout kills it and says so instead of raising."""
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=dict(os.environ if env is None else env),
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return ToolRun(tuple(argv), -1, out, f"timed out after {timeout:g} s", timed_out=True)
    except OSError as exc:
        return ToolRun(tuple(argv), -1, "", f"cannot start {argv[0]}: {exc.strerror}")
    return ToolRun(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
