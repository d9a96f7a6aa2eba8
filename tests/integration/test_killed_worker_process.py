"""A worker *process* killed with SIGKILL mid-task: its tasks are still done exactly once.

The pattern runs simulate the death inside one process (the worker stops and its
connection closes). Here the worker is a separate process that the kernel kills while it
holds tasks, effect applied and nothing acknowledged: the harshest death there is.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from typing import TYPE_CHECKING

import psycopg
import redis

from mycelium.coordination import pg_taskqueue
from mycelium.coordination.crew import Crew
from mycelium.coordination.keyspace import Keyspace, new_run_id
from mycelium.coordination.pg_taskqueue import PgWorker, Tables
from mycelium.coordination.queue_check import QueueOutcome, check_queue
from mycelium.coordination.redis_link import connect
from mycelium.coordination.taskqueue import GROUP, QueueKeys, StreamWorker

if TYPE_CHECKING:
    from tests.integration.servers import PostgresServer, RedisServer

TASKS = 12

REDIS_WORKER = """
import sys, time, redis
from mycelium.coordination.taskqueue import QueueKeys, StreamWorker
keys = QueueKeys(sys.argv[2], sys.argv[3], sys.argv[4], 90)
client = redis.Redis.from_url(sys.argv[1])
worker = StreamWorker("doomed")
batch = worker.read(client, keys, 3)
entry_id, fields = batch[0]
worker.first_step(client, keys, entry_id, fields[b"task"].decode(), int(fields[b"t"]))
print(len(batch), flush=True)
time.sleep(120)
"""

PG_WORKER = """
import sys, time, psycopg
from psycopg import sql
from mycelium.coordination.pg_taskqueue import PgWorker, Tables
tables = Tables(sys.argv[2], 90)
conn = psycopg.connect(sys.argv[1])
row = conn.execute(
    sql.SQL("SELECT id, enqueued_ns FROM {} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")
    .format(tables.q("tasks"))
).fetchone()
PgWorker("doomed").first_step(conn, tables, row[0], row[1])
print(1, flush=True)
time.sleep(120)
"""


def start_doomed(script: str, *args: str) -> tuple[subprocess.Popen[str], int]:
    """Start a worker process; return it and how many tasks it holds once it says so."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    held = int(proc.stdout.readline() or 0)
    return proc, held


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.stdout is not None
    proc.stdout.close()


def test_a_redis_worker_killed_by_sigkill_loses_no_task_and_doubles_none(
    redis_server: RedisServer,
) -> None:
    space = Keyspace(new_run_id(), "taskqueue", 90)
    keys = QueueKeys.of(space)
    admin = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    try:
        admin.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
        for number in range(TASKS):
            admin.xadd(keys.stream, {"task": str(number), "t": 0})
        proc, held = start_doomed(
            REDIS_WORKER, redis_server.url, keys.stream, keys.done, keys.applied
        )
        kill(proc)
        assert held == 3
        crew, team = Crew(30), [StreamWorker(f"w{i}", visibility_ms=200) for i in range(2)]
        produced = threading.Event()
        produced.set()
        for worker in team:
            crew.spawn(
                worker.name,
                lambda w=worker: w.work(connect(redis_server.url), keys, crew, produced),  # type: ignore[misc]
            )
        assert crew.join() == []
        crew.raise_first_error()
        outcome = QueueOutcome(
            tasks=TASKS,
            applied={_text(k): int(v) for k, v in admin.hgetall(keys.applied).items()},
            unacknowledged=int(admin.xpending(keys.stream, GROUP)["pending"]),
            held_by_killed=held,
            timed_out=False,
            timeout_s=30,
        )
        assert check_queue(outcome) == []
        assert sum(worker.redelivered for worker in team) == 3
    finally:
        space.delete(admin)
        admin.close()


def test_a_postgres_worker_killed_by_sigkill_loses_no_task_and_doubles_none(
    postgres_server: PostgresServer,
) -> None:
    tables = Tables(f"mycelium_test_{new_run_id()}", 90)
    with psycopg.connect(postgres_server.dsn, autocommit=True) as admin:
        pg_taskqueue.create_schema(admin, tables)
        pg_taskqueue._enqueue(admin, tables, range(TASKS))
    try:
        proc, held = start_doomed(PG_WORKER, postgres_server.dsn, tables.schema)
        kill(proc)
        assert held == 1
        crew, team = Crew(30), [PgWorker(f"w{i}") for i in range(2)]
        produced = threading.Event()
        produced.set()
        for worker in team:
            crew.spawn(
                worker.name,
                lambda w=worker: w.work(
                    pg_taskqueue.connect(postgres_server.dsn), tables, crew, produced
                ),  # type: ignore[misc]
            )
        assert crew.join() == []
        crew.raise_first_error()
        with psycopg.connect(postgres_server.dsn) as conn:
            rows = conn.execute(
                f"SELECT task_id, count(*) FROM {tables.schema}.applied GROUP BY task_id"  # noqa: S608 - our own schema name
            ).fetchall()
        outcome = QueueOutcome(
            tasks=TASKS,
            applied={str(task): int(count) for task, count in rows},
            unacknowledged=0,
            held_by_killed=held,
            timed_out=False,
            timeout_s=30,
        )
        assert check_queue(outcome) == []
        assert sum(worker.claimed for worker in team) == TASKS
    finally:
        pg_taskqueue.drop_schema(postgres_server.dsn, tables)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
