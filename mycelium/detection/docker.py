"""Docker: ``GET /_ping``, ``/version`` and ``/containers/json`` on the daemon's endpoint.

The endpoint is found as the docker CLI finds it: ``$DOCKER_HOST``, else the context named
by ``$DOCKER_CONTEXT`` or ``currentContext`` in ``~/.docker/config.json`` (its
``contexts/meta/<sha256>/meta.json``), else the usual sockets: ``/var/run/docker.sock``,
rootless ``$XDG_RUNTIME_DIR/docker.sock``, Docker Desktop's ``~/.docker/run/docker.sock``
(macOS, Linux) and ``~/.docker/desktop/docker.sock``. In WSL2, Docker Desktop's integration
provides ``/var/run/docker.sock``. We talk HTTP ourselves (``http.client``): the docker SDK
would cost an import of requests for three GET calls, and ``http.client`` itself loads only
when there is an endpoint to ask (``docker_api``): without Docker, a scan never pays for it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from mycelium.detection._net import Answer, Deadline
from mycelium.detection.results import ProbeResult, Status
from mycelium.hosts import host_name_problem
from mycelium.redaction import truncate

if TYPE_CHECKING:
    from collections.abc import Mapping

SERVICE: Final = "docker"
DEFAULT_SOCKET: Final = "/var/run/docker.sock"
_MAX_PORT: Final = 65535


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
    import hashlib  # noqa: PLC0415 - only a named context needs it

    digest = hashlib.sha256(name.encode()).hexdigest()
    meta_path = config_dir / "contexts" / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        url = str(meta["Endpoints"]["docker"]["Host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, f"docker context {name!r} has no readable endpoint in {meta_path}"
    return DockerEndpoint(url, f"context {name}"), None


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


def _probe_endpoint(
    endpoint: DockerEndpoint, deadline: Deadline, env: Mapping[str, str]
) -> ProbeResult:
    answer = Answer(SERVICE, endpoint.display, None, deadline)
    refused = _not_probed(endpoint, env)
    if refused is not None:
        return answer(*refused)
    address: str | tuple[str, int] = endpoint.display
    if not endpoint.is_unix:
        try:
            address = tcp_address(endpoint.url)
        except ValueError as exc:
            return answer(
                Status.ERROR,
                reason=f"{endpoint.source} is {truncate(endpoint.url)!r}: {exc}; fix it "
                "(tcp://127.0.0.1:2375 or unix:///var/run/docker.sock) or unset it",
            )
    from mycelium.detection.docker_api import ask_daemon  # noqa: PLC0415 - see the docstring

    return ask_daemon(address, answer, source=endpoint.source)


def published_ports(result: ProbeResult) -> frozenset[int]:
    raw = dict(result.details).get("published_ports", "")
    return frozenset(int(p) for p in raw.split(",") if p)
