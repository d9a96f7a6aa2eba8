"""Detection against real servers on loopback: each probe speaks the service's protocol."""

from __future__ import annotations

import http.server
import json
import socket
import socketserver
import subprocess
import threading
from typing import TYPE_CHECKING

from mycelium.detection import InfraDetector, RunsIn, Status, Targets
from mycelium.qa.resources import SilentListener
from tests.integration.docker_daemon import docker_version
from tests.integration.servers import free_port

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

    from tests.integration.docker_daemon import DockerDaemon
    from tests.integration.servers import PostgresServer, RedisServer

# Generous for a loaded CI machine; the silent-listener tests use the real default.
SLOW_OK = 5.0


def detector(**targets: object) -> InfraDetector:
    return InfraDetector(Targets(**targets), timeout_s=SLOW_OK)  # type: ignore[arg-type]


def redis_version() -> str:
    out = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return out.split("v=")[1].split()[0]


def test_a_running_redis_is_available_with_its_version(redis_server: RedisServer) -> None:
    result = detector(redis_port=redis_server.port).detect_redis()
    assert result.available
    assert result.status is Status.AVAILABLE
    assert result.endpoint == f"127.0.0.1:{redis_server.port}"
    assert result.version == redis_version()
    assert result.reason is None
    assert result.latency_ms > 0


def test_a_stopped_redis_is_connection_refused(
    make_redis: Callable[..., RedisServer],
) -> None:
    server = make_redis()
    server.stop()
    result = detector(redis_port=server.port).detect_redis()
    assert not result.available
    assert result.status is Status.NOT_LISTENING
    assert result.reason == f"connection refused on 127.0.0.1:{server.port}"


def test_a_password_protected_redis_says_noauth(make_redis: Callable[..., RedisServer]) -> None:
    server = make_redis(password="s3cret")
    result = detector(redis_port=server.port).detect_redis()
    assert not result.available
    assert result.status is Status.AUTH_REQUIRED
    assert result.reason == "Redis answered NOAUTH: a password is set"


def test_a_password_protected_redis_is_available_with_the_password(
    make_redis: Callable[..., RedisServer],
) -> None:
    server = make_redis(password="s3cret")
    ok = detector(redis_port=server.port, redis_password="s3cret").detect_redis()
    assert ok.available
    assert ok.version == redis_version()
    wrong = detector(redis_port=server.port, redis_password="nope").detect_redis()
    assert wrong.status is Status.AUTH_REQUIRED
    assert wrong.reason == "Redis refused the configured password (WRONGPASS)"


def test_a_listener_that_never_answers_costs_the_timeout_and_says_so(
    silent_listener: SilentListener,
) -> None:
    port = silent_listener.port
    probes = InfraDetector(
        Targets(redis_port=port, postgres_port=port, temporal_port=port), timeout_s=0.25
    )
    for result in (probes.detect_redis(), probes.detect_postgres(), probes.detect_temporal()):
        assert result.status is Status.NO_ANSWER, result
        assert result.reason == f"no answer within 250 ms on 127.0.0.1:{port}"
        assert result.status.port_taken_by_other


def test_redis_on_the_postgres_port_is_not_taken_for_postgres(
    redis_server: RedisServer, postgres_server: PostgresServer
) -> None:
    probes = InfraDetector(
        Targets(redis_port=postgres_server.port, postgres_port=redis_server.port),
        timeout_s=1.0,
    )
    redis_probe = probes.detect_redis()
    assert redis_probe.status is Status.WRONG_PROTOCOL
    assert not probes.detect_postgres().available


def test_a_running_postgres_is_accepting_with_its_version(
    postgres_server: PostgresServer,
) -> None:
    result = detector(postgres_port=postgres_server.port).detect_postgres()
    assert result.available
    assert result.version is not None
    assert result.version.split(".")[0] == "15"
    assert dict(result.details)["ssl"] == "not offered"


def test_postgres_with_an_unknown_role_is_accepting_without_a_version(
    postgres_server: PostgresServer,
) -> None:
    result = detector(
        postgres_port=postgres_server.port, postgres_user="nobody_here"
    ).detect_postgres()
    assert result.available
    assert result.version is None
    assert result.reason is not None
    assert 'role "nobody_here" does not exist' in result.reason


def test_a_stopped_postgres_is_connection_refused() -> None:
    port = free_port()
    result = detector(postgres_port=port).detect_postgres()
    assert result.status is Status.NOT_LISTENING
    assert result.reason == f"connection refused on 127.0.0.1:{port}"


def test_temporal_probe_tells_a_redis_from_a_grpc_server(redis_server: RedisServer) -> None:
    result = detector(temporal_port=redis_server.port).detect_temporal()
    assert result.status is Status.WRONG_PROTOCOL
    assert result.reason == (
        f"127.0.0.1:{redis_server.port} answered, but not as an HTTP/2 (gRPC) server"
    )


def test_a_real_docker_daemon_answers_through_docker_host(
    docker_daemon: DockerDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_daemon.url)
    result = InfraDetector(timeout_s=SLOW_OK).detect_docker()
    assert result.available, result.reason
    assert result.endpoint == str(docker_daemon.socket_path)
    assert result.version == docker_version(docker_daemon)
    details = dict(result.details)
    assert details["source"] == "DOCKER_HOST"
    assert details["api_version"]
    assert details["published_ports"] == ""


def test_the_current_docker_context_is_followed(
    docker_daemon: DockerDaemon, isolated_home: Path
) -> None:
    import hashlib
    import json

    docker_dir = isolated_home / ".docker"
    meta = docker_dir / "contexts" / "meta" / hashlib.sha256(b"ci").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": "ci", "Endpoints": {"docker": {"Host": docker_daemon.url}}})
    )
    (docker_dir / "config.json").write_text(json.dumps({"currentContext": "ci"}))
    result = InfraDetector(timeout_s=SLOW_OK).detect_docker()
    assert result.available, result.reason
    assert dict(result.details)["source"] == "context ci"


def test_docker_host_where_nothing_listens_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nothing.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{missing}")
    result = InfraDetector().detect_docker()
    assert result.status is Status.NOT_LISTENING
    assert result.reason == f"no socket at {missing}"

    # A socket file whose owner is gone: connection refused.
    dead = tmp_path / "dead.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(dead))
    sock.close()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{dead}")
    result = InfraDetector().detect_docker()
    assert result.status is Status.NOT_LISTENING
    assert result.reason == f"connection refused on {dead}"


def test_docker_host_on_a_silent_socket_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = SilentListener(unix_path=tmp_path / "silent.sock").start()
    try:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{listener.unix_path}")
        result = InfraDetector(timeout_s=0.25).detect_docker()
    finally:
        listener.stop()
    assert result.status is Status.NO_ANSWER
    assert result.reason == f"no answer within 250 ms on {listener.unix_path}"


def test_docker_host_on_tcp_to_a_redis_is_not_a_daemon(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{redis_server.port}")
    result = InfraDetector(timeout_s=SLOW_OK).detect_docker()
    assert not result.available
    assert result.status in {Status.WRONG_PROTOCOL, Status.NO_ANSWER}


def test_scan_all_runs_every_probe_once_per_session(
    redis_server: RedisServer,
    postgres_server: PostgresServer,
    docker_daemon: DockerDaemon,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_daemon.url)
    probes = detector(
        redis_port=redis_server.port,
        postgres_port=postgres_server.port,
        temporal_port=free_port(),
    )
    scan = probes.scan_all()
    assert scan.docker.available
    assert scan.redis.available
    assert scan.postgres.available
    assert scan.temporal.status is Status.NOT_LISTENING
    assert scan.redis.runs_in is RunsIn.NATIVE
    assert scan.postgres.runs_in is RunsIn.NATIVE
    assert scan.platform.os == "Linux"
    assert probes.scan_all() is scan
    assert probes.scan_all(refresh=True) is not scan


class _FakeDockerAPI(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def _fake_docker(path: Path, published: list[int]) -> _FakeDockerAPI:
    """A Docker API double on a unix socket whose containers publish ``published``.

    The real dockerd here runs with --bridge=none, so it cannot publish ports; this double
    answers /_ping like it and lists containers as Docker Desktop would.
    """
    body = json.dumps(
        [{"Ports": [{"PrivatePort": 6379, "PublicPort": p, "Type": "tcp"} for p in published]}]
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            payload = b"OK" if self.path == "/_ping" else body
            self.send_response(200)
            self.send_header("Api-Version", "1.47")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def version_string(self) -> str:
            return "Docker/27.3.1 (linux)"  # the Server header, as dockerd sends it

        def log_message(self, *_: object) -> None:
            pass

        def address_string(self) -> str:
            return "unix"

    server = _FakeDockerAPI(str(path), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


def test_a_service_whose_port_a_container_publishes_runs_in_a_container(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _fake_docker(tmp_path / "desktop.sock", [redis_server.port])
    try:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'desktop.sock'}")
        scan = detector(redis_port=redis_server.port, postgres_port=free_port()).scan_all()
    finally:
        server.shutdown()
        server.server_close()
    assert scan.docker.version == "27.3.1"
    assert dict(scan.docker.details)["api_version"] == "1.47"
    assert scan.redis.runs_in is RunsIn.CONTAINER
    assert scan.postgres.runs_in is None
