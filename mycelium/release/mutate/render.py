"""The mutation report as a person reads it: one line per build, then the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.release.mutate.outcome import State

if TYPE_CHECKING:
    from mycelium.release.mutate.outcome import MutationReport, Outcome

MARK = {
    State.KILLED: "✓ killed",
    State.PASSED: "✓ passed",
    State.SURVIVED: "✗ SURVIVED",
    State.FALSE_ALARM: "✗ FALSE ALARM",
    State.ERROR: "✗ error",
}


def _by(outcome: Outcome) -> str:
    if outcome.killed_by:
        shown = ", ".join(outcome.killed_by[:3])
        more = len(outcome.killed_by) - 3
        return shown + (f" (+{more})" if more > 0 else "")
    return outcome.note[:200]


def verdict(report: MutationReport) -> str:
    total = len(report.mutants)
    killed = report.count(State.KILLED)
    control = (
        "the healthy build passed"
        if report.control.state is State.PASSED
        else ("the healthy build FAILED (false alarm)")
    )
    return (
        f"{killed}/{total} mutants killed, {report.count(State.SURVIVED)} survived, "
        f"{report.count(State.ERROR)} broken; {control}; {report.seconds:g}s"
    )


def render_text(report: MutationReport) -> str:
    rows = [report.control, *report.mutants]
    width = max(len(o.name) for o in rows)
    lines = [f"{o.name:<{width}}  {MARK[o.state]:<13}  {_by(o)}" for o in rows]
    return "\n".join([*lines, "", verdict(report)]) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: MutationReport) -> str:
    lines = [
        f"# Mutation testing of the QA checklist, mycelium {report.version}",
        "",
        "| mutant | promise | change | result | caught by |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines.extend(
        f"| `{o.name}` | {_cell(o.promise) or '—'} | {_cell(o.description)} | "
        f"{MARK[o.state]} | {_cell(_by(o)) or '—'} |"
        for o in (report.control, *report.mutants)
    )
    return "\n".join([*lines, "", verdict(report), ""])
