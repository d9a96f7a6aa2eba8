"""Ground truth the checks set up themselves: free ports, silent listeners, a redis-server.

Each resource is made once per QA run, kept in ``QAContext.shared`` and ended by the
context's cleanups, so a check never depends on what happens to run on the host.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.binaries import locate
from mycelium.qa.checklist import CheckSkippedError

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.qa.checklist import QAContext

START_TIMEOUT_S: Final = 15.0


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SilentListener:
    """Accepts connections and never sends a byte: TCP on 127.0.0.1, or a unix socket.

    ``port=0`` takes a free port; ``stop()`` closes every connection it holds.
    """

    def __init__(self, port: int = 0, unix_path: Path | None = None) -> None:
        self.unix_path = unix_path
        if unix_path is not None:
            self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._server.bind(str(unix_path))
        else:
            self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._server.bind(("127.0.0.1", port))
        self.port = 0 if unix_path is not None else int(self._server.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> SilentListener:
        self._server.listen(16)
        self._server.settimeout(0.1)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._server.close()
        if self.unix_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.unix_path.unlink()


@dataclass(frozen=True)
class LocalRedis:
    url: str
    port: int


def throwaway_redis(ctx: QAContext) -> LocalRedis:
    """A ``redis-server`` of our own on a free loopback port, started once per run.

    Skips the calling check when the host has no redis-server: that is a capability the
    host lacks, not a defect of mycelium.
    """
    if "redis" in ctx.shared:
        found: LocalRedis = ctx.shared["redis"]
        return found
    binary = locate("redis-server")
    if binary is None:
        raise CheckSkippedError("redis-server is not installed on this host")
    port = closed_port()
    workdir = ctx.scratch("redis")
    proc = subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    ctx.cleanups.append(lambda: _stop(proc))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CheckSkippedError(f"redis-server exited with {proc.returncode} at start")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                redis = LocalRedis(url=f"redis://127.0.0.1:{port}/0", port=port)
                ctx.shared["redis"] = redis
                return redis
        time.sleep(0.05)
    raise CheckSkippedError(f"redis-server did not answer within {START_TIMEOUT_S:g}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
