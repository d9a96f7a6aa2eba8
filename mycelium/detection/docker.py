"""Docker: ``GET /_ping``, ``/version`` and ``/containers/json`` on the daemon's endpoint.

The endpoint is found as the docker CLI finds it: ``$DOCKER_HOST``, else the context named
by ``$DOCKER_CONTEXT`` or ``currentContext`` in ``~/.docker/config.json`` (its
``contexts/meta/<sha256>/meta.json``), else the usual sockets: ``/var/run/docker.sock``,
rootless ``$XDG_RUNTIME_DIR/docker.sock``, Docker Desktop's ``~/.docker/run/docker.sock``
(macOS, Linux) and ``~/.docker/desktop/docker.sock``. In WSL2, Docker Desktop's integration
provides ``/var/run/docker.sock``. We talk HTTP ourselves (``http.client``): the docker SDK
would cost an import of requests for three GET calls.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from mycelium.detection._net import Answer, ClosedError, Deadline, describe_failure, failed
from mycelium.detection.results import ProbeResult, Status
from mycelium.hosts import host_name_problem
from mycelium.redaction import truncate

if TYPE_CHECKING:
    from collections.abc import Mapping

SERVICE: Final = "docker"
DEFAULT_SOCKET: Final = "/var/run/docker.sock"
_MAX_PORT: Final = 65535
API_PREFIX: Final = "/v1.24"  # the oldest API our calls need; every daemon since 2016 serves it


@dataclass(frozen=True)
class DockerEndpoint:
    """Where the daemon should be, and who said so."""

    url: str  # unix:///path or tcp://host:port
    source: str  # "DOCKER_HOST", "context <name>", "default socket", ...

    @property
    def is_unix(self) -> bool:
        return self.url.startswith("unix://")

    @property
    def display(self) -> str:
        return self.url.removeprefix("unix://") if self.is_unix else self.url


def candidate_endpoints(
    environ: Mapping[str, str] | None = None, home: Path | None = None
) -> tuple[tuple[DockerEndpoint, ...], str | None]:
    """The endpoints to try in order, and a problem found on the way (a broken context).

    With ``DOCKER_HOST`` or a context, that endpoint alone: the docker CLI would use it and
    nothing else, so reporting another daemon would mislead.
    """
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME", "~")).expanduser() if home is None else home
    host = env.get("DOCKER_HOST", "").strip()
    if host:
        return (DockerEndpoint(host, "DOCKER_HOST"),), None
    context, problem = _context_endpoint(env, home)
    if context is not None:
        return (context,), None
    sockets: list[DockerEndpoint] = [DockerEndpoint(f"unix://{DEFAULT_SOCKET}", "default socket")]
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        sockets.append(DockerEndpoint(f"unix://{runtime}/docker.sock", "rootless socket"))
    sockets.append(
        DockerEndpoint(f"unix://{home / '.docker/run/docker.sock'}", "Docker Desktop socket")
    )
    sockets.append(
        DockerEndpoint(f"unix://{home / '.docker/desktop/docker.sock'}", "Docker Desktop socket")
    )
    return tuple(sockets), problem


def _context_endpoint(
    env: Mapping[str, str], home: Path
) -> tuple[DockerEndpoint | None, str | None]:
    config_dir = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"
    name = env.get("DOCKER_CONTEXT", "").strip()
    if not name:
        try:
            config = json.loads((config_dir / "config.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None, None
        name = str(config.get("currentContext", "") or "") if isinstance(config, dict) else ""
    if not name or name == "default":
        return None, None
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta_path = config_dir / "contexts" / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        url = str(meta["Endpoints"]["docker"]["Host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, f"docker context {name!r} has no readable endpoint in {meta_path}"
    return DockerEndpoint(url, f"context {name}"), None


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, deadline: Deadline) -> None:
        super().__init__("localhost", timeout=deadline.remaining())
        self._path = path
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._deadline.remaining())
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class UnexpectedAnswerError(Exception):
    """The daemon answered in JSON of another shape than the Engine API's."""


def tcp_address(url: str) -> tuple[str, int]:
    """Host and port of a ``tcp://`` or ``http://`` endpoint.

    Raises:
        ValueError: the URL is malformed or its port is not 1–65535; the text says which.
    """
    bad_port = f"its port is not a number from 1 to {_MAX_PORT}"
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("not a valid URL (an IPv6 address needs its closing ']')") from None
    try:
        port = parts.port
    except ValueError:
        raise ValueError(bad_port) from None
    if port is not None and not 1 <= port <= _MAX_PORT:
        raise ValueError(bad_port)
    host = parts.hostname or "127.0.0.1"
    problem = host_name_problem(host)
    if problem is not None:
        raise ValueError(problem)
    if host == "localhost":
        host = "127.0.0.1"  # skip the IPv6-first lookup
    return host, port or 2375


def _connection(endpoint: DockerEndpoint, deadline: Deadline) -> http.client.HTTPConnection:
    if endpoint.is_unix:
        return _UnixHTTPConnection(endpoint.display, deadline)
    host, port = tcp_address(endpoint.url)
    return http.client.HTTPConnection(host, port, timeout=deadline.remaining())


def _get(conn: http.client.HTTPConnection, path: str, deadline: Deadline) -> tuple[int, bytes]:
    status, _, body = _get_with_headers(conn, path, deadline)
    return status, body


def _get_with_headers(
    conn: http.client.HTTPConnection, path: str, deadline: Deadline
) -> tuple[int, http.client.HTTPMessage, bytes]:
    if conn.sock is not None:
        conn.sock.settimeout(deadline.remaining())
    conn.request("GET", path, headers={"Host": "docker", "User-Agent": "mycelium-detect"})
    if conn.sock is not None:
        conn.sock.settimeout(deadline.remaining())
    response = conn.getresponse()
    return response.status, response.headers, response.read(1 << 20)


def _ping_facts(headers: http.client.HTTPMessage) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """Version and API version from /_ping's headers (``Server: Docker/27.3.1 (linux)``).

    ``GET /version`` would say the same, but the daemon runs ``runc --version`` and friends
    to answer it: 10 ms where /_ping takes one.
    """
    server = headers.get("Server", "")
    version = None
    if server.startswith("Docker/"):
        version = server.removeprefix("Docker/").split(" ", 1)[0] or None
    details: list[tuple[str, str]] = []
    if headers.get("Api-Version"):
        details.append(("api_version", headers["Api-Version"]))
    if headers.get("Ostype"):
        details.append(("os", headers["Ostype"]))
    return version, tuple(details)


def probe_docker(
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    timeout_s: float = 0.25,
) -> ProbeResult:
    """Try each candidate endpoint in turn; the first daemon that answers wins."""
    env = os.environ if environ is None else environ
    deadline = Deadline(timeout_s)
    endpoints, problem = candidate_endpoints(env, home)
    first_failure: ProbeResult | None = None
    for endpoint in endpoints:
        if endpoint.is_unix and len(endpoints) > 1 and not Path(endpoint.display).exists():
            continue
        outcome = _probe_endpoint(endpoint, deadline, env)
        if outcome.available:
            return outcome
        first_failure = first_failure or outcome
    if first_failure is not None:
        return first_failure
    looked = ", ".join(e.display for e in endpoints)
    reason = f"no Docker socket found (looked at {looked}); set DOCKER_HOST if it is elsewhere"
    if problem:
        reason = f"{problem}; {reason}"
    return ProbeResult(
        service=SERVICE,
        status=Status.NOT_LISTENING,
        endpoint=endpoints[0].display,
        latency_ms=deadline.elapsed_ms(),
        reason=reason,
    )


def _not_probed(endpoint: DockerEndpoint, env: Mapping[str, str]) -> tuple[Status, str] | None:
    scheme = endpoint.url.split("://", 1)[0] if "://" in endpoint.url else ""
    if scheme not in {"unix", "tcp", "http"}:
        return (
            Status.UNSUPPORTED,
            (
                f"{endpoint.source} is {endpoint.url}: {scheme or 'this'}:// endpoints are "
                "not probed; check with `docker version`"
            ),
        )
    if scheme == "tcp" and env.get("DOCKER_TLS_VERIFY"):
        return (
            Status.UNSUPPORTED,
            (
                f"{endpoint.display} needs TLS client certificates (DOCKER_TLS_VERIFY); "
                "check with `docker version`"
            ),
        )
    return None


def _probe_endpoint(  # noqa: PLR0911 - one return per way a daemon check can end
    endpoint: DockerEndpoint, deadline: Deadline, env: Mapping[str, str]
) -> ProbeResult:
    answer = Answer(SERVICE, endpoint.display, None, deadline)
    refused = _not_probed(endpoint, env)
    if refused is not None:
        return answer(*refused)
    try:
        conn = _connection(endpoint, deadline)
    except ValueError as exc:
        return answer(
            Status.ERROR,
            reason=f"{endpoint.source} is {truncate(endpoint.url)!r}: {exc}; fix it "
            "(tcp://127.0.0.1:2375 or unix:///var/run/docker.sock) or unset it",
        )
    try:
        status, headers, body = _get_with_headers(conn, "/_ping", deadline)
        if status != http.client.OK or body.strip() != b"OK":
            return answer(
                Status.WRONG_PROTOCOL,
                reason=f"{endpoint.display} answered GET /_ping with HTTP {status}, "
                "not a Docker daemon's OK",
            )
        version, details = _ping_facts(headers)
        if version is None:
            version, details = _version(conn, deadline)
        published, note = _published(conn, deadline)
    except (OSError, ClosedError, http.client.HTTPException) as exc:
        if isinstance(exc, http.client.HTTPException) and not isinstance(
            exc, http.client.RemoteDisconnected
        ):
            return answer(
                Status.WRONG_PROTOCOL,
                reason=f"{endpoint.display} did not answer in HTTP ({type(exc).__name__})",
            )
        if isinstance(exc, http.client.RemoteDisconnected):
            exc = ClosedError()
        result = failed(SERVICE, endpoint.display, exc, deadline)
        if isinstance(exc, PermissionError):
            reason = describe_failure(exc, endpoint.display, deadline)
            return answer(
                Status.ERROR,
                reason=f"{reason}; add your user to the docker group (then log in again)",
            )
        return result
    finally:
        conn.close()
    details += (("source", endpoint.source),)
    if published is not None:
        details += (("published_ports", ",".join(str(p) for p in sorted(published))),)
    return answer(Status.AVAILABLE, reason=note, version=version, details=details)


def _published(
    conn: http.client.HTTPConnection, deadline: Deadline
) -> tuple[frozenset[int] | None, str | None]:
    """Published ports; the daemon already answered /_ping, so a slow or unexpected answer
    here leaves them unknown instead of making Docker look absent."""
    try:
        return _published_ports(conn, deadline), None
    except UnexpectedAnswerError:
        return None, (
            f"unexpected answer to GET {API_PREFIX}/containers/json (not the Engine API's "
            "shape); published ports unknown"
        )
    except (OSError, ClosedError, http.client.HTTPException):
        return None, None


def _version(
    conn: http.client.HTTPConnection, deadline: Deadline
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    try:
        status, body = _get(conn, f"{API_PREFIX}/version", deadline)
    except (OSError, ClosedError, http.client.HTTPException):
        return None, ()  # /_ping answered: Docker is there, its version is unknown
    if status != http.client.OK:
        return None, ()
    try:
        data = json.loads(body)
    except ValueError:
        return None, ()
    if not isinstance(data, dict):
        return None, ()
    details: list[tuple[str, str]] = []
    for key, label in (("ApiVersion", "api_version"), ("Os", "os"), ("Arch", "arch")):
        if data.get(key):
            details.append((label, str(data[key])))
    platform = data.get("Platform")
    if isinstance(platform, dict) and platform.get("Name"):
        details.append(("platform", str(platform["Name"])))
    version = data.get("Version")
    return (str(version) if version else None), tuple(details)


def _published_ports(conn: http.client.HTTPConnection, deadline: Deadline) -> frozenset[int] | None:
    """Host ports that running containers publish, to tell native from containerised."""
    status, body = _get(conn, f"{API_PREFIX}/containers/json", deadline)
    if status != http.client.OK:
        return None
    try:
        containers = json.loads(body)
    except ValueError:
        return None
    # Whatever answers on a Docker socket may send any JSON: every shape is checked.
    if not isinstance(containers, list):
        raise UnexpectedAnswerError
    ports: set[int] = set()
    for container in containers:
        listed = container.get("Ports") if isinstance(container, dict) else None
        if not isinstance(listed, list):
            raise UnexpectedAnswerError
        for port in listed:
            public = port.get("PublicPort") if isinstance(port, dict) else "?"
            if public is None:
                continue  # exposed, not published
            if not isinstance(public, int) or isinstance(public, bool):
                raise UnexpectedAnswerError
            ports.add(public)
    return frozenset(ports)


def published_ports(result: ProbeResult) -> frozenset[int]:
    raw = dict(result.details).get("published_ports", "")
    return frozenset(int(p) for p in raw.split(",") if p)
