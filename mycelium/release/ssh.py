"""Fabric connections with a host key policy that protects the maintainer.

Fabric's client adds unknown host keys silently. Here a key must already be in
``known_hosts`` (``UserKnownHostsFile`` from ``~/.ssh/config`` honoured); an unknown key is
accepted only with ``--accept-new-host-keys`` (or ``mycelium_accept_new_host_keys``), and
then written to the user's known_hosts; a changed key is never accepted.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import socket
from typing import TYPE_CHECKING, Any

import paramiko
from fabric import Config, Connection

from mycelium.release.ssh_config import known_hosts_files, load_user_ssh_config
from mycelium.release.transport import (
    FailureKind,
    HostFailureError,
    SSHOptions,
    describe_socket_error,
)

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.release.inventory import Host

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
        raise HostFailureError(
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
    """An open Fabric connection to ``host``, or ``HostFailureError`` saying why not."""
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
    for path in files:
        if path.is_file():
            client.load_system_host_keys(str(path))
    accept = options.accept_new_host_keys or host.accept_new_host_keys
    client.set_missing_host_key_policy(
        AcceptNewHostKey(files[0]) if accept else RejectUnknownHostKey()
    )
    if "proxyjump" not in conn.ssh_config and "proxycommand" not in conn.ssh_config:
        _expect_banner(conn.host, conn.port, options.connect_timeout)
    try:
        conn.open()
    except HostFailureError:
        raise
    except Exception as exc:  # noqa: BLE001 - every connect failure becomes a classified row
        raise _classify(exc, conn, options) from None
    return conn


def _classify(exc: Exception, conn: Connection, options: SSHOptions) -> HostFailureError:
    where = f"{conn.host}:{conn.port}"
    name = known_hosts_name(conn.host, conn.port)
    if isinstance(exc, paramiko.BadHostKeyException):
        return HostFailureError(
            FailureKind.HOSTKEY,
            f"host key for {name} CHANGED (now {fingerprint(exc.key)}); refusing to connect. "
            f"If the host was reinstalled, remove the old key with `ssh-keygen -R '{name}'`",
        )
    if isinstance(exc, paramiko.AuthenticationException):
        return HostFailureError(
            FailureKind.AUTH,
            f"{conn.user}@{where} refused the login ({exc}); check ansible_user and "
            "ansible_ssh_private_key_file, and the key in the host's authorized_keys",
        )
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        first = next(iter(exc.errors.values()), exc)
        return HostFailureError(FailureKind.UNREACHABLE, describe_socket_error(first, where))
    if isinstance(exc, paramiko.SSHException):
        text = str(exc)
        if "banner" in text.lower():
            text = f"no SSH banner from {where} within {options.connect_timeout:g}s"
        return HostFailureError(FailureKind.UNREACHABLE, text)
    if isinstance(exc, OSError | EOFError):
        return HostFailureError(FailureKind.UNREACHABLE, describe_socket_error(exc, where))
    return HostFailureError(FailureKind.ERROR, f"cannot connect to {where}: {exc}")


def _expect_banner(host: str, port: int, timeout: float) -> None:
    """Fail fast and clearly on a port that is closed, filtered or not speaking SSH."""
    where = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise HostFailureError(FailureKind.UNREACHABLE, describe_socket_error(exc, where)) from None
    with sock:
        try:
            first = sock.recv(4)
        except OSError:
            raise HostFailureError(
                FailureKind.UNREACHABLE, f"no SSH banner from {where} within {timeout:g}s"
            ) from None
    if not first.startswith(b"SSH-"):
        raise HostFailureError(FailureKind.UNREACHABLE, f"{where} does not speak SSH")
