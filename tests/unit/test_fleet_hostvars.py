"""The mycelium_* host variables and host aliases: checked, as Ansible reads booleans."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import InventoryError
from mycelium.release.fleet.inventory import load_inventory

if TYPE_CHECKING:
    from pathlib import Path


def load(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(textwrap.dedent(body))
    return path


def error_of(tmp_path: Path, body: str) -> str:
    path = load(tmp_path, body)
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("written", "meant"),
    [("false", False), ("'false'", False), ("'no'", False), ("0", False),
     ("true", True), ("'yes'", True), ("'True'", True), ("1", True)],
)  # fmt: skip
def test_booleans_read_as_ansible_reads_them(tmp_path: Path, written: str, meant: bool) -> None:
    path = load(
        tmp_path,
        f"all:\n  hosts:\n    a:\n      mycelium_required: {written}\n"
        f"      mycelium_accept_new_host_keys: {written}\n",
    )
    host = load_inventory(path).hosts["a"]
    assert host.required is meant
    assert host.accept_new_host_keys is meant


def test_a_value_that_is_not_a_boolean_names_the_file_host_and_variable(tmp_path: Path) -> None:
    message = error_of(tmp_path, "all:\n  hosts:\n    a:\n      mycelium_required: maybe\n")
    assert message == (
        f"{tmp_path / 'hosts.yml'}: host a: mycelium_required: 'maybe' is not a boolean; "
        "use true or false"
    )


def test_an_unknown_mycelium_variable_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, "all:\n  hosts:\n    a:\n      mycelium_python: [python3]\n")
    assert message.startswith(
        f"{tmp_path / 'hosts.yml'}: host a: mycelium_python: unknown variable; the mycelium_* "
        "variables are mycelium_accept_new_host_keys, mycelium_bench_args, mycelium_env, "
    )


def test_a_group_variable_is_checked_for_every_host_of_the_group(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        """\
        all:
          children:
            macs:
              vars: {mycelium_env: [PATH]}
              hosts: {m1: {}}
        """,
    )
    assert message.startswith(f"{tmp_path / 'hosts.yml'}: host m1: mycelium_env: ")


@pytest.mark.parametrize(
    "alias",
    ["a/../../victim", "../../../../tmp/x", "/tmp/y", "..", ".", "-rf", "a b", "a\nb",
     "a\x1b[31m", "x" * 129, "a\\b"],
)  # fmt: skip
def test_a_host_alias_that_would_not_stay_one_path_component_is_refused(
    tmp_path: Path, alias: str
) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(f'all:\n  hosts:\n    "{alias.encode("unicode_escape").decode()}": {{}}\n')
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    assert str(info.value).startswith(f"{path}: host {alias!r}: not a valid host alias; ")


@pytest.mark.parametrize(
    "python",
    ["..", "../..", "/usr/bin/..", "py thon", "", "$(touch pwned)/python3", "python3;id",
     "`id`/python3", '/opt/py"thon/bin/python3'],
)  # fmt: skip
def test_an_interpreter_whose_name_would_escape_reports_is_refused(
    tmp_path: Path, python: str
) -> None:
    message = error_of(tmp_path, f"all:\n  hosts:\n    a:\n      mycelium_pythons: ['{python}']\n")
    assert message.startswith(f"{tmp_path / 'hosts.yml'}: host a: mycelium_pythons: ")


def test_a_group_priority_that_is_not_a_number_names_the_group(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        """\
        all:
          children:
            web:
              vars: {ansible_group_priority: abc}
              hosts: {w1: {}}
        """,
    )
    assert message == (
        f"{tmp_path / 'hosts.yml'}: group web: ansible_group_priority: 'abc' is not a whole "
        "number; use 1 (the default) or higher to win over sibling groups"
    )


def test_ordinary_aliases_and_interpreter_paths_are_accepted(tmp_path: Path) -> None:
    path = load(
        tmp_path,
        """\
        all:
          hosts:
            ubuntu-22.04_a@lab:
              mycelium_pythons: [/usr/bin/python3.12, python3.11]
            "::1": {}
        """,
    )
    hosts = load_inventory(path).hosts
    assert hosts["ubuntu-22.04_a@lab"].pythons == ("/usr/bin/python3.12", "python3.11")
    assert "::1" in hosts


BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
)


def test_an_alias_bomb_inventory_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(BOMB + "\nall:\n  vars:\n    bomb: *a9\n")
    with pytest.raises(InventoryError, match=r"invalid YAML: .*more than"):
        load_inventory(path)


def test_an_alias_bomb_playbook_is_refused_at_once(tmp_path: Path) -> None:
    from mycelium.errors import PlaybookError
    from mycelium.release.playbook.loader import load_playbook

    path = tmp_path / "play.yml"
    path.write_text("- hosts: all\n  vars:\n" + textwrap.indent(BOMB, "    ") + "\n  tasks: []\n")
    with pytest.raises(PlaybookError, match=r"invalid YAML: .*more than"):
        load_playbook(path)


@pytest.mark.parametrize("workdir", ["/tmp/$(id)", "/tmp/a b", "relative", "/tmp/../etc", "/"])
def test_a_workdir_that_is_not_a_plain_absolute_path_is_refused(
    tmp_path: Path, workdir: str
) -> None:
    message = error_of(tmp_path, f"all:\n  hosts:\n    a:\n      mycelium_workdir: '{workdir}'\n")
    assert message.startswith(f"{tmp_path / 'hosts.yml'}: host a: mycelium_workdir: must be ")
