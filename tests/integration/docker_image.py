"""A small Debian 12 image for container hosts, built here: no registry is reachable.

``debootstrap --variant=minbase`` with python3 and python3-venv from the Debian archive
(debootstrap's default mirror), trimmed of documentation, then ``docker import``-ed into the
test daemon. The root filesystem's tarball is built once per test session (about 100 s on
the 2-core machine); ``MYCELIUM_TEST_ROOTFS`` may name a tarball built earlier, to skip it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

from tests.integration.servers import ServerStartError, require

IMAGE: Final = "mycelium-test/debian:12"
PACKAGES: Final = ("python3", "python3-venv")
# Nothing the QA checklist reads: documentation, translations, apt's downloads and lists.
_TRIM: Final = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/cache/apt/archives",
    "var/lib/apt/lists",
)


def build_rootfs(workdir: Path) -> Path:
    """A tarball of a minimal Debian 12 root filesystem with Python 3.11 and venv."""
    given = os.environ.get("MYCELIUM_TEST_ROOTFS")
    if given:
        return Path(given)
    debootstrap = require("debootstrap")
    root = workdir / "rootfs"
    log = workdir / "debootstrap.log"
    with log.open("wb") as out:
        proc = subprocess.run(
            [str(debootstrap), "--variant=minbase", f"--include={','.join(PACKAGES)}",
             "bookworm", str(root)],
            stdout=out, stderr=subprocess.STDOUT, timeout=900, check=False,
        )  # fmt: skip
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-5:]
        msg = f"debootstrap failed ({proc.returncode}): {' | '.join(tail)}"
        raise ServerStartError(msg)
    for part in _TRIM:
        shutil.rmtree(root / part, ignore_errors=True)
    tarball = workdir / "debian12-python.tar"
    subprocess.run(
        [str(require("tar")), "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."],
        check=True, timeout=300,
    )  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)
    return tarball
