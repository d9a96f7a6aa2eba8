"""The distributions a release ships: built, checked by twine and check-wheel-contents,
under the size limit, carrying the templates, and listed correctly in ``SHA256SUMS``."""

from __future__ import annotations

import sys
import zipfile
from typing import TYPE_CHECKING, Final

from mycelium.release.dev.build import sha256_of
from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, verdict

if TYPE_CHECKING:
    from pathlib import Path

NAME: Final = "package"
MAX_BYTES: Final = 5 * 1024 * 1024
TEMPLATES: Final = (
    "mycelium/generators/templates/docker-compose.yml.j2",
    "mycelium/generators/templates/Justfile.j2",
    "mycelium/generators/templates/env.j2",
)
TIMEOUT_S: Final = 120.0


def verify_checksums(sums: Path) -> list[str]:
    """``sha256sum -c``: every line names a file beside it whose sha256 matches."""
    problems = []
    lines = [line for line in sums.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return [f"✘ {sums.name} is empty"]
    for line in lines:
        digest, _, name = line.partition("  ")
        target = sums.parent / name
        if not name or "/" in name or not target.is_file():
            problems.append(f"✘ {sums.name}: {line[:80]!r} names no file beside it")
        elif sha256_of(target) != digest:
            problems.append(f"✘ {sums.name}: {name} does not match its sha256")
    return problems


def inspect(
    wheel: Path,
    sdist: Path,
    sums: Path,
    *,
    max_bytes: int = MAX_BYTES,
    templates: tuple[str, ...] = TEMPLATES,
) -> tuple[list[str], list[str]]:
    """(problems, what passed) for the files alone: sizes, templates, SHA256SUMS."""
    problems: list[str] = []
    good: list[str] = []
    for path in (wheel, sdist):
        size = path.stat().st_size
        if size > max_bytes:
            problems.append(
                f"✘ {path.name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit"
            )
        else:
            good.append(f"✔ {path.name}: {size / 1024:.0f} KiB")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [t for t in templates if t not in names]
    if missing:
        problems.append(f"✘ {wheel.name} lacks the templates {', '.join(missing)}")
    else:
        good.append(f"✔ the {len(templates)} templates are inside the wheel")
    checksum_problems = verify_checksums(sums)
    problems += checksum_problems
    if not checksum_problems:
        good.append(f"✔ {sums.name} verifies")
    return problems, good


def _tool_problems(wheel: Path, sdist: Path, cwd: Path) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    good: list[str] = []
    twine = run_tool(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        cwd=cwd,
        timeout=TIMEOUT_S,
    )
    if twine.ok:
        good.append("✔ twine check --strict")
    else:
        problems.append(f"✘ twine check: {' '.join(twine.tail(5).split())[-300:]}")
    checker = tool("check-wheel-contents")
    if checker is None:
        problems.append("✘ check-wheel-contents is not installed: run `uv sync`")
    else:
        run = run_tool([checker, "--no-config", str(wheel)], cwd=cwd, timeout=TIMEOUT_S)
        if run.ok:
            good.append("✔ check-wheel-contents")
        else:
            problems.append(f"✘ check-wheel-contents: {' '.join(run.tail(5).split())[-300:]}")
    return problems, good


def check_package(
    wheel: Path, sdist: Path, sums: Path, *, cwd: Path, max_bytes: int = MAX_BYTES
) -> CheckResult:
    """The ``package`` check on one built wheel + sdist + SHA256SUMS."""
    problems, good = inspect(wheel, sdist, sums, max_bytes=max_bytes)
    more_problems, more_good = _tool_problems(wheel, sdist, cwd)
    problems += more_problems
    good += more_good
    figures: dict[str, float | str] = {
        "wheel_bytes": wheel.stat().st_size,
        "sdist_bytes": sdist.stat().st_size,
    }
    result = verdict(
        NAME,
        problems,
        f"{wheel.name} ({wheel.stat().st_size / 1024:.0f} KiB) and {sdist.name}: twine, "
        "check-wheel-contents, size, templates, SHA256SUMS",
        f"{len(problems)} problem(s) with the distributions",
        **figures,
    )
    return CheckResult(
        result.name, result.status, result.summary, (*problems, *good), result.figures
    )
