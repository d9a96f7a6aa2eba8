"""``invoke build`` gives a wheel, an sdist and a SHA256SUMS that sha256sum accepts."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from mycelium.release.dev.build import build

ROOT = Path(__file__).resolve().parents[2]


def test_build_writes_wheel_sdist_and_checksums(tmp_path: Path) -> None:
    result = build(ROOT, out_dir=tmp_path / "dist")
    assert sorted(
        p.name for p in (tmp_path / "dist").iterdir() if not p.name.startswith(".")
    ) == sorted([result.wheel.name, result.sdist.name, "SHA256SUMS"])
    check = subprocess.run(
        [shutil.which("sha256sum") or "sha256sum", "-c", "SHA256SUMS"],
        cwd=tmp_path / "dist", capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    with zipfile.ZipFile(result.wheel) as wheel:
        names = wheel.namelist()
    assert "mycelium/cli/configuration.py" in names
    assert not any(name.startswith("tests/") for name in names)
