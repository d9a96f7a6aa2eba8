"""Make sure the system tools the integration tests need are present.

Installs what is missing where it can (root with apt-get, or Homebrew); otherwise stops at
once with the exact command to run. It never lets the integration suite skip silently.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mycelium.binaries import locate
from mycelium.errors import ToolMissingError

log = logging.getLogger("mycelium")


@dataclass(frozen=True)
class SystemTool:
    """A capability the tests need, the programs that prove it, and where it comes from."""

    name: str
    programs: tuple[str, ...]
    apt: tuple[str, ...]
    brew: tuple[str, ...] = ()

    def missing_programs(self) -> list[str]:
        return [p for p in self.programs if locate(p) is None]


TEST_TOOLS: Final = (
    SystemTool("redis", ("redis-server", "redis-cli"), apt=("redis-server",), brew=("redis",)),
    SystemTool(
        "postgresql",
        ("initdb", "pg_ctl", "postgres", "pg_isready"),
        apt=("postgresql",),
        brew=("postgresql@16",),
    ),
    SystemTool("openssh", ("sshd", "ssh", "ssh-keygen"), apt=("openssh-server", "openssh-client")),
    SystemTool("docker", ("dockerd",), apt=("docker.io",), brew=()),
    # Builds the Debian 12 image of the container-host tests (no registry is reachable).
    SystemTool("debootstrap", ("debootstrap",), apt=("debootstrap",), brew=()),
    SystemTool(
        "docker-compose", ("docker-compose",), apt=("docker-compose",), brew=("docker-compose",)
    ),
    # promtool checks the alert rules; prometheus itself scrapes the collector in a test.
    SystemTool("prometheus", ("promtool", "prometheus"), apt=("prometheus",), brew=("prometheus",)),
    SystemTool("git", ("git",), apt=("git",), brew=("git",)),
    # just comes from PyPI (rust-just) into the project's environment, not from the system.
    SystemTool("just", ("just",), apt=(), brew=()),
)

Runner = Callable[[Sequence[str]], int]


def _run(argv: Sequence[str]) -> int:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.call(list(argv), env=env)


@dataclass(frozen=True)
class InstallPlan:
    commands: tuple[tuple[str, ...], ...]
    can_run: bool  # False: we print the commands for a person with the rights to run them


def plan_install(tools: Sequence[SystemTool]) -> InstallPlan:
    """The package-manager commands that would provide ``tools`` on this machine."""
    apt = sorted({pkg for tool in tools for pkg in tool.apt})
    brew = sorted({pkg for tool in tools for pkg in tool.brew})
    system = platform.system()
    if system == "Linux" and shutil.which("apt-get"):
        root = os.geteuid() == 0
        prefix: tuple[str, ...] = () if root else ("sudo",)
        install = (*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *apt)
        return InstallPlan(
            ((*prefix, "apt-get", "update", "-q"), install), can_run=root and bool(apt)
        )
    if system == "Darwin" and shutil.which("brew") and brew:
        return InstallPlan((("brew", "install", *brew),), can_run=True)
    return InstallPlan((), can_run=False)


def ensure_tools(
    tools: Sequence[SystemTool] = TEST_TOOLS, *, install: bool = True, runner: Runner = _run
) -> list[str]:
    """Install what is missing, or raise ``ToolMissingError`` naming the exact commands.

    Returns the names of the tools that were installed.
    """
    missing = [tool for tool in tools if tool.missing_programs()]
    if not missing:
        return []
    names = ", ".join(f"{t.name} ({', '.join(t.missing_programs())})" for t in missing)
    unpackaged = [t for t in missing if not t.apt and not t.brew]
    if unpackaged:
        raise ToolMissingError(
            f"missing: {', '.join(t.name for t in unpackaged)}; run `uv sync` to install the "
            "project's development tools"
        )
    plan = plan_install(missing)
    if not install or not plan.can_run:
        raise ToolMissingError(_manual_message(names, plan))
    log.info("installing what the integration tests need: %s", names)
    with _no_service_starts():
        for command in plan.commands:
            log.info("$ %s", " ".join(command))
            if runner(command) != 0:
                raise ToolMissingError(
                    f"`{' '.join(command)}` failed; {_manual_message(names, plan)}"
                )
    still = [t for t in missing if t.missing_programs()]
    if still:
        left = ", ".join(f"{t.name} ({', '.join(t.missing_programs())})" for t in still)
        raise ToolMissingError(f"still missing after installing: {left}")
    return [t.name for t in missing]


def _manual_message(names: str, plan: InstallPlan) -> str:
    if not plan.commands:
        return (
            f"the integration tests need {names}; install them with your package manager "
            "(see docs/INSTALLATION.md) and run the tests again"
        )
    commands = " && ".join(" ".join(c) for c in plan.commands)
    return f"the integration tests need {names}; run: {commands}"


@contextlib.contextmanager
def _no_service_starts() -> Iterator[None]:
    """Debian's policy-rc.d hook: packages install, their daemons do not start.

    The tests start their own throwaway servers; a system redis-server or dockerd started by
    a package's postinst would only take ports and memory.
    """
    policy = Path("/usr/sbin/policy-rc.d")
    if platform.system() != "Linux" or os.geteuid() != 0 or policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\n# written by mycelium's test provisioning\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)
