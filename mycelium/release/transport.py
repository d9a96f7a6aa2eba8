"""Running commands and moving files on a QA host: locally, or over SSH with Fabric.

Both transports share one small interface, so the playbook runner does not care which it
has. Every command has a timeout, and a command past it is killed on the host (``timeout``
when the host has it, else the local process group).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mycelium.errors import RemoteError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mycelium.release.inventory import Host


# timeout(1) exits 124 when it stopped the command, 137 when it had to SIGKILL it.
TIMEOUT_EXIT_CODES = frozenset({124, 137})


class FailureKind(StrEnum):
    """Why a host produced no report: the row state of the matrix."""

    UNREACHABLE = "unreachable"
    AUTH = "auth"
    HOSTKEY = "hostkey"
    TIMEOUT = "timeout"
    NO_PYTHON = "no-python"
    INSTALL = "install"
    ERROR = "error"
    FAILED = "failed"


class HostFailureError(RemoteError):
    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str


class Transport(Protocol):
    name: str

    def run(self, command: str, *, timeout: float) -> CommandResult: ...
    def put(self, local: Path, remote: str) -> None: ...
    def get(self, remote: str, local: Path) -> None: ...
    def close(self) -> None: ...


def with_kill_timeout(command: str, timeout: float) -> str:
    """Wrap ``command`` so the host itself kills it past ``timeout`` (when it has timeout(1))."""
    seconds = max(1, int(timeout))
    quoted = shlex.quote(command)
    killer = f"exec timeout -k 5 {seconds} /bin/sh -c {quoted}"
    return (
        f"if command -v timeout >/dev/null 2>&1; then {killer}; else exec /bin/sh -c {quoted}; fi"
    )


class LocalTransport:
    """``ansible_connection: local``: this machine, no SSH."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, command: str, *, timeout: float) -> CommandResult:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # its own process group, so a timeout kills all of it
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise HostFailureError(
                FailureKind.TIMEOUT, f"command did not finish within {timeout:g}s and was killed"
            ) from None
        return CommandResult(proc.returncode, stdout, stderr)

    def put(self, local: Path, remote: str) -> None:
        Path(remote).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, remote)

    def get(self, remote: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(remote, local)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class SSHOptions:
    connect_timeout: float = 10.0
    accept_new_host_keys: bool = False
    ssh_config_path: Path | None = None


class SSHTransport:
    """A Fabric ``Connection`` with our host key policy; opened eagerly so failures classify."""

    def __init__(self, host: Host, options: SSHOptions) -> None:
        from mycelium.release import ssh  # noqa: PLC0415 - Fabric only when SSH is used

        self.name = host.name
        self._conn = ssh.connect(host, options)

    def run(self, command: str, *, timeout: float) -> CommandResult:
        from invoke.exceptions import CommandTimedOut  # noqa: PLC0415
        from paramiko import SSHException  # noqa: PLC0415

        try:
            result = self._conn.run(
                with_kill_timeout(command, timeout),
                hide=True,
                warn=True,
                timeout=timeout + 10,  # the host's own timeout(1) fires first
                in_stream=False,
            )
        except CommandTimedOut:
            raise HostFailureError(
                FailureKind.TIMEOUT, f"command did not finish within {timeout:g}s and was killed"
            ) from None
        except (OSError, EOFError, SSHException) as exc:
            # The host went away mid-run (rebooted, network dropped): its row says so.
            raise HostFailureError(FailureKind.UNREACHABLE, f"connection lost: {exc}") from None
        if result.exited in TIMEOUT_EXIT_CODES:
            raise HostFailureError(
                FailureKind.TIMEOUT, f"command did not finish within {timeout:g}s and was killed"
            )
        return CommandResult(result.exited, result.stdout, result.stderr)

    def put(self, local: Path, remote: str) -> None:
        with _lost_connection():
            self._conn.put(str(local), remote)

    def get(self, remote: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        with _lost_connection():
            self._conn.get(remote, str(local))

    def close(self) -> None:
        self._conn.close()


@contextlib.contextmanager
def _lost_connection() -> Iterator[None]:
    """SFTP on a dead connection: a host failure, not a failed file copy."""
    from paramiko import SSHException  # noqa: PLC0415

    try:
        yield
    except (SSHException, EOFError) as exc:
        raise HostFailureError(FailureKind.UNREACHABLE, f"connection lost: {exc}") from None


def open_transport(host: Host, options: SSHOptions) -> Transport:
    if host.is_local:
        return LocalTransport(host.name)
    return SSHTransport(host, options)


def describe_socket_error(exc: BaseException, where: str) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {where}: {exc.strerror}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from {where} (connect timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    return f"cannot connect to {where}: {exc}"
