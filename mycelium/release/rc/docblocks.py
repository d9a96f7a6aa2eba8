"""The console blocks of the docs: each is marked runnable or skipped, and the runnable run.

A fenced ```` ```console ```` block shows commands (lines starting ``$ ``) and, below each,
what it prints. The line before the fence (blank lines aside) says what the docs check does
with it:

- ``<!-- rc: run -->``: run it in a sandbox (a fresh temporary directory as the working
  directory and ``HOME``, XDG directories inside it, no network where ``unshare`` can take
  it away), the commands in order, sharing that directory; ``uv run CMD`` runs ``CMD`` with
  the project's environment first on ``PATH``; ``uv`` itself works offline from the
  account's uv cache, so a block can install the project's wheel as a user would. A
  command whose output the block shows must print exactly that (trailing blanks aside; a
  line ``...`` stands for any lines); one that shows none must exit 0.
- ``<!-- rc: run after: COMMAND -->``: the same, with ``COMMAND`` run first (it must exit
  0; its output is not compared), for a block that needs, say, a saved configuration.
- ``<!-- rc: skip REASON -->``: not run, and the reason is reported (it installs software,
  needs a service, a fleet or a terminal...).

A console block with neither mark is a failure: each block is decided once, on purpose.
"""

from __future__ import annotations

import functools
import os
import pwd
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.release.rc.proc import run_tool

if TYPE_CHECKING:
    from collections.abc import Mapping

_MARK: Final = re.compile(r"^\s*<!--\s*rc:\s*(run|skip)\b\s*(.*?)\s*-->\s*$")
_OPEN: Final = re.compile(r"^(\s{0,3})(`{3,}|~{3,})\s*console\s*$")
COMMAND_TIMEOUT_S: Final = 60.0
ELLIPSIS: Final = "..."


@dataclass(frozen=True)
class Step:
    command: str
    expected: tuple[str, ...]  # the lines shown below it; () when none


@dataclass(frozen=True)
class Block:
    file: str
    line: int  # the fence's line
    mark: str | None  # "run", "skip" or None
    reason: str
    steps: tuple[Step, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def setup(self) -> str | None:
        if self.mark == "run" and self.reason.startswith("after:"):
            return self.reason.removeprefix("after:").strip() or None
        return None


def parse_blocks(text: str, file: str) -> list[Block]:
    """The console blocks of one Markdown file, with the mark before each."""
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opened = _OPEN.match(lines[index])
        if not opened:
            index += 1
            continue
        fence = opened.group(2)
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            body.append(lines[end])
            end += 1
        mark, reason = _mark_before(lines, index)
        blocks.append(Block(file, index + 1, mark, reason, _steps(body)))
        index = end + 1
    return blocks


def _mark_before(lines: list[str], index: int) -> tuple[str | None, str]:
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    if previous >= 0:
        match = _MARK.match(lines[previous])
        if match:
            return match.group(1), match.group(2)
    return None, ""


def _steps(body: list[str]) -> tuple[Step, ...]:
    steps: list[Step] = []
    command: str | None = None
    output: list[str] = []
    for line in body:
        if line.startswith("$ "):
            if command is not None:
                steps.append(Step(command, tuple(output)))
            command, output = line[2:], []
        elif command is not None:
            output.append(line.rstrip())
    if command is not None:
        steps.append(Step(command, tuple(output)))
    return tuple(steps)


def matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """Line by line, trailing blanks and trailing empty lines aside; ``...`` is any lines."""
    want = list(expected)
    while want and not want[-1]:
        want.pop()
    got = [line.rstrip() for line in actual]
    while got and not got[-1]:
        got.pop()
    return _match(want, got)


def _match(want: list[str], got: list[str]) -> bool:
    if not want:
        return not got
    if want[0] == ELLIPSIS:
        return any(_match(want[1:], got[skip:]) for skip in range(len(got) + 1))
    return bool(got) and want[0] == got[0] and _match(want[1:], got[1:])


def sandbox_env(home: Path, project_dir: Path) -> dict[str, str]:
    """A clean environment: the sandbox as HOME and XDG dirs, this venv first on PATH."""
    venv_bin = str(Path(sys.executable).parent)
    keep = {k: v for k, v in os.environ.items() if k in {"LANG", "LC_ALL", "TERM", "TZ"}}
    return {
        **keep,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "PATH": os.pathsep.join([venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "MYCELIUM_TELEMETRY": "0",
        "DO_NOT_TRACK": "1",
        "MYCELIUM_PROJECT_DIR": str(project_dir),
        "UV_CACHE_DIR": uv_cache_dir(),
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
    }


def uv_cache_dir() -> str:
    """The account's uv cache: with no network, uv installs only what it already holds."""
    # The account's home, not $HOME: the sandbox and the tests move HOME elsewhere.
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    return os.environ.get("UV_CACHE_DIR") or str(home / ".cache" / "uv")


def network_isolated() -> bool:
    """Whether run blocks get a namespace without network on this machine."""
    return bool(_isolating_prefix())


@functools.cache
def _isolating_prefix() -> tuple[str, ...]:
    """``unshare -rn`` (no network, a user namespace) when this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    probe = run_tool([unshare, "-rn", "true"], cwd=Path(tempfile.gettempdir()), timeout=10)
    return (unshare, "-rn") if probe.ok else ()


def run_block(
    block: Block, project_dir: Path, *, env: Mapping[str, str] | None = None
) -> list[str]:
    """Run a ``run`` block's commands in a fresh sandbox; one line per problem."""
    problems: list[str] = []
    prefix = _isolating_prefix()
    bash = shutil.which("bash") or "/bin/bash"
    with tempfile.TemporaryDirectory(prefix="mycelium-docs-") as tmp:
        home = Path(tmp)
        environment = dict(env) if env is not None else sandbox_env(home, project_dir)
        setup = (Step(block.setup, ()),) if block.setup else ()
        for step in (*setup, *block.steps):
            command = re.sub(r"^uv run\s+", "", step.command.strip())
            run = run_tool(
                [*prefix, bash, "-c", command], cwd=home, timeout=COMMAND_TIMEOUT_S,
                env=environment,
            )  # fmt: skip
            shown = (run.stdout + run.stderr).replace(str(home), "~").splitlines()
            if run.timed_out:
                problems.append(
                    f"✘ {block.where}: `{step.command}` took over {COMMAND_TIMEOUT_S:g} s"
                )
                break
            if step.expected:
                if not matches(step.expected, shown):
                    problems.append(
                        f"✘ {block.where}: `{step.command}` printed something else:\n"
                        + _diff(step.expected, shown)
                    )
            elif run.returncode != 0:
                problems.append(
                    f"✘ {block.where}: `{step.command}` exited {run.returncode}: "
                    + " ".join(shown[-3:])[:300]
                )
    return problems


def _diff(expected: tuple[str, ...], actual: list[str]) -> str:
    import difflib  # noqa: PLC0415 - only on a failure

    lines = difflib.unified_diff(list(expected), actual, "docs", "actual", lineterm="", n=1)
    return "\n".join(f"    {line}" for line in list(lines)[:40])
