"""Container hosts: ``invoke qa`` in fresh containers of a locally built Debian 12 image.

A real ``dockerd`` (tests/integration/docker_daemon.py: no bridge, so every container runs
with ``--network none``) and an image debootstrapped here (tests/integration/docker_image.py).
Nothing may be left behind: after every run, no container of ours and no volume remains.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker
import pytest
import yaml

from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.qa.cells import CellState
from mycelium.release.qa.render import render_text
from mycelium.release.remote.container import LABEL, ContainerTransport
from mycelium.release.remote.transport import FailureKind, SSHOptions, TransportError
from tests.integration.qa_runs import ROOT, run, version_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mycelium.release.dev.build import BuildResult
    from tests.integration.docker_daemon import DockerDaemon

QUICK = "--only installation,configuration,platform"


@pytest.fixture
def daemon_env(
    docker_daemon: DockerDaemon, monkeypatch: pytest.MonkeyPatch
) -> Iterator[docker.DockerClient]:
    """DOCKER_HOST at the test daemon; afterwards, no container or volume of ours is left."""
    monkeypatch.setenv("DOCKER_HOST", docker_daemon.url)
    client = docker.DockerClient(base_url=docker_daemon.url, timeout=120)
    try:
        yield client
        assert leftovers(client) == ([], [])
    finally:
        for container in client.containers.list(all=True, filters={"label": LABEL}):
            container.remove(force=True, v=True)
        client.close()


def leftovers(client: docker.DockerClient) -> tuple[list[str], list[str]]:
    containers = client.containers.list(all=True, filters={"label": LABEL})
    volumes = client.volumes.list()
    return [str(c.name) for c in containers], [str(v.name) for v in volumes]


def container_inventory(path: Path, hosts: dict[str, dict[str, Any]]) -> Path:
    data = {
        "all": {
            "children": {
                "containers": {
                    "hosts": hosts,
                    "vars": {
                        "ansible_connection": "community.docker.docker",
                        "mycelium_pythons": ["python3"],
                        "mycelium_qa_args": QUICK,
                    },
                }
            }
        }
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.usefixtures("daemon_env")
def test_invoke_qa_offline_on_two_fresh_containers_reports_both_and_leaves_nothing(
    debian_image: str, wheel: BuildResult, tmp_path: Path
) -> None:
    inventory = container_inventory(
        tmp_path / "hosts.yml",
        {"deb12-a": {"mycelium_image": debian_image}, "deb12-b": {"mycelium_image": debian_image}},
    )
    result = run(inventory, "containers", wheel, tmp_path / "reports", offline=True)
    assert [(c.host, c.state) for c in result.cells] == [
        ("deb12-a", CellState.PASS), ("deb12-b", CellState.PASS)
    ], [c.message for c in result.cells]  # fmt: skip
    assert result.exit_code == 0
    for cell in result.cells:
        assert cell.container
        assert cell.platform is not None
        assert (cell.platform.distro, cell.platform.os_version) == ("debian", "12")
        assert cell.platform.container
    text = render_text(result.cells)
    assert "deb12-a (container debian 12," in text
    matrix = result.matrix_path.read_text()
    assert "deb12-b (container debian 12," in matrix
    reports = tmp_path / "reports" / version_of(wheel)
    for host in ("deb12-a", "deb12-b"):
        report = json.loads((reports / host / "python3" / "qa_report.json").read_text())
        assert report["platform"]["container"] is True
        assert "=== ✓ unpack the wheelhouse" in (reports / host / "run.log").read_text()
    summary = json.loads(result.summary_path.read_text())
    assert {c["host"]: c["container"] for c in summary["cells"]} == {
        "deb12-a": True, "deb12-b": True
    }  # fmt: skip


def test_the_transport_runs_moves_files_kills_past_its_timeout_and_has_no_network(
    daemon_env: docker.DockerClient, debian_image: str, tmp_path: Path
) -> None:
    inventory = container_inventory(
        tmp_path / "hosts.yml", {"t1": {"mycelium_image": debian_image}}
    )
    host = load_inventory(inventory).hosts["t1"]
    transport = ContainerTransport(host, SSHOptions(connect_timeout=10, transfer_timeout=60))
    name = transport.container_name
    try:
        result = transport.run("echo out; echo err >&2; exit 3", timeout=30)
        assert (result.rc, result.stdout, result.stderr) == (3, "out\n", "err\n")
        assert transport.run("ls /sys/class/net", timeout=30).stdout.split() == ["lo"]
        source = tmp_path / "odd 'name\".bin"
        source.write_bytes(bytes(range(256)) * 1000)
        transport.put(source, "/tmp/odd 'name\".bin")
        back = tmp_path / "back" / "copy.bin"
        transport.get("/tmp/odd 'name\".bin", back)
        assert back.read_bytes() == source.read_bytes()
        with pytest.raises(FileNotFoundError):
            transport.get("/tmp/absent", tmp_path / "absent")
        with pytest.raises(FileNotFoundError):
            transport.put(source, "/no/such/dir/file")
        marker = f"sleep 71.{os.getpid()}"  # unique: nothing else on the machine runs it
        with pytest.raises(TransportError) as caught:
            transport.run(marker, timeout=2)
        assert caught.value.kind is FailureKind.TIMEOUT
        time.sleep(1)
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False)
        assert left.stdout == b"", "the timed-out command still runs in the container"
    finally:
        transport.close()
    assert name not in leftovers(daemon_env)[0]


@pytest.mark.usefixtures("daemon_env")
def test_an_image_the_daemon_lacks_is_a_row_with_the_pull_command(
    wheel: BuildResult, tmp_path: Path
) -> None:
    inventory = container_inventory(
        tmp_path / "hosts.yml", {"nowhere": {"mycelium_image": "mycelium-test/absent:1"}}
    )
    result = run(inventory, "nowhere", wheel, tmp_path / "reports")
    [cell] = result.cells
    assert cell.state is CellState.IMAGE
    assert cell.container
    assert "`docker pull mycelium-test/absent:1`" in cell.message
    assert result.exit_code == 4


def invoke_qa(inventory: Path, wheel: BuildResult, reports: Path) -> list[str]:
    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent))
    assert invoke
    return [invoke, "qa", "--hosts", "all", "--inventory", str(inventory),
            "--wheel", str(wheel.wheel), "--reports", str(reports)]  # fmt: skip


def test_a_daemon_that_is_down_is_one_clear_row_naming_the_socket(
    wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    socket = tmp_path / "no-daemon" / "docker.sock"
    inventory = container_inventory(tmp_path / "hosts.yml", {"c1": {"mycelium_image": "x:1"}})
    env = {**os.environ, "HOME": str(isolated_home), "DOCKER_HOST": f"unix://{socket}"}
    proc = subprocess.run(
        invoke_qa(inventory, wheel, tmp_path / "reports"),
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert f"c1 / python3: unreachable: no Docker daemon at unix://{socket} (no such socket); " in (
        proc.stdout
    )
    assert "Traceback" not in proc.stderr


def test_a_failed_run_and_ctrl_c_both_remove_the_container(
    daemon_env: docker.DockerClient,
    debian_image: str,
    wheel: BuildResult,
    tmp_path: Path,
    isolated_home: Path,
) -> None:
    marker = f"sleep 67.{os.getpid()}"  # unique: nothing else on the machine runs it
    # A step that fails: nothing can make a directory under /proc, not even root.
    inventory = container_inventory(
        tmp_path / "hosts.yml",
        {"fails": {"mycelium_image": debian_image, "mycelium_workdir": "/proc/mycelium-qa"}},
    )
    failed = run(inventory, "fails", wheel, tmp_path / "reports")
    [cell] = failed.cells
    assert cell.state is CellState.ERROR
    assert cell.message.startswith("step 'make the run directory' failed:")
    assert leftovers(daemon_env) == ([], [])

    inventory = container_inventory(
        tmp_path / "slow.yml",
        {"slow": {"mycelium_image": debian_image, "mycelium_qa_args": f"{QUICK}; {marker}"}},
    )
    env = {**os.environ, "HOME": str(isolated_home), "DOCKER_HOST": os.environ["DOCKER_HOST"]}
    proc = subprocess.Popen(
        [*invoke_qa(inventory, wheel, tmp_path / "reports"), "--offline"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            running = subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False)
            if running.stdout.strip():  # the container is in its checklist step
                break
            time.sleep(0.2)
        assert leftovers(daemon_env)[0], "no container was started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    summary = json.loads((tmp_path / "reports" / version_of(wheel) / "qa_summary.json").read_text())
    assert [(c["host"], c["state"]) for c in summary["cells"]] == [("slow", "interrupted")]
    assert leftovers(daemon_env) == ([], [])
    still = subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False)
    assert still.stdout == b""
