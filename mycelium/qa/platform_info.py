"""The platform block of a report, from the product's own platform detection."""

from __future__ import annotations

from mycelium.detection.platform import detect_platform
from mycelium.qa.report import PlatformInfo


def current_platform() -> PlatformInfo:
    found = detect_platform()
    return PlatformInfo(
        os=found.os,
        os_version=found.os_version,
        distro=found.distro or ("macos" if found.os == "Darwin" else None),
        python_version=found.python_version,
        architecture=found.architecture,
        wsl=found.wsl,
        container=found.in_container,
    )
