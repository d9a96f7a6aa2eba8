"""The collector over real HTTP, and the real client (console scripts) sending to it."""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from mycelium.telemetry.collector.service import Limits
from mycelium.telemetry.consent import CI_VARIABLES
from tests.integration.telemetry_lab import (
    event,
    post,
    post_event,
    running_collector,
    sample,
    wait_for,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from mycelium.qa.resources import SilentListener
    from mycelium.telemetry.collector.service import CollectorServer


@pytest.fixture
def collector() -> Iterator[CollectorServer]:
    with running_collector(Limits(per_session=5)) as server:
        yield server


def rejected(server: CollectorServer, reason: str) -> float:
    return sample(server, "mycelium_rejected_events_total", reason=reason)


def test_every_known_series_starts_at_zero(collector: CollectorServer) -> None:
    assert sample(collector, "mycelium_wizard_completions_total") == 0
    assert sample(collector, "mycelium_errors_total", operation="generate") == 0
    assert sample(collector, "mycelium_installations_total", platform="wsl") == 0
    assert sample(collector, "mycelium_deployments_total", method="justfile") == 0
    assert rejected(collector, "rate_limited") == 0


def test_an_event_of_the_schema_is_accepted_and_counted(collector: CollectorServer) -> None:
    assert post_event(collector, event("deployment_generated", method="justfile")) == 202
    assert post_event(collector, event("error", operation="test")) == 202
    assert post_event(collector, event("installation", os_family="macos")) == 202
    assert sample(collector, "mycelium_deployments_total", method="justfile") == 1
    assert sample(collector, "mycelium_errors_total", operation="test") == 1
    assert sample(collector, "mycelium_installations_total", platform="macos") == 1
    assert sample(collector, "mycelium_events_total", event="error") == 1


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (b"{not json", None, 400, "malformed"),
        (b"[1, 2]", None, 400, "malformed"),
        (json.dumps(event()).encode(), {"Content-Type": "text/plain"}, 415, "malformed"),
        (b"x" * 5000, None, 413, "oversized"),
        (json.dumps(event(hostname="build-7.corp.example")).encode(), None, 422, "off_schema"),
        (json.dumps(event(user="alice")).encode(), None, 422, "off_schema"),
        (json.dumps(event(os_family="/home/alice")).encode(), None, 422, "off_schema"),
        (json.dumps(event(session="10.0.0.7")).encode(), None, 422, "off_schema"),
        (json.dumps(event("page_view")).encode(), None, 422, "off_schema"),
    ],
)
def test_what_is_not_an_event_is_refused_with_its_status_and_counted(
    collector: CollectorServer,
    body: bytes,
    headers: dict[str, str] | None,
    status: int,
    reason: str,
) -> None:
    assert post(collector, body, headers) == status
    assert rejected(collector, reason) == 1
    assert (
        sum(
            sample(collector, "mycelium_events_total", event=name)
            for name in ("installation", "wizard_completed", "deployment_generated", "error")
        )
        == 0
    )


def test_a_flooding_session_is_limited_and_others_are_not(collector: CollectorServer) -> None:
    statuses = [post_event(collector, event()) for _ in range(8)]
    assert statuses == [202] * 5 + [429] * 3
    assert post_event(collector, event(session="f" * 32)) == 202
    assert sample(collector, "mycelium_wizard_completions_total") == 6
    assert rejected(collector, "rate_limited") == 3


def test_unknown_paths_and_the_health_check(collector: CollectorServer) -> None:
    assert post(collector, b"{}", path="/v2/events") == 404
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", collector.server_address[1], timeout=5)
    connection.request("GET", "/healthz")
    assert connection.getresponse().read() == b"ok\n"
    connection.close()


def test_many_concurrent_clients_lose_no_accepted_event() -> None:
    clients, per_client = 24, 20
    names = ["wizard_completed", "deployment_generated", "coordination_test_run", "error"]

    def one_client(index: int) -> list[int]:
        statuses = []
        for n in range(per_client):
            session = f"{index:016x}{n // 5:016x}"  # 5 events per session: within the limit
            name = names[n % len(names)]
            extra = {"operation": "generate"} if name == "error" else {}
            if name == "deployment_generated":
                extra = {"method": "justfile"}
            statuses.append(post_event_to(port, event(name, session=session, **extra)))
        return statuses

    with running_collector(Limits(per_session=5, max_connections=16)) as server:
        port = server.server_address[1]
        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = list(pool.map(one_client, range(clients)))
        assert all(status == 202 for statuses in results for status in statuses)
        each = clients * per_client // len(names)
        assert sample(server, "mycelium_wizard_completions_total") == each
        assert sample(server, "mycelium_deployments_total", method="justfile") == each
        assert sample(server, "mycelium_coordination_test_runs_total") == each
        assert sample(server, "mycelium_errors_total", operation="generate") == each
        assert sum(rejected(server, r) for r in ("malformed", "off_schema", "rate_limited")) == 0


def post_event_to(port: int, data: dict[str, str]) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST", "/v1/events", json.dumps(data).encode(), {"Content-Type": "application/json"}
        )
        return connection.getresponse().status
    finally:
        connection.close()


# --- the real client --------------------------------------------------------------------


@pytest.fixture
def user_env(isolated_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env["HOME"] = str(isolated_home)
    return env


def _spool(home: Path) -> list[dict[str, object]]:
    path = home / ".local" / "state" / "mycelium" / "telemetry" / "sent.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]


def test_an_opted_in_command_reports_through_the_detached_sender(
    collector: CollectorServer,
    user_env: dict[str, str],
    isolated_home: Path,
    console_script: Callable[[str], str],
) -> None:
    url = f"http://127.0.0.1:{collector.server_address[1]}/v1/events"
    env = {**user_env, "MYCELIUM_TELEMETRY": "1", "MYCELIUM_TELEMETRY_URL": url}
    done = subprocess.run(
        [console_script("mycelium-generate")], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1  # no configuration: the command's own failure, unchanged
    assert "telemetry" not in done.stderr
    assert wait_for(lambda: len(_spool(isolated_home)) == 2)
    spool = _spool(isolated_home)
    assert [entry["outcome"] for entry in spool] == ["sent (HTTP 202)"] * 2
    assert {entry["endpoint"] for entry in spool} == {url}
    assert sample(collector, "mycelium_errors_total", operation="generate") == 1
    assert sample(collector, "mycelium_installations_total", platform="linux") == 1


@pytest.mark.parametrize(
    "opt_out", [{"DO_NOT_TRACK": "1"}, {"MYCELIUM_TELEMETRY": "0"}, {"CI": "true"}]
)
def test_opting_out_sends_and_writes_nothing(
    collector: CollectorServer,
    user_env: dict[str, str],
    isolated_home: Path,
    console_script: Callable[[str], str],
    opt_out: dict[str, str],
) -> None:
    url = f"http://127.0.0.1:{collector.server_address[1]}/v1/events"
    enable = subprocess.run(
        [console_script("mycelium-telemetry"), "enable"], env={**user_env, **opt_out},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert enable.returncode == 0, enable.stderr
    assert "telemetry: off" in enable.stdout
    env = {**user_env, "MYCELIUM_TELEMETRY_URL": url, **opt_out}
    subprocess.run(
        [console_script("mycelium-generate")], env=env, capture_output=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert not (isolated_home / ".local" / "state" / "mycelium").exists()
    assert sample(collector, "mycelium_events_total", event="error") == 0


def test_a_black_holed_collector_never_fails_the_command(
    silent_listener: SilentListener,
    user_env: dict[str, str],
    isolated_home: Path,
    console_script: Callable[[str], str],
) -> None:
    url = f"http://127.0.0.1:{silent_listener.port}/v1/events"
    env = {**user_env, "MYCELIUM_TELEMETRY": "1", "MYCELIUM_TELEMETRY_URL": url}
    init = subprocess.run(
        [console_script("mycelium-configuration"), "init"], env=env, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert init.returncode == 0
    assert init.stdout.startswith("wrote the default configuration")
    # The sender waits on the silent collector, then records what it could not send.
    assert wait_for(lambda: len(_spool(isolated_home)) == 1, timeout_s=60)
    (entry,) = _spool(isolated_home)
    assert entry["outcome"] == "not sent: no answer within 3 s"


def test_status_enable_disable_and_preview(
    user_env: dict[str, str], isolated_home: Path, console_script: Callable[[str], str]
) -> None:
    script = console_script("mycelium-telemetry")

    def run(*args: str) -> str:
        done = subprocess.run(
            [script, *args], env=user_env, capture_output=True, text=True, timeout=60,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("status").startswith("telemetry: off (default: off unless you opt in")
    enabled = run("enable")
    config = isolated_home / ".config" / "mycelium" / "config.yaml"
    assert enabled.splitlines()[0] == f"telemetry.enabled = true  (saved to {config})"
    assert "telemetry: on (configuration" in enabled
    status = json.loads(run("status", "--json"))
    assert (status["enabled"], status["source"]) == (True, "configuration")
    assert run("disable").splitlines()[1].startswith("telemetry: off (configuration")
    lines = run("preview").splitlines()
    assert [json.loads(line)["event"] for line in lines] == [
        "installation", "wizard_completed", "deployment_generated", "coordination_test_run",
        "error",
    ]  # fmt: skip
    assert not (isolated_home / ".local" / "state" / "mycelium").exists()  # nothing sent
