"""``invoke bench`` end to end: the real harness on localhost, on the sshd lab, interleaved.

Fast by design (``--quick --only`` two in-process operations); nothing here asserts a time:
only that the command ran everywhere it should and wrote reports that validate.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from mycelium.bench.report import PerformanceReport
from mycelium.release.bench.command import BenchOptions, BenchResult, run_bench_command
from mycelium.release.bench.compare import Verdict
from mycelium.release.bench.layout import REPORT_NAME
from mycelium.release.qa.cells import CellState
from mycelium.release.qa.progress import HostProgress
from mycelium.release.remote.transport import SSHOptions
from tests.integration.qa_runs import ROOT, no_index_env, version_of

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.release.dev.build import BuildResult
    from tests.integration.ssh_lab import Lab

ONLY = ("config_validation", "compose_generation")


def bench(inventory: Path, reports: Path, wheel: Path | None, **options: object) -> BenchResult:
    return run_bench_command(
        BenchOptions(
            project_dir=ROOT,
            inventory=inventory,
            playbook=ROOT / "playbooks" / "bench.yml",
            reports_root=reports,
            wheel=wheel,
            quick=True,
            only=ONLY,
            ssh=SSHOptions(connect_timeout=5),
            **options,  # type: ignore[arg-type]
        ),
        HostProgress(live=False),
    )


def test_invoke_bench_on_localhost_writes_the_report_the_matrix_and_the_svg(
    wheel: BuildResult, tmp_path: Path
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    result = bench(inventory, tmp_path / "reports", wheel.wheel)
    [cell] = result.cells
    assert cell.state in {CellState.PASS, CellState.FAILED}, cell.message
    reports = tmp_path / "reports" / version_of(wheel)
    report = PerformanceReport.model_validate_json(
        (reports / "localhost" / "python3" / REPORT_NAME).read_text()
    )
    assert [op.name for op in report.operations] == list(ONLY)
    assert report.host_alias == "localhost"
    assert [c.report for c in result.columns] == [report]
    matrix = (reports / "bench_matrix.md").read_text()
    assert any(line.startswith("| Configuration validation ") for line in matrix.splitlines())
    assert result.svg_path == reports / "bench.svg"
    assert "<svg" in result.svg_path.read_text()
    # Comparing the run with its own report: same environment, so a verdict per operation.
    again = bench(
        inventory, tmp_path / "reports", wheel.wheel,
        compare=str(reports / "localhost" / "python3" / REPORT_NAME),
    )  # fmt: skip
    [comparison] = again.comparisons
    assert [op.name for op in comparison.operations] == list(ONLY)
    assert {op.verdict for op in comparison.operations} <= set(Verdict)


def test_invoke_bench_over_the_lab_gives_each_host_its_column(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    inventory = lab.inventory(tmp_path / "lab.yml")
    before = {h.name: set(h.workdir.iterdir()) for h in lab.hosts.values()}  # other tests'
    result = bench(inventory, tmp_path / "reports", wheel.wheel, pattern="h1:h2:closed")
    states = {cell.host: cell.state for cell in result.cells}
    assert states["closed"] is CellState.UNREACHABLE
    assert {states["h1"], states["h2"]} <= {CellState.PASS, CellState.FAILED}
    assert [c.title for c in result.columns] == ["h1 python3.11", "h2 python3.11"]
    assert result.exit_code != 0  # a host could not run
    reports = tmp_path / "reports" / version_of(wheel)
    for host in ("h1", "h2"):
        report = PerformanceReport.model_validate_json(
            (reports / host / "python3.11" / REPORT_NAME).read_text()
        )
        assert report.host_alias == host
    assert "closed / python3.11: unreachable" in (reports / "bench_matrix.md").read_text()
    for lab_host in lab.hosts.values():
        kept = set(lab_host.workdir.iterdir()) - before[lab_host.name]
        assert kept == set(), f"{lab_host.name} kept its run directory"


def test_compare_ref_runs_both_builds_interleaved_and_names_a_and_b(
    wheel: BuildResult, tmp_path: Path
) -> None:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    result = bench(tmp_path / "unused.yml", tmp_path / "reports", wheel.wheel, compare="HEAD",
                   rounds=1)  # fmt: skip
    assert result.builds is not None
    a, b = result.builds
    assert a.startswith(f"A: HEAD ({head[:10]}, mycelium ")
    assert b.startswith("B: --wheel ")
    [comparison] = result.comparisons
    assert (comparison.old, comparison.new) == (a, b)
    assert [op.name for op in comparison.operations] == list(ONLY)
    out = tmp_path / "reports" / version_of(wheel) / "interleaved"
    for side in ("A", "B"):
        PerformanceReport.model_validate_json((out / f"{side}.json").read_text())
    assert "A against B, interleaved" in (out / "bench_matrix.md").read_text()
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"],
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "mycelium-bench-" not in worktrees  # the temporary worktree is gone


def test_offline_hosts_install_from_the_pushed_wheelhouse(
    lab: Lab, wheel: BuildResult, tmp_path: Path, isolated_home: Path
) -> None:
    lab.write_known_hosts(isolated_home)
    no_index = no_index_env(lab, tmp_path)
    inventory = lab.inventory(tmp_path / "lab.yml", extra={"h2": {"mycelium_env": no_index}})
    online = bench(inventory, tmp_path / "reports", wheel.wheel, pattern="h2")
    assert [c.state for c in online.cells] == [CellState.INSTALL]  # the host has no index

    offline = bench(inventory, tmp_path / "reports", wheel.wheel, pattern="h2", offline=True)

    assert [c.state for c in offline.cells] == [CellState.PASS], offline.cells[0].message
    reports = tmp_path / "reports" / version_of(wheel)
    assert "=== ✓ unpack the wheelhouse" in (reports / "h2" / "run.log").read_text()
    assert (reports / "h2" / "python3.11" / REPORT_NAME).is_file()
