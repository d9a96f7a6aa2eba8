"""The Docker daemon, found as the docker CLI finds it, and why it cannot be used.

``DOCKER_HOST`` (with ``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH``) first; else the
context named by ``DOCKER_CONTEXT`` or by ``currentContext`` in ``$DOCKER_CONFIG/config.json``
(default ``~/.docker/config.json``); else the default socket. A daemon that is down or that
refuses the user is one line naming the socket and the fix.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any, Final

import docker
import requests
from docker.context import ContextAPI
from docker.errors import DockerException
from docker.utils import kwargs_from_env

from mycelium.release.remote.transport import FailureKind, TransportError

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_SOCKET: Final = "unix:///var/run/docker.sock"
_MAX_CAUSES: Final = 12


def daemon_params(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``base_url`` and ``tls`` for the daemon the docker CLI would use here."""
    env = dict(os.environ if environ is None else environ)
    try:
        params: dict[str, Any] = dict(kwargs_from_env(environment=env))
        if "base_url" not in params:
            params.update(ContextAPI.kwargs_from_context(environment=env))
    except DockerException as exc:
        source = "DOCKER_HOST" if env.get("DOCKER_HOST") else "the Docker context"
        raise TransportError(
            FailureKind.UNREACHABLE,
            f"cannot tell which Docker daemon to use from {source}: {exc}; fix it or check "
            "with `docker context ls`",
        ) from None
    return params


def where(params: Mapping[str, Any]) -> str:
    """The daemon's address as a person writes it in ``DOCKER_HOST``."""
    url = str(params.get("base_url") or DEFAULT_SOCKET)
    return url.removeprefix("http+")


def open_client(params: Mapping[str, Any], timeout: float) -> docker.DockerClient:
    """A client whose daemon answered, or ``TransportError`` naming the socket and the fix."""
    address = where(params)
    if address.startswith("unix://"):
        _knock(address, timeout)
    try:
        client = docker.DockerClient(**params, timeout=max(1, round(timeout)))
        client.ping()
    except (DockerException, requests.RequestException) as exc:
        raise describe_daemon_error(exc, where(params), timeout) from None
    return client


def _knock(address: str, timeout: float) -> None:
    """Connect to a unix socket and hang up: the SDK leaks the socket of a failed connect."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address.removeprefix("unix://"))
    except OSError as exc:
        raise describe_daemon_error(exc, address, timeout) from None
    finally:
        sock.close()


def describe_daemon_error(exc: BaseException, address: str, timeout: float) -> TransportError:
    """What a failed request to the daemon means for a person, as one line."""
    cause = root_cause(exc)
    hint = (
        "start Docker (`sudo systemctl start docker`, or Docker Desktop), or point "
        "DOCKER_HOST or `docker context use` at a running daemon"
    )
    if isinstance(cause, PermissionError):
        return TransportError(
            FailureKind.AUTH,
            f"the Docker daemon at {address} refused this user (permission denied); add the "
            "user to the docker group (`sudo usermod -aG docker $USER`, then log in again) "
            "or use a rootless daemon",
        )
    if isinstance(cause, FileNotFoundError):
        return TransportError(
            FailureKind.UNREACHABLE, f"no Docker daemon at {address} (no such socket); {hint}"
        )
    if isinstance(cause, ConnectionRefusedError):
        return TransportError(
            FailureKind.UNREACHABLE,
            f"no Docker daemon at {address} (connection refused); {hint}",
        )
    if isinstance(cause, TimeoutError) or isinstance(exc, requests.Timeout):
        return TransportError(
            FailureKind.UNREACHABLE,
            f"the Docker daemon at {address} did not answer within {timeout:g}s",
        )
    return TransportError(
        FailureKind.UNREACHABLE, f"cannot use the Docker daemon at {address}: {cause}; {hint}"
    )


def root_cause(exc: BaseException) -> BaseException:
    """The ``OSError`` under requests' and urllib3's wrappers, else ``exc`` itself."""
    seen: list[BaseException] = [exc]
    index = 0
    while index < len(seen) and len(seen) < _MAX_CAUSES:
        current = seen[index]
        index += 1
        if isinstance(current, OSError) and not isinstance(current, requests.RequestException):
            return current
        nested = [current.__cause__, current.__context__, *current.args]
        seen += [item for item in nested if isinstance(item, BaseException) and item not in seen]
    return exc
