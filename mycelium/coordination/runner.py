"""Run the selected patterns against the chosen services and gather one report.

Each pattern gets the whole ``timeout_s`` to itself, its own key prefix (or schema) and a
TTL on everything it writes, and cleans up after itself whether it passed or not. A
service lost mid-run ends that pattern as an error that says what happened; the next
pattern still runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

import psycopg
import redis

from mycelium.coordination import pg_taskqueue, redis_link
from mycelium.coordination.barrier import run_barrier
from mycelium.coordination.keyspace import Keyspace, new_run_id
from mycelium.coordination.pubsub import run_pubsub
from mycelium.coordination.results import Backend, Pattern, PatternResult, RunReport, Status
from mycelium.coordination.taskqueue import run_taskqueue
from mycelium.redaction import redact_url

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mycelium.coordination.endpoints import Endpoints

log = logging.getLogger("mycelium")

TTL_MARGIN_S: Final = 60
DEFAULT_GENERATIONS: Final = 5


@dataclass(frozen=True)
class RunSettings:
    run_id: str
    participants: int
    messages: int
    generations: int
    timeout_s: float

    @property
    def ttl_s(self) -> int:
        """Long enough for the run, short enough that a crashed run's keys soon vanish."""
        return int(self.timeout_s) + TTL_MARGIN_S


def run_patterns(
    *,
    endpoints: Endpoints,
    patterns: Sequence[Pattern],
    participants: int,
    messages: int,
    timeout_s: float,
    generations: int = DEFAULT_GENERATIONS,
    run_id: str | None = None,
) -> RunReport:
    """Check every pattern in ``patterns``; services are checked for access first.

    Raises:
        ServiceUnavailableError: a service the patterns need is down or refuses us.
    """
    settings = RunSettings(run_id or new_run_id(), participants, messages, generations, timeout_s)
    redis_url = endpoints.redis_url
    server_id = redis_link.preflight(redis_url) if redis_url else ""
    if endpoints.postgres_url and Pattern.TASKQUEUE in patterns:
        pg_taskqueue.preflight(endpoints.postgres_url)
    results: list[PatternResult] = []
    for pattern in patterns:
        if redis_url is None:
            results.append(_skipped(pattern, settings, "Redis is not enabled or given"))
        else:
            log.debug("running %s on %s", pattern.value, redact_url(redis_url))
            results.append(_on_redis(pattern, settings, url=redis_url, server_id=server_id))
        if pattern is Pattern.TASKQUEUE and endpoints.postgres_url:
            log.debug("running taskqueue on %s", redact_url(endpoints.postgres_url))
            results.append(_on_postgres(settings, url=endpoints.postgres_url))
    return RunReport(run_id=settings.run_id, results=tuple(results))


def _run_on_redis(
    pattern: Pattern,
    settings: RunSettings,
    keyspace: Keyspace,
    factory: Callable[[], redis.Redis],
) -> PatternResult:
    if pattern is Pattern.PUBSUB:
        return run_pubsub(
            client_factory=factory,
            keyspace=keyspace,
            subscribers=settings.participants,
            messages=settings.messages,
            timeout_s=settings.timeout_s,
        )
    if pattern is Pattern.TASKQUEUE:
        return run_taskqueue(
            client_factory=factory,
            keyspace=keyspace,
            workers=settings.participants,
            tasks=settings.messages,
            timeout_s=settings.timeout_s,
        )
    return run_barrier(
        client_factory=factory,
        keyspace=keyspace,
        parties=settings.participants,
        generations=settings.generations,
        timeout_s=settings.timeout_s,
    )


def _on_redis(
    pattern: Pattern, settings: RunSettings, *, url: str, server_id: str
) -> PatternResult:
    """Run one pattern; a lost connection becomes an error result, and the keys go."""
    keyspace = Keyspace(settings.run_id, pattern.value, settings.ttl_s)
    started = time.perf_counter()
    try:
        result = _run_on_redis(pattern, settings, keyspace, redis_link.factory(url))
        return _audit_keys(result, url, keyspace)
    except (redis.ConnectionError, redis.TimeoutError):
        why = redis_link.explain_loss(url, server_id)
    except redis.RedisError as exc:
        why = f"Redis at {redact_url(url)} answered with an error: {exc}"
    finally:
        _cleanup(url, keyspace)
    return _error(pattern, Backend.REDIS, settings, started, why)


def _audit_keys(result: PatternResult, url: str, keyspace: Keyspace) -> PatternResult:
    """Every key of the run must carry a TTL, or a crashed run would leave it forever."""
    client = redis_link.connect(url)
    try:
        forever = keyspace.keys_without_ttl(client)
    finally:
        client.close()
    if not forever:
        return result
    problem = f"keys without a TTL: {', '.join(forever)}"
    return replace(result, status=Status.FAIL, problems=(*result.problems, problem))


def _cleanup(url: str, keyspace: Keyspace) -> None:
    client = redis_link.connect(url)
    try:
        deleted = keyspace.delete(client)
        log.debug("deleted %d keys under %s", deleted, keyspace.prefix)
    except redis.RedisError as exc:
        log.warning(
            "could not delete the keys under %s: %s; they expire within %d s",
            keyspace.prefix,
            exc,
            keyspace.ttl_s,
        )
    finally:
        client.close()


def _on_postgres(settings: RunSettings, *, url: str) -> PatternResult:
    started = time.perf_counter()
    try:
        return pg_taskqueue.run_pg_taskqueue(
            url=url,
            run_id=settings.run_id,
            workers=settings.participants,
            tasks=settings.messages,
            timeout_s=settings.timeout_s,
            ttl_s=settings.ttl_s,
        )
    except psycopg.OperationalError as exc:
        why = f"lost the connection to PostgreSQL at {redact_url(url)} mid-run: {_first_line(exc)}"
    except psycopg.Error as exc:
        why = f"PostgreSQL at {redact_url(url)} answered with an error: {_first_line(exc)}"
    return _error(Pattern.TASKQUEUE, Backend.POSTGRES, settings, started, why)


def _error(
    pattern: Pattern, backend: Backend, settings: RunSettings, started: float, why: str
) -> PatternResult:
    return PatternResult(
        pattern=pattern,
        backend=backend,
        participants=settings.participants,
        status=Status.ERROR,
        duration_s=time.perf_counter() - started,
        problems=(why,),
    )


def _skipped(pattern: Pattern, settings: RunSettings, why: str) -> PatternResult:
    return PatternResult(
        pattern=pattern,
        backend=Backend.REDIS,
        participants=settings.participants,
        status=Status.SKIP,
        duration_s=0.0,
        problems=(why,),
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
