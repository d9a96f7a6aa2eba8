"""Running the flow: answers come from flags, then from one source (prompts, stdin lines,
or the defaults), and the result is a configuration and whether the user confirmed it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.wizard.flow import (
    CONFIRM_KEY,
    OUTPUT_KEY,
    PORT_PREFIX,
    SERVICES_KEY,
    build_config,
    check,
    next_question,
    output_question,
    port_question,
    summary_lines,
)
from mycelium.wizard.questions import Answer, AnswerError, Kind, Question

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mycelium.config.models import MyceliumConfig
    from mycelium.wizard.facts import WizardContext

MAX_QUESTIONS: Final = 32  # far more than the flow ever asks; the loop is bounded anyway


# Given a question and the answers so far, the raw answer (checked by the flow).
AnswerSource = Callable[[Question, Mapping[str, Answer]], Answer]


@dataclass(frozen=True)
class WizardOutcome:
    config: MyceliumConfig
    confirmed: bool
    answers: Mapping[str, Answer]


def run_flow(
    ctx: WizardContext,
    source: AnswerSource,
    *,
    presets: Mapping[str, Answer] | None = None,
    show: Callable[[list[str]], None] = lambda _: None,
) -> WizardOutcome:
    """Ask every question the flow leads to; ``presets`` (from flags) answer some first.

    Raises ``AnswerError`` for an answer that does not fit its question.
    """
    presets = dict(presets or {})
    answers: dict[str, Answer] = {}
    for _ in range(MAX_QUESTIONS):
        question = next_question(ctx, answers)
        if question is None:
            break
        if question.key == CONFIRM_KEY:
            show(summary_lines(ctx, build_config(ctx, _with_presets(ctx, answers, presets))))
        if question.key in presets:
            answers[question.key] = check(ctx, answers, question, presets.pop(question.key))
            continue
        answers[question.key] = check(ctx, answers, question, source(question, answers))
    _apply_remaining_presets(ctx, answers, presets)
    config = build_config(ctx, answers)
    return WizardOutcome(config=config, confirmed=bool(answers.get(CONFIRM_KEY)), answers=answers)


def _with_presets(
    ctx: WizardContext, answers: dict[str, Answer], presets: Mapping[str, Answer]
) -> dict[str, Answer]:
    merged = dict(answers)
    _apply_remaining_presets(ctx, merged, dict(presets))
    return merged


def _apply_remaining_presets(
    ctx: WizardContext, answers: dict[str, Answer], presets: dict[str, Answer]
) -> None:
    """Flags for questions not asked (ports, output directory): checked like answers."""
    chosen = answers.get(SERVICES_KEY, ())
    if OUTPUT_KEY in presets:
        answers[OUTPUT_KEY] = check(ctx, answers, output_question(ctx), presets[OUTPUT_KEY])
    for key in sorted(presets):
        if not key.startswith(PORT_PREFIX) or not isinstance(chosen, tuple):
            continue
        name = key.removeprefix(PORT_PREFIX)
        question = port_question(ctx, name)
        if name not in chosen:
            raise AnswerError(question, f"{name} is not among the chosen services")
        answers[key] = check(ctx, answers, question, presets[key])


def defaults_source() -> AnswerSource:
    """``--yes``: every question takes its default."""

    def answer(question: Question, _answers: Mapping[str, Answer]) -> Answer:
        return question.default

    return answer


def lines_source(lines: Iterator[str]) -> AnswerSource:
    """Answers one a line, in the order of the questions; a blank line takes the default.

    For the services: one name a line and a blank line to end (a blank first line takes
    the default choice). The end of input before the last question is an error naming it.
    """

    def next_line() -> str | None:
        line = next(lines, None)
        return None if line is None else line.rstrip("\r\n")

    def answer(question: Question, _answers: Mapping[str, Answer]) -> Answer:
        first = next_line()
        if first is None:
            raise AnswerError(
                question,
                "no answer: standard input ended; give one line per question "
                "(see `mycelium-onboarding --help`) or use --yes to take the defaults",
            )
        if not first.strip():
            return question.default
        if question.kind is not Kind.CHECKBOX:
            return first.strip()
        names = [first.strip()]
        for _ in range(MAX_QUESTIONS):
            line = next_line()
            if line is None or not line.strip():
                break
            names.append(line.strip())
        else:
            raise AnswerError(question, "too many lines; end the list with a blank line")
        return tuple(names)

    return answer
