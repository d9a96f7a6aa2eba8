"""Mycelium: onboard developers onto agent-coordination infrastructure."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Read lazily: importlib.metadata costs tens of milliseconds that every console
    # script would otherwise pay at start-up, though only --version and reports need it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("mycelium")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
