"""PostgreSQL: the states ``pg_isready`` reports, spoken in the wire protocol.

``SSLRequest`` first: a one-byte ``S``/``N`` answer proves a PostgreSQL server. Then a
startup packet: an authentication request or an authentication error means "accepting
connections"; SQLSTATE 57P03 means "rejecting" (starting up, shutting down, recovering);
silence means "no response". When the server lets us in without a password (``trust``), its
``server_version`` parameter gives the version; we never send credentials.
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

SERVICE: Final = "postgres"
SSL_REQUEST: Final = struct.pack("!ii", 8, 80877103)
PROTOCOL_3_0: Final = 196608
CANNOT_CONNECT_NOW: Final = "57P03"
AUTH_OK: Final = 0
AUTH_NAMES: Final = {3: "password", 5: "MD5 password", 7: "GSSAPI", 9: "SSPI", 10: "SCRAM"}
MAX_MESSAGE: Final = 1 << 16


def startup_packet(user: str, database: str) -> bytes:
    params = b"".join(
        f"{key}\0{value}\0".encode()
        for key, value in (
            ("user", user),
            ("database", database),
            ("application_name", "mycelium-detect"),
        )
    )
    body = struct.pack("!i", PROTOCOL_3_0) + params + b"\0"
    return struct.pack("!i", len(body) + 4) + body


def terminate() -> bytes:
    return b"X" + struct.pack("!i", 4)


def _error_fields(payload: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in payload.split(b"\0"):
        if item:
            fields[chr(item[0])] = item[1:].decode(errors="replace")
    return fields


def probe_postgres(
    port: int,
    *,
    host: str = "127.0.0.1",
    user: str = "mycelium",
    database: str = "postgres",
    timeout_s: float = 0.25,
) -> ProbeResult:
    endpoint = f"{host}:{port}"
    deadline = Deadline(timeout_s)

    result = Answer(SERVICE, endpoint, port, deadline)

    try:
        sock = connect_tcp(host, port, deadline)
        try:
            send_all(sock, SSL_REQUEST, deadline)
            reader = Reader(sock, deadline, limit=MAX_MESSAGE)
            answer = reader.exactly(1)
            if answer not in {b"S", b"N"}:
                more = answer + reader.peek()
                return result(
                    Status.WRONG_PROTOCOL,
                    f"{endpoint} answered, but not as PostgreSQL ({shown(more)!r})",
                )
            ssl = answer == b"S"
            if ssl:
                # The server wants a TLS handshake on this connection; ask again in clear text.
                sock.close()
                sock = connect_tcp(host, port, deadline)
                reader = Reader(sock, deadline, limit=MAX_MESSAGE)
            send_all(sock, startup_packet(user, database), deadline)
            status, reason, version = _read_startup(reader)
            if status is Status.AVAILABLE and version is not None:
                send_all(sock, terminate(), deadline)
            details = (("ssl", "offered" if ssl else "not offered"),)
            return result(status, reason, version, details)
        finally:
            sock.close()
    except (OSError, ClosedError) as exc:
        if isinstance(exc, ClosedError):
            return result(Status.WRONG_PROTOCOL, f"{endpoint} closed the connection mid-handshake")
        return failed(SERVICE, endpoint, exc, deadline, port)


def _read_startup(reader: Reader) -> tuple[Status, str | None, str | None]:
    """Read messages after the startup packet until the state is known."""
    version: str | None = None
    for _ in range(64):  # a trust login sends ~15 messages before ReadyForQuery
        kind = reader.exactly(1)
        (size,) = struct.unpack("!i", reader.exactly(4))
        if not 4 <= size <= MAX_MESSAGE:  # noqa: PLR2004 - the length counts itself
            return Status.WRONG_PROTOCOL, "the answer is not a PostgreSQL message", None
        payload = reader.exactly(size - 4)
        if kind == b"R":
            (code,) = struct.unpack("!i", payload[:4])
            if code != AUTH_OK:
                method = AUTH_NAMES.get(code, f"method {code}")
                note = f"accepting connections; {method} authentication hides the version"
                return Status.AVAILABLE, note, None
        elif kind == b"E":
            fields = _error_fields(payload)
            if fields.get("C") == CANNOT_CONNECT_NOW:
                return (
                    Status.REJECTING,
                    f"PostgreSQL is rejecting connections: {fields.get('M', 'cannot connect now')}",
                    None,
                )
            # Any other error (no such role or database, pg_hba) still proves a live server.
            return (
                Status.AVAILABLE,
                f"accepting connections; the probe login was refused: {fields.get('M', '?')}",
                None,
            )
        elif kind == b"S":
            name, _, rest = payload.partition(b"\0")
            if name == b"server_version":
                version = rest.rstrip(b"\0").decode(errors="replace").split(" ")[0]
        elif kind == b"Z":
            return Status.AVAILABLE, None, version
    return Status.AVAILABLE, None, version
