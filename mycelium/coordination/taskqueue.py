"""Task queue on Redis Streams: every task done exactly once, even when a worker dies.

Why Streams and consumer groups rather than BLMOVE into per-worker processing lists: the
group's pending entries list already records which worker holds which task and for how
long, so a dead worker's tasks are taken over with one atomic ``XAUTOCLAIM`` (by idle
time) instead of a reaper that scans every processing list and needs heartbeats to tell a
dead worker from a slow one; acknowledging is O(1) ``XACK`` instead of O(n) ``LREM``; and
many producers and consumer groups can share one stream.

Takeover by idle time can hand a task to a second worker while the first, merely slow,
still works on it, and a worker can die after its task's effect but before its ``XACK``.
Both deliver a task twice; the completion record (``HSETNX`` in one script with the
effect) makes the second delivery a no-op, which is what turns at-least-once delivery into
exactly-once processing. The run checks exactly that: each task's effect counted once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from mycelium.coordination.crew import Crew
from mycelium.coordination.queue_check import QueueOutcome, queue_result
from mycelium.coordination.results import Backend

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis

    from mycelium.coordination.keyspace import Keyspace
    from mycelium.coordination.results import PatternResult

GROUP: Final = "workers"
READ_BLOCK_MS: Final = 100
BATCH: Final = 10
PRODUCERS: Final = 2
# The killed worker takes the first tasks, finishes one and dies inside the next.
VICTIM_BATCH: Final = 3
VICTIM_DIES_DURING: Final = 2

# The effect of a task and its completion record, atomically: the effect (a counter the
# check reads) happens only for the first worker to complete the task.
_COMPLETE = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0
"""


class WorkerKilledError(Exception):
    """The simulated death of a worker in the middle of a task."""


@dataclass(frozen=True)
class QueueKeys:
    stream: str
    done: str
    applied: str
    ttl_s: int

    @classmethod
    def of(cls, keyspace: Keyspace) -> QueueKeys:
        return cls(
            keyspace.key("tasks"), keyspace.key("done"), keyspace.key("applied"), keyspace.ttl_s
        )


@dataclass
class StreamWorker:
    """One agent taking tasks from the group; a ``die_during`` worker dies mid-task."""

    name: str
    die_during: int | None = None
    visibility_ms: int = 500
    claimed: int = 0
    redelivered: int = 0
    held_at_death: int = 0
    latencies_ns: list[int] = field(default_factory=list)

    def work(
        self, client: redis.Redis, keys: QueueKeys, crew: Crew, produced: threading.Event
    ) -> None:
        try:
            while crew.running():
                batch = self.reclaim(client, keys)
                if not batch:
                    batch = self.read(client, keys, BATCH)
                if not batch and produced.is_set() and _drained(client, keys):
                    return
                self.process(client, keys, batch)
        finally:
            client.close()

    def read(self, client: redis.Redis, keys: QueueKeys, count: int) -> list[Any]:
        reply: Any = client.xreadgroup(
            GROUP, self.name, {keys.stream: ">"}, count=count, block=READ_BLOCK_MS
        )
        return list(reply[0][1]) if reply else []

    def reclaim(self, client: redis.Redis, keys: QueueKeys) -> list[Any]:
        """Take over tasks idle past the visibility timeout: their worker is presumed dead."""
        reply = client.xautoclaim(
            keys.stream, GROUP, self.name, min_idle_time=self.visibility_ms, count=BATCH
        )
        claimed = [entry for entry in reply[1] if entry[1]]
        self.redelivered += len(claimed)
        return claimed

    def process(self, client: redis.Redis, keys: QueueKeys, batch: list[Any]) -> None:
        for position, (entry_id, fields) in enumerate(batch):
            self.claimed += 1
            task = fields[b"task"].decode()
            enqueued = int(fields[b"t"])
            self.first_step(client, keys, entry_id, task, enqueued)
            if self.claimed == self.die_during:
                self.held_at_death = len(batch) - position
                raise WorkerKilledError(self.name)
            self.second_step(client, keys, entry_id, task, enqueued)

    # The honest order: the effect with its completion record, then the acknowledgement.
    def first_step(
        self, client: redis.Redis, keys: QueueKeys, entry_id: bytes, task: str, enqueued: int
    ) -> None:
        del entry_id
        self.complete(client, keys, task, enqueued)

    def second_step(
        self, client: redis.Redis, keys: QueueKeys, entry_id: bytes, task: str, enqueued: int
    ) -> None:
        del task, enqueued
        client.xack(keys.stream, GROUP, entry_id)

    def complete(self, client: redis.Redis, keys: QueueKeys, task: str, enqueued: int) -> None:
        first = client.eval(_COMPLETE, 2, keys.done, keys.applied, task, self.name, keys.ttl_s)
        if int(first):
            self.latencies_ns.append(time.time_ns() - enqueued)


def _drained(client: redis.Redis, keys: QueueKeys) -> bool:
    """Nothing undelivered (the caller's read came back empty) and nothing unacknowledged."""
    return int(client.xpending(keys.stream, GROUP)["pending"]) == 0


def run_taskqueue(
    *,
    client_factory: Callable[[], redis.Redis],
    keyspace: Keyspace,
    workers: int,
    tasks: int,
    timeout_s: float,
    visibility_ms: int = 500,
    worker_class: type[StreamWorker] = StreamWorker,
) -> PatternResult:
    keys = QueueKeys.of(keyspace)
    admin = client_factory()
    crew = Crew(timeout_s)
    started = time.perf_counter()
    produced = threading.Event()
    victim = worker_class("worker-0", die_during=VICTIM_DIES_DURING, visibility_ms=visibility_ms)
    team = [
        victim,
        *(worker_class(f"worker-{i}", visibility_ms=visibility_ms) for i in range(1, workers)),
    ]
    try:
        admin.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
        admin.expire(keys.stream, keys.ttl_s)
        first = min(VICTIM_BATCH, tasks)
        _enqueue(admin, keys, range(first))
        # The victim reads alone first, so it surely dies holding tasks: the failure the
        # queue must survive is exercised on every run, not left to scheduling luck.
        victim_client = client_factory()
        try:
            victim.process(victim_client, keys, victim.read(victim_client, keys, VICTIM_BATCH))
        except WorkerKilledError:
            pass
        finally:
            victim_client.close()  # a dead worker's connection goes away with it
        for worker in team[1:]:
            crew.spawn(
                worker.name,
                lambda w=worker: w.work(client_factory(), keys, crew, produced),  # type: ignore[misc]
            )
        _produce(client_factory, keys, range(first, tasks), crew, produced)
        stuck = crew.join()
        crew.stop.set()
        crew.raise_first_error()
        elapsed = time.perf_counter() - started
        outcome = QueueOutcome(
            tasks=tasks,
            applied={_text(k): int(v) for k, v in admin.hgetall(keys.applied).items()},
            unacknowledged=int(admin.xpending(keys.stream, GROUP)["pending"]),
            held_by_killed=victim.held_at_death,
            timed_out=bool(stuck) or crew.remaining() == 0,
            timeout_s=timeout_s,
        )
    finally:
        crew.stop.set()  # after an error too: no worker outlives the run
        admin.close()
    redelivered = sum(worker.redelivered for worker in team)
    return queue_result(
        outcome,
        backend=Backend.REDIS,
        workers=workers,
        elapsed=elapsed,
        latencies_ns=[ns for worker in team for ns in worker.latencies_ns],
        redelivered=redelivered,
        killed_worker_held=victim.held_at_death,
        design="streams consumer group + XAUTOCLAIM",
    )


def _enqueue(client: redis.Redis, keys: QueueKeys, numbers: range) -> None:
    pipe = client.pipeline(transaction=False)
    for number in numbers:
        pipe.xadd(keys.stream, {"task": str(number), "t": time.time_ns()})
    pipe.execute()


def _produce(
    client_factory: Callable[[], redis.Redis],
    keys: QueueKeys,
    numbers: range,
    crew: Crew,
    produced: threading.Event,
) -> None:
    """Several producers enqueue their share concurrently, in small batches."""
    lock = threading.Lock()
    left = [PRODUCERS]

    def producer(share: range) -> None:
        client = client_factory()
        try:
            for start in range(0, len(share), BATCH):
                if not crew.running():
                    return
                _enqueue(client, keys, share[start : start + BATCH])
        finally:
            client.close()
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    produced.set()

    for index in range(PRODUCERS):
        crew.spawn(f"producer-{index}", lambda s=numbers[index::PRODUCERS]: producer(s))  # type: ignore[misc]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
