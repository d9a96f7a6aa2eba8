"""``qa_summary.json``: the run's cells and how it was made, with a ``schema_version``.

``--rerun-failed`` and the release gate read it back, so a corrupt, foreign or newer file is
a clear error naming the file, never a traceback.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mycelium.errors import UserError
from mycelium.fileio import atomic_write
from mycelium.qa.report import PlatformInfo
from mycelium.release.fleet.hostvars import is_safe_component
from mycelium.release.qa.cells import Cell, CellState

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

SCHEMA_VERSION: Final = 1
MAX_SUMMARY_BYTES: Final = 64 * 1024 * 1024


class SummaryCell(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(max_length=256)
    python: str = Field(max_length=256)
    state: CellState
    passed: int | None = None
    total: int | None = None
    message: str = ""
    failing: tuple[str, ...] = ()
    platform: PlatformInfo | None = None
    required: bool = False
    container: bool = False

    @field_validator("host", "python")
    @classmethod
    def _one_path_component(cls, value: str) -> str:
        # Both name a directory under reports/ when the summary is read back.
        if not is_safe_component(value):
            raise ValueError("not a host alias or interpreter name")
        return value

    def to_cell(self) -> Cell:
        return Cell(**{f.name: getattr(self, f.name) for f in fields(Cell)})

    @classmethod
    def of(cls, cell: Cell) -> SummaryCell:
        return cls(**{f.name: getattr(cell, f.name) for f in fields(Cell)})


class QASummary(BaseModel):
    """What ``invoke qa`` writes to ``reports/<version>/qa_summary.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["mycelium-qa-summary"] = "mycelium-qa-summary"
    schema_version: Literal[1] = SCHEMA_VERSION
    version: str
    run_id: str
    git_commit: str
    wheel_sha256: str
    pattern: str
    inventory: str
    interrupted: bool
    exit_code: int
    cells: tuple[SummaryCell, ...]
    totals: dict[CellState, int]

    @classmethod
    def build(cls, cells: Sequence[Cell], **meta: Any) -> QASummary:
        totals = {state: sum(c.state is state for c in cells) for state in CellState}
        return cls(cells=tuple(SummaryCell.of(c) for c in cells), totals=totals, **meta)

    def failed_cells(self) -> dict[str, list[str]]:
        """Host → interpreters whose cell did not pass (what ``--rerun-failed`` runs again)."""
        out: dict[str, list[str]] = {}
        for cell in self.cells:
            if cell.state is not CellState.PASS:
                out.setdefault(cell.host, []).append(cell.python)
        return out

    def hosts(self) -> set[str]:
        return {cell.host for cell in self.cells}


def write_summary(path: Path, summary: QASummary) -> None:
    atomic_write(path, (summary.model_dump_json(indent=2) + "\n").encode("utf-8"))


def load_summary(path: Path) -> QASummary:
    """The summary at ``path``, or ``UserError`` naming the file and what is wrong with it."""
    hint = "run `invoke qa` without --rerun-failed to write a new one"
    try:
        if path.stat().st_size > MAX_SUMMARY_BYTES:
            raise UserError(f"{path}: larger than {MAX_SUMMARY_BYTES} bytes: not a QA summary")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file; {hint}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror}); {hint}") from None
    try:
        return QASummary.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])[:80] or "(top level)"
        if first["type"] == "json_invalid":
            problem = "not valid JSON"
        elif where == "kind":
            problem = "not a qa_summary.json written by invoke qa"
        elif where == "schema_version":
            problem = f"schema_version is not {SCHEMA_VERSION} (written by another version)"
        else:
            problem = f"{where}: {first['msg']}"
        raise UserError(f"{path}: invalid QA summary: {problem}; {hint}") from None
