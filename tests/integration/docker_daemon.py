"""A throwaway ``dockerd`` on its own unix socket, and listeners that never answer.

dockerd runs as root with ``--iptables=false --bridge=none --storage-driver=vfs`` and every
directory (data, exec, pidfile, socket) in a temporary directory, so it touches nothing of
the machine's own Docker. It starts its own containerd under the exec root.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.integration.servers import (
    ServerStartError,
    _stop,
    _wait_until,
    require,
)

if TYPE_CHECKING:
    from pathlib import Path


@dataclass
class DockerDaemon:
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.workdir / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "dockerd.log"

    def start(self) -> DockerDaemon:
        if os.geteuid() != 0:
            raise ServerStartError("dockerd needs root; run the integration tests as root")
        dockerd = require("dockerd")
        argv = [
            str(dockerd),
            "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
            "--host", self.url,
            "--data-root", str(self.workdir / "root"),
            "--exec-root", str(self.workdir / "exec"),
            "--pidfile", str(self.workdir / "docker.pid"),
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
        _wait_until(self.ping, self.proc, self.log_path, "dockerd")
        return self

    def ping(self) -> bool:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(1.0)
        try:
            sock.connect(str(self.socket_path))
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.0 200")
        except OSError:
            return False
        finally:
            sock.close()

    def stop(self) -> None:
        _stop(self.proc)


class _Unix(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("docker", timeout=5)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self._path)


def docker_version(daemon: DockerDaemon) -> str:
    """The daemon's own answer, to compare with what detection reports."""
    import json

    conn = _Unix(str(daemon.socket_path))
    try:
        conn.request("GET", "/version")
        return str(json.loads(conn.getresponse().read())["Version"])
    finally:
        conn.close()
