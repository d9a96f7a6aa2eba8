"""Throwaway servers on free loopback ports for the integration tests.

Each server is a real process started from the system's binaries, with its own directory
and log file; ``stop()`` always ends it. PostgreSQL refuses to run as root, so as root it is
started as the unprivileged ``nobody`` user in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mycelium.binaries import locate

START_TIMEOUT_S = 30.0


class ServerStartError(RuntimeError):
    pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require(program: str) -> Path:
    path = locate(program)
    if path is None:
        # `invoke test` installs these first; a bare `pytest` on a bare machine lands here.
        msg = f"{program} is not installed; run `uv run invoke test`, which installs it"
        raise ServerStartError(msg)
    return path


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:])


def _wait_until(check: object, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"{what} exited with {proc.returncode} while starting:\n{log_tail(log)}"
            raise ServerStartError(msg)
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    proc.kill()
    msg = f"{what} did not become ready within {START_TIMEOUT_S:.0f}s:\n{log_tail(log)}"
    raise ServerStartError(msg)


def _stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class RedisServer:
    """A ``redis-server`` with no persistence, bound to 127.0.0.1."""

    workdir: Path
    password: str | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "redis.log"

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        argv = [
            str(require("redis-server")),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--logfile", str(self.log_path),
        ]  # fmt: skip
        if self.password:
            argv += ["--requirepass", self.password]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until(self.ping, self.proc, self.log_path, f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        """True once the server answers (PONG, or NOAUTH when a password is set)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        return reply.startswith((b"+PONG", b"-NOAUTH"))

    def stop(self) -> None:
        _stop(self.proc)

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class PostgresServer:
    """A PostgreSQL cluster made by ``initdb`` in a temporary directory.

    Local connections are trusted for ``user``; ``password`` (when given) is set for
    password-based tests, and ``dsn`` carries it.
    """

    workdir: Path
    user: str = "mycelium"
    database: str = "mycelium"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "postgres.log"

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run_as(self) -> tuple[int, int] | None:
        """(uid, gid) of ``nobody`` when we are root, else ``None`` (run as ourselves)."""
        if os.geteuid() != 0:
            return None
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid

    def start(self) -> PostgresServer:
        initdb, postgres = require("initdb"), require("postgres")
        drop = self._run_as()
        uid, gid = drop or (None, None)
        groups: list[int] | None = [] if drop else None
        if not self.datadir.exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.log_path.touch()
            if drop:
                os.chown(self.workdir, *drop)
                os.chown(self.log_path, *drop)
            with self.log_path.open("ab") as log:
                subprocess.run(
                    [str(initdb), "-D", str(self.datadir), "-U", self.user, "--auth=trust",
                     "-E", "UTF8", "--no-sync", "--no-instructions"],
                    stdout=log, stderr=log, check=True, cwd=self.workdir, timeout=120,
                    user=uid, group=gid, extra_groups=groups,
                )  # fmt: skip
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(postgres), "-D", str(self.datadir), "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1",
                 "-c", f"unix_socket_directories={self.workdir}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=log, stderr=log, cwd=self.workdir, user=uid, group=gid, extra_groups=groups,
            )  # fmt: skip
        _wait_until(self.ready, self.proc, self.log_path, f"postgres on port {self.port}")
        self._create_database()
        return self

    def ready(self) -> bool:
        isready = require("pg_isready")
        result = subprocess.run(
            [str(isready), "-h", "127.0.0.1", "-p", str(self.port), "-t", "1"],
            capture_output=True,
            check=False,
            timeout=10,
        )
        return result.returncode == 0

    def _create_database(self) -> None:
        import psycopg

        admin = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast shutdown": roll back clients, exit cleanly.
        _stop(self.proc, signal.SIGINT)


def new_workdir(prefix: str) -> Path:
    """A directory under /tmp that an unprivileged server user can be given.

    pytest's own tmp dirs are 0700 under root's, where ``nobody`` cannot reach.
    """
    return Path(tempfile.mkdtemp(prefix=f"mycelium-{prefix}-"))


def remove_workdir(path: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(path)
