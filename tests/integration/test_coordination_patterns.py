"""Each pattern against a real redis-server and PostgreSQL, honest and broken on purpose.

The broken participants are the mistakes agents' code really makes (acknowledging a task
before doing it, a completion that is not idempotent, a listener that drops messages, a
barrier that lets a participant through without waiting). Each must turn the pattern's
result to ``failed`` with evidence: a check that cannot fail proves nothing.
"""

# Test doubles override methods and keep the base signatures, arguments used or not.
# ruff: noqa: ARG002

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
import redis
from psycopg import sql

from mycelium.coordination import Backend, Pattern, Status
from mycelium.coordination.barrier import Participant, run_barrier
from mycelium.coordination.endpoints import Endpoints
from mycelium.coordination.keyspace import Keyspace, new_run_id
from mycelium.coordination.pg_taskqueue import PgWorker, Tables, run_pg_taskqueue
from mycelium.coordination.pubsub import Subscriber, run_pubsub
from mycelium.coordination.redis_link import factory
from mycelium.coordination.runner import run_patterns
from mycelium.coordination.taskqueue import GROUP, QueueKeys, StreamWorker, run_taskqueue

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mycelium.coordination.results import PatternResult
    from tests.integration.servers import PostgresServer, RedisServer

TIMEOUT_S = 30.0


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    yield connection
    connection.close()


@pytest.fixture
def keyspace(client: redis.Redis) -> Iterator[Callable[[str], Keyspace]]:
    """A fresh keyspace per call; whatever the pattern left is deleted after the test."""
    made: list[Keyspace] = []

    def make(pattern: str) -> Keyspace:
        made.append(Keyspace(new_run_id(), pattern, ttl_s=90))
        return made[-1]

    yield make
    for space in made:
        space.delete(client)


# --- pub/sub -----------------------------------------------------------------------------


def test_pubsub_delivers_every_message_to_every_subscriber_in_order(
    keyspace: Callable[[str], Keyspace],
    redis_server: RedisServer,
) -> None:
    result = run_pubsub(
        client_factory=factory(redis_server.url),
        keyspace=keyspace("pubsub"),
        subscribers=5,
        messages=300,
        timeout_s=TIMEOUT_S,
    )
    assert result.status is Status.PASS, result.problems
    assert result.details == {"messages": 300, "delivered": 1500}
    assert result.latency is not None
    assert result.latency.count == 1500


class LossySubscriber(Subscriber):
    """Drops every seventh message, as a listener with a full buffer would."""

    def accept(self, seq: int) -> bool:
        return self.index != 2 or seq % 7 != 3


class EchoingSubscriber(Subscriber):
    """Handles one message twice, as a listener that re-reads its buffer would."""

    def accept(self, seq: int) -> bool:
        if self.index == 0 and seq == 10:
            self.received.append(seq)
        return True


def test_pubsub_reports_a_subscriber_that_loses_messages(
    keyspace: Callable[[str], Keyspace], redis_server: RedisServer
) -> None:
    result = run_pubsub(
        client_factory=factory(redis_server.url),
        keyspace=keyspace("pubsub"),
        subscribers=3,
        messages=50,
        timeout_s=TIMEOUT_S,
        subscriber_class=LossySubscriber,
    )
    assert result.status is Status.FAIL
    assert result.problems == ("subscriber 2 missed 7 of 50 messages (#3, #10, #17, #24, #31, …)",)


def test_pubsub_reports_a_message_received_twice(
    keyspace: Callable[[str], Keyspace], redis_server: RedisServer
) -> None:
    result = run_pubsub(
        client_factory=factory(redis_server.url),
        keyspace=keyspace("pubsub"),
        subscribers=2,
        messages=20,
        timeout_s=TIMEOUT_S,
        subscriber_class=EchoingSubscriber,
    )
    assert result.status is Status.FAIL
    assert "subscriber 0 received #10 more than once" in result.problems


# --- task queue on Redis Streams ---------------------------------------------------------


def test_taskqueue_does_every_task_once_although_a_worker_dies_mid_task(
    keyspace: Callable[[str], Keyspace], redis_server: RedisServer, client: redis.Redis
) -> None:
    space = keyspace("taskqueue")
    result = run_taskqueue(
        client_factory=factory(redis_server.url),
        keyspace=space,
        workers=4,
        tasks=120,
        timeout_s=TIMEOUT_S,
        visibility_ms=200,
    )
    assert result.status is Status.PASS, result.problems
    # The victim finished one task, then died after the effect of the second, before its
    # acknowledgement, holding the third: both are delivered again, once each.
    assert result.details["killed_worker_held"] == 2
    assert result.details["redelivered"] == 2
    applied = client.hgetall(QueueKeys.of(space).applied)
    assert sorted(int(k) for k in applied) == list(range(120))
    assert set(applied.values()) == {b"1"}


class AckFirstWorker(StreamWorker):
    """Acknowledges a task as soon as it has it, then does it."""

    def first_step(self, client: Any, keys: QueueKeys, entry_id: bytes, task: str, t: int) -> None:
        client.xack(keys.stream, GROUP, entry_id)

    def second_step(self, client: Any, keys: QueueKeys, entry_id: bytes, task: str, t: int) -> None:
        self.complete(client, keys, task, t)


class NonIdempotentWorker(StreamWorker):
    """Applies a task's effect every time it is delivered: no completion record."""

    def complete(self, client: Any, keys: QueueKeys, task: str, enqueued: int) -> None:
        client.hincrby(keys.applied, task, 1)
        client.expire(keys.applied, keys.ttl_s)


def run_broken_queue(
    keyspace: Callable[[str], Keyspace], redis_server: RedisServer, worker_class: type[StreamWorker]
) -> PatternResult:
    """30 tasks, 3 workers of ``worker_class``: a queue broken in one way, to be caught."""
    return run_taskqueue(
        client_factory=factory(redis_server.url),
        keyspace=keyspace("taskqueue"),
        workers=3,
        tasks=30,
        timeout_s=TIMEOUT_S,
        visibility_ms=200,
        worker_class=worker_class,
    )


def test_taskqueue_reports_a_task_lost_by_a_worker_that_acks_before_working(
    keyspace: Callable[[str], Keyspace],
    redis_server: RedisServer,
) -> None:
    result = run_broken_queue(keyspace, redis_server, AckFirstWorker)
    assert result.status is Status.FAIL
    assert result.problems == ("1 of 30 tasks were never done (#1)",)


def test_taskqueue_reports_a_task_done_twice_without_an_idempotent_completion(
    keyspace: Callable[[str], Keyspace],
    redis_server: RedisServer,
) -> None:
    result = run_broken_queue(keyspace, redis_server, NonIdempotentWorker)
    assert result.status is Status.FAIL
    assert result.problems == (
        "1 tasks were done more than once (#1); their effects happened twice",
    )


# --- barrier -----------------------------------------------------------------------------


def test_barrier_lets_nobody_through_before_everyone_arrived(
    keyspace: Callable[[str], Keyspace], redis_server: RedisServer, client: redis.Redis
) -> None:
    space = keyspace("barrier")
    result = run_barrier(
        client_factory=factory(redis_server.url),
        keyspace=space,
        parties=5,
        generations=6,
        timeout_s=TIMEOUT_S,
    )
    assert result.status is Status.PASS, result.problems
    assert client.llen(space.key("log")) == 2 * 5 * 6
    assert all(client.ttl(key) > 0 for key in space.keys(client))


class SlowParticipant(Participant):
    """Participant 0 works longer than the others before it arrives."""

    def pause(self, generation: int) -> None:
        if self.index == 0:
            time.sleep(0.3)


class ImpatientParticipant(SlowParticipant):
    """Takes the release for granted: does not wait for the others."""

    def wait(self, client: Any, release: str, crew: Any) -> bytes | None:
        return str(time.perf_counter_ns()).encode()


def test_barrier_reports_a_participant_that_passes_without_waiting(
    keyspace: Callable[[str], Keyspace],
    redis_server: RedisServer,
) -> None:
    result = run_barrier(
        client_factory=factory(redis_server.url),
        keyspace=keyspace("barrier"),
        parties=3,
        generations=2,
        timeout_s=TIMEOUT_S,
        participant_class=ImpatientParticipant,
    )
    assert result.status is Status.FAIL
    assert any(
        problem.startswith("generation 0: participant ")
        and problem.endswith("before participant 0 arrived (the barrier released early)")
        for problem in result.problems
    ), result.problems


def test_a_slow_participant_holds_everyone_at_the_barrier(
    keyspace: Callable[[str], Keyspace], redis_server: RedisServer
) -> None:
    result = run_barrier(
        client_factory=factory(redis_server.url),
        keyspace=keyspace("barrier"),
        parties=3,
        generations=2,
        timeout_s=TIMEOUT_S,
        participant_class=SlowParticipant,
    )
    assert result.status is Status.PASS, result.problems


# --- the runner --------------------------------------------------------------------------


def test_a_run_leaves_no_key_behind_and_never_touches_other_keys(
    redis_server: RedisServer, client: redis.Redis
) -> None:
    client.set("user:data", "precious")
    run_id = new_run_id()
    report = run_patterns(
        run_id=run_id,
        endpoints=Endpoints(redis_server.url, None),
        patterns=list(Pattern),
        participants=3,
        messages=30,
        timeout_s=TIMEOUT_S,
        generations=2,
    )
    assert report.held, [r.problems for r in report.results]
    assert [r.pattern for r in report.results] == ["pubsub", "taskqueue", "barrier"]
    assert list(client.scan_iter(match=f"mycelium-test:{run_id}:*")) == []
    assert client.get("user:data") == b"precious"
    client.delete("user:data")


# --- task queue on PostgreSQL ------------------------------------------------------------


def test_postgres_queue_does_every_task_once_although_a_worker_dies_mid_task(
    postgres_server: PostgresServer,
) -> None:
    run_id = new_run_id()
    result = run_pg_taskqueue(
        url=postgres_server.dsn,
        run_id=run_id,
        workers=4,
        tasks=80,
        timeout_s=TIMEOUT_S,
        ttl_s=90,
    )
    assert result.status is Status.PASS, result.problems
    assert result.details["killed_worker_held"] == 1
    assert result.details["redelivered"] == 1
    with psycopg.connect(postgres_server.dsn) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (f"mycelium_test_{run_id}",)
        ).fetchone()
    assert left == (0,)


class PgAckFirstWorker(PgWorker):
    """Deletes (acknowledges) and commits a task before doing it."""

    def first_step(self, conn: Any, tables: Tables, task: int, enqueued: int) -> None:
        conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(tables.q("tasks")), (task,))
        conn.commit()

    def second_step(self, conn: Any, tables: Tables, task: int, enqueued: int) -> None:
        self.complete(conn, tables, task, enqueued)
        conn.commit()


def test_postgres_queue_reports_a_task_lost_by_a_worker_that_acks_before_working(
    postgres_server: PostgresServer,
) -> None:
    result = run_pg_taskqueue(
        url=postgres_server.dsn,
        run_id=new_run_id(),
        workers=3,
        tasks=20,
        timeout_s=TIMEOUT_S,
        ttl_s=90,
        worker_class=PgAckFirstWorker,
    )
    assert result.status is Status.FAIL
    assert result.problems == ("1 of 20 tasks were never done (#1)",)


def test_a_crashed_runs_expired_schema_is_dropped_by_the_next_run(
    postgres_server: PostgresServer,
) -> None:
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA mycelium_test_crashed")
        conn.execute("COMMENT ON SCHEMA mycelium_test_crashed IS 'mycelium-test run; expires 1'")
        conn.execute("CREATE SCHEMA mycelium_test_running")
        conn.execute(
            "COMMENT ON SCHEMA mycelium_test_running IS 'mycelium-test run; expires 99999999999'"
        )
    result = run_pg_taskqueue(
        url=postgres_server.dsn,
        run_id=new_run_id(),
        workers=2,
        tasks=5,
        timeout_s=TIMEOUT_S,
        ttl_s=90,
    )
    assert result.status is Status.PASS, result.problems
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        names = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mycelium_test_%' ORDER BY 1"
        ).fetchall()
        conn.execute("DROP SCHEMA mycelium_test_running")
    assert names == [("mycelium_test_running",)]


def test_a_key_written_without_a_ttl_fails_the_pattern(
    keyspace: Callable[[str], Keyspace], redis_server: RedisServer, client: redis.Redis
) -> None:
    from mycelium.coordination.results import PatternResult
    from mycelium.coordination.runner import _audit_keys

    space = keyspace("barrier")
    client.set(space.key("forever"), "1")
    client.set(space.key("mortal"), "1", ex=60)
    passed = PatternResult(Pattern.BARRIER, Backend.REDIS, 2, Status.PASS, 0.1)
    audited = _audit_keys(passed, redis_server.url, space)
    assert audited.status is Status.FAIL
    assert audited.problems == (f"keys without a TTL: {space.key('forever')}",)
