"""Building events and handing them to the background sender.

What a command pays: build and validate the event, append one line to the queue file,
and, when no sender is running, spawn one detached process (``mycelium.telemetry.sender``)
that does the network part. The command never waits for the network: a collector that is
down, slow or black-holed costs the same as a healthy one (``invoke bench``:
``telemetry_cost``).

One sender at a time: it holds ``sender.lock`` while it drains the queue, so a script that
runs a hundred commands against a dead collector leaves one waiting process, not a hundred.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import platform
import secrets
import sys
from typing import TYPE_CHECKING, Final

from mycelium.telemetry.schema import WITH_METHOD, Event, EventName, Operation, OsFamily

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from mycelium.config.models import DeploymentMethod
    from mycelium.telemetry.settings import Settings

MAX_QUEUE_BYTES: Final = 64 * 1024  # past this, new events are dropped until a sender drains
LOCK_NAME: Final = "sender.lock"
INSTALLED_NAME: Final = "installed"
SESSION: Final = secrets.token_hex(16)  # per process, never written anywhere but the events
_spawned: list[int] = []


def os_family() -> OsFamily:
    system = platform.system()
    if system == "Darwin":
        return OsFamily.MACOS
    if system == "Linux":
        release = platform.release().lower()
        if "microsoft" in release or os.environ.get("WSL_DISTRO_NAME"):
            return OsFamily.WSL
        return OsFamily.LINUX
    return OsFamily.OTHER


def mycelium_version() -> str:
    from mycelium import __version__  # noqa: PLC0415 - importlib.metadata only when sending

    return __version__.split("+", 1)[0]  # a local part (+g1a2b3c) never leaves


def build_event(
    name: EventName,
    *,
    operation: Operation | None = None,
    method: DeploymentMethod | None = None,
) -> Event:
    """An event for this process; raises ``ValueError`` when the schema refuses it."""
    return Event(
        event=name,
        mycelium_version=mycelium_version(),
        os_family=os_family(),
        python=f"{sys.version_info.major}.{sys.version_info.minor}",
        method=method if name in WITH_METHOD else None,
        operation=operation,
        session=SESSION,
    )


def _open_private(path: Path, flags: int) -> int:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


def first_run_of_version(settings: Settings, version: str) -> bool:
    """True once per installed version: the marker holds the last version seen, no id."""
    marker = settings.state_dir / INSTALLED_NAME
    with contextlib.suppress(OSError):
        fd = _open_private(marker, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            if handle.read(64).decode("ascii", "replace").strip() == version:
                return False
    fd = _open_private(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(version.encode("ascii") + b"\n")
    return True


def enqueue(settings: Settings, events: Sequence[Event]) -> bool:
    """Append ``events`` to the queue; False when the queue is full (they are dropped)."""
    lines = b"".join(
        json.dumps(
            {"endpoint": settings.endpoint, "event": event.as_data()},
            sort_keys=True,
            separators=(",", ":"),
        ).encode("ascii")
        + b"\n"
        for event in events
    )
    fd = _open_private(settings.queue, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        if os.fstat(fd).st_size + len(lines) > MAX_QUEUE_BYTES:
            return False
        os.write(fd, lines)
    finally:
        os.close(fd)
    return True


def sender_running(settings: Settings) -> bool:
    """Whether a sender holds the lock (and will drain what was just queued)."""
    try:
        fd = _open_private(settings.state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in {errno.EAGAIN, errno.EACCES}:
            return True
        raise
    finally:
        os.close(fd)  # closing releases a lock we took
    return False


def _reap() -> None:
    """Collect senders this process spawned that have ended (a long-lived caller's zombies)."""
    for pid in list(_spawned):
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if not done:
                continue
        _spawned.remove(pid)


def spawn_sender(settings: Settings) -> int:
    """Start the sender detached (own session, no terminal, no inherited files); its pid."""
    _reap()
    devnull = os.devnull
    argv = [sys.executable, "-I", "-m", "mycelium.telemetry.sender", os.fspath(settings.state_dir)]
    pid = os.posix_spawn(
        sys.executable,
        argv,
        {"PATH": os.defpath},
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )
    _spawned.append(pid)
    return pid


def submit(settings: Settings, events: Sequence[Event]) -> int | None:
    """Queue ``events`` and make sure a sender will send them; the new sender's pid, if any."""
    if not events or not enqueue(settings, events):
        return None
    if sender_running(settings):
        return None
    return spawn_sender(settings)
