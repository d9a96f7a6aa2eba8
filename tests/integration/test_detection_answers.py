"""Probe answers that real servers here cannot be made to give on loopback, from a
scripted TCP server: Redis in protected mode, PostgreSQL starting up or asking a password.
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import TYPE_CHECKING

import pytest

from mycelium.detection import InfraDetector, Status, Targets

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture
def scripted() -> Iterator[Callable[..., int]]:
    """``scripted(first, then)``: a port whose server answers ``first`` to the first
    message, ``then`` to the second, and then closes."""
    servers: list[tuple[socket.socket, threading.Thread]] = []

    def start(first: bytes, then: bytes = b"") -> int:
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(10)

        def serve() -> None:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                for answer in (first, then):
                    if not answer or not conn.recv(4096):
                        return
                    conn.sendall(answer)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        servers.append((server, thread))
        return int(server.getsockname()[1])

    yield start
    for server, thread in servers:
        server.close()
        thread.join(timeout=5)


def pg_error(code: str, message: str) -> bytes:
    fields = f"SFATAL\0C{code}\0M{message}\0\0".encode()
    return b"E" + struct.pack("!i", len(fields) + 4) + fields


def probes(*, redis_port: int = 1, postgres_port: int = 1) -> InfraDetector:
    return InfraDetector(Targets(redis_port=redis_port, postgres_port=postgres_port), timeout_s=5)


def test_redis_in_protected_mode_says_denied(scripted: Callable[..., int]) -> None:
    port = scripted(b"-DENIED Redis is running in protected mode because protected mode\r\n")
    result = probes(redis_port=port).detect_redis()
    assert result.status is Status.REJECTING
    assert result.reason == "Redis answered DENIED: it runs in protected mode"
    assert result.status.service_present


def test_postgres_starting_up_is_rejecting(scripted: Callable[..., int]) -> None:
    port = scripted(b"N", pg_error("57P03", "the database system is starting up"))
    result = probes(postgres_port=port).detect_postgres()
    assert result.status is Status.REJECTING
    assert result.reason == (
        "PostgreSQL is rejecting connections: the database system is starting up"
    )


def test_postgres_asking_a_password_is_accepting_without_a_version(
    scripted: Callable[..., int],
) -> None:
    port = scripted(b"N", b"R" + struct.pack("!ii", 8, 5) + b"salt")
    result = probes(postgres_port=port).detect_postgres()
    assert result.available
    assert result.version is None
    assert result.reason == ("accepting connections; MD5 password authentication hides the version")


def test_an_http_server_is_neither_postgres_nor_redis(scripted: Callable[..., int]) -> None:
    http = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    postgres = probes(postgres_port=scripted(http)).detect_postgres()
    assert postgres.status is Status.WRONG_PROTOCOL
    assert postgres.reason is not None
    assert postgres.reason.endswith("answered, but not as PostgreSQL ('HTTP/1.1 400 Bad Request…')")
    redis = probes(redis_port=scripted(http)).detect_redis()
    assert redis.status is Status.WRONG_PROTOCOL
    assert "answered, but not as Redis" in (redis.reason or "")
