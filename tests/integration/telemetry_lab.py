"""A real collector on a free loopback port, and small HTTP helpers for the tests."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from typing import TYPE_CHECKING

from mycelium.telemetry.collector.service import CollectorServer, Limits, make_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SESSION = "0123456789abcdef0123456789abcdef"


def event(name: str = "wizard_completed", session: str = SESSION, **extra: str) -> dict[str, str]:
    data = {
        "event": name,
        "mycelium_version": "0.1.0",
        "os_family": "linux",
        "python": "3.12",
        "session": session,
    }
    if name == "wizard_completed":
        data["method"] = "docker-compose"
    data.update(extra)
    return data


@contextlib.contextmanager
def running_collector(limits: Limits | None = None) -> Iterator[CollectorServer]:
    server = make_server("127.0.0.1", 0, limits)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def post(
    server: CollectorServer,
    body: bytes,
    headers: dict[str, str] | None = None,
    path: str = "/v1/events",
) -> int:
    port = server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {"Content-Type": "application/json"} if headers is None else headers
        connection.request("POST", path, body=body, headers=sent)
        return connection.getresponse().status
    finally:
        connection.close()


def post_event(server: CollectorServer, data: dict[str, str]) -> int:
    return post(server, json.dumps(data).encode())


def sample(server: CollectorServer, name: str, **labels: str) -> float:
    value = server.metrics.registry.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} is not exported"
    return value


def wait_for(check: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()
