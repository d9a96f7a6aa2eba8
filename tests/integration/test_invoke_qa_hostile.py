"""``invoke qa`` against hosts and files that misbehave on purpose: rows, never hangs or harm."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from mycelium.release.qa.cells import CellState
from tests.integration.qa_runs import QUICK, ROOT, quick_inventory, run
from tests.integration.ssh_lab import SSHHost

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mycelium.release.dev.build import BuildResult
    from tests.integration.ssh_lab import Lab

CLI_BUDGET_S = 300  # a hang fails the test instead of the whole CI run


def invoke_qa(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent))
    assert invoke
    return subprocess.run(
        [invoke, "qa", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=CLI_BUDGET_S, check=False, env={**os.environ, "HOME": str(home)},
    )  # fmt: skip


@pytest.fixture
def sftp_sleeper(lab: Lab, tmp_path: Path) -> Iterator[SSHHost]:
    """A host whose sshd runs `sleep` as its SFTP server: transfers get no answer, ever."""
    public = lab.client_key.with_suffix(".pub").read_text()
    host = SSHHost("sleeper", tmp_path / "sleeper", public, sftp="/bin/sleep 100000").start()
    try:
        yield host
    finally:
        host.stop()


def test_a_host_whose_sftp_never_answers_is_a_timeout_row_and_is_cleaned(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path, sftp_sleeper: SSHHost
) -> None:
    known = lab.write_known_hosts(isolated_home)
    with known.open("a") as handle:
        handle.write(sftp_sleeper.known_hosts_line())
    extra = {
        "ansible_host": "127.0.0.1",
        "ansible_port": sftp_sleeper.port,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(lab.client_key),
        "mycelium_workdir": str(sftp_sleeper.workdir),
    }
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    data = yaml.safe_load(inventory.read_text())
    data["all"]["hosts"] = {"sleeper": {**extra, "mycelium_qa_args": QUICK}}
    inventory.write_text(yaml.safe_dump(data))
    proc = invoke_qa("--hosts", "sleeper:h1", "--inventory", str(inventory), "--timeout", "5",
                     "--wheel", str(wheel.wheel), "--reports", str(tmp_path / "reports"),
                     home=isolated_home)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "sleeper / python3.11: timeout: upload of " in proc.stdout
    assert "did not finish within 5s (SFTP did not answer)" in proc.stdout
    assert list(sftp_sleeper.workdir.iterdir()) == []  # its run directory was removed
    assert list(lab.hosts["h1"].workdir.iterdir()) == []


def test_known_hosts_lines_paramiko_cannot_read_are_skipped_and_revoked_keys_refused(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    known = lab.write_known_hosts(isolated_home)
    lines = known.read_text()
    known.write_text(
        "@cert-authority *.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0yMiBub3QgYSBrZXk\n"
        "this line is not a known_hosts entry\n"
        "broken.example.com ssh-ed25519 !!!notbase64\n" + lines
    )
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    passed = run(inventory, "h1", wheel, tmp_path / "reports")
    assert [c.state for c in passed.cells] == [CellState.PASS], passed.cells[0].message
    key = lab.hosts["h1"].known_hosts_line().split()[1:]
    known.write_text(known.read_text() + f"@revoked * {' '.join(key)}\n")
    refused = run(inventory, "h1", wheel, tmp_path / "reports")
    assert refused.cells[0].state is CellState.HOSTKEY
    assert "is marked @revoked in known_hosts" in refused.cells[0].message


@pytest.mark.parametrize("alias", ["a/../../victim", "../../../victim", "/tmp/victim-abs"])
def test_a_hostile_alias_stops_the_run_before_anything_is_touched(
    wheel: BuildResult, tmp_path: Path, isolated_home: Path, alias: str
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(f'all:\n  hosts:\n    "{alias}":\n      ansible_connection: local\n')
    proc = invoke_qa("--hosts", "all", "--inventory", str(inventory), "--wheel",
                     str(wheel.wheel), "--reports", str(tmp_path / "r" / "reports"),
                     home=isolated_home)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(f"invoke qa: {inventory}: host {alias!r}: not a valid")
    assert "Traceback" not in proc.stderr
    assert (victim / "keep.txt").read_text() == "precious"
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "content", ["{garbage", '{"kind": "someone-else"}', "[]", '{"cells": [{"host": 1}]}']
)
def test_rerun_failed_with_a_corrupt_summary_is_one_line_naming_the_file(
    wheel: BuildResult, tmp_path: Path, isolated_home: Path, content: str
) -> None:
    version = wheel.wheel.name.split("-")[1]
    summary = tmp_path / "reports" / version / "qa_summary.json"
    summary.parent.mkdir(parents=True)
    summary.write_text(content)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    proc = invoke_qa("--rerun-failed", "--inventory", str(inventory), "--wheel",
                     str(wheel.wheel), "--reports", str(tmp_path / "reports"),
                     home=isolated_home)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"invoke qa: {summary}: invalid QA summary: ")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert summary.read_text() == content  # left as it was
