"""Temporal: its frontend speaks gRPC (HTTP/2) on 7233; the web UI speaks HTTP.

We open an HTTP/2 connection (client preface and ``SETTINGS``; the server must answer with
its own ``SETTINGS``: that proves HTTP/2, where a port check proves nothing), then call
``WorkflowService/GetSystemInfo`` with an empty request, whose answer carries the server
version as field 1. Headers are HPACK literals without Huffman coding, which every server
accepts; the answer's headers are not decoded, only its DATA frame.
"""

from __future__ import annotations

import struct
from typing import Final

from mycelium.detection._net import (
    Answer,
    ClosedError,
    Deadline,
    Reader,
    connect_tcp,
    failed,
    send_all,
    shown,
)
from mycelium.detection.results import ProbeResult, Status

SERVICE: Final = "temporal"
PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, GOAWAY = 0x0, 0x1, 0x4, 0x7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
SYSTEM_INFO_PATH: Final = "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo"
MAX_FRAMES: Final = 32
MAX_FRAME_SIZE: Final = 16384  # SETTINGS_MAX_FRAME_SIZE's default; we never raise it


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    header = struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream)
    return header + payload


def _hpack_literal(name: str, value: str) -> bytes:
    """'Literal header field without indexing, new name' (RFC 7541 6.2.2), lengths < 127."""
    raw_name, raw_value = name.encode(), value.encode()
    return bytes([0x00, len(raw_name)]) + raw_name + bytes([len(raw_value)]) + raw_value


def system_info_request(authority: str) -> bytes:
    headers = (
        bytes([0x83, 0x86])  # :method POST, :scheme http (static table entries 3 and 6)
        + _hpack_literal(":path", SYSTEM_INFO_PATH)
        + _hpack_literal(":authority", authority)
        + _hpack_literal("content-type", "application/grpc")
        + _hpack_literal("te", "trailers")
    )
    message = b"\x00" + struct.pack("!I", 0)  # uncompressed, empty GetSystemInfoRequest
    return frame(HEADERS, END_HEADERS, 1, headers) + frame(DATA, END_STREAM, 1, message)


def _read_frame(reader: Reader) -> tuple[int, int, int, bytes]:
    header = reader.exactly(9)
    length = int.from_bytes(header[:3], "big")
    kind, flags = header[3], header[4]
    stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
    if length > MAX_FRAME_SIZE:
        raise ValueError("not an HTTP/2 frame")
    return kind, flags, stream, reader.exactly(length)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:  # noqa: PLR2004 - a varint has at most 10 bytes
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("truncated varint")


def server_version(grpc_message: bytes) -> str | None:
    """Field 1 (``server_version``) of a ``GetSystemInfoResponse``."""
    if len(grpc_message) < 5:  # noqa: PLR2004 - the gRPC length prefix
        return None
    body = grpc_message[5 : 5 + int.from_bytes(grpc_message[1:5], "big")]
    pos = 0
    while pos < len(body):
        key, pos = _varint(body, pos)
        field_number, wire = key >> 3, key & 7
        if wire == 2:  # noqa: PLR2004 - length-delimited
            size, pos = _varint(body, pos)
            if field_number == 1:
                return body[pos : pos + size].decode(errors="replace")
            pos += size
        elif wire == 0:
            _, pos = _varint(body, pos)
        else:
            return None
    return None


def probe_temporal(
    port: int,
    *,
    host: str = "127.0.0.1",
    ui_port: int | None = None,
    timeout_s: float = 0.25,
) -> ProbeResult:
    endpoint = f"{host}:{port}"
    deadline = Deadline(timeout_s)
    answer = Answer(SERVICE, endpoint, port, deadline)
    try:
        with connect_tcp(host, port, deadline) as sock:
            send_all(sock, PREFACE + frame(SETTINGS, 0, 0), deadline)
            reader = Reader(sock, deadline)
            kind, _, _, _ = _read_frame(reader)
            if kind != SETTINGS:
                return answer(
                    Status.WRONG_PROTOCOL,
                    reason=f"{endpoint} answered, but not as an HTTP/2 (gRPC) server",
                )
            send_all(sock, frame(SETTINGS, ACK, 0) + system_info_request(endpoint), deadline)
            version = _await_version(reader)
    except (OSError, ClosedError) as exc:
        result = failed(SERVICE, endpoint, exc, deadline, port)
        if isinstance(exc, ClosedError):
            reason = f"{endpoint} closed the connection: not an HTTP/2 (gRPC) server"
            return answer(Status.WRONG_PROTOCOL, reason=reason)
        return result
    except ValueError:
        return answer(
            Status.WRONG_PROTOCOL,
            reason=f"{endpoint} answered, but not as an HTTP/2 (gRPC) server",
        )
    details: tuple[tuple[str, str], ...] = ()
    if ui_port is not None:
        details = (("ui", _probe_ui(host, ui_port, timeout_s)),)
    note = None if version else "gRPC server answered; GetSystemInfo gave no version"
    return answer(Status.AVAILABLE, reason=note, version=version, details=details)


def _await_version(reader: Reader) -> str | None:
    for _ in range(MAX_FRAMES):
        kind, flags, stream, payload = _read_frame(reader)
        if kind == GOAWAY:
            return None
        if stream == 1 and kind == DATA and payload:
            return server_version(payload)
        if stream == 1 and flags & END_STREAM:
            return None  # trailers only: the call failed, but a gRPC server answered
    return None


def _probe_ui(host: str, port: int, timeout_s: float) -> str:
    endpoint = f"{host}:{port}"
    deadline = Deadline(timeout_s)
    try:
        with connect_tcp(host, port, deadline) as sock:
            request = f"GET / HTTP/1.0\r\nHost: {endpoint}\r\nUser-Agent: mycelium\r\n\r\n"
            send_all(sock, request.encode(), deadline)
            line = Reader(sock, deadline).line()
    except (OSError, ClosedError) as exc:
        return f"unavailable: {failed(SERVICE, endpoint, exc, deadline).reason}"
    if not line.startswith(b"HTTP/"):
        return f"unavailable: {endpoint} answered, but not in HTTP ({shown(line)!r})"
    return f"http://{endpoint} answers ({line.decode(errors='replace').split(' ', 1)[-1]})"
