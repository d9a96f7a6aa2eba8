"""The Docker Engine API over ``http.client``: ``GET /_ping``, ``/version`` and
``/containers/json`` on an endpoint ``docker.py`` found.

Apart from ``docker.py`` so that ``http.client`` (and the ``email`` package it loads) is
imported only when there is an endpoint to ask.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import TYPE_CHECKING, Final

from mycelium.detection._net import ClosedError, describe_failure, failed
from mycelium.detection.results import Status

if TYPE_CHECKING:
    from mycelium.detection._net import Answer, Deadline
    from mycelium.detection.results import ProbeResult

API_PREFIX: Final = "/v1.24"  # the oldest API our calls need; every daemon since 2016 serves it


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


def _connection(address: str | tuple[str, int], deadline: Deadline) -> http.client.HTTPConnection:
    if isinstance(address, str):
        return _UnixHTTPConnection(address, deadline)
    host, port = address
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


def ask_daemon(address: str | tuple[str, int], answer: Answer, *, source: str) -> ProbeResult:
    """Ask the daemon at ``address`` (a socket path, or host and port) and say what it is.

    ``answer`` carries the service, the endpoint as shown and the deadline.
    """
    deadline = answer.deadline
    display = answer.endpoint
    conn = _connection(address, deadline)
    try:
        status, headers, body = _get_with_headers(conn, "/_ping", deadline)
        if status != http.client.OK or body.strip() != b"OK":
            return answer(
                Status.WRONG_PROTOCOL,
                reason=f"{display} answered GET /_ping with HTTP {status}, "
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
                reason=f"{display} did not answer in HTTP ({type(exc).__name__})",
            )
        if isinstance(exc, http.client.RemoteDisconnected):
            exc = ClosedError()
        result = failed(answer.service, display, exc, deadline)
        if isinstance(exc, PermissionError):
            reason = describe_failure(exc, display, deadline)
            return answer(
                Status.ERROR,
                reason=f"{reason}; add your user to the docker group (then log in again)",
            )
        return result
    finally:
        conn.close()
    details += (("source", source),)
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
