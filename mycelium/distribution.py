"""What the installed distribution is made of: its console scripts, and its maintainers' part.

One source for the QA checklist, the benchmarks and the tests, so a new console script is
checked and measured without anyone remembering to list it.
"""

from __future__ import annotations

from typing import Final

# Packages inside `mycelium` that only maintainers run, with their own extras: the product
# never imports them (tests/unit/test_import_hygiene.py and the QA checklist both hold it).
MAINTAINER_PACKAGES: Final = ("mycelium.release", "mycelium.telemetry.collector")


def is_maintainer_module(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in MAINTAINER_PACKAGES)


def console_scripts() -> tuple[str, ...]:
    """The console scripts the installed ``mycelium`` declares, sorted."""
    from importlib.metadata import PackageNotFoundError, distribution  # noqa: PLC0415

    try:
        entry_points = distribution("mycelium").entry_points
    except PackageNotFoundError:  # a source tree never installed: nothing to run
        return ()
    return tuple(sorted(ep.name for ep in entry_points if ep.group == "console_scripts"))
