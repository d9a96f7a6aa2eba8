"""Platform detection and Docker endpoint discovery, read from fake roots and homes."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from mycelium.detection.docker import candidate_endpoints
from mycelium.detection.platform import detect_platform, parse_os_release
from mycelium.detection.temporal import server_version

if TYPE_CHECKING:
    from pathlib import Path

WSL2_KERNEL = "5.15.153.1-microsoft-standard-WSL2"


def fake_root(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "root"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    root.mkdir(exist_ok=True)
    return root


UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n'


def test_os_release_is_parsed_with_quotes_and_comments() -> None:
    assert parse_os_release('# c\nID=debian\nVERSION_ID="12"\nBAD\n') == {
        "ID": "debian",
        "VERSION_ID": "12",
    }


def test_a_plain_ubuntu_with_systemd(tmp_path: Path) -> None:
    root = fake_root(tmp_path, {"etc/os-release": UBUNTU, "run/systemd/system/.keep": ""})
    info = detect_platform(
        environ={}, root=root, system="Linux", kernel="6.8.0-45-generic", machine="x86_64",
        which=lambda _: None,
    )  # fmt: skip
    assert (info.distro, info.distro_version, info.distro_name) == (
        "ubuntu",
        "24.04",
        "Ubuntu 24.04.1 LTS",
    )
    assert info.os_version == "24.04"
    assert not info.wsl
    assert info.wsl_version is None
    assert info.service_managers == ("systemd",)
    assert not info.in_container


def test_wsl2_is_recognised_from_each_independent_signal(tmp_path: Path) -> None:
    root = fake_root(
        tmp_path,
        {
            "etc/os-release": UBUNTU,
            "proc/sys/fs/binfmt_misc/WSLInterop": "enabled",
            "mnt/wsl/docker-desktop/.keep": "",
        },
    )
    info = detect_platform(
        environ={"WSL_DISTRO_NAME": "Ubuntu"}, root=root, system="Linux", kernel=WSL2_KERNEL,
        machine="x86_64", which=lambda _: None,
    )  # fmt: skip
    assert info.wsl
    assert info.wsl_version == 2
    assert info.wsl_signals == (
        f"kernel release {WSL2_KERNEL}",
        "WSL_DISTRO_NAME=Ubuntu",
        "/proc/sys/fs/binfmt_misc/WSLInterop",
    )
    assert info.docker_desktop_wsl
    # One signal alone is enough: a custom kernel still has the interop entry.
    alone = detect_platform(
        environ={}, root=root, system="Linux", kernel="6.1.0-custom", machine="x86_64",
        which=lambda _: None,
    )  # fmt: skip
    assert alone.wsl
    assert alone.wsl_signals == ("/proc/sys/fs/binfmt_misc/WSLInterop",)


def test_wsl1_kernels_are_told_apart(tmp_path: Path) -> None:
    info = detect_platform(
        environ={}, root=fake_root(tmp_path, {}), system="Linux",
        kernel="4.4.0-19041-Microsoft", machine="x86_64", which=lambda _: None,
    )  # fmt: skip
    assert info.wsl_version == 1


def test_a_container_and_homebrew_are_seen(tmp_path: Path) -> None:
    root = fake_root(tmp_path, {".dockerenv": "", "proc/1/cgroup": "0::/docker/abc\n"})
    info = detect_platform(
        environ={}, root=root, system="Linux", kernel="6.8.0", machine="aarch64",
        which=lambda name: "/home/linuxbrew/.linuxbrew/bin/brew" if name == "brew" else None,
    )  # fmt: skip
    assert info.in_container
    assert info.container_signals == ("/.dockerenv", "/proc/1/cgroup names a container runtime")
    assert info.service_managers == ("homebrew-services",)
    assert info.architecture == "aarch64"


def test_docker_host_wins_over_everything(tmp_path: Path) -> None:
    endpoints, problem = candidate_endpoints({"DOCKER_HOST": "tcp://127.0.0.1:2375"}, tmp_path)
    assert [(e.url, e.source) for e in endpoints] == [("tcp://127.0.0.1:2375", "DOCKER_HOST")]
    assert problem is None


def test_the_current_context_is_read_from_config_json_and_its_meta(tmp_path: Path) -> None:
    docker = tmp_path / ".docker"
    meta = docker / "contexts" / "meta" / hashlib.sha256(b"desktop-linux").hexdigest()
    meta.mkdir(parents=True)
    sock = f"unix://{tmp_path}/.docker/desktop/docker.sock"
    (meta / "meta.json").write_text(json.dumps({"Endpoints": {"docker": {"Host": sock}}}))
    (docker / "config.json").write_text(json.dumps({"currentContext": "desktop-linux"}))
    endpoints, _ = candidate_endpoints({}, tmp_path)
    assert [(e.url, e.source) for e in endpoints] == [(sock, "context desktop-linux")]
    # DOCKER_CONTEXT overrides the file, as for the docker CLI.
    endpoints, problem = candidate_endpoints({"DOCKER_CONTEXT": "gone"}, tmp_path)
    assert problem is not None
    assert problem.startswith("docker context 'gone' has no readable endpoint")
    assert endpoints[0].source == "default socket"


def test_without_env_or_context_the_usual_sockets_are_tried_in_order(tmp_path: Path) -> None:
    endpoints, _ = candidate_endpoints({"XDG_RUNTIME_DIR": "/run/user/1000"}, tmp_path)
    assert [e.display for e in endpoints] == [
        "/var/run/docker.sock",
        "/run/user/1000/docker.sock",
        f"{tmp_path}/.docker/run/docker.sock",
        f"{tmp_path}/.docker/desktop/docker.sock",
    ]


def test_temporal_version_is_field_one_of_get_system_info() -> None:
    body = b"\x0a\x061.25.2" + b"\x12\x02\x08\x01"
    assert server_version(b"\x00" + len(body).to_bytes(4, "big") + body) == "1.25.2"
    assert server_version(b"\x00\x00\x00\x00\x00") is None
