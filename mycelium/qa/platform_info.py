"""The platform block of a report: what this host is, in terms a matrix can group by."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from mycelium.qa.report import PlatformInfo


def is_wsl() -> bool:
    """WSL by any of its independent signals (kernel release, distro variable, interop)."""
    release = platform.release().lower()
    return (
        "microsoft" in release
        or "wsl" in release
        or bool(os.environ.get("WSL_DISTRO_NAME"))
        or Path("/proc/sys/fs/binfmt_misc/WSLInterop").exists()
    )


def current_platform() -> PlatformInfo:
    system = platform.system()
    distro: str | None = None
    os_version = platform.release()
    if system == "Linux":
        try:
            release = platform.freedesktop_os_release()
        except OSError:
            release = {}
        distro = release.get("ID") or None
        os_version = release.get("VERSION_ID", os_version)
    elif system == "Darwin":
        os_version = platform.mac_ver()[0] or os_version
        distro = "macos"
    return PlatformInfo(
        os=system,
        os_version=os_version,
        distro=distro,
        python_version=platform.python_version(),
        architecture=platform.machine(),
        wsl=system == "Linux" and is_wsl(),
    )
