"""``invoke qa`` as a plain function: select hosts, build once, run everywhere, report."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import parse_wheel_filename

from mycelium.errors import UsageError
from mycelium.fileio import atomic_write
from mycelium.qa.report import QAReport
from mycelium.release.build import build, sha256_of
from mycelium.release.inventory import Host, load_inventory
from mycelium.release.matrix import failed_cells, junit, render_text, write_outputs
from mycelium.release.patterns import select_hosts
from mycelium.release.playbook import load_playbook
from mycelium.release.progress import HostProgress
from mycelium.release.remote_qa import (
    Cell,
    QAInterruptedError,
    RunSettings,
    WheelInfo,
    exit_code_for,
    run_on_hosts,
)
from mycelium.release.transport import SSHOptions
from mycelium.release.wheelhouse import WheelhouseBuilder

if TYPE_CHECKING:
    from pathlib import Path


log = logging.getLogger("mycelium")

MAX_FORKS = 16  # beyond this a maintainer's machine spends its time on SSH handshakes


@dataclass(frozen=True)
class QACommandOptions:
    project_dir: Path
    inventory: Path
    playbook: Path
    reports_root: Path
    pattern: str = "localhost"
    forks: int | None = None  # None: every selected host at once, up to MAX_FORKS
    pythons: tuple[str, ...] = ()
    rerun_failed: bool = False
    keep: bool = False
    allow_missing: bool = False
    verbose: bool = False
    offline: bool = False
    junit: Path | None = None
    wheel: Path | None = None
    task_timeout: float = 900.0
    ssh: SSHOptions = field(default_factory=SSHOptions)


@dataclass(frozen=True)
class QACommandResult:
    cells: list[Cell]
    text: str
    matrix_path: Path
    summary_path: Path
    exit_code: int
    interrupted: bool = False


def selected_hosts(inventory: Path, pattern: str) -> list[Host]:
    return select_hosts(load_inventory(inventory), pattern)


def _git_commit(project_dir: Path) -> str:
    try:
        import git  # noqa: PLC0415

        return str(git.Repo(project_dir, search_parent_directories=True).head.commit.hexsha)
    except (ImportError, ValueError, git.exc.GitError):
        return ""


def _wheel(options: QACommandOptions) -> WheelInfo:
    path = options.wheel or build(options.project_dir).wheel
    _, version, _, _ = parse_wheel_filename(path.name)
    return WheelInfo(path=path.resolve(), sha256=sha256_of(path), version=str(version))


def _hosts_in(summary: Path) -> set[str]:
    data = json.loads(summary.read_text(encoding="utf-8"))
    return {str(cell["host"]) for cell in data.get("cells", [])}


def run_qa_command(options: QACommandOptions) -> QACommandResult:
    """Everything is checked (inventory, pattern, playbook) before the build and any host."""
    hosts = selected_hosts(options.inventory, options.pattern)
    play = load_playbook(options.playbook)[0]
    wheel = _wheel(options)
    reports_dir = options.reports_root / wheel.version
    override: dict[str, list[str]] | None = None
    if options.rerun_failed:
        summary = reports_dir / "qa_summary.json"
        if not summary.is_file():
            raise UsageError(
                f"--rerun-failed: no earlier run of {wheel.version} ({summary} is missing)"
            )
        override = failed_cells(summary)
        known = _hosts_in(summary)
        # Hosts the last run did not cover (new, or missing from it) run again in full.
        override.update({h.name: list(h.pythons) for h in hosts if h.name not in known})
        hosts = [h for h in hosts if h.name in override]
        if not hosts:
            raise UsageError(
                f"--rerun-failed: every selected cell passed in {summary}; nothing to rerun"
            )
    elif options.pythons:
        override = {h.name: list(options.pythons) for h in hosts}
    forks = options.forks or min(len(hosts), MAX_FORKS)
    settings = RunSettings(
        play=play,
        wheel=wheel,
        run_id=uuid.uuid4().hex[:12],
        git_commit=_git_commit(options.project_dir),
        reports_dir=reports_dir,
        forks=forks,
        task_timeout=options.task_timeout,
        ssh=options.ssh,
        keep=options.keep,
        allow_missing=options.allow_missing,
        wheelhouse=(
            WheelhouseBuilder(options.project_dir, wheel.path, wheel.path.parent / "wheelhouse")
            if options.offline
            else None
        ),
    )
    log.info(
        "QA of mycelium %s on %d host(s): %s",
        wheel.version,
        len(hosts),
        ", ".join(h.name for h in hosts),
    )
    interrupted = False
    progress = HostProgress([h.name for h in hosts], verbose=options.verbose)
    try:
        cells = run_on_hosts(hosts, settings, override, progress=progress)
    except QAInterruptedError as stop:
        cells, interrupted = stop.cells, True
    finally:
        progress.close()
    meta = {
        "version": wheel.version,
        "run_id": settings.run_id,
        "git_commit": settings.git_commit,
        "wheel_sha256": wheel.sha256,
        "pattern": options.pattern,
        "inventory": str(options.inventory),
        "interrupted": interrupted,
    }
    code = exit_code_for(cells)
    meta["exit_code"] = code
    matrix_path, summary_path = write_outputs(reports_dir, cells, meta)
    if options.junit:
        reports = {
            (c.host, c.python): QAReport.model_validate_json(
                (reports_dir / c.host / c.python / "qa_report.json").read_text(encoding="utf-8")
            )
            for c in cells
            if c.total is not None
        }
        atomic_write(options.junit, junit(cells, reports))
    return QACommandResult(
        cells=cells,
        text=render_text(cells),
        matrix_path=matrix_path,
        summary_path=summary_path,
        exit_code=code,
        interrupted=interrupted,
    )
