"""Task queue on PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` and LISTEN/NOTIFY.

A worker locks one task row in a transaction, applies the task's effect and its
completion record, deletes the row and commits: effect and acknowledgement are one atomic
commit. A worker that dies mid-task takes its connection with it, the server rolls the
transaction back, the row is unlocked and the next worker's ``SKIP LOCKED`` query finds
it. Idle workers sleep in LISTEN until a producer's NOTIFY (sent on commit) wakes them,
and poll as a fallback, since a rollback notifies nobody.

Each run lives in its own schema, dropped at the end; its comment carries an expiry, so a
later run drops the schema of a crashed one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import psycopg
from psycopg import sql

from mycelium.coordination.crew import Crew
from mycelium.coordination.endpoints import POSTGRES_URL_ENV
from mycelium.coordination.errors import ServiceUnavailableError
from mycelium.coordination.queue_check import QueueOutcome, queue_result
from mycelium.coordination.results import Backend
from mycelium.redaction import redact_url

if TYPE_CHECKING:
    from mycelium.coordination.results import PatternResult

CONNECT_TIMEOUT_S: Final = 3
WAKE_POLL_S: Final = 0.2
BATCH: Final = 10
PRODUCERS: Final = 2
VICTIM_DIES_DURING: Final = 2
SCHEMA_PREFIX: Final = "mycelium_test_"


class WorkerKilledError(Exception):
    """The simulated death of a worker in the middle of a task."""


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=autocommit)


def preflight(url: str) -> None:
    """Check that ``url`` accepts us.

    Raises:
        ServiceUnavailableError: the message names the URL with the password masked.
    """
    shown = redact_url(url)
    try:
        with connect(url) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        # The first line has the cause; later ones are libpq's generic hints.
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        text = text.removeprefix("connection failed: ")
        if "password" in text:
            raise ServiceUnavailableError(
                f"PostgreSQL at {shown} refused the login ({text}); give the right password "
                f"with --postgres-url or ${POSTGRES_URL_ENV}, or set services.postgres.password"
            ) from None
        raise ServiceUnavailableError(
            f"cannot connect to PostgreSQL at {shown}: {text}; is the server running?"
        ) from None


@dataclass(frozen=True)
class Tables:
    schema: str
    ttl_s: int

    @property
    def channel(self) -> str:
        return self.schema

    def q(self, table: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(table))


@dataclass
class PgWorker:
    """One agent taking tasks; a ``die_during`` worker dies mid-task, transaction open."""

    name: str
    die_during: int | None = None
    claimed: int = 0
    held_at_death: int = 0
    latencies_ns: list[int] = field(default_factory=list)

    def work(
        self,
        conn: psycopg.Connection[tuple[object, ...]],
        tables: Tables,
        crew: Crew,
        produced: threading.Event,
    ) -> None:
        try:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(tables.channel)))
            conn.commit()
            while crew.running():
                if self.take_one(conn, tables):
                    continue
                if produced.is_set() and _drained(conn, tables):
                    return
                for _ in conn.notifies(timeout=WAKE_POLL_S, stop_after=1):
                    pass
        finally:
            conn.close()

    def take_one(self, conn: psycopg.Connection[tuple[object, ...]], tables: Tables) -> bool:
        row = conn.execute(
            sql.SQL(
                "SELECT id, enqueued_ns FROM {} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            ).format(tables.q("tasks"))
        ).fetchone()
        if row is None:
            conn.rollback()
            return False
        task, enqueued = int(str(row[0])), int(str(row[1]))
        self.claimed += 1
        self.first_step(conn, tables, task, enqueued)
        if self.claimed == self.die_during:
            self.held_at_death = 1
            conn.close()  # dies: the server rolls back the open transaction
            raise WorkerKilledError(self.name)
        self.second_step(conn, tables, task, enqueued)
        return True

    # The honest order: effect and completion record, then delete and commit, atomically.
    def first_step(
        self,
        conn: psycopg.Connection[tuple[object, ...]],
        tables: Tables,
        task: int,
        enqueued: int,
    ) -> None:
        self.complete(conn, tables, task, enqueued)

    def second_step(
        self,
        conn: psycopg.Connection[tuple[object, ...]],
        tables: Tables,
        task: int,
        enqueued: int,
    ) -> None:
        del enqueued
        conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(tables.q("tasks")), (task,))
        conn.commit()

    def complete(
        self,
        conn: psycopg.Connection[tuple[object, ...]],
        tables: Tables,
        task: int,
        enqueued: int,
    ) -> None:
        first = conn.execute(
            sql.SQL(
                "INSERT INTO {} (task_id, worker) VALUES (%s, %s) ON CONFLICT DO NOTHING"
            ).format(tables.q("done")),
            (task, self.name),
        ).rowcount
        if first:
            conn.execute(
                sql.SQL("INSERT INTO {} (task_id) VALUES (%s)").format(tables.q("applied")), (task,)
            )
            self.latencies_ns.append(time.time_ns() - enqueued)


def _drained(conn: psycopg.Connection[tuple[object, ...]], tables: Tables) -> bool:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(tables.q("tasks"))).fetchone()
    conn.rollback()
    return row is not None and int(str(row[0])) == 0


def create_schema(conn: psycopg.Connection[tuple[object, ...]], tables: Tables) -> None:
    sweep_expired(conn)
    schema = sql.Identifier(tables.schema)
    expires = int(time.time()) + tables.ttl_s
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
    conn.execute(
        sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
            schema, sql.Literal(f"mycelium-test run; expires {expires}")
        )
    )
    conn.execute(
        sql.SQL("CREATE TABLE {} (id integer PRIMARY KEY, enqueued_ns bigint NOT NULL)").format(
            tables.q("tasks")
        )
    )
    conn.execute(
        sql.SQL("CREATE TABLE {} (task_id integer PRIMARY KEY, worker text NOT NULL)").format(
            tables.q("done")
        )
    )
    conn.execute(sql.SQL("CREATE TABLE {} (task_id integer NOT NULL)").format(tables.q("applied")))


def sweep_expired(conn: psycopg.Connection[tuple[object, ...]]) -> list[str]:
    """Drop the schemas of earlier runs past their expiry (a crashed run's leftovers)."""
    rows = conn.execute(
        "SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace "
        "WHERE nspname LIKE %s",
        (SCHEMA_PREFIX + "%",),
    ).fetchall()
    dropped = []
    now = time.time()
    for name, comment in rows:
        words = str(comment or "").split()
        if len(words) == 4 and words[2] == "expires" and int(words[3]) < now:  # noqa: PLR2004
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(str(name))))
            dropped.append(str(name))
    return dropped


def drop_schema(url: str, tables: Tables) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(tables.schema))
        )


def run_pg_taskqueue(
    *,
    url: str,
    run_id: str,
    workers: int,
    tasks: int,
    timeout_s: float,
    ttl_s: int,
    worker_class: type[PgWorker] = PgWorker,
) -> PatternResult:
    tables = Tables(f"{SCHEMA_PREFIX}{run_id}", ttl_s)
    crew = Crew(timeout_s)
    produced = threading.Event()
    victim = worker_class("worker-0", die_during=VICTIM_DIES_DURING)
    team = [victim, *(worker_class(f"worker-{i}") for i in range(1, workers))]
    started = time.perf_counter()
    try:
        with connect(url, autocommit=True) as admin:
            create_schema(admin, tables)
            first = min(VICTIM_DIES_DURING + 1, tasks)
            _enqueue(admin, tables, range(first))
        # The victim works alone first, so it surely dies holding a task.
        victim_conn = connect(url)
        try:
            while victim.take_one(victim_conn, tables):
                pass
        except WorkerKilledError:
            pass
        finally:
            victim_conn.close()
        for worker in team[1:]:
            crew.spawn(
                worker.name,
                lambda w=worker: w.work(connect(url), tables, crew, produced),  # type: ignore[misc]
            )
        _produce(url, tables, range(first, tasks), crew, produced)
        stuck = crew.join()
        crew.stop.set()
        crew.raise_first_error()
        elapsed = time.perf_counter() - started
        with connect(url, autocommit=True) as admin:
            applied = admin.execute(
                sql.SQL("SELECT task_id, count(*) FROM {} GROUP BY task_id").format(
                    tables.q("applied")
                )
            ).fetchall()
            left = admin.execute(sql.SQL("SELECT count(*) FROM {}").format(tables.q("tasks")))
            row = left.fetchone()
        outcome = QueueOutcome(
            tasks=tasks,
            applied={str(task): int(str(count)) for task, count in applied},
            unacknowledged=int(str(row[0])) if row else 0,
            held_by_killed=victim.held_at_death,
            timed_out=bool(stuck) or crew.remaining() == 0,
            timeout_s=timeout_s,
        )
    finally:
        crew.stop.set()
        drop_schema(url, tables)
    claims = sum(worker.claimed for worker in team)
    return queue_result(
        outcome,
        backend=Backend.POSTGRES,
        workers=workers,
        elapsed=elapsed,
        latencies_ns=[ns for worker in team for ns in worker.latencies_ns],
        redelivered=max(0, claims - tasks),
        killed_worker_held=victim.held_at_death,
        design="FOR UPDATE SKIP LOCKED + LISTEN/NOTIFY",
    )


def _enqueue(conn: psycopg.Connection[tuple[object, ...]], tables: Tables, numbers: range) -> None:
    with conn.transaction():
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} (id, enqueued_ns) VALUES (%s, %s)").format(
                    tables.q("tasks")
                ),
                [(number, time.time_ns()) for number in numbers],
            )
        # Delivered on commit, so a woken worker always finds the rows.
        conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(tables.channel)))


def _produce(
    url: str, tables: Tables, numbers: range, crew: Crew, produced: threading.Event
) -> None:
    lock = threading.Lock()
    left = [PRODUCERS]

    def producer(share: range) -> None:
        try:
            with connect(url, autocommit=True) as conn:
                for start in range(0, len(share), BATCH):
                    if not crew.running():
                        return
                    _enqueue(conn, tables, share[start : start + BATCH])
        finally:
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    produced.set()

    for index in range(PRODUCERS):
        crew.spawn(f"producer-{index}", lambda s=numbers[index::PRODUCERS]: producer(s))  # type: ignore[misc]
