"""The HTTP service: ``POST /v1/events``, ``GET /metrics``, ``GET /healthz``.

Each event is one small JSON body. The answers: 202 accepted; 400 not a JSON object;
411 no Content-Length; 413 larger than the schema allows; 415 not ``application/json``;
422 off-schema (an unknown field, a value outside the lists); 429 over the per-session rate.
Every refusal is counted in ``mycelium_rejected_events_total{reason}``.

Bounded everywhere: a body is at most ``MAX_EVENT_BYTES``, a connection has a read timeout,
at most ``max_connections`` are served at once, and the session table has a fixed size.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Final, cast

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError

from mycelium.telemetry.collector.metrics import Metrics, Rejection
from mycelium.telemetry.endpoint import PATH
from mycelium.telemetry.schema import MAX_EVENT_BYTES, Event

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    _Request = socket.socket | tuple[bytes, socket.socket]

DEFAULT_PORT: Final = 9747
READ_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class Limits:
    per_session: int = 10  # events one session may send in a window
    window_s: float = 60.0
    max_sessions: int = 100_000  # sessions remembered at once
    max_connections: int = 64


class SessionRate:
    """A fixed window per session, in a bounded table (oldest sessions forgotten first)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, session: str) -> bool:
        now = self._clock()
        with self._lock:
            start, count = self._seen.pop(session, (now, 0))
            if now - start >= self._limits.window_s:
                start, count = now, 0
            if count >= self._limits.per_session:
                self._seen[session] = (start, count)
                return False
            self._seen[session] = (start, count + 1)
            while len(self._seen) > self._limits.max_sessions:
                self._seen.popitem(last=False)
            return True


class CollectorServer(ThreadingHTTPServer):
    """A threading server that serves at most ``max_connections`` requests at a time."""

    daemon_threads = True
    request_queue_size = 128  # the listen backlog: bursts wait in the kernel, not refused

    def __init__(
        self, address: tuple[str, int], metrics: Metrics, limits: Limits | None = None
    ) -> None:
        self.metrics = metrics
        self.limits = limits or Limits()
        self.rate = SessionRate(self.limits)
        self._slots = threading.BoundedSemaphore(self.limits.max_connections)
        super().__init__(address, _Handler)

    def process_request(self, request: _Request, client_address: object) -> None:
        self._slots.acquire()  # backpressure: the accept loop waits for a free slot
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: _Request, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host!s}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "mycelium-telemetry-collector"
    sys_version = ""
    timeout = READ_TIMEOUT_S
    protocol_version = "HTTP/1.1"

    @property
    def _server(self) -> CollectorServer:
        return cast("CollectorServer", self.server)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        """Quiet: a request log would hold client addresses, which we do not keep."""

    def _answer(self, status: HTTPStatus, body: bytes = b"", kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if status >= HTTPStatus.BAD_REQUEST:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _refuse(self, status: HTTPStatus, reason: Rejection, text: str) -> None:
        self._server.metrics.reject(reason)
        self._answer(status, text.encode("ascii") + b"\n")

    def do_GET(self) -> None:
        if self.path == "/metrics":
            body = generate_latest(self._server.metrics.registry)
            self._answer(HTTPStatus.OK, body, CONTENT_TYPE_LATEST)
        elif self.path == "/healthz":
            self._answer(HTTPStatus.OK, b"ok\n")
        else:
            self._answer(HTTPStatus.NOT_FOUND, b"not found\n")

    def do_POST(self) -> None:
        if self.path != PATH:
            self._answer(HTTPStatus.NOT_FOUND, b"not found\n")
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._refuse(HTTPStatus.LENGTH_REQUIRED, Rejection.MALFORMED, "Content-Length needed")
            return
        length = int(length_text)
        if length > MAX_EVENT_BYTES:
            self._refuse(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                Rejection.OVERSIZED,
                f"an event is at most {MAX_EVENT_BYTES} bytes",
            )
            return
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            self.rfile.read(length)
            self._refuse(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, Rejection.MALFORMED, "send application/json"
            )
            return
        body = self.rfile.read(length)
        self._accept(body)

    def _accept(self, body: bytes) -> None:
        try:
            event = Event.from_bytes(body)
        except ValidationError as exc:
            if any(error["type"] in {"json_invalid", "model_type"} for error in exc.errors()):
                self._refuse(HTTPStatus.BAD_REQUEST, Rejection.MALFORMED, "not a JSON object")
            else:
                self._refuse(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    Rejection.OFF_SCHEMA,
                    "not an event of the schema (docs/PRIVACY.md)",
                )
            return
        if not self._server.rate.allow(event.session):
            self._refuse(HTTPStatus.TOO_MANY_REQUESTS, Rejection.RATE_LIMITED, "slow down")
            return
        self._server.metrics.count(event)
        self._answer(HTTPStatus.ACCEPTED)


def make_server(
    host: str = "127.0.0.1", port: int = DEFAULT_PORT, limits: Limits | None = None
) -> CollectorServer:
    """A bound collector with fresh metrics; call ``serve_forever`` (and ``shutdown``)."""
    return CollectorServer((host, port), Metrics(), limits)
