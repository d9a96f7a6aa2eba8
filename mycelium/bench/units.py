"""Times for people: one formatter for ``mycelium-bench``'s table and ``invoke bench``'s."""

from __future__ import annotations

_HUNDRED = 100


def duration(seconds: float | None) -> str:
    """``seconds`` in µs, ms or s, three significant digits (``—`` when there is none)."""
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < _HUNDRED else f"{value:.0f} {unit}"
    return f"{seconds} s"  # pragma: no cover - the loop always returns
