"""The one interface every transport offers, and the failures only a transport can know.

A leaf: it imports nothing of ``mycelium.release`` but its defaults. What a failure
*means* for a QA cell is decided by ``mycelium.release.qa.cells``, not here.
"""

from __future__ import annotations

import shlex
import socket
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Protocol

from mycelium.errors import RemoteError
from mycelium.release import defaults

if TYPE_CHECKING:
    from pathlib import Path

# timeout(1) exits 124 when it stopped the command, 137 when it had to SIGKILL it.
TIMEOUT_EXIT_CODES: Final = frozenset({124, 137})


class FailureKind(StrEnum):
    """Why a transport could not do what it was asked."""

    UNREACHABLE = "unreachable"  # no route, refused, silent, not SSH
    AUTH = "auth"  # the host refused the login
    HOSTKEY = "hostkey"  # unknown or changed host key
    TIMEOUT = "timeout"  # a command or transfer past its time
    CONNECTION_LOST = "connection-lost"  # the host went away mid-run
    IMAGE = "image"  # a container host's image is not on the Docker daemon


class TransportError(RemoteError):
    """A transport failure; ``kind`` says which, the message says it for people."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class SSHOptions:
    connect_timeout: float = defaults.CONNECT_TIMEOUT_S
    accept_new_host_keys: bool = False
    ssh_config_path: Path | None = None
    transfer_timeout: float = defaults.STEP_TIMEOUT_S  # each read of a file transfer


class Transport(Protocol):
    """Commands and files on one host. Every call is bounded in time."""

    name: str

    def run(self, command: str, *, timeout: float) -> CommandResult: ...
    def put(self, local: Path, remote: str) -> None: ...
    def get(self, remote: str, local: Path) -> None: ...
    def interrupt(self) -> None:
        """Ctrl-C, from another thread: stop what runs now, if this transport can (the
        playbook's run directory is stopped by the caller either way)."""
        ...

    def close(self) -> None: ...


def timed_out(timeout: float) -> TransportError:
    return TransportError(
        FailureKind.TIMEOUT, f"command did not finish within {timeout:g}s and was killed"
    )


def with_kill_timeout(command: str, timeout: float) -> str:
    """Wrap ``command`` so the host itself kills it past ``timeout`` (when it has timeout(1))."""
    seconds = max(1, int(timeout))
    quoted = shlex.quote(command)
    killer = f"exec timeout -k 5 {seconds} /bin/sh -c {quoted}"
    return (
        f"if command -v timeout >/dev/null 2>&1; then {killer}; else exec /bin/sh -c {quoted}; fi"
    )


def describe_socket_error(exc: BaseException, where: str) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {where}: {exc.strerror}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from {where} (connect timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    return f"cannot connect to {where}: {exc}"
