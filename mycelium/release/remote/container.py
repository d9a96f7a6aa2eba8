"""Container hosts: commands and files inside a Docker container, through the Docker SDK.

``ansible_connection: community.docker.docker`` (or ``docker``) names a running container by
``ansible_host``, as Ansible reads it. With ``mycelium_image`` a fresh container of that
image is started for the run (on the ``mycelium_network`` network, ``none`` by default) and
removed with its anonymous volumes when the transport closes, whatever happened; an image
the daemon lacks is a ``FailureKind.IMAGE`` failure carrying the pull command.

Commands run through exec and are bounded as over SSH: the container's own ``timeout(1)``
stops a command at its timeout, and should that not happen the client gives up a little
later and kills the command's process group from a second exec. Files travel through the
archive endpoints (``PUT``/``GET /containers/{id}/archive``): no bind mount, so a remote
daemon works too.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
import re
import select
import shlex
import struct
import tarfile
import tempfile
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Final

import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from mycelium.release.remote.docker_daemon import (
    daemon_params,
    describe_daemon_error,
    open_client,
    where,
)
from mycelium.release.remote.transport import (
    TIMEOUT_EXIT_CODES,
    CommandResult,
    FailureKind,
    SSHOptions,
    TransportError,
    timed_out,
    with_kill_timeout,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from docker.models.containers import Container

    from mycelium.release.fleet.inventory import Host

log = logging.getLogger("mycelium")

LABEL: Final = "org.mycelium.qa"  # every container a run starts: `docker ps -a --filter label=`
CLIENT_GRACE_S: Final = 10.0  # past the container's own timeout(1), the client gives up
# The first line each command writes to stderr: its pid, to kill it from another exec.
_PID_TAG: Final = "mycelium-exec-pid:"
_PID_LINE: Final = re.compile(rb"^mycelium-exec-pid:(\d+)\n")
_FRAME_HEADER: Final = struct.Struct(">BxxxL")
_STDOUT, _STDERR = 1, 2
_SPOOL_BYTES: Final = 8 * 1024 * 1024
_KEEP_ALIVE: Final = ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"]


def container_name_for(alias: str) -> str:
    """A Docker name for a fresh container of ``alias``: its plain characters and a nonce."""
    plain = re.sub(r"[^A-Za-z0-9_.-]", "-", alias).lstrip("._-")[:60] or "host"
    return f"mycelium-qa-{plain}-{uuid.uuid4().hex[:8]}"


class ContainerTransport:
    """One container: an existing one, or (``mycelium_image``) a fresh one removed on close."""

    def __init__(self, host: Host, options: SSHOptions) -> None:
        self.name = host.name
        self._user = host.user or ""
        self._transfer_timeout = options.transfer_timeout
        self._lock = threading.Lock()
        self._running: dict[str, int | None] = {}  # exec id → pid in the container
        self._interrupted: set[str] = set()  # exec ids Ctrl-C stopped
        self._owner: tuple[str, str] | None = None  # uid, gid of ansible_user
        params = daemon_params()
        self._where = where(params)
        self._client = open_client(params, options.connect_timeout)
        self._client.api.timeout = max(1, round(options.transfer_timeout))
        self._fresh = host.image is not None
        try:
            if host.image is not None:
                self._container = self._start(host, host.image)
            else:
                self._container = self._existing(str(host.vars.get("ansible_host", host.name)))
        except BaseException:
            self._client.close()
            raise
        self._id = str(self._container.id)

    @property
    def container_name(self) -> str:
        return str(self._container.name)

    def _existing(self, name: str) -> Container:
        try:
            container = self._client.containers.get(name)
        except NotFound:
            raise TransportError(
                FailureKind.UNREACHABLE,
                f"no container named {name} on the Docker daemon at {self._where}; start it, "
                "or give the host a mycelium_image to start a fresh one per run",
            ) from None
        except (DockerException, requests.RequestException) as exc:
            raise self._daemon_error(exc) from None
        if container.status != "running":
            raise TransportError(
                FailureKind.UNREACHABLE,
                f"container {name} is {container.status}, not running; `docker start {name}`",
            )
        return container

    def _start(self, host: Host, image: str) -> Container:
        try:
            self._client.images.get(image)
        except ImageNotFound:
            raise TransportError(
                FailureKind.IMAGE,
                f"image {image} is not on the Docker daemon at {self._where}; pull it with "
                f"`docker pull {shlex.quote(image)}`",
            ) from None
        except (DockerException, requests.RequestException) as exc:
            raise self._daemon_error(exc) from None
        name = container_name_for(host.name)
        try:
            container = self._client.containers.create(
                image,
                entrypoint=_KEEP_ALIVE,
                command=[],
                name=name,
                hostname=re.sub(r"[^a-z0-9-]", "-", host.name.lower()).strip("-")[:63] or "host",
                labels={LABEL: "1", f"{LABEL}.host": host.name},
                network_mode=host.settings.mycelium_network,
                detach=True,
                stdin_open=False,
                tty=False,
            )
        except (DockerException, requests.RequestException) as exc:
            raise self._daemon_error(exc, f"cannot create a container of {image}") from None
        try:
            container.start()
        except BaseException as exc:
            self._remove(container)
            if isinstance(exc, DockerException | requests.RequestException):
                raise self._daemon_error(exc, f"cannot start a container of {image}") from None
            raise
        log.debug("%s: started container %s of %s", host.name, name, image)
        return container

    def _daemon_error(self, exc: BaseException, what: str = "") -> TransportError:
        if isinstance(exc, APIError) and exc.response is not None:
            explanation = exc.explanation or str(exc)
            return TransportError(
                FailureKind.UNREACHABLE, f"{what or 'the Docker daemon refused'}: {explanation}"
            )
        return describe_daemon_error(exc, self._where, self._transfer_timeout)

    # -- commands ------------------------------------------------------------------------

    def run(self, command: str, *, timeout: float) -> CommandResult:
        script = f'echo "{_PID_TAG}$$" >&2; {with_kill_timeout(command, timeout)}'
        api = self._client.api
        try:
            exec_id = api.exec_create(
                self._id,
                ["/bin/sh", "-c", script],
                stdout=True,
                stderr=True,
                stdin=False,
                tty=False,
                user=self._user,
            )["Id"]
            sock = api.exec_start(exec_id, socket=True)
        except (DockerException, requests.RequestException) as exc:
            raise self._lost(exc) from None
        with self._lock:
            self._running[exec_id] = None
        try:
            stdout, stderr, finished = self._read(exec_id, sock, timeout + CLIENT_GRACE_S)
        finally:
            with self._lock:
                pid = self._running.pop(exec_id, None)
            _close_stream(sock)
        stderr = _PID_LINE.sub(b"", stderr, count=1)
        out, err = stdout.decode(errors="replace"), stderr.decode(errors="replace")
        if exec_id in self._interrupted:
            self._kill(pid)
            return CommandResult(130, out, err + "\ninterrupted")
        if not finished:
            self._kill(pid)
            raise timed_out(timeout)
        rc = self._exit_code(exec_id)
        if rc in TIMEOUT_EXIT_CODES:
            raise timed_out(timeout)
        return CommandResult(rc, out, err)

    def _read(self, exec_id: str, sock: Any, budget: float) -> tuple[bytes, bytes, bool]:
        """Demultiplex the exec's stream until it ends, the budget is spent, or Ctrl-C."""
        raw = getattr(sock, "_sock", sock)
        deadline = time.monotonic() + budget
        buffer = bytearray()
        streams = {_STDOUT: bytearray(), _STDERR: bytearray()}
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or exec_id in self._interrupted:
                return bytes(streams[_STDOUT]), bytes(streams[_STDERR]), False
            ready, _, _ = select.select([raw], [], [], min(remaining, 0.5))
            if not ready:
                continue
            try:
                chunk = raw.recv(65536)
            except OSError as exc:
                raise TransportError(
                    FailureKind.CONNECTION_LOST, f"the Docker daemon at {self._where}: {exc}"
                ) from None
            if not chunk:
                return bytes(streams[_STDOUT]), bytes(streams[_STDERR]), True
            buffer += chunk
            while len(buffer) >= _FRAME_HEADER.size:
                kind, size = _FRAME_HEADER.unpack_from(buffer)
                if len(buffer) < _FRAME_HEADER.size + size:
                    break
                data = bytes(buffer[_FRAME_HEADER.size : _FRAME_HEADER.size + size])
                del buffer[: _FRAME_HEADER.size + size]
                streams.get(kind, streams[_STDERR]).extend(data)
            if streams[_STDERR]:
                self._note_pid(exec_id, streams[_STDERR])

    def _note_pid(self, exec_id: str, stderr: bytearray) -> None:
        with self._lock:
            if self._running.get(exec_id, 0) is None:
                match = _PID_LINE.match(bytes(stderr[:64]))
                if match:
                    self._running[exec_id] = int(match.group(1))

    def _exit_code(self, exec_id: str) -> int:
        # The stream ends as the process exits; the daemon may record the code a moment later.
        for _ in range(50):
            try:
                info = self._client.api.exec_inspect(exec_id)
            except (DockerException, requests.RequestException) as exc:
                raise self._lost(exc) from None
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            time.sleep(0.1)
        raise TransportError(
            FailureKind.CONNECTION_LOST, "the Docker daemon never gave the command's exit code"
        )

    def _kill(self, pid: int | None) -> None:
        """Kill a command's process group (timeout(1) leads one) from a second exec."""
        if pid is None:
            return
        kill = f"kill -KILL -- -{pid} 2>/dev/null || kill -KILL {pid} 2>/dev/null; true"
        try:
            api = self._client.api
            exec_id = api.exec_create(self._id, ["/bin/sh", "-c", kill], user="root")
            api.exec_start(exec_id["Id"])
        except (DockerException, requests.RequestException) as exc:
            log.debug("%s: killing pid %d failed: %s", self.name, pid, exc)

    def _lost(self, exc: BaseException) -> TransportError:
        if isinstance(exc, NotFound):
            return TransportError(
                FailureKind.CONNECTION_LOST, f"container {self.container_name} is gone"
            )
        if isinstance(exc, APIError) and exc.status_code == 409:  # noqa: PLR2004 - Conflict
            return TransportError(
                FailureKind.CONNECTION_LOST,
                f"container {self.container_name} stopped: {exc.explanation}",
            )
        if isinstance(exc, requests.Timeout):
            return TransportError(
                FailureKind.TIMEOUT,
                f"the Docker daemon at {self._where} did not answer within "
                f"{self._transfer_timeout:g}s",
            )
        lost = describe_daemon_error(exc, self._where, self._transfer_timeout)
        return TransportError(FailureKind.CONNECTION_LOST, f"connection lost: {lost}")

    def interrupt(self) -> None:
        """Ctrl-C: every command running now is killed and returns at once (the clean-up
        commands that follow run as usual)."""
        with self._lock:
            self._interrupted.update(self._running)
            pids = list(self._running.values())
        for pid in pids:
            self._kill(pid)

    # -- files ---------------------------------------------------------------------------

    def put(self, local: Path, remote: str) -> None:
        directory, base = posixpath.split(remote)
        if not base:
            raise IsADirectoryError(f"{remote}: a file name is needed")
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            with tarfile.open(fileobj=spool, mode="w") as tar:
                info = tar.gettarinfo(str(local), arcname=base)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o644
                with local.open("rb") as handle:
                    tar.addfile(info, handle)
            spool.seek(0)
            try:
                self._client.api.put_archive(self._id, directory or "/", spool)
            except NotFound:
                raise FileNotFoundError(
                    f"{directory}: no such directory in container {self.container_name}"
                ) from None
            except (DockerException, requests.RequestException) as exc:
                raise self._lost(exc) from None
        if self._user not in {"", "root", "0"}:
            self._chown(remote)

    def _chown(self, remote: str) -> None:
        """The archive endpoint writes files as root; ``ansible_user`` must own its uploads."""
        if self._owner is None:
            ids = self.run("id -u; id -g", timeout=30)
            uid, gid = [*ids.stdout.split(), "", ""][:2]
            if ids.rc != 0 or not uid.isdigit() or not gid.isdigit():
                raise PermissionError(f"cannot tell the ids of user {self._user}: {ids.stderr}")
            self._owner = (uid, gid)
        uid, gid = self._owner
        try:
            api = self._client.api
            exec_id = api.exec_create(
                self._id, ["chown", f"{uid}:{gid}", "--", remote], user="root"
            )["Id"]
            api.exec_start(exec_id)
        except (DockerException, requests.RequestException) as exc:
            raise self._lost(exc) from None

    def get(self, remote: str, local: Path) -> None:
        try:
            stream, _stat = self._client.api.get_archive(self._id, remote)
        except NotFound:
            raise FileNotFoundError(
                f"{remote}: no such file in container {self.container_name}"
            ) from None
        except (DockerException, requests.RequestException) as exc:
            raise self._lost(exc) from None
        local.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            try:
                for chunk in stream:
                    spool.write(chunk)
            except (DockerException, requests.RequestException) as exc:
                raise self._lost(exc) from None
            spool.seek(0)
            with tarfile.open(fileobj=spool, mode="r") as tar:
                member = next(iter(tar), None)
                # Only the file asked for, written where we say: never a path from the archive.
                if member is None or not member.isreg():
                    raise IsADirectoryError(f"{remote}: not a regular file")
                source = tar.extractfile(member)
                if source is None:
                    raise FileNotFoundError(remote)
                with _replacing(local) as target:
                    while block := source.read(1024 * 1024):
                        target.write(block)

    # -- end -----------------------------------------------------------------------------

    def close(self) -> None:
        """Remove the fresh container (and its anonymous volumes); never raises."""
        if self._fresh:
            self._remove(self._container)
        with contextlib.suppress(Exception):
            self._client.close()

    def _remove(self, container: Container) -> None:
        try:
            container.remove(force=True, v=True)
        except NotFound:
            pass
        except (DockerException, requests.RequestException) as exc:
            log.warning(
                "warning: %s: container %s could not be removed (%s); remove it with "
                "`docker rm -f -v %s`",
                self.name,
                container.name,
                exc,
                container.name,
            )
        else:
            log.debug("%s: removed container %s", self.name, container.name)


def _close_stream(sock: Any) -> None:
    """Close an exec's hijacked connection: the socket, not only its file wrapper."""
    for item in (sock, getattr(sock, "_sock", None)):
        if item is not None:
            with contextlib.suppress(OSError):
                item.close()


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Any]:
    """A file written beside ``path`` and moved over it only once complete."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with temp.open("wb") as handle:
            yield handle
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)
