"""Maintainer tasks. Each one reads its flags and calls one function in ``mycelium.release``.

Run ``uv run invoke --list`` for the list, ``uv run invoke --help TASK`` for a task's flags.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from mycelium.errors import MyceliumError

if TYPE_CHECKING:
    from invoke.context import Context

ROOT = Path(__file__).resolve().parent


@task(
    help={
        "unit": "run only tests/unit (no servers, no system tools)",
        "integration": "run only tests/integration",
        "keyword": "only tests whose names match this pytest -k expression",
        "no-install": "never install missing system tools; stop and print the command instead",
    }
)
def test(
    c: Context,
    unit: bool = False,
    integration: bool = False,
    keyword: str | None = None,
    no_install: bool = False,
) -> None:
    """Run the whole test suite, installing the system tools it needs first."""
    from mycelium.release.testing import run_suite

    paths = ["tests/unit"] if unit else ["tests/integration"] if integration else ["tests"]
    try:
        code = run_suite(ROOT, paths=paths, keyword=keyword, install=not no_install)
    except MyceliumError as exc:
        raise Exit(f"invoke test: {exc}", code=exc.exit_code) from None
    if code != 0:
        raise Exit(code=code)


@task
def lint(c: Context) -> None:
    """Check style and types: ruff check, ruff format --check, mypy."""
    for command in ("ruff check .", "ruff format --check .", "mypy"):
        c.run(command, echo=True, pty=False)


@task
def build(c: Context) -> None:
    """Build the wheel and sdist into dist/ and write dist/SHA256SUMS."""
    from mycelium.release.build import build as build_dist

    try:
        result = build_dist(ROOT)
    except MyceliumError as exc:
        raise Exit(f"invoke build: {exc}", code=exc.exit_code) from None
    for path in (result.wheel, result.sdist, result.checksums):
        print(path.relative_to(ROOT))


ns = Collection(test, lint, build)
