"""Our inventory reading and host patterns agree with ansible-core's own tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mycelium.errors import InventoryError
from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.fleet.patterns import select_hosts

DATA = Path(__file__).resolve().parents[1] / "data" / "inventories"
LAB = DATA / "lab.yml"
CONTAINERS = DATA / "containers.yml"
REPO_INVENTORY = Path(__file__).resolve().parents[2] / "inventory" / "hosts.yml"

PATTERNS = [
    "all", "*", "linux", "ubuntu", "u2*", "~u2\\d", "linux:macos", "linux,macos",
    "linux:&prod", "all:!prod", "!prod", "linux:!u24:&prod", "linux:!u22:&prod", "&prod:linux",
    "ungrouped",
    "m1[34]", "macos[0]", "macos[-1]", "linux[0:1]", "m1?", "solo:plain", "late:!plain",
]  # fmt: skip


def ansible(tool: str, *args: str) -> str:
    exe = shutil.which(tool, path=str(Path(sys.executable).parent)) or shutil.which(tool)
    assert exe, f"{tool} is not installed; run `uv sync`"
    env = {**os.environ, "ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run(
        [exe, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def ansible_selection(inventory: Path, pattern: str) -> set[str]:
    out = ansible("ansible", "-i", str(inventory), pattern, "--list-hosts")
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_pattern_selects_what_ansible_selects(pattern: str) -> None:
    try:
        ours = {h.name for h in select_hosts(load_inventory(LAB), pattern)}
    except InventoryError:
        ours = set()  # we refuse an empty selection where Ansible lists zero hosts
    assert ours == ansible_selection(LAB, pattern)


@pytest.mark.parametrize(
    "inventory", [LAB, REPO_INVENTORY, CONTAINERS], ids=["lab", "repository", "containers"]
)
def test_host_variables_follow_ansibles_precedence(inventory: Path) -> None:
    listed = json.loads(ansible("ansible-inventory", "-i", str(inventory), "--list"))
    expected = listed["_meta"]["hostvars"]
    ours = load_inventory(inventory)
    assert set(ours.hosts) == set(expected)
    for name, host in ours.hosts.items():
        assert dict(host.vars) == expected[name], name


def test_group_membership_matches_the_ansible_graph() -> None:
    listed = json.loads(ansible("ansible-inventory", "-i", str(LAB), "--list"))
    ours = load_inventory(LAB)
    for group, body in listed.items():
        if group == "_meta":
            continue
        assert sorted(body.get("hosts", [])) == sorted(ours.groups[group].hosts), group
        assert sorted(body.get("children", [])) == sorted(ours.groups[group].children), group


def test_a_pattern_matching_nothing_lists_what_there_is() -> None:
    with pytest.raises(InventoryError) as info:
        select_hosts(load_inventory(LAB), "nothere")
    assert str(info.value) == (
        f"host pattern 'nothere' matches no host in {LAB}; there are groups: linux, ubuntu, "
        "debian, macos, prod, alpha, zeta, late; hosts: solo, plain, u22, u24, d12, m13, m14"
    )


def test_invoke_qa_list_hosts_shows_the_selection_and_a_bad_pattern_fails_cleanly() -> None:
    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent))
    assert invoke
    root = Path(__file__).resolve().parents[2]
    listed = subprocess.run(
        [invoke, "qa", "--list-hosts", "--inventory", str(LAB), "--hosts", "linux:&prod"],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "u22  192.0.2.1:22  pythons: python3\n"
    bad = subprocess.run(
        [invoke, "qa", "--list-hosts", "--inventory", str(LAB), "--hosts", "nothere"],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert "host pattern 'nothere' matches no host" in bad.stderr
