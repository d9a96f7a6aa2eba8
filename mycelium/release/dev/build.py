"""Build the wheel and sdist into ``dist/`` and write their ``SHA256SUMS``."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mycelium.errors import ReleaseError

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class BuildResult:
    wheel: Path
    sdist: Path
    checksums: Path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksums(files: list[Path], target: Path) -> Path:
    """``SHA256SUMS`` in the format ``sha256sum -c`` reads (two spaces, then the name)."""
    lines = [f"{sha256_of(f)}  {f.name}\n" for f in sorted(files, key=lambda p: p.name)]
    target.write_text("".join(lines), encoding="utf-8")
    return target


def build(
    project_dir: Path, out_dir: Path | None = None, *, source_date_epoch: int | None = None
) -> BuildResult:
    """Build from a clean ``dist/`` so that ``SHA256SUMS`` lists exactly this build.

    With ``source_date_epoch`` (a commit's time) every timestamp in the archives is that one:
    the same tree then builds the same bytes.
    """
    out = out_dir or project_dir / "dist"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    uv = shutil.which("uv")
    command = (
        [uv, "build", "--wheel", "--sdist", "--out-dir", str(out), str(project_dir)]
        if uv
        else [sys.executable, "-m", "build", "--outdir", str(out), str(project_dir)]
    )
    env = dict(os.environ)
    if source_date_epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-15:])
        raise ReleaseError(f"the build failed ({' '.join(command[:2])}):\n{tail}")
    wheels = sorted(out.glob("*.whl"))
    sdists = sorted(out.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise ReleaseError(f"expected one wheel and one sdist in {out}, found {wheels + sdists}")
    checksums = write_checksums([wheels[0], sdists[0]], out / "SHA256SUMS")
    return BuildResult(wheel=wheels[0], sdist=sdists[0], checksums=checksums)
