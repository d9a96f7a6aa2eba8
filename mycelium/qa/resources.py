"""Ground truth the checks set up themselves: free ports, silent listeners, a redis-server,
a PostgreSQL.

Each resource is made once per QA run, kept in ``QAContext.shared`` and ended by the
context's cleanups, so a check never depends on what happens to run on the host.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.binaries import locate
from mycelium.qa.checklist import CheckSkippedError

if TYPE_CHECKING:
    from mycelium.qa.checklist import QAContext

START_TIMEOUT_S: Final = 15.0
POSTGRES_START_TIMEOUT_S: Final = 30.0
POSTGRES_USER: Final = "mycelium"


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

    @property
    def accepted(self) -> int:
        """How many connections it has accepted (and holds, silent)."""
        return len(self._held)

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


@dataclass(frozen=True)
class LocalPostgres:
    port: int
    binary: Path
    user: str = POSTGRES_USER


def throwaway_postgres(ctx: QAContext) -> LocalPostgres:
    """initdb + postgres on a free port in a directory of our own, started once per run.

    Trust authentication, no fsync. Skips the calling check when the host lacks PostgreSQL's
    server binaries, or the server does not start (the reason says which).
    """
    if "postgres" not in ctx.shared:
        ctx.shared["postgres"] = _start_postgres(ctx)
    found: LocalPostgres | CheckSkippedError = ctx.shared["postgres"]
    if isinstance(found, CheckSkippedError):
        raise CheckSkippedError(str(found))
    return found


def _run_as() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root it runs as ``nobody``."""
    if os.geteuid() != 0:
        return None
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return nobody.pw_uid, nobody.pw_gid


def _start_postgres(ctx: QAContext) -> LocalPostgres | CheckSkippedError:
    initdb, postgres = locate("initdb"), locate("postgres")
    if initdb is None or postgres is None:
        return CheckSkippedError("PostgreSQL's server binaries (initdb, postgres) are absent")
    drop = _run_as()
    if os.geteuid() == 0 and drop is None:
        return CheckSkippedError("running as root and there is no `nobody` user for postgres")
    uid, gid = drop or (None, None)
    groups: list[int] | None = [] if drop else None
    # Not inside the sandbox: that is root's 0700 directory, where `nobody` cannot reach.
    workdir = Path(tempfile.mkdtemp(prefix="mycelium-qa-pg-"))
    ctx.cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    log = workdir / "postgres.log"
    log.touch()
    if drop:
        os.chown(workdir, *drop)
        os.chown(log, *drop)
    data = workdir / "data"
    with log.open("ab") as out:
        done = subprocess.run(
            [str(initdb), "-D", str(data), "-U", POSTGRES_USER, "--auth=trust", "-E", "UTF8",
             "--no-sync", "--no-instructions"],
            stdout=out, stderr=out, cwd=workdir, timeout=120, check=False,
            user=uid, group=gid, extra_groups=groups,
        )  # fmt: skip
    if done.returncode != 0:
        return CheckSkippedError(f"initdb exited {done.returncode}; see its log in {log}")
    port = closed_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(postgres), "-D", str(data), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={workdir}",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=out, stderr=out, cwd=workdir, user=uid, group=gid, extra_groups=groups,
        )  # fmt: skip
    ctx.cleanups.append(lambda: _stop_postgres(proc))
    return _wait_for_postgres(proc, port, postgres)


def _wait_for_postgres(
    proc: subprocess.Popen[bytes], port: int, binary: Path
) -> LocalPostgres | CheckSkippedError:
    deadline = time.monotonic() + POSTGRES_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return CheckSkippedError(f"postgres exited with {proc.returncode} at start")
        # The startup handshake itself, not the product's probe: ground truth stays
        # independent of the detector it judges.
        if _postgres_answers(port):
            return LocalPostgres(port, binary)
        time.sleep(0.1)
    return CheckSkippedError(f"postgres did not answer within {POSTGRES_START_TIMEOUT_S:g}s")


def _postgres_answers(port: int) -> bool:
    """A StartupMessage for our trust user answers AuthenticationOk ('R', code 0)."""
    body = b"user\0" + POSTGRES_USER.encode() + b"\0database\0postgres\0\0"
    packet = (len(body) + 8).to_bytes(4, "big") + (196608).to_bytes(4, "big") + body
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1.0) as s:
        s.settimeout(1.0)
        s.sendall(packet)
        head = s.recv(9)
        return len(head) == 9 and head[:1] == b"R" and head[5:9] == b"\0\0\0\0"  # noqa: PLR2004
    return False


def _stop_postgres(proc: subprocess.Popen[bytes]) -> None:
    import signal  # noqa: PLC0415

    # SIGINT is PostgreSQL's fast shutdown: roll back clients, exit cleanly.
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
