"""``mycelium-test`` as a user runs it: a real process against real servers."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import TYPE_CHECKING

import pytest
import redis

from tests.integration.servers import free_port

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.integration.servers import PostgresServer, RedisServer


@pytest.fixture
def mt(console_script: Callable[[str], str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    exe = console_script("mycelium-test")
    # A developer's own service URLs must not steer the tests.
    user_env = {k: v for k, v in os.environ.items() if not k.startswith("MYCELIUM_")}

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            capture_output=True,
            text=True,
            timeout=180,
            env={**user_env, **(env or {})},
            check=False,
        )

    return run


def assert_clean_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("mycelium-test: error: ")


def test_the_default_run_checks_every_pattern_on_redis_and_postgres(
    mt: Callable[..., subprocess.CompletedProcess[str]],
    redis_server: RedisServer,
    postgres_server: PostgresServer,
) -> None:
    result = mt("--redis-url", redis_server.url, "--postgres-url", postgres_server.dsn)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:7] == [
        "pattern", "backend", "participants", "result", "throughput", "latency", "p50",
    ]  # fmt: skip
    rows = [line.split()[:5] for line in lines[2:]]
    assert rows == [
        ["pubsub", "redis", "4", "✓", "pass"],
        ["taskqueue", "redis", "4", "✓", "pass"],
        ["taskqueue", "postgres", "4", "✓", "pass"],
        ["barrier", "redis", "4", "✓", "pass"],
    ]
    assert "200 tasks, 2 redelivered after a worker was killed" in result.stdout
    assert f"Redis: {redis_server.url} (from --redis-url)" in result.stderr


def test_json_output_carries_each_result_and_its_figures(
    mt: Callable[..., subprocess.CompletedProcess[str]], redis_server: RedisServer
) -> None:
    result = mt("--pattern", "taskqueue", "--messages", "40", "--json", "-q", "--redis-url",
                redis_server.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["held"] is True
    [queue] = data["results"]
    assert queue["pattern"] == "taskqueue"
    assert queue["status"] == "pass"
    assert queue["details"]["tasks"] == 40
    assert queue["details"]["redelivered"] == 2
    assert queue["throughput_unit"] == "tasks/s"
    assert set(queue["latency"]) == {"p50_ms", "p95_ms", "p99_ms", "count"}


def test_the_redis_url_can_come_from_the_environment(
    mt: Callable[..., subprocess.CompletedProcess[str]], redis_server: RedisServer
) -> None:
    result = mt("--pattern", "barrier", env={"MYCELIUM_REDIS_URL": redis_server.url})
    assert result.returncode == 0, result.stderr
    assert "barrier    redis" in result.stdout
    assert f"Redis: {redis_server.url} (from $MYCELIUM_REDIS_URL)" in result.stderr


def test_the_services_come_from_the_configuration_file(
    mt: Callable[..., subprocess.CompletedProcess[str]],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    config = tmp_path / "mycelium.yaml"
    config.write_text(
        "schema_version: 2\n"
        f"services:\n  redis:\n    port: {redis_server.port}\n"
        "  postgres:\n    enabled: false\n"
    )
    result = mt("--config", str(config), "--pattern", "pubsub", "--messages", "20")
    assert result.returncode == 0, result.stderr
    assert (
        f"Redis: redis://127.0.0.1:{redis_server.port}/0 (from configuration {config})"
        in result.stderr
    )
    assert "PostgreSQL" not in result.stderr


def test_a_wrong_password_is_a_clear_error_with_the_password_masked(
    mt: Callable[..., subprocess.CompletedProcess[str]], make_redis: Callable[..., RedisServer]
) -> None:
    server = make_redis(password="right-password")
    result = mt("--redis-url", f"redis://:not-it@127.0.0.1:{server.port}/0")
    assert_clean_error(result)
    assert f"Redis at redis://:***@127.0.0.1:{server.port}/0 refused the password" in result.stderr
    assert "not-it" not in result.stderr + result.stdout


def test_a_missing_password_says_the_server_needs_one(
    mt: Callable[..., subprocess.CompletedProcess[str]], make_redis: Callable[..., RedisServer]
) -> None:
    server = make_redis(password="right-password")
    result = mt("--redis-url", f"redis://127.0.0.1:{server.port}/0")
    assert_clean_error(result)
    assert (
        f"Redis at redis://127.0.0.1:{server.port}/0 requires a password and none was given"
        in result.stderr
    )


def test_a_stopped_redis_is_a_clear_error_naming_the_url(
    mt: Callable[..., subprocess.CompletedProcess[str]], make_redis: Callable[..., RedisServer]
) -> None:
    server = make_redis(password="s3cret")
    server.stop()
    result = mt("--redis-url", server.url)
    assert_clean_error(result)
    assert (
        f"cannot connect to Redis at redis://:***@127.0.0.1:{server.port}/0: connection refused"
        in result.stderr
    )
    assert "s3cret" not in result.stderr


def test_an_unreachable_postgres_is_a_clear_error_naming_the_url(
    mt: Callable[..., subprocess.CompletedProcess[str]], redis_server: RedisServer
) -> None:
    port = free_port()
    url = f"postgresql://agent:hunter2@127.0.0.1:{port}/mycelium"
    result = mt("--redis-url", redis_server.url, "--postgres-url", url)
    assert_clean_error(result)
    assert (
        f"cannot connect to PostgreSQL at postgresql://agent:***@127.0.0.1:{port}/mycelium"
        in result.stderr
    )
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("action", "says"),
    [
        ("restart", "restarted mid-run (its run_id changed); a restart drops subscriptions"),
        ("stop", "mid-run and it is not answering now; did the server stop?"),
    ],
)
def test_a_redis_restarted_or_stopped_mid_run_fails_the_run_and_says_which(
    console_script: Callable[[str], str],
    make_redis: Callable[..., RedisServer],
    action: str,
    says: str,
) -> None:
    server = make_redis()
    # Far more messages than can be published before the restart below.
    proc = subprocess.Popen(
        [console_script("mycelium-test"), "--pattern", "pubsub", "--messages", "5000000",
         "--timeout", "120", "--redis-url", server.url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        watcher = redis.Redis.from_url(server.url, socket_timeout=5)
        deadline = time.monotonic() + 60
        while not watcher.pubsub_channels("mycelium-test:*") and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        watcher.close()
        server.restart() if action == "restart" else server.stop()
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, stdout + stderr
    assert "Traceback" not in stderr
    assert "✗ error" in stdout
    [line] = [line for line in stderr.splitlines() if line.startswith("pubsub (redis): ")]
    assert server.url in line
    assert says in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--participants", "1"], "argument --participants: must be at least 2, got 1"),
        (["--messages", "many"], "argument --messages: 'many' is not a whole number"),
        (["--timeout", "0"], "argument --timeout: must be more than 0 and at most 3600, got 0"),
        (["--pattern", "gossip"], "argument --pattern: invalid choice: 'gossip'"),
    ],
)
def test_bad_options_are_usage_errors(
    mt: Callable[..., subprocess.CompletedProcess[str]], args: list[str], message: str
) -> None:
    result = mt(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_silent_redis_is_reported_within_the_budget_the_message_states(
    mt: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    from mycelium.coordination.redis_link import CONNECT_TIMEOUT_S
    from mycelium.qa.resources import SilentListener

    listener = SilentListener().start()
    try:
        result = mt("--redis-url", f"redis://127.0.0.1:{listener.port}/0")
        accepted = listener.accepted
    finally:
        listener.stop()
    assert_clean_error(result)
    assert result.stderr.splitlines()[-1] == (
        f"mycelium-test: error: Redis at redis://127.0.0.1:{listener.port}/0 did not answer "
        f"within {CONNECT_TIMEOUT_S:.0f} s"
    )
    # The stated time is the real one: one connection, whose connect, handshake and replies
    # share one deadline; a client that retried on its own (10 s for a stated 3 s) opened
    # several. Counted, not timed: timings belong to invoke bench.
    assert accepted == 1
