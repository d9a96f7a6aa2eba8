"""The exactly-once check shared by both task-queue backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mycelium.coordination.results import Backend, Latency, Pattern, PatternResult, Status

MAX_LISTED: Final = 5


@dataclass(frozen=True)
class QueueOutcome:
    """What the queue's own records say once the workers stopped.

    ``applied`` maps a task id to how many times its effect happened.
    """

    tasks: int
    applied: dict[str, int]
    unacknowledged: int
    held_by_killed: int
    timed_out: bool
    timeout_s: float


def check_queue(outcome: QueueOutcome) -> list[str]:
    """One line per broken promise: a task lost, done twice, or left unacknowledged."""
    problems: list[str] = []
    ids = [str(number) for number in range(outcome.tasks)]
    lost = [task for task in ids if outcome.applied.get(task, 0) == 0]
    twice = [task for task in ids if outcome.applied.get(task, 0) > 1]
    if lost:
        problems.append(f"{len(lost)} of {outcome.tasks} tasks were never done (#{_listed(lost)})")
    if twice:
        problems.append(
            f"{len(twice)} tasks were done more than once (#{_listed(twice)}); "
            "their effects happened twice"
        )
    if outcome.unacknowledged:
        problems.append(f"{outcome.unacknowledged} tasks are still unacknowledged")
    if outcome.held_by_killed == 0:
        problems.append("the killed worker held no task, so a worker death was not tested")
    if outcome.timed_out:
        problems.append(f"did not finish within {outcome.timeout_s:g} s")
    return problems


def _listed(items: list[str]) -> str:
    return ", #".join(items[:MAX_LISTED]) + (", …" if len(items) > MAX_LISTED else "")


def queue_result(
    outcome: QueueOutcome,
    *,
    backend: Backend,
    workers: int,
    elapsed: float,
    latencies_ns: list[int],
    redelivered: int,
    killed_worker_held: int,
    design: str,
) -> PatternResult:
    """The task-queue row of either backend, judged by ``check_queue``."""
    problems = check_queue(outcome)
    return PatternResult(
        pattern=Pattern.TASKQUEUE,
        backend=backend,
        participants=workers,
        status=Status.FAIL if problems else Status.PASS,
        duration_s=elapsed,
        throughput=outcome.tasks / elapsed if elapsed > 0 else None,
        throughput_unit="tasks/s",
        latency=Latency.from_ns(latencies_ns),
        latency_label="enqueue → done",
        problems=tuple(problems),
        details={
            "tasks": outcome.tasks,
            "redelivered": redelivered,
            "killed_worker_held": killed_worker_held,
            "design": design,
        },
    )
