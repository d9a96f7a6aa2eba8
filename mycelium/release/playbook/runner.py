"""Run a loaded play on one host, task by task, keeping a journal of every result.

Registered results have Ansible's shape (``rc``, ``stdout``, ``stderr``, ``failed``,
``skipped``; ``results`` for a loop), so the same playbook reads the same under
``ansible-playbook``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mycelium.errors import PlaybookError
from mycelium.release import defaults
from mycelium.release.playbook.modules import HANDLERS
from mycelium.release.playbook.templating import evaluate_condition, render

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mycelium.release.playbook.loader import Play, Task
    from mycelium.release.remote.transport import Transport


class PlayInterruptedError(KeyboardInterrupt):
    """The run was asked to stop (Ctrl-C) between two tasks."""


@dataclass(frozen=True)
class TaskOutcome:
    task: str
    result: dict[str, Any]

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))


@dataclass
class HostRun:
    """The journal of one host: every task's result, and the registered variables."""

    host: str
    outcomes: list[TaskOutcome] = field(default_factory=list)
    registered: dict[str, Any] = field(default_factory=dict)
    failed_task: TaskOutcome | None = None


class PlayObserver:
    """Told when each task starts and ends on a host; the base class ignores both."""

    def task_started(self, host: str, task: str) -> None:
        """``task`` begins on ``host``."""

    def task_finished(self, host: str, outcome: TaskOutcome) -> None:
        """``outcome`` of a task on ``host``."""


def run_play(
    play: Play,
    transport: Transport,
    variables: Mapping[str, Any],
    *,
    task_timeout: float = defaults.STEP_TIMEOUT_S,
    observer: PlayObserver | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    journal: HostRun | None = None,
) -> HostRun:
    """Run every task of ``play`` on one host, stopping at the first unignored failure.

    A ``TransportError`` (timeout, lost connection) propagates, and so does
    ``PlayInterruptedError`` when ``should_stop`` says so: the caller turns either into the
    host's row, and ``journal`` (when given) keeps what ran until then.
    """
    run = journal if journal is not None else HostRun(host=transport.name)
    watch = observer or PlayObserver()
    scope: dict[str, Any] = {**variables}
    for key, value in play.vars.items():  # in order: a play var may use the ones before it
        scope[key] = render(value, scope)
    for key in variables:  # extra vars win over play vars, as in Ansible
        scope[key] = variables[key]
    for task in play.tasks:
        if should_stop():
            raise PlayInterruptedError
        task_scope = {**scope, **run.registered}
        for key, value in (task.keys.get("vars") or {}).items():
            task_scope[key] = render(value, task_scope)
        watch.task_started(transport.name, task.name)
        result = _run_task(task, transport, task_scope, task_timeout)
        outcome = TaskOutcome(task.name, result)
        run.outcomes.append(outcome)
        watch.task_finished(transport.name, outcome)
        register = task.keys.get("register")
        if register:
            run.registered[str(register)] = result
        if outcome.failed and not task.keys.get("ignore_errors"):
            run.failed_task = outcome
            break
    return run


def _run_task(
    task: Task, transport: Transport, scope: dict[str, Any], timeout: float
) -> dict[str, Any]:
    if "loop" not in task.keys:
        return _run_item(task, transport, scope, timeout)
    items = render(task.keys["loop"], scope)
    if not isinstance(items, list):
        raise PlaybookError(f"task {task.name!r}: loop must be a list, got {type(items).__name__}")
    results = []
    for item in items:
        result = _run_item(task, transport, {**scope, "item": item}, timeout)
        result["item"] = item
        results.append(result)
    return {
        "results": results,
        "failed": any(r.get("failed") for r in results),
        "skipped": bool(results) and all(r.get("skipped") for r in results),
        "changed": any(r.get("changed") for r in results),
        "msg": "All items completed" if results else "No items in the list",
    }


def _run_item(
    task: Task, transport: Transport, scope: dict[str, Any], timeout: float
) -> dict[str, Any]:
    when = task.keys.get("when")
    if when is not None and not evaluate_condition(when, scope):
        return {"skipped": True, "changed": False, "skip_reason": "Conditional result was False"}
    params = render(task.params, scope)
    environment = render(task.keys.get("environment") or {}, scope)
    chdir = render((task.keys.get("args") or {}).get("chdir"), scope)
    handler = HANDLERS[task.module]
    return handler(transport, params, environment, chdir, timeout)
