"""The terminal UI: each ``Question`` asked with questionary. Thin on purpose: choices,
defaults and checks all come from the flow.

Ctrl-C and Esc both raise ``KeyboardInterrupt`` (questionary's ``unsafe_ask``), which the
console script's edge turns into exit status 130 before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import questionary
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

from mycelium.wizard.flow import check
from mycelium.wizard.questions import AnswerError, Kind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mycelium.wizard.facts import WizardContext
    from mycelium.wizard.questions import Answer, Question
    from mycelium.wizard.session import AnswerSource


def _title(title: str, note: str | None) -> str:
    return f"{title}  [{note}]" if note else title


def _escape_cancels(prompt: Any) -> Any:
    """Esc ends the wizard like Ctrl-C does."""
    bindings = KeyBindings()

    @bindings.add("escape", eager=True)
    def _cancel(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    app = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings, bindings])
    return prompt


def prompt_source(ctx: WizardContext) -> AnswerSource:
    def ask(question: Question, answers: Mapping[str, Answer]) -> Answer:
        if question.kind is Kind.CHECKBOX:
            default = question.default if isinstance(question.default, tuple) else ()
            prompt = questionary.checkbox(
                question.message,
                choices=[
                    questionary.Choice(
                        _title(c.title, c.note), value=c.value, checked=c.value in default
                    )
                    for c in question.choices
                ],
                validate=lambda chosen: True if chosen else "choose at least one service",
                instruction=question.instruction,
            )
        elif question.kind is Kind.SELECT:
            prompt = questionary.select(
                question.message,
                choices=[
                    questionary.Choice(_title(c.title, c.note), value=c.value)
                    for c in question.choices
                ],
                default=str(question.default),
                instruction=question.instruction,
            )
        elif question.kind is Kind.CONFIRM:
            prompt = questionary.confirm(question.message, default=bool(question.default))
        else:

            def valid(text: str) -> bool | str:
                try:
                    check(ctx, answers, question, text)
                except AnswerError as exc:
                    return exc.problem
                return True

            message = question.message
            if question.instruction:
                message = f"{message} ({question.instruction})"
            prompt = questionary.text(message, default=str(question.default), validate=valid)
        answer: Answer = _escape_cancels(prompt).unsafe_ask()
        if isinstance(answer, list):
            return tuple(answer)
        return answer

    return ask
