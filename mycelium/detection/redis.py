"""Redis: ``PING`` and ``INFO server`` in RESP, pipelined in one round trip.

A password-protected server answers ``-NOAUTH``; a server in protected mode answers
``-DENIED``; both mean "Redis is there". With a password we send ``AUTH`` first.
"""

from __future__ import annotations

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

SERVICE: Final = "redis"


def command(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        raw = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def _reply(reader: Reader) -> tuple[bool, bytes]:
    """(ok, payload) for one RESP reply; errors come back as ``(False, message)``."""
    line = reader.line()
    kind, body = line[:1], line[1:]
    if kind == b"+":
        return True, body
    if kind == b"-":
        return False, body
    if kind == b"$":
        size = int(body)
        if size < 0:
            return True, b""
        data = reader.exactly(size + 2)
        return True, data[:-2]
    if kind == b":":
        return True, body
    raise ValueError(line)


def _version(info: bytes) -> str | None:
    for raw in info.splitlines():
        key, _, value = raw.decode(errors="replace").partition(":")
        if key == "redis_version":
            return value.strip()
    return None


def probe_redis(
    port: int, *, host: str = "127.0.0.1", password: str | None = None, timeout_s: float = 0.25
) -> ProbeResult:
    endpoint = f"{host}:{port}"
    deadline = Deadline(timeout_s)
    try:
        with connect_tcp(host, port, deadline) as sock:
            request = command("PING") + command("INFO", "server")
            if password:
                request = command("AUTH", password) + request
            send_all(sock, request, deadline)
            reader = Reader(sock, deadline)
            return _interpret(reader, endpoint, deadline, port, with_auth=bool(password))
    except (OSError, ClosedError) as exc:
        return failed(SERVICE, endpoint, exc, deadline, port)


def _interpret(
    reader: Reader, endpoint: str, deadline: Deadline, port: int, *, with_auth: bool
) -> ProbeResult:
    result = Answer(SERVICE, endpoint, port, deadline)

    try:
        if with_auth:
            ok, message = _reply(reader)
            if not ok:
                return result(Status.AUTH_REQUIRED, _auth_reason(message))
        ok, message = _reply(reader)
        if not ok:
            return result(*_error_status(message))
        if message != b"PONG":
            return result(Status.WRONG_PROTOCOL, f"{endpoint} answered PING with {shown(message)}")
        ok, info = _reply(reader)
    except ValueError as exc:
        bad = exc.args[0] if exc.args and isinstance(exc.args[0], bytes) else b""
        return result(
            Status.WRONG_PROTOCOL, f"{endpoint} answered, but not as Redis ({shown(bad)!r})"
        )
    if not ok:
        # PING passed but INFO is forbidden (an ACL user without +info): Redis is usable.
        return result(Status.AVAILABLE, f"INFO refused: {shown(info, 60)}")
    return result(Status.AVAILABLE, version=_version(info))


def _auth_reason(message: bytes) -> str:
    text = message.decode(errors="replace")
    if text.startswith("WRONGPASS") or "invalid password" in text:
        return "Redis refused the configured password (WRONGPASS)"
    return f"Redis refused AUTH: {shown(message, 80)}"


def _error_status(message: bytes) -> tuple[Status, str]:
    text = message.decode(errors="replace")
    code = text.split(" ", 1)[0]
    if code == "NOAUTH":
        return Status.AUTH_REQUIRED, "Redis answered NOAUTH: a password is set"
    if code == "DENIED":
        return Status.REJECTING, "Redis answered DENIED: it runs in protected mode"
    if code == "LOADING":
        return Status.REJECTING, "Redis is loading its dataset; try again in a moment"
    if code == "NOPERM":
        return Status.AUTH_REQUIRED, "Redis answered NOPERM: this user may not run PING"
    return Status.WRONG_PROTOCOL, f"Redis answered an error: {shown(message, 80)}"
