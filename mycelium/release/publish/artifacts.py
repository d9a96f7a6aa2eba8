"""The release's files: a reproducible build of one commit, ``twine check``, a test install.

The build reads the commit, never the work tree: ``git archive`` exports it to a temporary
directory (``--dry-run`` lays the planned version bump over it there), and
``SOURCE_DATE_EPOCH`` is the commit's time, so the same commit always builds the same bytes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from packaging.utils import parse_wheel_filename

from mycelium.errors import ReleaseError
from mycelium.release.dev.build import build, sha256_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mycelium.release.publish.git import GitRepo

INSTALL_TIMEOUT_S: Final = 600.0
CHECK_TIMEOUT_S: Final = 120.0


@dataclass(frozen=True)
class Artifacts:
    wheel: Path
    sdist: Path
    checksums: Path
    wheel_sha256: str
    version: str  # as the wheel's file name says it (PEP 440)


def artifacts_in(out_dir: Path) -> Artifacts | None:
    """The wheel, sdist and SHA256SUMS already in ``out_dir``, when there is exactly one set."""
    wheels = sorted(out_dir.glob("*.whl"))
    sdists = sorted(out_dir.glob("*.tar.gz"))
    sums = out_dir / "SHA256SUMS"
    if len(wheels) != 1 or len(sdists) != 1 or not sums.is_file():
        return None
    _, version, _, _ = parse_wheel_filename(wheels[0].name)
    return Artifacts(wheels[0], sdists[0], sums, sha256_of(wheels[0]), str(version))


def build_commit(
    repo: GitRepo, rev: str, out_dir: Path, *, overrides: Mapping[str, str] | None = None
) -> Artifacts:
    """Build ``rev`` (with ``overrides``: path → text laid over it) into ``out_dir``."""
    epoch = repo.commit_time(rev)
    with tempfile.TemporaryDirectory(prefix="mycelium-release-") as tmp:
        source = repo.export(rev, Path(tmp) / "src")
        for name, text in (overrides or {}).items():
            (source / name).write_text(text, encoding="utf-8")
        result = build(source, out_dir, source_date_epoch=epoch)
    found = artifacts_in(out_dir)
    if found is None:  # pragma: no cover - build() already insists on one of each
        raise ReleaseError(f"the build left no wheel, sdist and SHA256SUMS in {out_dir}")
    assert found.wheel == result.wheel  # noqa: S101 - one wheel, as build() checked
    return found


def twine_check(artifacts: Artifacts) -> str:
    """``twine check --strict`` on the wheel and sdist; the error carries twine's own words."""
    command = [sys.executable, "-m", "twine", "check", "--strict",
               str(artifacts.wheel), str(artifacts.sdist)]  # fmt: skip
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=CHECK_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"twine check took longer than {CHECK_TIMEOUT_S:g} s") from None
    if proc.returncode != 0:
        if "No module named twine" in proc.stderr:
            raise ReleaseError("twine is not installed; run `uv sync` (it is in the dev group)")
        tail = " ".join((proc.stdout + proc.stderr).split())[-300:]
        raise ReleaseError(f"twine check refused the distributions: {tail}")
    return "twine check passed"


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    scripts: tuple[str, ...]


def project_info(pyproject_text: str) -> ProjectInfo:
    data = tomllib.loads(pyproject_text)
    project = data.get("project", {})
    return ProjectInfo(name=str(project.get("name", "")), scripts=tuple(project.get("scripts", {})))


def try_install(artifacts: Artifacts, project: ProjectInfo) -> str:
    """Install the wheel into a fresh venv; import it and ``--version`` must say its version."""
    with tempfile.TemporaryDirectory(prefix="mycelium-install-") as tmp:
        venv = Path(tmp) / "venv"
        uv = shutil.which("uv")
        python = venv / "bin" / "python"
        steps = (
            [[uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
             [uv, "pip", "install", "--quiet", "--python", str(python), str(artifacts.wheel)]]
            if uv
            else [[sys.executable, "-m", "venv", str(venv)],
                  [str(python), "-m", "pip", "install", "--quiet", str(artifacts.wheel)]]
        )  # fmt: skip
        for command in steps:
            _run(command, "test install")
        module = project.name.replace("-", "_").replace(".", "_")
        probe = (
            "import importlib, importlib.metadata as m\n"
            f"importlib.import_module({module!r})\n"
            f"print(m.version({project.name!r}))"
        )
        said = _run([str(python), "-c", probe], "import after the test install").strip()
        if said != artifacts.version:
            raise ReleaseError(
                f"the installed wheel says version {said!r}, expected {artifacts.version}"
            )
        shown = f"import {module}: {said}"
        if project.scripts:
            script = project.scripts[0]
            out = _run([str(venv / "bin" / script), "--version"], f"{script} --version")
            if artifacts.version not in out:
                raise ReleaseError(
                    f"`{script} --version` printed {out.strip()[:80]!r}, not {artifacts.version}"
                )
            shown += f"; {script} --version: {out.strip()}"
        return shown


def _run(command: list[str], what: str) -> str:
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=INSTALL_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"{what} took longer than {INSTALL_TIMEOUT_S:g} s") from None
    if proc.returncode != 0:
        tail = " ".join((proc.stderr or proc.stdout).split())[-300:]
        raise ReleaseError(f"{what} failed: {tail}")
    return proc.stdout
