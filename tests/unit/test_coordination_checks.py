"""The pattern checks, the URL masking and the choice of services, without any server."""

from __future__ import annotations

import pytest

from mycelium.config import MyceliumConfig
from mycelium.coordination.barrier import check_barrier
from mycelium.coordination.endpoints import choose
from mycelium.coordination.pubsub import Subscriber, check_pubsub
from mycelium.coordination.queue_check import QueueOutcome, check_queue
from mycelium.coordination.results import (
    Backend,
    Latency,
    Pattern,
    PatternResult,
    RunReport,
    Status,
)
from mycelium.redaction import redact_url


def subscriber(index: int, received: list[int]) -> Subscriber:
    sub = Subscriber(index)
    sub.received = received
    return sub


def test_pubsub_check_passes_every_message_in_order_once() -> None:
    assert check_pubsub([subscriber(0, [0, 1, 2]), subscriber(1, [0, 1, 2])], 3) == []


def test_pubsub_check_names_missing_duplicated_and_reordered_messages() -> None:
    assert check_pubsub([subscriber(0, [0, 2])], 3) == ["subscriber 0 missed 1 of 3 messages (#1)"]
    assert check_pubsub([subscriber(1, [0, 1, 1, 2])], 3) == [
        "subscriber 1 received #1 more than once"
    ]
    assert check_pubsub([subscriber(2, [0, 2, 1])], 3) == [
        "subscriber 2 received messages out of order (1 times; first #1 after #2)"
    ]


def outcome(applied: dict[str, int], **changes: object) -> QueueOutcome:
    values: dict[str, object] = {
        "tasks": 3,
        "applied": applied,
        "unacknowledged": 0,
        "held_by_killed": 2,
        "timed_out": False,
        "timeout_s": 30.0,
    }
    values.update(changes)
    return QueueOutcome(**values)  # type: ignore[arg-type]


def test_queue_check_passes_each_task_done_once() -> None:
    assert check_queue(outcome({"0": 1, "1": 1, "2": 1})) == []


def test_queue_check_names_lost_and_doubled_tasks() -> None:
    assert check_queue(outcome({"0": 1, "2": 2})) == [
        "1 of 3 tasks were never done (#1)",
        "1 tasks were done more than once (#2); their effects happened twice",
    ]


def test_queue_check_fails_a_run_whose_killed_worker_held_nothing() -> None:
    problems = check_queue(outcome({"0": 1, "1": 1, "2": 1}, held_by_killed=0))
    assert problems == ["the killed worker held no task, so a worker death was not tested"]


def test_queue_check_reports_unacknowledged_tasks_and_a_timeout() -> None:
    problems = check_queue(outcome({"0": 1, "1": 1, "2": 1}, unacknowledged=2, timed_out=True))
    assert problems == ["2 tasks are still unacknowledged", "did not finish within 30 s"]


def log_of(*events: str) -> list[str]:
    return list(events)


def test_barrier_check_passes_when_every_pass_follows_every_arrival() -> None:
    log = log_of("arrive 0 0", "arrive 0 1", "pass 0 1", "pass 0 0")
    assert check_barrier(log, parties=2, generations=1) == []


def test_barrier_check_reports_an_early_release() -> None:
    log = log_of("arrive 0 0", "pass 0 0", "arrive 0 1", "pass 0 1")
    assert check_barrier(log, parties=2, generations=1) == [
        (
            "generation 0: participant 0 passed before participant 1 arrived "
            "(the barrier released early)"
        )
    ]


def test_barrier_check_reports_participants_that_never_passed_or_passed_twice() -> None:
    log = log_of("arrive 0 0", "arrive 0 1", "pass 0 0", "pass 0 0")
    assert check_barrier(log, parties=2, generations=1) == [
        "generation 0: participants 1 never passed it",
        "generation 0: participants 0 passed it twice",
    ]


def test_latency_percentiles_are_nearest_rank_in_milliseconds() -> None:
    latency = Latency.from_ns([i * 1_000_000 for i in range(1, 101)])
    assert latency == Latency(p50_ms=50.0, p95_ms=95.0, p99_ms=99.0, count=100)
    assert Latency.from_ns([]) is None


def test_a_report_holds_only_when_every_result_passed() -> None:
    passed = PatternResult(Pattern.PUBSUB, Backend.REDIS, 2, Status.PASS, 0.1)
    skipped = PatternResult(Pattern.BARRIER, Backend.REDIS, 2, Status.SKIP, 0.0)
    assert RunReport("r", (passed,)).held
    assert not RunReport("r", (passed, skipped)).held
    assert not RunReport("r", ()).held


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("redis://agent:s3cret@localhost/0", "redis://agent:***@localhost/0"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("postgresql://me:p%40ss@[::1]:5432/db", "postgresql://me:***@[::1]:5432/db"),
        ("host=db user=me password=s3cret dbname=x", "host=db user=me password=*** dbname=x"),
    ],
)
def test_urls_are_shown_with_the_password_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_flags_win_over_the_environment_and_the_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MYCELIUM_REDIS_URL", "redis://env:1/0")
    monkeypatch.setenv("MYCELIUM_POSTGRES_URL", "postgresql://env/db")
    chosen = choose(
        redis_url="redis://flag:1/0", postgres_url=None, config=MyceliumConfig(), config_path="c"
    )
    assert (chosen.redis_url, chosen.postgres_url) == ("redis://flag:1/0", "postgresql://env/db")
    assert chosen.sources == {"redis": "--redis-url", "postgres": "$MYCELIUM_POSTGRES_URL"}


def test_the_configuration_gives_urls_with_its_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYCELIUM_REDIS_URL", raising=False)
    monkeypatch.delenv("MYCELIUM_POSTGRES_URL", raising=False)
    config = MyceliumConfig.model_validate(
        {
            "services": {
                "redis": {"port": 6380, "password": "p@ss word"},
                "postgres": {"host": "db.local", "user": "agent", "password": "pw"},
            }
        }
    )
    chosen = choose(redis_url=None, postgres_url=None, config=config, config_path="/c.yaml")
    assert chosen.redis_url == "redis://:p%40ss%20word@127.0.0.1:6380/0"
    assert chosen.postgres_url == "postgresql://agent:pw@db.local:5432/mycelium"
    assert chosen.sources == {"redis": "configuration /c.yaml", "postgres": "configuration /c.yaml"}


def test_without_a_configuration_only_redis_on_its_default_port_is_tested(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MYCELIUM_REDIS_URL", raising=False)
    monkeypatch.delenv("MYCELIUM_POSTGRES_URL", raising=False)
    chosen = choose(redis_url=None, postgres_url=None, config=None, config_path=None)
    assert (chosen.redis_url, chosen.postgres_url) == ("redis://127.0.0.1:6379/0", None)
    assert chosen.sources == {"redis": "the default; no configuration file"}


def test_a_disabled_service_is_not_tested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYCELIUM_POSTGRES_URL", raising=False)
    config = MyceliumConfig.model_validate({"services": {"postgres": {"enabled": False}}})
    chosen = choose(redis_url=None, postgres_url=None, config=config, config_path="c")
    assert chosen.postgres_url is None


def test_patterns_and_qa_checks_share_one_status_vocabulary() -> None:
    from mycelium.qa.report import Status as QAStatus

    assert Status is QAStatus
    assert [s.value for s in Status] == ["pass", "fail", "skip", "error"]
