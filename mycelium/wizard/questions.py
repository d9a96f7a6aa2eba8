"""The wizard's questions as data: what is asked, the choices, the default."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from mycelium.errors import UserError

SERVICES: Final = ("redis", "postgres", "temporal")
Answer = str | bool | tuple[str, ...]


class Kind(StrEnum):
    CHECKBOX = "checkbox"  # several choices; answered one a line, a blank line ends
    SELECT = "select"  # one choice
    TEXT = "text"  # free text, checked by the flow
    CONFIRM = "confirm"  # yes or no


@dataclass(frozen=True)
class Choice:
    value: str
    title: str
    note: str | None = None  # shown next to the title: "running, native", "Docker unreachable"


@dataclass(frozen=True)
class Question:
    """One question. ``key`` names it in answers and in error messages."""

    key: str
    kind: Kind
    message: str
    default: Answer
    choices: tuple[Choice, ...] = ()
    instruction: str | None = None

    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


class AnswerError(UserError):
    """An answer the wizard cannot use; the message names the question and the fix."""

    def __init__(self, question: Question, problem: str) -> None:
        super().__init__(f"question {question.key!r} ({question.message}): {problem}")
        self.question = question
        self.problem = problem
