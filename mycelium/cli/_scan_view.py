"""The detection scan for people: one row per service, then the platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mycelium.detection import PlatformInfo, ProbeResult, ScanResult


def _note(result: ProbeResult) -> str:
    parts = []
    if result.runs_in is not None:
        parts.append(result.runs_in.value)
    if result.reason:
        parts.append(result.reason)
    ui = dict(result.details).get("ui")
    if ui:
        parts.append(f"UI: {ui}")
    return "; ".join(parts)


def scan_table(scan: ScanResult) -> str:
    from tabulate import tabulate

    rows = [
        [
            result.service,
            ("✓ " if result.available else "✗ ") + result.status.value,
            result.endpoint,
            result.version or "-",
            f"{result.latency_ms:.1f} ms",
            _note(result),
        ]
        for result in scan.services
    ]
    table = tabulate(
        rows,
        headers=["service", "status", "endpoint", "version", "latency", "note"],
        tablefmt="simple",
        disable_numparse=True,
    )
    return f"{table}\n\n{platform_line(scan.platform)}\nscan: {scan.total_ms:.1f} ms"


def platform_line(info: PlatformInfo) -> str:
    if info.macos_version:
        system = f"macOS {info.macos_version}"
    elif info.distro_name:
        system = info.distro_name
    else:
        system = f"{info.os} {info.os_version}"
    extras = [info.architecture, f"Python {info.python_version}"]
    if info.wsl:
        extras.append(f"WSL{info.wsl_version or ''}")
        if info.docker_desktop_wsl:
            extras.append("Docker Desktop integration")
    if info.in_container:
        extras.append("inside a container")
    managers = ", ".join(info.service_managers) or "no service manager found"
    return f"platform: {system} ({', '.join(extras)}); {managers}"
