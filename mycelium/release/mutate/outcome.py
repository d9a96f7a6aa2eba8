"""What a mutation run found: each build's state and the report (a leaf: run and render
both read it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class State(StrEnum):
    KILLED = "killed"
    SURVIVED = "survived"
    ERROR = "error"  # the mutant could not be applied or built: fix the mutant
    PASSED = "passed"  # the control, as it must
    FALSE_ALARM = "false-alarm"  # the control failed a check


@dataclass(frozen=True)
class Outcome:
    name: str
    promise: str
    description: str
    categories: tuple[str, ...]
    state: State
    killed_by: tuple[str, ...] = ()
    note: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class MutationReport:
    version: str
    control: Outcome
    mutants: tuple[Outcome, ...]
    seconds: float
    paths: tuple[Path, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.control.state is State.PASSED and all(
            m.state is State.KILLED for m in self.mutants
        )

    def count(self, state: State) -> int:
        return sum(m.state is state for m in self.mutants)
