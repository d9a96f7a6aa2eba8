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
from enum import StrEnum
from pathlib import Path
from typing import Final

from mycelium.binaries import locate
from mycelium.errors import ToolMissingError

log = logging.getLogger("mycelium")


class PackageManager(StrEnum):
    APT = "apt-get"
    BREW = "brew"


@dataclass(frozen=True)
class SystemTool:
    """A capability the tests need, the programs that prove it, and where it comes from."""

    name: str
    programs: tuple[str, ...]
    apt: tuple[str, ...]
    brew: tuple[str, ...] = ()
    # Why the tool exists only on Linux; elsewhere it is not installed and its tests skip
    # with this reason (tests/integration/conftest.py).
    linux_only: str = ""

    def missing_programs(self) -> list[str]:
        return [p for p in self.programs if locate(p) is None]

    def packages(self, manager: PackageManager) -> tuple[str, ...]:
        return self.apt if manager is PackageManager.APT else self.brew


NO_DOCKER_OFF_LINUX: Final = (
    "dockerd runs only on Linux (GitHub's macOS runners have no Docker engine)"
)

TEST_TOOLS: Final = (
    SystemTool("redis", ("redis-server", "redis-cli"), apt=("redis-server",), brew=("redis",)),
    SystemTool(
        "postgresql",
        ("initdb", "pg_ctl", "postgres", "pg_isready"),
        apt=("postgresql",),
        brew=("postgresql@16",),
    ),
    SystemTool("openssh", ("sshd", "ssh", "ssh-keygen"), apt=("openssh-server", "openssh-client")),
    SystemTool("docker", ("dockerd",), apt=("docker.io",), linux_only=NO_DOCKER_OFF_LINUX),
    # Builds the Debian 12 image of the container-host tests (no registry is reachable); only
    # those tests use it, and they need dockerd.
    SystemTool(
        "debootstrap", ("debootstrap",), apt=("debootstrap",), linux_only=NO_DOCKER_OFF_LINUX
    ),
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
class Host:
    """What decides how tools are installed here: the platform, who we are, what is there."""

    system: str  # platform.system(): "Linux", "Darwin", ...
    root: bool
    sudo_user: str | None  # who ran `sudo` (SUDO_USER), when we run under it
    apt_get: str | None  # the package managers' paths, None when absent
    brew: str | None

    @classmethod
    def current(cls) -> Host:
        return cls(
            system=platform.system(),
            root=os.geteuid() == 0,
            sudo_user=os.environ.get("SUDO_USER") or None,
            apt_get=shutil.which("apt-get"),
            brew=shutil.which("brew"),
        )


def package_manager(host: Host) -> PackageManager | None:
    """apt-get on Debian/Ubuntu, Homebrew on macOS, else none."""
    if host.system == "Linux" and host.apt_get:
        return PackageManager.APT
    if host.system == "Darwin" and host.brew:
        return PackageManager.BREW
    return None


def needed_tools(tools: Sequence[SystemTool], system: str) -> list[SystemTool]:
    """The tools this platform's tests need: off Linux, not the Linux-only ones."""
    return [t for t in tools if system == "Linux" or not t.linux_only]


@dataclass(frozen=True)
class InstallPlan:
    commands: tuple[tuple[str, ...], ...]
    can_run: bool  # False: we print the commands for a person with the rights to run them


def plan_install(tools: Sequence[SystemTool], host: Host | None = None) -> InstallPlan:
    """The package-manager commands that would provide ``tools`` on ``host`` (default: here)."""
    host = host or Host.current()
    manager = package_manager(host)
    if manager is None:
        return InstallPlan((), can_run=False)
    packages = sorted({pkg for tool in tools for pkg in tool.packages(manager)})
    if manager is PackageManager.APT:
        prefix: tuple[str, ...] = () if host.root else ("sudo",)
        install = (*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages)
        return InstallPlan(
            ((*prefix, "apt-get", "update", "-q"), install), can_run=host.root and bool(packages)
        )
    if not host.root:
        return InstallPlan((("brew", "install", *packages),), can_run=bool(packages))
    # Homebrew refuses to run as root; the suite runs as root (the sshd lab logs in as root),
    # so brew runs as the user who called sudo, by its full path since sudo may reset PATH.
    if host.sudo_user and host.sudo_user != "root" and host.brew:
        command = ("sudo", "-u", host.sudo_user, "-H", host.brew, "install", *packages)
        return InstallPlan((command,), can_run=bool(packages))
    return InstallPlan((("brew", "install", *packages),), can_run=False)


def ensure_tools(
    tools: Sequence[SystemTool] = TEST_TOOLS, *, install: bool = True, runner: Runner = _run
) -> list[str]:
    """Install what is missing, or raise ``ToolMissingError`` naming the exact commands.

    Returns the names of the tools that were installed.
    """
    missing = [t for t in needed_tools(tools, platform.system()) if t.missing_programs()]
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
