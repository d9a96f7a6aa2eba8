"""Barrier: nobody passes generation g before all P participants have arrived at g.

Arrival is ``RPUSH`` to an event log and ``INCR`` of the generation's counter in one
``MULTI``; the participant whose ``INCR`` returns P pushes P release tokens onto the
generation's list, and everyone takes one with ``BLPOP``. A list keeps its tokens, so a
waiter that reaches ``BLPOP`` late still finds one; pub/sub would have lost it. Every key
is scoped to its generation and carries a TTL.

The check reads the event log, which Redis wrote in one total order: a "pass" of
generation g logged before any "arrive" of g is an early release.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from mycelium.coordination.crew import Crew
from mycelium.coordination.results import Backend, Latency, Pattern, PatternResult, Status

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis

    from mycelium.coordination.keyspace import Keyspace

WAIT_S: Final = 1  # one BLPOP; repeated until the deadline
MAX_JITTER_S: Final = 0.005


@dataclass
class Participant:
    """One agent that works, then waits for the others, ``generations`` times."""

    index: int
    parties: int
    latencies_ns: list[int] = field(default_factory=list)

    def pause(self, generation: int) -> None:
        """The work before arriving; random, so arrivals interleave differently each time."""
        del generation
        time.sleep(random.uniform(0, MAX_JITTER_S))  # noqa: S311 - jitter, not a secret

    def run(self, client: redis.Redis, keyspace: Keyspace, generations: int, crew: Crew) -> None:
        try:
            for generation in range(generations):
                self.pause(generation)
                if not crew.running() or not self.cross(client, keyspace, generation, crew):
                    return
        finally:
            client.close()

    def cross(self, client: redis.Redis, keyspace: Keyspace, generation: int, crew: Crew) -> bool:
        """Arrive at ``generation`` and wait for its release; False when stopped first."""
        log = keyspace.key("log")
        release = keyspace.key(generation, "release")
        pipe = client.pipeline(transaction=True)
        pipe.rpush(log, f"arrive {generation} {self.index}")
        pipe.incr(keyspace.key(generation, "arrived"))
        pipe.expire(log, keyspace.ttl_s)
        pipe.expire(keyspace.key(generation, "arrived"), keyspace.ttl_s)
        arrived = int(pipe.execute()[1])
        if arrived == self.parties:
            self.release(client, keyspace, generation)
        token = self.wait(client, release, crew)
        if token is None:
            return False
        self.latencies_ns.append(time.perf_counter_ns() - int(token))
        client.rpush(log, f"pass {generation} {self.index}")
        return True

    def release(self, client: redis.Redis, keyspace: Keyspace, generation: int) -> None:
        release = keyspace.key(generation, "release")
        pipe = client.pipeline(transaction=True)
        pipe.rpush(release, *[time.perf_counter_ns()] * self.parties)
        pipe.expire(release, keyspace.ttl_s)
        pipe.execute()

    def wait(self, client: redis.Redis, release: str, crew: Crew) -> bytes | None:
        while crew.running():
            reply = client.blpop([release], timeout=WAIT_S)
            if reply is not None:
                return bytes(reply[1])  # type: ignore[arg-type]
        return None


def run_barrier(
    *,
    client_factory: Callable[[], redis.Redis],
    keyspace: Keyspace,
    parties: int,
    generations: int,
    timeout_s: float,
    participant_class: type[Participant] = Participant,
) -> PatternResult:
    crew = Crew(timeout_s)
    started = time.perf_counter()
    team = [participant_class(index, parties) for index in range(parties)]
    for member in team:
        crew.spawn(
            f"participant-{member.index}",
            lambda m=member: m.run(client_factory(), keyspace, generations, crew),  # type: ignore[misc]
        )
    stuck = crew.join()
    crew.stop.set()
    crew.raise_first_error()
    elapsed = time.perf_counter() - started
    admin = client_factory()
    try:
        log = [_text(entry) for entry in admin.lrange(keyspace.key("log"), 0, -1)]
    finally:
        admin.close()
    problems = check_barrier(log, parties, generations)
    if stuck or crew.remaining() == 0:
        problems.append(f"did not finish within {timeout_s:g} s")
    return PatternResult(
        pattern=Pattern.BARRIER,
        backend=Backend.REDIS,
        participants=parties,
        status=Status.FAIL if problems else Status.PASS,
        duration_s=elapsed,
        throughput=generations / elapsed if elapsed > 0 else None,
        throughput_unit="gen/s",
        latency=Latency.from_ns([ns for member in team for ns in member.latencies_ns]),
        latency_label="release → pass",
        problems=tuple(problems),
        details={"generations": generations},
    )


def check_barrier(log: list[str], parties: int, generations: int) -> list[str]:
    """One line per broken promise, read from the event log in Redis's own order."""
    problems: list[str] = []
    events = [(kind, int(gen), int(who)) for kind, gen, who in (e.split() for e in log)]
    for generation in range(generations):
        arrivals = [i for i, (k, g, _) in enumerate(events) if k == "arrive" and g == generation]
        passes = [i for i, (k, g, _) in enumerate(events) if k == "pass" and g == generation]
        for kind, seen in (("arrived at", arrivals), ("passed", passes)):
            who = Counter(events[i][2] for i in seen)
            missing = [p for p in range(parties) if who[p] == 0]
            twice = [p for p in range(parties) if who[p] > 1]
            if missing:
                problems.append(
                    f"generation {generation}: participants {_names(missing)} never {kind} it"
                )
            if twice:
                problems.append(
                    f"generation {generation}: participants {_names(twice)} {kind} it twice"
                )
        if arrivals and passes and passes[0] < arrivals[-1]:
            early = events[passes[0]][2]
            late = events[arrivals[-1]][2]
            problems.append(
                f"generation {generation}: participant {early} passed before participant "
                f"{late} arrived (the barrier released early)"
            )
    return problems


def _names(indices: list[int]) -> str:
    return ", ".join(str(i) for i in indices)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
