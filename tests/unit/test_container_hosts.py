"""Container hosts without a daemon: the inventory's rules, the row, the daemon's address."""

from __future__ import annotations

import json
import socket
import textwrap
from typing import TYPE_CHECKING

import pytest
import requests
from docker.context import Context

from mycelium.errors import InventoryError
from mycelium.qa.report import PlatformInfo
from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.qa import host as host_module
from mycelium.release.qa.cells import STATE_FOR_FAILURE, Cell, CellState, exit_code_for
from mycelium.release.qa.host import qa_on_host
from mycelium.release.qa.progress import HostObserver
from mycelium.release.qa.render import render_host_list, table
from mycelium.release.remote.container import container_name_for
from mycelium.release.remote.docker_daemon import (
    daemon_params,
    describe_daemon_error,
    open_client,
    where,
)
from mycelium.release.remote.fanout import StopSignal
from mycelium.release.remote.transport import CommandResult, FailureKind, TransportError
from tests.unit.fake_transport import FakeTransport
from tests.unit.test_qa_host import settings

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.release.fleet.inventory import Host

DEBIAN = PlatformInfo(os="Linux", os_version="12", distro="debian", python_version="3.11.2",
                      architecture="x86_64", wsl=False, container=True)  # fmt: skip

CONTAINER_HOST = "all:\n  hosts:\n    a:\n      ansible_connection: docker\n"


def load(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(textwrap.dedent(body))
    return path


def error_of(tmp_path: Path, body: str) -> str:
    with pytest.raises(InventoryError) as info:
        load_inventory(load(tmp_path, body))
    return str(info.value)


@pytest.mark.parametrize("connection", ["community.docker.docker", "docker"])
def test_both_of_ansibles_names_make_a_container_host(tmp_path: Path, connection: str) -> None:
    path = load(
        tmp_path,
        f"""\
        all:
          hosts:
            c1: {{ansible_connection: {connection}, ansible_host: qa-ubuntu, ansible_user: qa}}
            c2: {{ansible_connection: {connection}, mycelium_image: "ubuntu:24.04"}}
            real: {{ansible_host: 192.0.2.1}}
        """,
    )
    hosts = load_inventory(path).hosts
    assert (hosts["c1"].is_container, hosts["c1"].image, hosts["c1"].address) == (
        True, None, "qa-ubuntu"
    )  # fmt: skip
    assert (hosts["c2"].is_container, hosts["c2"].image) == (True, "ubuntu:24.04")
    assert hosts["c2"].settings.mycelium_network == "none"
    assert not hosts["real"].is_container
    assert render_host_list(list(hosts.values())).splitlines() == [
        "c1  container qa@qa-ubuntu  pythons: python3",
        "c2  fresh container of ubuntu:24.04  pythons: python3",
        "real  192.0.2.1:22  pythons: python3",
    ]
    assert render_host_list([hosts["real"]], ("python3.12", "python3.11")) == (
        "real  192.0.2.1:22  pythons: python3.12, python3.11 (--python)"
    )


def test_an_unknown_connection_names_the_supported_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, "all:\n  hosts:\n    a: {ansible_connection: podman}\n")
    assert message == (
        f"{tmp_path / 'hosts.yml'}: host a: ansible_connection: 'podman' is not supported; use "
        "local, ssh or community.docker.docker"
    )


def test_an_image_on_a_host_that_is_not_a_container_is_refused(tmp_path: Path) -> None:
    message = error_of(tmp_path, "all:\n  hosts:\n    a: {mycelium_image: 'ubuntu:24.04'}\n")
    assert message.endswith(
        "host a: mycelium_image: only container hosts start an image; add "
        "`ansible_connection: community.docker.docker` or remove mycelium_image"
    )


@pytest.mark.parametrize(
    "image",
    ["ubuntu:24.04; rm -rf /", "$(id)", "../../x", "-v", "a b", "", "ubuntu\n:1", "x" * 300],
)
def test_a_hostile_image_reference_is_refused(tmp_path: Path, image: str) -> None:
    message = error_of(tmp_path, CONTAINER_HOST + f"      mycelium_image: {json.dumps(image)}\n")
    assert "host a: mycelium_image: " in message
    assert "is not a Docker image reference; write it as `docker pull` takes it" in message


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("ansible_host", "qa; rm -rf /", "is not a container name"),
        ("ansible_host", "-it", "is not a container name"),
        ("ansible_user", "root --privileged", "is not a user name or uid[:gid]"),
        ("mycelium_network", "host; id", "is not a Docker network name"),
    ],
)
def test_hostile_container_settings_are_refused(
    tmp_path: Path, key: str, value: str, problem: str
) -> None:
    message = error_of(tmp_path, CONTAINER_HOST + f"      {key}: {json.dumps(value)}\n")
    assert f"host a: {key}: " in message
    assert problem in message


def test_required_means_real_hosts_unless_a_group_of_containers_says_so(tmp_path: Path) -> None:
    path = load(
        tmp_path,
        """\
        all:
          vars: {mycelium_required: true}
          hosts:
            real: {ansible_host: 192.0.2.1}
            inherits: {ansible_connection: docker, mycelium_image: "debian:12"}
            itself: {ansible_connection: docker, mycelium_image: "debian:12",
                     mycelium_required: true}
          children:
            containers:
              vars: {mycelium_required: true, ansible_connection: docker}
              hosts:
                by-group: {mycelium_image: "ubuntu:24.04"}
            mixed:
              vars: {mycelium_required: true}
              hosts:
                real2: {ansible_host: 192.0.2.2}
                in-mixed: {ansible_connection: docker, mycelium_image: "ubuntu:22.04"}
        """,
    )
    required = {name: host.required for name, host in load_inventory(path).hosts.items()}
    assert required == {
        "real": True,
        "inherits": False,  # all: vars speak of the real machines
        "itself": True,
        "by-group": True,  # a group of containers only
        "real2": True,
        "in-mixed": False,
    }


def test_a_missing_image_is_its_own_state_and_exits_as_unreachable() -> None:
    assert STATE_FOR_FAILURE[FailureKind.IMAGE] is CellState.IMAGE
    image = Cell("c1", "python3", CellState.IMAGE, message="pull it", container=True)
    assert image.text == "image"
    assert exit_code_for([image]) == 4
    passed = Cell("c2", "python3", CellState.PASS, passed=3, total=3)
    assert exit_code_for([image, passed]) == 4
    failed = Cell("c3", "python3", CellState.FAILED, passed=2, total=3)
    assert exit_code_for([image, failed]) == 2


def test_a_container_row_says_so_with_the_images_distro() -> None:
    cells = [
        Cell("c1", "python3", CellState.PASS, passed=5, total=5, platform=DEBIAN, container=True),
        Cell("c2", "python3", CellState.IMAGE, container=True),
        # A report from an ansible-playbook run: only its platform says "container".
        Cell("c3", "python3", CellState.PASS, passed=5, total=5, platform=DEBIAN),
    ]
    rows = table(cells).splitlines()[2:]
    assert rows[0].startswith("c1 (container debian 12, x86_64)")
    assert rows[1].startswith("c2 (container)")
    assert rows[2].startswith("c3 (container debian 12, x86_64)")


def test_a_fresh_containers_name_is_a_plain_docker_name_with_a_nonce() -> None:
    one, two = container_name_for("ubuntu@24.04:[x]"), container_name_for("ubuntu@24.04:[x]")
    assert one != two
    assert one.startswith("mycelium-qa-ubuntu-24.04--x--")
    assert container_name_for("...").startswith("mycelium-qa-host-")


def test_the_daemon_is_found_as_the_docker_cli_finds_it(tmp_path: Path) -> None:
    assert where(daemon_params({"DOCKER_HOST": "unix:///run/other.sock"})) == (
        "unix:///run/other.sock"
    )
    config = tmp_path / "docker"
    assert where(daemon_params({"DOCKER_CONFIG": str(config)})) == "unix:///var/run/docker.sock"
    # A context named in config.json: its endpoint, as `docker context use ci` would.

    config.mkdir()
    (config / "config.json").write_text(json.dumps({"currentContext": "ci"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_CONFIG", str(config))
        Context("ci", host="unix:///run/ci/docker.sock").save()
        assert where(daemon_params({"DOCKER_CONFIG": str(config)})) == (
            "unix:///run/ci/docker.sock"
        )
        assert where(
            daemon_params({"DOCKER_CONFIG": str(config), "DOCKER_HOST": "tcp://127.0.0.1:9"})
        ) == ("tcp://127.0.0.1:9")


def test_a_daemon_that_is_down_is_one_line_naming_the_socket(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    params = daemon_params({"DOCKER_HOST": f"unix://{path}"})
    with pytest.raises(TransportError) as gone:
        open_client(params, timeout=2)
    assert gone.value.kind is FailureKind.UNREACHABLE
    assert str(gone.value).startswith(f"no Docker daemon at unix://{path} (no such socket); start")
    # A socket file nobody listens on (a daemon that died).
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))
    dead.close()
    with pytest.raises(TransportError) as refused:
        open_client(params, timeout=2)
    assert str(refused.value).startswith(f"no Docker daemon at unix://{path} (connection refused)")


def test_a_daemon_that_refuses_the_user_is_an_auth_row() -> None:
    wrapped = requests.ConnectionError(OSError("wrapper"))
    wrapped.__cause__ = PermissionError(13, "Permission denied")
    failure = describe_daemon_error(wrapped, "unix:///var/run/docker.sock", 10)
    assert failure.kind is FailureKind.AUTH
    assert str(failure).startswith(
        "the Docker daemon at unix:///var/run/docker.sock refused this user (permission denied)"
    )
    assert "docker group" in str(failure)


def container_host(tmp_path: Path) -> Host:
    path = load(
        tmp_path,
        """\
        all:
          hosts:
            c: {ansible_connection: docker, mycelium_image: "debian:12"}
        """,
    )
    return load_inventory(path).hosts["c"]


def test_ctrl_c_interrupts_a_container_hosts_transport_and_its_cell_says_container(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = StopSignal()

    def uname(_command: str) -> CommandResult:
        stop.stop()  # Ctrl-C arrives while this step runs
        return CommandResult(0, "Linux", "")

    transport = FakeTransport("c", answers=[("uname", uname)])
    monkeypatch.setattr(host_module, "open_transport", lambda _host, _options: transport)
    host = container_host(tmp_path)
    [cell] = qa_on_host(host, host.pythons, settings(tmp_path), HostObserver(), stop)
    assert (cell.state, cell.container) == (CellState.INTERRUPTED, True)
    assert transport.interrupted
    assert transport.closed


def test_an_image_the_daemon_lacks_is_the_rows_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(_host: Host, _options: object) -> FakeTransport:
        raise TransportError(FailureKind.IMAGE, "pull it with `docker pull debian:12`")

    monkeypatch.setattr(host_module, "open_transport", missing)
    host = container_host(tmp_path)
    [cell] = qa_on_host(host, host.pythons, settings(tmp_path), HostObserver(), StopSignal())
    assert (cell.state, cell.container) == (CellState.IMAGE, True)
    assert cell.message == "pull it with `docker pull debian:12`"
