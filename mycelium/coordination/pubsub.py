"""Pub/sub: every confirmed subscriber gets every message, in order, exactly once.

Redis pub/sub is at-most-once: a subscriber that is not yet subscribed when a message is
published never sees it. The publisher therefore waits until every subscriber has its
subscription confirmed (its own ``subscribe`` reply *and* ``PUBSUB NUMSUB`` on the server)
before the first message, so a loss found afterwards is a real loss, not a race of ours.
"""

from __future__ import annotations

import itertools
import threading
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

POLL_S: Final = 0.2
# Published after the last message: a subscriber that lost messages stops waiting for them
# when it sees this (a channel keeps the publisher's order), instead of at the deadline.
END: Final = b"end"
MAX_LISTED: Final = 5


@dataclass
class Subscriber:
    """One agent listening on the channel; records what arrives and when."""

    index: int
    received: list[int] = field(default_factory=list)
    latencies_ns: list[int] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def accept(self, seq: int) -> bool:
        """Whether this subscriber keeps a message; a lossy test double says no sometimes."""
        del seq
        return True

    def listen(self, client: redis.Redis, channel: str, expected: int, crew: Crew) -> None:
        pubsub = client.pubsub(ignore_subscribe_messages=False)  # type: ignore[no-untyped-call]
        try:
            pubsub.subscribe(channel)
            while crew.running() and not self.ready.is_set():
                message = pubsub.get_message(timeout=POLL_S)
                if message is not None and message["type"] == "subscribe":
                    self.ready.set()
            while crew.running() and len(self.received) < expected:
                message = pubsub.get_message(timeout=POLL_S)
                if message is None or message["type"] != "message":
                    continue
                now = time.perf_counter_ns()
                if message["data"] == END:
                    break
                seq_text, sent_text = message["data"].decode().split(":", 1)
                seq = int(seq_text)
                if self.accept(seq):
                    self.received.append(seq)
                    self.latencies_ns.append(now - int(sent_text))
        finally:
            pubsub.close()
            client.close()


def run_pubsub(
    *,
    client_factory: Callable[[], redis.Redis],
    keyspace: Keyspace,
    subscribers: int,
    messages: int,
    timeout_s: float,
    subscriber_class: type[Subscriber] = Subscriber,
) -> PatternResult:
    channel = keyspace.key("channel")
    crew = Crew(timeout_s)
    started = time.perf_counter()
    team = [subscriber_class(index) for index in range(subscribers)]
    for sub in team:
        crew.spawn(
            f"subscriber-{sub.index}",
            lambda sub=sub: sub.listen(client_factory(), channel, messages, crew),  # type: ignore[misc]
        )
    publisher = client_factory()
    try:
        confirmed = _confirmed(publisher, channel, team, crew)
        publish_started = time.perf_counter()
        short_deliveries = (
            _publish(publisher, channel, messages, subscribers, crew) if confirmed else 0
        )
    except BaseException:
        crew.stop.set()  # the subscribers stop now instead of at the deadline
        raise
    finally:
        publisher.close()
    stuck = crew.join()
    crew.stop.set()
    crew.raise_first_error()
    elapsed = time.perf_counter() - publish_started
    problems = check_pubsub(team, messages)
    if not confirmed:
        problems.insert(0, f"only some of the {subscribers} subscriptions were confirmed")
    if short_deliveries:
        problems.append(
            f"{short_deliveries} publishes reached fewer than {subscribers} subscribers"
        )
    if stuck or crew.remaining() == 0:
        problems.append(f"did not finish within {timeout_s:g} s")
    delivered = sum(len(sub.received) for sub in team)
    return PatternResult(
        pattern=Pattern.PUBSUB,
        backend=Backend.REDIS,
        participants=subscribers,
        status=Status.FAIL if problems else Status.PASS,
        duration_s=time.perf_counter() - started,
        throughput=delivered / elapsed if elapsed > 0 else None,
        throughput_unit="msg/s",
        latency=Latency.from_ns([ns for sub in team for ns in sub.latencies_ns]),
        latency_label="publish → receive",
        problems=tuple(problems),
        details={"messages": messages, "delivered": delivered},
    )


def _confirmed(client: redis.Redis, channel: str, team: list[Subscriber], crew: Crew) -> bool:
    """Each subscriber saw its ``subscribe`` reply, and the server counts them all."""
    for sub in team:
        while crew.running() and not sub.ready.wait(POLL_S):
            pass
    while crew.running():
        counts = dict(client.pubsub_numsub(channel))
        if int(counts.get(channel.encode(), 0)) >= len(team):
            return True
        time.sleep(0.01)
    return False


def _publish(client: redis.Redis, channel: str, messages: int, subscribers: int, crew: Crew) -> int:
    """Publish ``messages`` then the end marker; how many reached fewer than all."""
    short = 0
    for seq in range(messages):
        if not crew.running():
            break
        if int(client.publish(channel, f"{seq}:{time.perf_counter_ns()}")) < subscribers:
            short += 1
    client.publish(channel, END)
    return short


def check_pubsub(team: list[Subscriber], messages: int) -> list[str]:
    """One line per broken promise: a missed, duplicated or reordered message."""
    problems: list[str] = []
    expected = list(range(messages))
    for sub in team:
        got = sub.received
        if got == expected:
            continue
        name = f"subscriber {sub.index}"
        missing = sorted(set(expected) - set(got))
        if missing:
            problems.append(
                f"{name} missed {len(missing)} of {messages} messages (#{_listed(missing)})"
            )
        twice = sorted(seq for seq, n in Counter(got).items() if n > 1)
        if twice:
            problems.append(f"{name} received #{_listed(twice)} more than once")
        disorder = [(a, b) for a, b in itertools.pairwise(got) if b < a]
        if disorder:
            a, b = disorder[0]
            problems.append(
                f"{name} received messages out of order ({len(disorder)} times; "
                f"first #{b} after #{a})"
            )
    return problems


def _listed(numbers: list[int]) -> str:
    shown = ", #".join(str(n) for n in numbers[:MAX_LISTED])
    return shown + (", …" if len(numbers) > MAX_LISTED else "")
