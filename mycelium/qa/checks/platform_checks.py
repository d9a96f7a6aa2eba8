"""platform: file modes, line endings, and what is particular to WSL and macOS."""

from __future__ import annotations

import platform
import shutil
import stat
import subprocess

from mycelium.detection.platform import detect_platform
from mycelium.qa.checklist import CheckFailedError, CheckSkippedError, Details, QAContext, check


@check("platform")
def file_modes_are_kept(ctx: QAContext) -> Details:
    from mycelium.fileio import atomic_write  # noqa: PLC0415

    directory = ctx.scratch("modes")
    seen = {}
    for mode in (0o600, 0o644, 0o755):
        path = directory / f"file-{mode:o}"
        atomic_write(path, b"x\n", mode)
        seen[f"{mode:04o}"] = f"{stat.S_IMODE(path.stat().st_mode):04o}"
    wrong = {want: got for want, got in seen.items() if want != got}
    if wrong:
        # WSL's /mnt/c without metadata, or odd mounts, drop modes: secrets would leak.
        raise CheckFailedError(f"the filesystem does not keep file modes: {wrong}", seen)
    return seen


@check("platform")
def written_files_use_lf_line_endings(ctx: QAContext) -> Details:
    from mycelium.config import ConfigStore, MyceliumConfig  # noqa: PLC0415
    from mycelium.config.paths import ConfigLocation, Source  # noqa: PLC0415

    path = ctx.scratch("eol") / "config.yaml"
    ConfigStore(ConfigLocation(path, Source.OPTION)).save(MyceliumConfig())
    data = path.read_bytes()
    if b"\r" in data:
        raise CheckFailedError("config.yaml contains CR characters (CRLF line endings)")
    return {"lines": data.count(b"\n")}


@check("platform")
def wsl_path_conversion(ctx: QAContext) -> Details:
    if not detect_platform().wsl:
        raise CheckSkippedError("not WSL")
    wslpath = shutil.which("wslpath")
    if wslpath is None:
        raise CheckFailedError("WSL without wslpath: Windows paths cannot be converted")
    directory = ctx.scratch("wsl")
    to_windows = subprocess.run(
        [wslpath, "-w", str(directory)], capture_output=True, text=True, timeout=10, check=False
    )
    back = subprocess.run(
        [wslpath, "-u", to_windows.stdout.strip()],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    if back.stdout.strip() != str(directory):
        raise CheckFailedError(
            "a path does not survive conversion to Windows and back",
            {"windows": to_windows.stdout.strip(), "back": back.stdout.strip()},
        )
    return {"windows_form": "\\\\wsl$\\..." if to_windows.stdout.startswith("\\\\") else "drive"}


@check("platform")
def macos_homebrew_paths(_ctx: QAContext) -> Details:
    if platform.system() != "Darwin":
        raise CheckSkippedError("not macOS")
    brew = shutil.which("brew")
    if brew is None:
        raise CheckSkippedError("Homebrew is not installed")
    prefix = subprocess.run(
        [brew, "--prefix"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    from mycelium.binaries import EXTRA_DIRS  # noqa: PLC0415

    if prefix and not any(pattern.startswith(prefix) for pattern in EXTRA_DIRS):
        raise CheckFailedError(f"Homebrew prefix {prefix} is not searched for service binaries")
    return {"prefix": prefix}


CHECKS = (
    file_modes_are_kept,
    written_files_use_lf_line_endings,
    wsl_path_conversion,
    macos_homebrew_paths,
)
