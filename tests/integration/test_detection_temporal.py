"""The Temporal probe against a small HTTP/2 double of a Temporal frontend.

No Temporal server binary is installed here; the double speaks just enough HTTP/2 to answer
``GetSystemInfo`` as the real frontend does (SETTINGS, then HEADERS + DATA + trailers).
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import TYPE_CHECKING

import pytest

from mycelium.detection import InfraDetector, Status, Targets
from mycelium.detection.temporal import PREFACE

if TYPE_CHECKING:
    from collections.abc import Iterator


def h2_frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return (
        struct.pack("!I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack("!I", stream)
        + payload
    )


class FakeFrontend:
    """Answers one HTTP/2 connection at a time; ``version=None`` answers trailers only."""

    def __init__(self, version: str | None) -> None:
        self.version = version
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        data = b""
        while len(data) < len(PREFACE) + 9:
            data += conn.recv(4096)
        conn.sendall(h2_frame(0x4, 0, 0))
        for _ in range(20):  # until the request's DATA frame with END_STREAM arrives
            if b"GetSystemInfo" in data and data.endswith(b"\x00\x00\x00\x00\x00"):
                break
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        self.requests.append(data)
        conn.sendall(h2_frame(0x1, 0x4, 1, b"\x88"))  # :status 200
        if self.version is not None:
            raw = self.version.encode()
            body = b"\x0a" + bytes([len(raw)]) + raw
            conn.sendall(h2_frame(0x0, 0, 1, b"\x00" + struct.pack("!I", len(body)) + body))
        conn.sendall(h2_frame(0x1, 0x5, 1, b""))  # trailers, END_STREAM

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def frontend() -> Iterator[FakeFrontend]:
    server = FakeFrontend("1.25.2")
    yield server
    server.stop()


def test_a_grpc_frontend_is_available_with_its_version(frontend: FakeFrontend) -> None:
    result = InfraDetector(Targets(temporal_port=frontend.port), timeout_s=5).detect_temporal()
    assert result.status is Status.AVAILABLE, result.reason
    assert result.version == "1.25.2"
    request = frontend.requests[0]
    assert request.startswith(PREFACE)
    assert b"/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo" in request
    assert b"application/grpc" in request


def test_a_grpc_server_without_the_call_is_available_without_a_version() -> None:
    server = FakeFrontend(None)
    try:
        result = InfraDetector(Targets(temporal_port=server.port), timeout_s=5).detect_temporal()
    finally:
        server.stop()
    assert result.available
    assert result.version is None
    assert result.reason == "gRPC server answered; GetSystemInfo gave no version"


def test_the_ui_port_is_probed_when_configured(frontend: FakeFrontend) -> None:
    with socket.create_server(("127.0.0.1", 0)) as ui:
        ui_port = ui.getsockname()[1]

        def answer() -> None:
            ui.settimeout(5)
            conn, _ = ui.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        result = InfraDetector(
            Targets(temporal_port=frontend.port, temporal_ui_port=ui_port), timeout_s=5
        ).detect_temporal()
        thread.join(timeout=5)
    assert dict(result.details)["ui"] == f"http://127.0.0.1:{ui_port} answers (200 OK)"
