"""What ``invoke bench`` is asked (``BenchOptions``) and what it answers (``BenchResult``),
shared by the run over hosts (``command.py``) and the interleaved one (``interleave.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium import exit_codes
from mycelium.release.bench.compare import TOLERANCE
from mycelium.release.qa.cells import exit_code_for
from mycelium.release.qa.command import FleetOptions

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from mycelium.release.bench.compare import Comparison
    from mycelium.release.bench.render import Column
    from mycelium.release.qa.cells import Cell

ROUNDS: Final = 3  # --compare REF: rounds of A then B


@dataclass(frozen=True)
class BenchOptions(FleetOptions):
    quick: bool = False
    only: tuple[str, ...] = ()
    compare: str | None = None  # a performance_report.json, or a git ref
    tolerance: float = TOLERANCE
    force: bool = False
    rounds: int = ROUNDS


@dataclass(frozen=True)
class BenchResult:
    version: str
    cells: list[Cell]
    columns: list[Column]  # one per report that came back and validated
    comparisons: list[Comparison]
    refused: list[str]  # comparisons refused (fingerprint), one line each
    matrix_path: Path
    svg_path: Path | None
    svg_note: str  # why there is no SVG, when there is none
    exit_code: int
    interrupted: bool = False
    builds: tuple[str, str] | None = None  # --compare REF: what A and B are


def bench_flags(*, quick: bool, only: Sequence[str]) -> list[str]:
    """The command's own arguments for ``mycelium-bench``."""
    flags = ["--quick"] if quick else []
    if only:
        flags += ["--only", ",".join(only)]
    return flags


@dataclass(frozen=True)
class CompareTarget:
    path: Path | None = None  # --compare OLD.json
    commit: str | None = None  # --compare REF, resolved
    ref: str = ""


def overall_exit_code(
    cells: Sequence[Cell], comparisons: Sequence[Comparison], refused: Sequence[str]
) -> int:
    """``invoke qa``'s codes for the run (2 an operation failed or a host could not run, 4
    unreachable, 130 Ctrl-C); else 1 for a regression or a refused comparison; else 0."""
    code = exit_code_for(cells)
    if code != exit_codes.OK:
        return code
    if refused or any(c.regressed for c in comparisons):
        return exit_codes.FAILURE
    return exit_codes.OK
