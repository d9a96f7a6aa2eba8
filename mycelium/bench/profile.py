"""cProfile of one operation: a ``.pstats`` file and its top 20 as text, next to the report."""

from __future__ import annotations

import cProfile
import io
import marshal
import pstats
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.fileio import atomic_write

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

PSTATS_NAME: Final = "performance_profile.pstats"
TEXT_NAME: Final = "performance_profile.txt"
TOP: Final = 20


@dataclass(frozen=True)
class ProfileFiles:
    operation: str
    pstats: Path
    text: Path


def profile_call(
    name: str, label: str, func: Callable[[], object], loops: int, directory: Path
) -> ProfileFiles:
    """Run ``func`` ``loops`` times under cProfile; write the stats and the top 20 by
    cumulative time (``python -m pstats FILE`` reads the ``.pstats`` further)."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        for _ in range(max(1, loops)):
            func()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats_path, text_path = directory / PSTATS_NAME, directory / TEXT_NAME
    # What Stats.dump_stats writes, written atomically like the report.
    atomic_write(stats_path, marshal.dumps(stats.stats), 0o644)  # type: ignore[attr-defined]
    stream = io.StringIO()
    top = pstats.Stats(profiler, stream=stream)
    top.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(TOP)
    header = f"cProfile of {name}: {label}, {max(1, loops)} calls; top {TOP} by cumulative time\n"
    atomic_write(text_path, (header + stream.getvalue()).encode("utf-8"), 0o644)
    return ProfileFiles(name, stats_path, text_path)
