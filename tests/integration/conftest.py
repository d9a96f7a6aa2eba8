"""Real servers for the integration tests, started once per session on free ports.

Reuse them from any test under tests/integration: ``redis_server`` (no password),
``postgres_server``. When a test that used one fails, the server's log is shown with it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import docker
import pytest

from mycelium.qa.resources import SilentListener
from mycelium.release.dev.build import BuildResult, build
from mycelium.release.dev.provision import NO_DOCKER_OFF_LINUX
from tests.integration.docker_daemon import DockerDaemon
from tests.integration.docker_image import IMAGE, build_rootfs
from tests.integration.github_double import GitHubDouble
from tests.integration.qa_runs import ROOT
from tests.integration.release_lab import TOKEN, Project, make_project
from tests.integration.servers import (
    PostgresServer,
    RedisServer,
    log_tail,
    new_workdir,
    remove_workdir,
)
from tests.integration.ssh_lab import Lab, start_lab

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

SERVER_FIXTURES = ("redis_server", "postgres_server", "docker_daemon")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in item.nodeid:
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and call.when in {"setup", "call"}:
        funcargs = getattr(item, "funcargs", {})
        for name in SERVER_FIXTURES:
            server = funcargs.get(name)
            if server is not None:
                report.sections.append((f"{name} log (last lines)", log_tail(server.log_path)))
    return report


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    workdir = new_workdir("redis")
    server = RedisServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()
        remove_workdir(workdir)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    workdir = new_workdir("postgres")
    server = PostgresServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()
        remove_workdir(workdir)


@pytest.fixture
def make_redis() -> Iterator[Callable[..., RedisServer]]:
    """Start extra, test-owned redis-servers (a password, a restart); all stopped after."""
    started: list[RedisServer] = []

    def factory(password: str | None = None) -> RedisServer:
        server = RedisServer(new_workdir("redis"), password=password).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
        remove_workdir(server.workdir)


@pytest.fixture(scope="session")
def console_script() -> Callable[[str], str]:
    """The path of one of the project's console scripts in the running environment."""
    bindir = Path(sys.executable).parent

    def find(name: str) -> str:
        path = bindir / name
        if path.exists():
            return str(path)
        found = shutil.which(name)
        if found is None:
            msg = f"{name} is not installed in this environment; run `uv sync`"
            raise RuntimeError(msg)
        return found

    return find


@pytest.fixture(scope="session")
def docker_daemon() -> Iterator[DockerDaemon]:
    """A real dockerd on a unix socket in a temporary directory (point DOCKER_HOST at it).

    Off Linux (the macOS CI runners) every test that needs it skips with the reason; on Linux
    a missing dockerd is a failure, never a skip (`invoke test` installs it).
    """
    if sys.platform != "linux":
        pytest.skip(NO_DOCKER_OFF_LINUX)
    workdir = new_workdir("dockerd")
    daemon = DockerDaemon(workdir).start()
    try:
        yield daemon
    finally:
        daemon.stop()
        remove_workdir(workdir)


@pytest.fixture(scope="session")
def debian_image(docker_daemon: DockerDaemon) -> Iterator[str]:
    """``mycelium-test/debian:12`` (python3, python3-venv) in the test daemon, built once."""
    workdir = new_workdir("rootfs")
    client = docker.DockerClient(base_url=docker_daemon.url, timeout=600)
    try:
        tarball = build_rootfs(workdir)
        repository, tag = IMAGE.split(":")
        client.api.import_image_from_file(str(tarball), repository=repository, tag=tag)
        yield IMAGE
    finally:
        client.close()
        remove_workdir(workdir)


@pytest.fixture
def silent_listener() -> Iterator[SilentListener]:
    """A TCP port on 127.0.0.1 that accepts connections and never answers."""
    listener = SilentListener().start()
    try:
        yield listener
    finally:
        listener.stop()


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The sshd lab of ``invoke qa``'s tests (tests/integration/ssh_lab.py)."""
    root = new_workdir("sshlab")
    lab = start_lab(root)
    try:
        yield lab
    finally:
        lab.stop()
        remove_workdir(root)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The wheel of this checkout, built once per session."""
    return build(ROOT, out_dir=tmp_path_factory.mktemp("dist"))


@pytest.fixture
def github() -> Iterator[GitHubDouble]:
    """A local double of GitHub's REST API that PyGithub reaches through GITHUB_API_URL."""
    double = GitHubDouble(TOKEN).start()
    try:
        yield double
    finally:
        double.stop()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A small releasable project: a real git repository with a bare local origin."""
    return make_project(tmp_path)
