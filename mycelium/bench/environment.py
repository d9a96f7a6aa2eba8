"""The environment fingerprint of a run: figures compare only within the same one."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Final

from mycelium.bench.report import Fingerprint

_CPU = Path("/sys/devices/system/cpu")
_LABEL_MAX: Final = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _label(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()[:_LABEL_MAX]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def cpu_model() -> str:
    """The CPU's marketing name where the system says it, else the architecture."""
    cpuinfo = _read(Path("/proc/cpuinfo")) or ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in {"model name", "Hardware", "Processor"} and value.strip():
            return _label(value)
    if platform.system() == "Darwin":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                ["/usr/sbin/sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True, text=True, timeout=5, check=False,
            )  # fmt: skip
            if out.stdout.strip():
                return _label(out.stdout)
    return _label(platform.processor() or platform.machine() or "unknown")


def cpu_governor() -> str | None:
    """cpu0's frequency governor (``performance``, ``powersave``...), when readable."""
    found = _read(_CPU / "cpu0" / "cpufreq" / "scaling_governor")
    return _label(found) if found else None


def turbo() -> str | None:
    """``on`` or ``off`` when Intel's or the generic boost switch is readable."""
    no_turbo = _read(_CPU / "intel_pstate" / "no_turbo")
    if no_turbo in {"0", "1"}:
        return "off" if no_turbo == "1" else "on"
    boost = _read(_CPU / "cpufreq" / "boost")
    if boost in {"0", "1"}:
        return "on" if boost == "1" else "off"
    return None


def load_average() -> tuple[float, float, float] | None:
    try:
        one, five, fifteen = os.getloadavg()
    except (OSError, AttributeError):
        return None
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def fingerprint() -> Fingerprint:
    build, built = platform.python_build()
    return Fingerprint(
        cpu_model=cpu_model(),
        cpu_count=os.cpu_count() or 1,
        python_implementation=_label(platform.python_implementation()),
        python_version=_label(platform.python_version()),
        python_build=_label(f"{build}, {built}, {platform.python_compiler()}"),
        platform=_label(platform.platform()),
        machine=_label(platform.machine()),
        load_average=load_average(),
        cpu_governor=cpu_governor(),
        turbo=turbo(),
    )
