"""Inventory files: Ansible's structure, and errors that name the file, host and field."""

from __future__ import annotations

import logging
import textwrap
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import InventoryError
from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.remote.ssh_config import expand_includes, load_user_ssh_config

if TYPE_CHECKING:
    from pathlib import Path


def inventory(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(textwrap.dedent(body))
    return path


def error_of(tmp_path: Path, body: str) -> str:
    with pytest.raises(InventoryError) as info:
        load_inventory(inventory(tmp_path, body))
    return str(info.value)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "all:\n  hosts:\n    a: [\n")
    assert message.startswith(f"{tmp_path / 'hosts.yml'}:4:1: invalid YAML: ")


def test_an_unknown_group_key_says_where_hosts_go(tmp_path: Path) -> None:
    assert error_of(tmp_path, "all:\n  web1:\n    ansible_host: x\n") == (
        f"{tmp_path / 'hosts.yml'}: group all: unknown key web1; a group has only hosts:, "
        "children: and vars: (a host goes under hosts:)"
    )


def test_a_port_that_is_not_a_number_names_the_host_and_field(tmp_path: Path) -> None:
    assert error_of(tmp_path, "all:\n  hosts:\n    web1:\n      ansible_port: twentytwo\n") == (
        f"{tmp_path / 'hosts.yml'}: host web1: ansible_port: 'twentytwo' is not a number; "
        "use 1–65535"
    )


def test_a_missing_key_file_names_the_host_and_field(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        f"all:\n  hosts:\n    web1:\n      ansible_ssh_private_key_file: {tmp_path}/nope\n",
    )
    assert message == (
        f"{tmp_path / 'hosts.yml'}: host web1: ansible_ssh_private_key_file: {tmp_path}/nope "
        "does not exist; fix the path or remove the setting"
    )


def test_a_list_of_hosts_is_explained_as_the_ini_habit(tmp_path: Path) -> None:
    assert "hosts must be a mapping of host: vars (a list is the INI style" in error_of(
        tmp_path, "all:\n  hosts: [a, b]\n"
    )


def test_mycelium_pythons_must_be_a_list_of_names(tmp_path: Path) -> None:
    message = error_of(tmp_path, "all:\n  hosts:\n    a:\n      mycelium_pythons: python3\n")
    assert message.endswith("host a: mycelium_pythons: must be a list of interpreter names, "
                            "for example [python3.11, python3.12]")  # fmt: skip


def test_a_children_loop_is_refused(tmp_path: Path) -> None:
    body = (
        "all:\n  children:\n    a:\n      children:\n        b:\n"
        "          children:\n            a:\n"
    )
    assert "children form a loop" in error_of(tmp_path, body)


def test_two_aliases_of_one_machine_stay_two_hosts_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = """\
    all:
      hosts:
        one: {ansible_host: 192.0.2.5, ansible_user: qa}
        two: {ansible_host: 192.0.2.5, ansible_user: qa}
    """
    with caplog.at_level(logging.WARNING, logger="mycelium"):
        loaded = load_inventory(inventory(tmp_path, body))
    assert list(loaded.hosts) == ["one", "two"]
    assert "inventory hosts one and two both connect to qa@192.0.2.5:22" in caplog.text


def test_ssh_config_includes_are_expanded_relative_to_dot_ssh(isolated_home: Path) -> None:
    ssh = isolated_home / ".ssh"
    (ssh / "conf.d").mkdir(parents=True)
    (ssh / "conf.d" / "lab.conf").write_text("Host lab\n  HostName 127.0.0.1\n  Port 2222\n")
    (ssh / "config").write_text("Include conf.d/*.conf\nHost other\n  User me\n")
    assert "HostName 127.0.0.1" in expand_includes(ssh / "config")
    looked_up = load_user_ssh_config().lookup("lab")
    assert looked_up["hostname"] == "127.0.0.1"
    assert looked_up["port"] == "2222"
