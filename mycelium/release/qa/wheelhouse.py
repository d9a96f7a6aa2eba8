"""``invoke qa --offline``: a wheelhouse per host, so hosts without a package index install.

The host says what it is (``sysconfig.get_platform()``, its glibc or macOS version, its
Python); the maintainer's machine downloads, for exactly those targets, the wheels of the
locked runtime dependencies (``uv export`` of ``uv.lock``), adds the mycelium wheel, and the
playbook uploads one tarball and installs with ``--no-index``.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import subprocess
import tarfile
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.errors import ReleaseError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from mycelium.release.remote.transport import Transport

# Runs on the host with only the standard library: what pip would need to pick wheels.
PROBE: Final = (
    "import json, platform, sys, sysconfig; "
    "print(json.dumps({'platform': sysconfig.get_platform(), "
    "'python': platform.python_version(), 'libc': platform.libc_ver(), "
    "'mac': platform.mac_ver()[0]}))"
)
MANYLINUX_OLDEST_MINOR: Final = 17


@dataclass(frozen=True)
class Target:
    """One interpreter on one kind of machine: what its wheels must match."""

    python: str  # "3.12.3": the full version, so markers like python_full_version hold
    platforms: tuple[str, ...]  # pip --platform values, most specific first

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker values of the host's interpreter: pip's ``--python-version`` and
        ``--platform`` choose wheels, but markers it still reads from *this* interpreter."""
        first = self.platforms[0] if self.platforms else ""
        darwin = first.startswith("macosx_")
        if first.startswith(("macosx_", "manylinux_")):
            machine = first.split("_", 3)[-1]  # macosx_14_0_arm64, manylinux_2_36_x86_64
        else:
            machine = first.split("_", 1)[-1]  # linux_x86_64, manylinux2014_aarch64
        major_minor = ".".join(self.python.split(".")[:2])
        return {
            "python_version": major_minor,
            "python_full_version": self.python,
            "implementation_name": "cpython",
            "implementation_version": self.python,
            "platform_python_implementation": "CPython",
            "os_name": "posix",
            "sys_platform": "darwin" if darwin else "linux",
            "platform_system": "Darwin" if darwin else "Linux",
            "platform_machine": machine,
        }

    @property
    def key(self) -> str:
        digest = hashlib.sha256("|".join((self.python, *self.platforms)).encode()).hexdigest()
        return f"py{self.python}-{digest[:10]}"


def platform_tags(info: dict[str, object]) -> tuple[str, ...]:
    """pip ``--platform`` tags for a host's ``PROBE`` answer."""
    from packaging.tags import mac_platforms  # noqa: PLC0415

    plat = str(info["platform"])
    if plat.startswith("linux-"):
        arch = plat.split("-", 1)[1]
        libc = info.get("libc")
        name, version = [*(libc if isinstance(libc, list) else []), "", ""][:2]
        tags: list[str] = []
        if name == "glibc" and version:
            major, minor = (int(p) for p in str(version).split(".")[:2])
            tags += [
                f"manylinux_{major}_{m}_{arch}"
                for m in range(minor, MANYLINUX_OLDEST_MINOR - 1, -1)
            ]
            tags.append(f"manylinux2014_{arch}")
        return (*tags, f"linux_{arch}")
    if plat.startswith("macosx-"):
        arch = plat.rsplit("-", 1)[1]
        mac = str(info.get("mac") or "11.0")
        major, minor = (int(p) for p in [*mac.split("."), "0"][:2])
        return tuple(mac_platforms((major, minor), arch))
    raise ReleaseError(f"--offline: no wheel platform tags known for a {plat} host")


def probe_targets(transport: Transport, interpreters: Sequence[str]) -> list[Target]:
    """Ask each interpreter on the host (found as a login shell finds it) what wheels it takes."""
    targets = []
    for name in interpreters:
        inner = shlex.quote(f"{shlex.quote(name)} -c {shlex.quote(PROBE)}")
        plain = f"{shlex.quote(name)} -c {shlex.quote(PROBE)}"
        command = f'"${{SHELL:-/bin/sh}}" -lc {inner} </dev/null || {plain}'
        result = transport.run(command, timeout=30)
        if result.rc != 0:
            continue  # a missing interpreter is reported by the playbook's own step
        info = json.loads(result.stdout.strip().splitlines()[-1])
        targets.append(Target(python=str(info["python"]), platforms=platform_tags(info)))
    return targets


class WheelhouseBuilder:
    """Builds (once per set of targets, across threads) the tarball a host installs from."""

    def __init__(self, project_dir: Path, wheel: Path, out_dir: Path) -> None:
        uv = shutil.which("uv")
        if uv is None:
            raise ReleaseError("--offline needs uv on this machine to build the wheelhouse")
        self.uv = uv
        self.project_dir = project_dir
        self.wheel = wheel
        self.out_dir = out_dir
        self._lock = threading.Lock()
        self._requirements: Path | None = None

    def tarball(self, targets: Sequence[Target]) -> Path:
        keys = sorted({t.key for t in targets})
        name = "wheelhouse-" + hashlib.sha256("+".join(keys).encode()).hexdigest()[:12] + ".tar"
        path = self.out_dir / name
        with self._lock:
            if path.exists():
                return path
            self.out_dir.mkdir(parents=True, exist_ok=True)
            staging = self.out_dir / (name + ".d")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            for target in {t.key: t for t in targets}.values():
                self._download(target, staging)
            shutil.copy2(self.wheel, staging / self.wheel.name)
            with tarfile.open(path, "w") as tar:
                for item in sorted(staging.iterdir()):
                    tar.add(item, arcname=item.name)
            shutil.rmtree(staging, ignore_errors=True)
        return path

    def _requirements_file(self) -> Path:
        if self._requirements is None:
            proc = subprocess.run(
                [self.uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
                 "--format", "requirements-txt"],
                cwd=self.project_dir, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            if proc.returncode != 0:
                raise ReleaseError(f"--offline: `uv export` failed: {proc.stderr.strip()[-300:]}")
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._requirements = self.out_dir / "requirements.txt"
            self._requirements.write_text(proc.stdout, encoding="utf-8")
        return self._requirements

    def _requirements_for(self, target: Target) -> Path:
        """The locked requirements whose markers hold on ``target``, without their markers."""
        lines = requirements_for(
            self._requirements_file().read_text(encoding="utf-8"), target.marker_environment()
        )
        path = self.out_dir / f"requirements-{target.key}.txt"
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path

    def _download(self, target: Target, dest: Path) -> None:
        platforms = [arg for tag in target.platforms for arg in ("--platform", tag)]
        command = [
            self.uv, "run", "--no-project", "--with", "pip", "python", "-m", "pip", "download",
            "--quiet", "--disable-pip-version-check", "--only-binary=:all:", "--no-deps",
            "--python-version", target.python, "--implementation", "cp", *platforms,
            "--dest", str(dest), "-r", str(self._requirements_for(target)),
        ]  # fmt: skip
        proc = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-4:])
            raise ReleaseError(
                f"--offline: downloading wheels for Python {target.python} failed: {tail}"
            )


def requirements_for(text: str, environment: dict[str, str]) -> list[str]:
    """The requirement lines of ``text`` (``uv export``) that apply in ``environment``."""
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415

    kept = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise ReleaseError(
                f"--offline: cannot read the locked requirement {line!r}: {exc}"
            ) from None
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        requirement.marker = None
        kept.append(str(requirement))
    return kept
