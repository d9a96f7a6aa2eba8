"""Sockets with one deadline per probe, and failures turned into sentences.

A probe gets a budget (250 ms by default); every connect, send and receive uses only what
is left of it, so a listener that accepts and never answers costs the budget, not more.
"""

from __future__ import annotations

import errno
import socket
import time
from dataclasses import dataclass, field
from typing import Final

from mycelium.detection.results import ProbeResult, Status

LOOPBACK: Final = "127.0.0.1"


class ProbeTimeoutError(TimeoutError):
    """The probe's budget ran out."""


class ClosedError(ConnectionError):
    """The peer closed the connection before saying what we waited for."""


@dataclass
class Deadline:
    budget_s: float
    start: float = field(default_factory=time.perf_counter)

    def remaining(self) -> float:
        left = self.budget_s - (time.perf_counter() - self.start)
        if left <= 0:
            raise ProbeTimeoutError
        return left

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0

    @property
    def budget_ms(self) -> int:
        return round(self.budget_s * 1000)


def connect_tcp(host: str, port: int, deadline: Deadline) -> socket.socket:
    # An IP literal: no name resolution, so no IPv6-first lookup delay.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(deadline.remaining())
        sock.connect((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


def send_all(sock: socket.socket, data: bytes, deadline: Deadline) -> None:
    sock.settimeout(deadline.remaining())
    sock.sendall(data)


def recv_some(sock: socket.socket, deadline: Deadline, size: int = 65536) -> bytes:
    """At least one byte, or ``ClosedError`` when the peer hung up."""
    sock.settimeout(deadline.remaining())
    data = sock.recv(size)
    if not data:
        raise ClosedError
    return data


class Reader:
    """Buffered reads of exact sizes and lines from a socket, within the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline, limit: int = 1 << 20) -> None:
        self._sock = sock
        self._deadline = deadline
        self._buffer = b""
        self._limit = limit
        self.received = 0

    def _fill(self) -> None:
        if self.received >= self._limit:
            raise ClosedError("answer too long")
        chunk = recv_some(self._sock, self._deadline)
        self.received += len(chunk)
        self._buffer += chunk

    def exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def line(self, end: bytes = b"\r\n") -> bytes:
        while end not in self._buffer:
            self._fill()
        data, _, self._buffer = self._buffer.partition(end)
        return data

    def peek(self) -> bytes:
        return self._buffer


_FAILURE_TEXT: Final[tuple[tuple[type[BaseException], str], ...]] = (
    (ConnectionRefusedError, "connection refused on {endpoint}"),
    (FileNotFoundError, "no socket at {endpoint}"),
    (PermissionError, "permission denied on {endpoint}"),
    (ConnectionResetError, "connection reset by {endpoint}"),
    (ClosedError, "{endpoint} closed the connection without answering"),
)


def describe_failure(exc: BaseException, endpoint: str, deadline: Deadline) -> str:
    """A sentence for people from a socket-level failure."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {deadline.budget_ms} ms on {endpoint}"
    for kind, template in _FAILURE_TEXT:
        if isinstance(exc, kind):
            return template.format(endpoint=endpoint)
    if isinstance(exc, OSError) and exc.errno in {errno.EHOSTUNREACH, errno.ENETUNREACH}:
        return f"no route to {endpoint}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror.lower()} on {endpoint}"
    return f"{type(exc).__name__} on {endpoint}: {exc}"


def failure_status(exc: BaseException) -> Status:
    """The status matching a socket-level failure."""
    if isinstance(exc, TimeoutError):
        return Status.NO_ANSWER
    if isinstance(exc, (ConnectionRefusedError, FileNotFoundError)):
        return Status.NOT_LISTENING
    if isinstance(exc, (ClosedError, ConnectionResetError)):
        return Status.WRONG_PROTOCOL
    return Status.ERROR


@dataclass(frozen=True)
class Answer:
    """A probe's results: the service, endpoint, port and deadline said once."""

    service: str
    endpoint: str
    port: int | None
    deadline: Deadline

    def __call__(
        self,
        status: Status,
        reason: str | None = None,
        version: str | None = None,
        details: tuple[tuple[str, str], ...] = (),
    ) -> ProbeResult:
        return ProbeResult(
            service=self.service,
            status=status,
            endpoint=self.endpoint,
            latency_ms=self.deadline.elapsed_ms(),
            version=version,
            reason=reason,
            port=self.port,
            details=details,
        )


def failed(
    service: str,
    endpoint: str,
    exc: BaseException,
    deadline: Deadline,
    port: int | None = None,
) -> ProbeResult:
    """The result of a probe that ended in a socket-level failure."""
    return ProbeResult(
        service=service,
        status=failure_status(exc),
        endpoint=endpoint,
        latency_ms=deadline.elapsed_ms(),
        reason=describe_failure(exc, endpoint, deadline),
        port=port,
    )


def shown(data: bytes, limit: int = 24) -> str:
    """The start of an unexpected answer, safe to print."""
    text = data[:limit].decode("ascii", errors="replace")
    printable = "".join(ch if ch.isprintable() else "." for ch in text)
    return printable + ("…" if len(data) > limit else "")
