"""The ground truth a benchmark run sets up itself, once, and ends when the run ends.

A throwaway ``redis-server`` and PostgreSQL (when the host has their binaries), a closed
port, a silent listener, and the Docker daemon the docker CLI would use (the user's own
environment and HOME, read only). Each is started on first use, so ``--only`` starts only
what the chosen operations need; a missing binary becomes the reason an operation skips.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.binaries import locate
from mycelium.qa.checklist import CheckSkippedError, QAContext
from mycelium.qa.resources import SilentListener, closed_port, throwaway_redis

if TYPE_CHECKING:
    from collections.abc import Mapping

START_TIMEOUT_S: Final = 30.0
POSTGRES_USER: Final = "mycelium"


class OperationSkippedError(Exception):
    """This host lacks what an operation needs; the message says what."""


@dataclass(frozen=True)
class LocalPostgres:
    port: int
    user: str = POSTGRES_USER


@dataclass
class Ground:
    """Resources shared by every operation of one run (the context's cleanups end them).

    ``outside_env`` and ``outside_home`` are the user's, kept only so that Docker detection
    finds the daemon the docker CLI would use; nothing is ever written there.
    """

    ctx: QAContext
    outside_env: Mapping[str, str]
    outside_home: Path
    _cache: dict[str, object] = field(default_factory=dict)

    @property
    def sandbox(self) -> Path:
        return self.ctx.sandbox

    def scratch(self, name: str) -> Path:
        return self.ctx.scratch(name)

    def console_script(self, name: str) -> Path:
        return self.ctx.console_script(name)

    def redis_port(self) -> int:
        try:
            return throwaway_redis(self.ctx).port
        except CheckSkippedError as exc:
            raise OperationSkippedError(str(exc)) from None

    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port()}/0"

    def postgres(self) -> LocalPostgres:
        if "postgres" not in self._cache:
            self._cache["postgres"] = _throwaway_postgres(self.ctx)
        found = self._cache["postgres"]
        if isinstance(found, OperationSkippedError):
            raise found
        assert isinstance(found, LocalPostgres)  # noqa: S101 - what the cache holds
        return found

    def closed_port(self) -> int:
        if "closed" not in self._cache:
            self._cache["closed"] = closed_port()
        port = self._cache["closed"]
        assert isinstance(port, int)  # noqa: S101 - what the cache holds
        return port

    def silent_port(self) -> int:
        if "silent" not in self._cache:
            started = SilentListener().start()
            self.ctx.cleanups.append(started.stop)
            self._cache["silent"] = started
        listener = self._cache["silent"]
        assert isinstance(listener, SilentListener)  # noqa: S101 - what the cache holds
        return listener.port


def _run_as() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root it runs as ``nobody``."""
    if os.geteuid() != 0:
        return None
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return nobody.pw_uid, nobody.pw_gid


def _throwaway_postgres(ctx: QAContext) -> LocalPostgres | OperationSkippedError:
    """initdb + postgres on a free port in a directory of our own; trust auth, no fsync."""
    initdb, postgres = locate("initdb"), locate("postgres")
    if initdb is None or postgres is None:
        return OperationSkippedError("PostgreSQL's server binaries (initdb, postgres) are absent")
    drop = _run_as()
    if os.geteuid() == 0 and drop is None:
        return OperationSkippedError("running as root and there is no `nobody` user for postgres")
    uid, gid = drop or (None, None)
    groups: list[int] | None = [] if drop else None
    # Not inside the sandbox: that is root's 0700 directory, where `nobody` cannot reach.
    workdir = Path(tempfile.mkdtemp(prefix="mycelium-bench-pg-"))
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
        return OperationSkippedError(f"initdb exited {done.returncode}; see its log in {log}")
    port = closed_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(postgres), "-D", str(data), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={workdir}",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=out, stderr=out, cwd=workdir, user=uid, group=gid, extra_groups=groups,
        )  # fmt: skip
    ctx.cleanups.append(lambda: _stop(proc))
    return _wait_for_postgres(proc, port)


def _wait_for_postgres(
    proc: subprocess.Popen[bytes], port: int
) -> LocalPostgres | OperationSkippedError:
    from mycelium.detection.postgres import probe_postgres  # noqa: PLC0415

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return OperationSkippedError(f"postgres exited with {proc.returncode} at start")
        if probe_postgres(port, user=POSTGRES_USER, timeout_s=1.0).available:
            return LocalPostgres(port)
        time.sleep(0.1)
    return OperationSkippedError(f"postgres did not answer within {START_TIMEOUT_S:g}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    import signal  # noqa: PLC0415

    # SIGINT is PostgreSQL's fast shutdown: roll back clients, exit cleanly.
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
