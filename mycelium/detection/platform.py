"""The machine itself: OS, distribution, WSL2, architecture, Python, service managers.

Everything is read from files and the environment (no subprocesses), so it is fast and can
be tested against a fake root directory.
"""

from __future__ import annotations

import os
import platform as _platform
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs.unix import Unix

from mycelium.detection.results import PlatformInfo

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

WSL_INTEROP = ("proc/sys/fs/binfmt_misc/WSLInterop", "proc/sys/fs/binfmt_misc/WSLInterop-late")
CONTAINER_CGROUP_MARKS = ("docker", "kubepods", "containerd", "libpod", "lxc")
# XDG on every platform, as mycelium.config.paths does (not imported: it loads pydantic).


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return ""


def parse_os_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key] = value.strip().strip("\"'")
    return values


def wsl_signals(kernel: str, environ: Mapping[str, str], root: Path) -> tuple[str, ...]:
    """Independent hints that this Linux is WSL; any one is enough, more is certainty."""
    signals: list[str] = []
    if "microsoft" in kernel.lower():
        signals.append(f"kernel release {kernel}")
    if environ.get("WSL_DISTRO_NAME"):
        signals.append(f"WSL_DISTRO_NAME={environ['WSL_DISTRO_NAME']}")
    signals.extend(f"/{path}" for path in WSL_INTEROP if (root / path).exists())
    if "microsoft" in _read(root / "proc/version").lower() and not signals:
        signals.append("/proc/version names Microsoft")
    return tuple(signals)


def wsl_version(kernel: str, signals: tuple[str, ...]) -> int | None:
    if not signals:
        return None
    # WSL1 kernels say "Microsoft" (capital M); WSL2's are "...-microsoft-standard-WSL2".
    if "Microsoft" in kernel and "microsoft-standard" not in kernel:
        return 1
    return 2


def container_signals(environ: Mapping[str, str], root: Path) -> tuple[str, ...]:
    signals = [f"/{m}" for m in (".dockerenv", "run/.containerenv") if (root / m).exists()]
    if environ.get("container"):
        signals.append(f"container={environ['container']}")
    cgroup = _read(root / "proc/1/cgroup")
    if any(mark in cgroup for mark in CONTAINER_CGROUP_MARKS):
        signals.append("/proc/1/cgroup names a container runtime")
    return tuple(signals)


def service_managers(
    system: str, root: Path, which: Callable[[str], str | None] = shutil.which
) -> tuple[str, ...]:
    managers: list[str] = []
    if (root / "run/systemd/system").is_dir():
        managers.append("systemd")
    if system == "Darwin":
        managers.append("launchd")
    if which("brew"):
        managers.append("homebrew-services")
    return tuple(managers)


def detect_platform(
    *,
    environ: Mapping[str, str] | None = None,
    root: Path = Path("/"),
    system: str | None = None,
    kernel: str | None = None,
    machine: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> PlatformInfo:
    """Describe this machine; the keyword arguments exist so tests can describe another."""
    start = time.perf_counter()
    env = os.environ if environ is None else environ
    system = system or _platform.system()
    kernel = kernel if kernel is not None else _platform.release()
    machine = machine or _platform.machine()
    distro = distro_version = distro_name = macos = None
    os_version = kernel
    signals: tuple[str, ...] = ()
    if system == "Linux":
        release = parse_os_release(
            _read(root / "etc/os-release") or _read(root / "usr/lib/os-release")
        )
        distro = release.get("ID")
        distro_version = release.get("VERSION_ID")
        distro_name = release.get("PRETTY_NAME")
        os_version = distro_version or kernel
        signals = wsl_signals(kernel, env, root)
    elif system == "Darwin":
        macos = _platform.mac_ver()[0] or None
        os_version = macos or kernel
    in_container = container_signals(env, root)
    return PlatformInfo(
        os=system,
        os_version=os_version,
        kernel=kernel,
        architecture=machine,
        python_version=_platform.python_version(),
        python_implementation=sys.implementation.name,
        distro=distro,
        distro_version=distro_version,
        distro_name=distro_name,
        macos_version=macos,
        wsl=bool(signals),
        wsl_version=wsl_version(kernel, signals),
        wsl_signals=signals,
        docker_desktop_wsl=bool(signals) and (root / "mnt/wsl/docker-desktop").exists(),
        service_managers=service_managers(system, root, which),
        in_container=bool(in_container),
        container_signals=in_container,
        config_dir=Unix(appname="mycelium").user_config_dir,
        latency_ms=(time.perf_counter() - start) * 1000.0,
    )
