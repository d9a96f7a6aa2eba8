"""``invoke qa`` over a lab of real sshd hosts on loopback: every host gets its true row."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from mycelium.qa.report import QAReport
from mycelium.release.dev.build import sha256_of
from mycelium.release.qa.cells import CellState
from mycelium.release.remote.transport import SSHOptions
from tests.integration.qa_runs import (
    PLAYBOOK,
    QUICK,
    ROOT,
    no_index_env,
    quick_env,
    quick_inventory,
    run,
    version_of,
)

if TYPE_CHECKING:
    from mycelium.release.dev.build import BuildResult
    from tests.integration.ssh_lab import Lab


def test_one_run_over_the_lab_gives_every_host_its_row(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    result = run(inventory, "all", wheel, tmp_path / "reports")
    states = {cell.host: cell.state for cell in result.cells}
    assert states == {
        "h1": CellState.PASS,
        "h2": CellState.PASS,
        "h3": CellState.PASS,
        "failing": CellState.FAILED,
        "wrongkey": CellState.AUTH,
        "unknownkey": CellState.HOSTKEY,
        "silent": CellState.UNREACHABLE,
        "closed": CellState.UNREACHABLE,
    }
    assert result.exit_code == 2  # failures win over unreachable hosts
    cells = {cell.host: cell for cell in result.cells}
    assert "installation/version_matches_expected" in cells["failing"].failing
    assert cells["silent"].message.startswith("no SSH banner from 127.0.0.1:")
    assert cells["closed"].message.startswith("connection refused by 127.0.0.1:")
    assert "--accept-new-host-keys" in cells["unknownkey"].message
    reports = tmp_path / "reports" / version_of(wheel)
    for host in ("h1", "h2", "h3", "failing"):
        report = QAReport.model_validate_json(
            (reports / host / "python3.11" / "qa_report.json").read_text()
        )
        assert report.host_alias == host
    assert not (reports / "silent" / "python3.11").exists()  # only a run.log
    summary = json.loads((reports / "qa_summary.json").read_text())
    assert {c["host"]: c["state"] for c in summary["cells"]} == {
        h: s.value for h, s in states.items()
    }
    matrix = (reports / "qa_matrix.md").read_text()
    assert "| h1 (" in matrix  # the row names the platform the report came from
    assert "wrongkey / python3.11: auth:" in matrix
    for lab_host in lab.hosts.values():
        assert list(lab_host.workdir.iterdir()) == [], f"{lab_host.name} kept its run directory"
    h1_log = (reports / "h1" / "run.log").read_text()
    assert "=== ✓ upload the wheel" in h1_log
    h1 = cells["h1"]
    assert h1.passed == h1.total
    assert h1_log.rstrip().endswith(f"=== python3.11: ✓ {h1.passed}/{h1.total}")
    closed_log = (reports / "closed" / "run.log").read_text()
    assert closed_log.startswith("=== python3.11: unreachable (connection refused by 127.0.0.1:")


def test_the_healthy_hosts_alone_pass_through_the_invoke_cli(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent))
    assert invoke
    proc = subprocess.run(
        [invoke, "qa", "--hosts", "healthy", "--inventory", str(inventory),
         "--wheel", str(wheel.wheel), "--reports", str(tmp_path / "reports")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "HOME": str(isolated_home)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["host", "python3.11"]
    assert sum("✓" in line for line in lines) == 3


def test_an_unknown_key_is_learned_only_when_asked_and_a_changed_key_never(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    known = lab.write_known_hosts(isolated_home)
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    learned = run(
        inventory, "unknownkey", wheel, tmp_path / "r",
        ssh=SSHOptions(connect_timeout=5, accept_new_host_keys=True),
    )  # fmt: skip
    assert [c.state for c in learned.cells] == [CellState.PASS]
    assert f"[127.0.0.1]:{lab.hosts['unknownkey'].port} ssh-ed25519" in known.read_text()
    # Now h1 presents a key that differs from the one known for it.
    impostor = lab.hosts["unknownkey"].known_hosts_line().split(" ", 1)[1]
    known.write_text(f"[127.0.0.1]:{lab.hosts['h1'].port} {impostor}")
    refused = run(
        inventory, "h1", wheel, tmp_path / "r",
        ssh=SSHOptions(connect_timeout=5, accept_new_host_keys=True),
    )  # fmt: skip
    assert refused.cells[0].state is CellState.HOSTKEY
    assert "CHANGED" in refused.cells[0].message


def test_a_step_past_its_timeout_is_killed_on_the_host(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    marker = f"sleep 87.{os.getpid()}"  # unique: nothing else on the machine runs it
    inventory = quick_inventory(
        lab, tmp_path / "lab.yml", h2={"mycelium_qa_args": f"{QUICK}; {marker}"}
    )
    result = run(inventory, "h2", wheel, tmp_path / "r", task_timeout=8)
    assert result.cells[0].state is CellState.TIMEOUT
    assert result.exit_code == 2
    time.sleep(1)
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    assert left.stdout == "", "the timed-out command still runs on the host"
    assert list(lab.hosts["h2"].workdir.iterdir()) == []


def test_ctrl_c_keeps_the_matrix_and_cleans_the_hosts(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    marker = f"sleep 59.{os.getpid()}"  # unique: nothing else on the machine runs it
    slow = {"mycelium_qa_args": f"{QUICK}; {marker}"}
    inventory = quick_inventory(lab, tmp_path / "lab.yml", h1=slow, h3=slow)
    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent))
    assert invoke
    proc = subprocess.Popen(
        [invoke, "qa", "--hosts", "h1:h3", "--inventory", str(inventory),
         "--wheel", str(wheel.wheel), "--reports", str(tmp_path / "reports")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HOME": str(isolated_home)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False)
            if running.stdout.strip():  # a host is in its checklist step
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "interrupted" in err
    summary = json.loads((tmp_path / "reports" / version_of(wheel) / "qa_summary.json").read_text())
    assert summary["interrupted"] is True
    assert {c["host"]: c["state"] for c in summary["cells"]} == {
        "h1": "interrupted", "h3": "interrupted"
    }  # fmt: skip
    for host in ("h1", "h3"):
        assert list(lab.hosts[host].workdir.iterdir()) == [], f"{host} kept its run directory"
    still = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    assert still.stdout == ""


def test_ansible_playbook_runs_the_same_playbook_with_the_same_reports(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    known = lab.write_known_hosts(isolated_home)
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    reports = tmp_path / "reports"
    extra = {
        "mycelium_wheel": str(wheel.wheel),
        "mycelium_wheel_sha256": sha256_of(wheel.wheel),
        "mycelium_version": version_of(wheel),
        "mycelium_run_id": "ansible-run-1",
        "mycelium_git_commit": "",
        "mycelium_reports_dir": str(reports),
    }
    (tmp_path / "vars.json").write_text(json.dumps(extra))
    playbook = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent))
    assert playbook
    env = {**os.environ, "HOME": str(isolated_home), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
           # OpenSSH reads ~ from the passwd entry, not $HOME: point it at the test's files.
           "ANSIBLE_SSH_COMMON_ARGS": f"-F /dev/null -o UserKnownHostsFile={known}"}  # fmt: skip
    proc = subprocess.run(
        [playbook, "-i", str(inventory), str(PLAYBOOK), "--limit", "h1,h2",
         "-e", f"@{tmp_path / 'vars.json'}"],
        capture_output=True, text=True, timeout=600, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    for host in ("h1", "h2"):
        report = QAReport.model_validate_json(
            (reports / host / "python3.11" / "qa_report.json").read_text()
        )
        assert report.host_alias == host
        assert report.origin.run_id == "ansible-run-1"
        assert report.ok


def test_rerun_failed_runs_only_what_did_not_pass_and_junit_has_every_check(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    reports = tmp_path / "reports"
    first = run(inventory, "h1:failing:closed", wheel, reports, junit=tmp_path / "junit.xml")
    assert {c.host: c.state for c in first.cells} == {
        "h1": CellState.PASS, "failing": CellState.FAILED, "closed": CellState.UNREACHABLE
    }  # fmt: skip
    suites = ET.parse(tmp_path / "junit.xml").getroot()
    names = {suite.attrib["name"]: len(suite) for suite in suites}
    assert names["closed.python3.11"] == 1  # one error case: no report
    assert names["h1.python3.11"] > 5  # one case per check
    h1_log = reports / version_of(wheel) / "h1" / "run.log"
    before = h1_log.stat().st_mtime_ns
    # h1 passed: left out; h2 was not in the last run: its report is missing, so it runs.
    again = run(inventory, "h1:h2:failing:closed", wheel, reports, rerun_failed=True)
    assert h1_log.stat().st_mtime_ns == before  # h1 did not run again...
    # ...and the matrix still shows its earlier cell, in inventory order.
    assert [(c.host, c.state) for c in again.cells] == [
        ("h1", CellState.PASS), ("h2", CellState.PASS),
        ("failing", CellState.FAILED), ("closed", CellState.UNREACHABLE),
    ]  # fmt: skip


def test_a_host_alias_from_ssh_config_with_an_include_is_followed(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    ssh = isolated_home / ".ssh"
    (ssh / "hosts.d").mkdir()
    (ssh / "hosts.d" / "lab").write_text(
        f"Host lab-h3\n  HostName 127.0.0.1\n  Port {lab.hosts['h3'].port}\n  User root\n"
        f"  IdentityFile {lab.client_key}\n"
    )
    (ssh / "config").write_text("Include hosts.d/*\n")
    inventory = tmp_path / "alias.yml"
    inventory.write_text(
        "all:\n  hosts:\n    viaconfig:\n      ansible_host: lab-h3\n"
        f"      mycelium_workdir: {lab.hosts['h3'].workdir}\n"
        f"      mycelium_qa_args: '{QUICK}'\n      mycelium_pythons: [python3.11]\n"
        f"      mycelium_env: {json.dumps(quick_env(lab, tmp_path))}\n"
    )
    result = run(inventory, "viaconfig", wheel, tmp_path / "reports")
    assert [c.state for c in result.cells] == [CellState.PASS], result.cells[0].message


def test_keep_leaves_the_run_directory_and_a_missing_python_is_a_red_cell(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    inventory = quick_inventory(lab, tmp_path / "lab.yml")
    result = run(
        inventory, "h3", wheel, tmp_path / "reports", keep=True, pythons=("python3.11", "python9.9")
    )
    assert [(c.python, c.state) for c in result.cells] == [
        ("python3.11", CellState.PASS), ("python9.9", CellState.NO_PYTHON)
    ]  # fmt: skip
    assert result.exit_code == 2
    run_id = json.loads(result.summary_path.read_text())["run_id"]
    kept = lab.hosts["h3"].workdir / f"{run_id}-h3"
    assert (kept / "qa_report-python3.11.json").is_file()
    shutil.rmtree(kept)


def test_offline_hosts_install_from_the_pushed_wheelhouse(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    no_index = no_index_env(lab, tmp_path)
    inventory = quick_inventory(lab, tmp_path / "lab.yml", h2={"mycelium_env": no_index})
    online = run(inventory, "h2", wheel, tmp_path / "reports")
    assert online.cells[0].state is CellState.INSTALL  # proves the host has no index
    offline = run(inventory, "h2", wheel, tmp_path / "reports", offline=True)
    assert [c.state for c in offline.cells] == [CellState.PASS], offline.cells[0].message
    assert (
        "=== ✓ unpack the wheelhouse"
        in (tmp_path / "reports" / version_of(wheel) / "h2" / "run.log").read_text()
    )


def test_a_host_that_dies_mid_run_is_a_row_and_the_others_still_report(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    h3 = lab.hosts["h3"]
    # In the checklist step the host "dies": its sshd stops listening, then the sshd process
    # serving this very session (the nearest ancestor named sshd) is killed.
    die = (
        f"{QUICK}; kill $(cat {h3.root / 'sshd.pid'}); p=$$; "
        'while [ "$p" -gt 1 ] && [ "$(ps -o comm= -p $p)" != sshd ]; '
        "do p=$(ps -o ppid= -p $p | tr -d ' '); done; kill -9 $p"
    )
    inventory = quick_inventory(lab, tmp_path / "lab.yml", h3={"mycelium_qa_args": die})
    try:
        result = run(inventory, "h1:h3", wheel, tmp_path / "reports")
    finally:
        h3.stop()
        h3.start()  # the same host key and port, for the tests after this one
    cells = {c.host: c for c in result.cells}
    assert cells["h1"].state is CellState.PASS
    assert cells["h3"].state is CellState.UNREACHABLE, cells["h3"].message
    assert result.exit_code == 4
    report = tmp_path / "reports" / version_of(wheel) / "h1" / "python3.11" / "qa_report.json"
    assert report.is_file()
    assert "| h3 " in result.matrix_path.read_text()
