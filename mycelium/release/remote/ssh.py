"""The SSH transport: Fabric connections with a host key policy that protects the maintainer.

Fabric's client adds unknown host keys silently. Here a key must already be in
``known_hosts`` (``UserKnownHostsFile`` from ``~/.ssh/config`` honoured); an unknown key is
accepted only with ``--accept-new-host-keys`` (or ``mycelium_accept_new_host_keys``), and
then written to the user's known_hosts; a changed key is never accepted, nor one that
known_hosts marks ``@revoked``. Lines paramiko cannot read (``@cert-authority``, a broken
line) are skipped, as OpenSSH skips them. Every command and every file transfer is bounded
in time.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import socket
from typing import TYPE_CHECKING, Any

import paramiko
from fabric import Config, Connection
from invoke.exceptions import CommandTimedOut
from paramiko.hostkeys import HostKeyEntry

from mycelium.release.remote.ssh_config import known_hosts_files, load_user_ssh_config
from mycelium.release.remote.transport import (
    TIMEOUT_EXIT_CODES,
    CommandResult,
    FailureKind,
    SSHOptions,
    TransportError,
    describe_socket_error,
    timed_out,
    with_kill_timeout,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mycelium.release.fleet.inventory import Host

# Paramiko logs every failed handshake (a silent host) with a traceback from its own
# thread; the failure is already a row of the matrix with a readable reason.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def fingerprint(key: paramiko.PKey) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(hostname: str, port: int) -> str:
    return hostname if port == 22 else f"[{hostname}]:{port}"  # noqa: PLR2004


class RejectUnknownHostKey(paramiko.MissingHostKeyPolicy):
    def missing_host_key(
        self, _client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        raise TransportError(
            FailureKind.HOSTKEY,
            f"host key for {hostname} is not in known_hosts ({key.get_name()} "
            f"{fingerprint(key)}); check the fingerprint on the host (`ssh-keygen -lf "
            "/etc/ssh/ssh_host_ed25519_key.pub`) and connect once with `ssh`, or rerun with "
            "--accept-new-host-keys",
        )


class AcceptNewHostKey(paramiko.MissingHostKeyPolicy):
    """OpenSSH's ``StrictHostKeyChecking=accept-new``: learn unknown keys, never changed ones."""

    def __init__(self, known_hosts: Path) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self.known_hosts.open("a", encoding="utf-8") as handle:
            handle.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
        client.get_host_keys().add(hostname, key.get_name(), key)


def connect(host: Host, options: SSHOptions) -> Connection:
    """An open Fabric connection to ``host``, or ``TransportError`` saying why not."""
    ssh_config = load_user_ssh_config(options.ssh_config_path)
    config = Config(ssh_config=ssh_config)
    connect_kwargs: dict[str, Any] = {
        "banner_timeout": options.connect_timeout,
        "auth_timeout": options.connect_timeout,
        "allow_agent": False,
    }
    if host.key_file is not None:
        connect_kwargs["key_filename"] = [str(host.key_file)]
        connect_kwargs["look_for_keys"] = False
    conn = Connection(
        host=host.address,
        user=host.user,
        port=host.port if "ansible_port" in host.vars else None,
        config=config,
        connect_timeout=int(options.connect_timeout),
        connect_kwargs=connect_kwargs,
    )
    files = known_hosts_files(dict(conn.ssh_config))
    client = conn.client
    revoked: set[bytes] = set()
    for path in files:
        revoked |= load_known_hosts(path, client.get_host_keys())
    accept = options.accept_new_host_keys or host.accept_new_host_keys
    client.set_missing_host_key_policy(
        AcceptNewHostKey(files[0]) if accept else RejectUnknownHostKey()
    )
    if "proxyjump" not in conn.ssh_config and "proxycommand" not in conn.ssh_config:
        _expect_banner(conn.host, conn.port, options.connect_timeout)
    try:
        conn.open()
    except TransportError:
        raise
    except Exception as exc:  # noqa: BLE001 - every connect failure becomes a classified row
        raise _classify(exc, conn, options) from None
    _refuse_revoked(conn, revoked)
    return conn


def load_known_hosts(path: Path, keys: paramiko.HostKeys) -> set[bytes]:
    """Add ``path``'s readable entries to ``keys``; return the keys it marks ``@revoked``.

    paramiko's own loader stops at the first line it cannot decode, which made one
    ``@cert-authority`` line fail every host; OpenSSH skips what it does not use.
    """
    revoked: set[bytes] = set()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return revoked
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            marker, _, rest = line.partition(" ")
            fields = rest.split()
            if marker == "@revoked" and len(fields) >= 3:  # noqa: PLR2004 - hosts, type, key
                with contextlib.suppress(binascii.Error, ValueError):
                    revoked.add(base64.b64decode(fields[2], validate=True))
            continue  # @cert-authority: certificates are not used here
        try:
            entry = HostKeyEntry.from_line(line, number)
        except (paramiko.hostkeys.InvalidHostKey, paramiko.SSHException, ValueError):
            entry = None
        if entry is None or entry.key is None:
            continue
        for name in entry.hostnames:
            keys.add(name, entry.key.get_name(), entry.key)
    return revoked


def _refuse_revoked(conn: Connection, revoked: set[bytes]) -> None:
    transport = conn.client.get_transport()
    if not revoked or transport is None:
        return
    key = transport.get_remote_server_key()
    if key.asbytes() in revoked:
        conn.close()
        raise TransportError(
            FailureKind.HOSTKEY,
            f"host key of {conn.host}:{conn.port} ({fingerprint(key)}) is marked @revoked in "
            "known_hosts; refusing to connect",
        )


def _classify(exc: Exception, conn: Connection, options: SSHOptions) -> Exception:
    """The transport failure ``exc`` stands for; an unknown exception stays itself."""
    where = f"{conn.host}:{conn.port}"
    name = known_hosts_name(conn.host, conn.port)
    if isinstance(exc, paramiko.BadHostKeyException):
        return TransportError(
            FailureKind.HOSTKEY,
            f"host key for {name} CHANGED (now {fingerprint(exc.key)}); refusing to connect. "
            f"If the host was reinstalled, remove the old key with `ssh-keygen -R '{name}'`",
        )
    if isinstance(exc, paramiko.AuthenticationException):
        return TransportError(
            FailureKind.AUTH,
            f"{conn.user}@{where} refused the login ({exc}); check ansible_user and "
            "ansible_ssh_private_key_file, and the key in the host's authorized_keys",
        )
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        first = next(iter(exc.errors.values()), exc)
        return TransportError(FailureKind.UNREACHABLE, describe_socket_error(first, where))
    if isinstance(exc, paramiko.SSHException):
        text = str(exc)
        if "banner" in text.lower():
            text = f"no SSH banner from {where} within {options.connect_timeout:g}s"
        return TransportError(FailureKind.UNREACHABLE, text)
    if isinstance(exc, OSError | EOFError):
        return TransportError(FailureKind.UNREACHABLE, describe_socket_error(exc, where))
    return exc


def _expect_banner(host: str, port: int, timeout: float) -> None:
    """Fail fast and clearly on a port that is closed, filtered or not speaking SSH."""
    where = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise TransportError(FailureKind.UNREACHABLE, describe_socket_error(exc, where)) from None
    with sock:
        try:
            first = sock.recv(4)
        except OSError:
            raise TransportError(
                FailureKind.UNREACHABLE, f"no SSH banner from {where} within {timeout:g}s"
            ) from None
    if not first.startswith(b"SSH-"):
        raise TransportError(FailureKind.UNREACHABLE, f"{where} does not speak SSH")


class SSHTransport:
    """A Fabric ``Connection`` with our host key policy; opened eagerly so failures classify."""

    def __init__(self, host: Host, options: SSHOptions) -> None:
        self.name = host.name
        self._conn = connect(host, options)
        self._transfer_timeout = options.transfer_timeout
        self._sftp: paramiko.SFTPClient | None = None

    def run(self, command: str, *, timeout: float) -> CommandResult:
        try:
            result = self._conn.run(
                with_kill_timeout(command, timeout),
                hide=True,
                warn=True,
                timeout=timeout + 10,  # the host's own timeout(1) fires first
                in_stream=False,
            )
        except CommandTimedOut:
            raise timed_out(timeout) from None
        except (OSError, EOFError, paramiko.SSHException) as exc:
            # The host went away mid-run (rebooted, network dropped): its row says so.
            raise TransportError(FailureKind.CONNECTION_LOST, f"connection lost: {exc}") from None
        if result.exited in TIMEOUT_EXIT_CODES:
            raise timed_out(timeout)
        return CommandResult(result.exited, result.stdout, result.stderr)

    def put(self, local: Path, remote: str) -> None:
        with self._transfer(f"upload of {local.name}"):
            self._client().put(str(local), remote)

    def get(self, remote: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        with self._transfer(f"download of {remote}"):
            self._client().get(remote, str(local))

    def _client(self) -> paramiko.SFTPClient:
        """An SFTP session whose every read is bounded: a silent SFTP server cannot hang us."""
        if self._sftp is None:
            transport = self._conn.client.get_transport()
            if transport is None or not transport.is_active():
                raise TransportError(FailureKind.CONNECTION_LOST, "connection lost")
            channel = transport.open_session(timeout=self._transfer_timeout)
            channel.settimeout(self._transfer_timeout)
            channel.invoke_subsystem("sftp")
            self._sftp = paramiko.SFTPClient(channel)
        return self._sftp

    @contextlib.contextmanager
    def _transfer(self, what: str) -> Iterator[None]:
        try:
            yield
        except TimeoutError:
            raise TransportError(
                FailureKind.TIMEOUT,
                f"{what} did not finish within {self._transfer_timeout:g}s (SFTP did not answer)",
            ) from None
        except (paramiko.SSHException, EOFError) as exc:
            raise TransportError(FailureKind.CONNECTION_LOST, f"connection lost: {exc}") from None

    def interrupt(self) -> None:
        pass  # the caller stops the run directory's processes with pkill over this connection

    def close(self) -> None:
        if self._sftp is not None:
            with contextlib.suppress(OSError, paramiko.SSHException, EOFError):
                self._sftp.close()
        self._conn.close()
