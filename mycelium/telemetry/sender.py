"""The background sender: ``python -I -m mycelium.telemetry.sender STATE_DIR``.

Spawned detached by :func:`mycelium.telemetry.client.submit`. It holds ``sender.lock``,
takes the queue, validates each event again with the schema (only a valid event leaves the
machine, whatever was written into the queue), POSTs it with a timeout, and records the
outcome in the spool (``sent.jsonl``: when, to where, what, and what happened). An endpoint
that fails once is not tried again in this run; its other events are recorded as not sent.
Nothing is retried later: an event that cannot be delivered is dropped, and the spool says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import ssl
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

REQUEST_TIMEOUT_S: Final = 3.0
DEADLINE_S: Final = 15.0
MAX_ROUNDS: Final = 20
MAX_SPOOL_BYTES: Final = 256 * 1024
MAX_QUEUE_READ: Final = 128 * 1024
USER_AGENT: Final = "mycelium-telemetry/1"


@dataclass(frozen=True)
class Outcome:
    sent: bool
    text: str  # "sent (HTTP 202)", "not sent: ..."


def post(url: str, body: bytes, timeout_s: float = REQUEST_TIMEOUT_S) -> Outcome:
    """POST ``body`` to ``url``; never raises for a network failure."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout_s, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout_s)
    try:
        connection.request(
            "POST",
            parts.path or "/",
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        status = connection.getresponse().status
    except TimeoutError:
        return Outcome(sent=False, text=f"not sent: no answer within {timeout_s:g} s")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(sent=False, text=f"not sent: {type(exc).__name__}: {exc}"[:200])
    finally:
        connection.close()
    if 200 <= status < 300:  # noqa: PLR2004 - the success range
        return Outcome(sent=True, text=f"sent (HTTP {status})")
    return Outcome(sent=False, text=f"refused by the collector (HTTP {status})")


def _open(path: Path, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


def record(spool: Path, endpoint: str | None, event: object, outcome: str) -> None:
    """Append one line to the spool, moving a full spool to ``sent.jsonl.1`` first."""
    line = json.dumps(
        {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "endpoint": endpoint,
            "outcome": outcome,
            "event": event,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    with contextlib.suppress(FileNotFoundError):
        if spool.stat().st_size > MAX_SPOOL_BYTES:
            spool.replace(spool.with_name(spool.name + ".1"))
    fd = _open(spool, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, line.encode("ascii") + b"\n")
    finally:
        os.close(fd)


def _take(state: Path) -> list[bytes]:
    """The queued lines, taken atomically: a command appending meanwhile starts a new queue."""
    taking = state / "queue.sending"
    with contextlib.suppress(FileNotFoundError):
        if not taking.exists():
            (state / "queue.jsonl").replace(taking)
    try:
        fd = _open(taking, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return []
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_QUEUE_READ)
    taking.unlink()
    return data.splitlines()


def _send_line(line: bytes, spool: Path, dead: dict[str, str], deadline: float) -> None:
    from mycelium.telemetry.endpoint import check_endpoint  # noqa: PLC0415 - after the lock
    from mycelium.telemetry.schema import Event  # noqa: PLC0415

    try:
        item = json.loads(line)
        endpoint = item["endpoint"]
        event = Event.model_validate(item["event"])
        if endpoint is not None:
            check_endpoint(endpoint)
    except (ValueError, KeyError, TypeError):
        record(spool, None, None, "dropped: a queued line is not a valid event")
        return
    data = event.as_data()
    if endpoint is None:
        record(spool, None, data, "not sent: no endpoint is set (MYCELIUM_TELEMETRY_URL)")
        return
    if endpoint in dead:
        record(spool, endpoint, data, dead[endpoint])
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        record(spool, endpoint, data, "not sent: the sender's time ran out")
        return
    outcome = post(endpoint, event.to_bytes(), min(REQUEST_TIMEOUT_S, remaining))
    if not outcome.sent and outcome.text.startswith("not sent"):
        dead[endpoint] = f"{outcome.text} (an earlier event to this endpoint)"
    record(spool, endpoint, data, outcome.text)


def drain(state: Path) -> int:
    """Send everything queued under ``state``; the number of lines handled."""
    lock = _open(state / "sender.lock", os.O_RDWR | os.O_CREAT)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # another sender is draining: it will take these too
        deadline = time.monotonic() + DEADLINE_S
        dead: dict[str, str] = {}
        handled = 0
        for _ in range(MAX_ROUNDS):
            lines = [line for line in _take(state) if line.strip()]
            if not lines:
                break
            for line in lines:
                _send_line(line, state / "sent.jsonl", dead, deadline)
                handled += 1
        return handled
    finally:
        os.close(lock)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_absolute():
        return 2
    try:
        drain(Path(args[0]))
    except OSError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
