"""``invoke qa`` as a plain function: select hosts, build once, run everywhere, report.

It returns data (the cells and where they were written); the task renders them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from mycelium.errors import UsageError, UserError
from mycelium.fileio import atomic_write
from mycelium.qa.report import QAReport
from mycelium.release import defaults
from mycelium.release.dev.build import build, sha256_of
from mycelium.release.fleet.hostvars import python_label
from mycelium.release.fleet.inventory import Host, Inventory, load_inventory
from mycelium.release.fleet.patterns import select_hosts
from mycelium.release.playbook.loader import load_playbook
from mycelium.release.qa.cells import (
    Cell,
    CellState,
    cells_of,
    exit_code_for,
    with_missing_required,
)
from mycelium.release.qa.host import RunSettings, WheelInfo, qa_on_host
from mycelium.release.qa.layout import MATRIX_NAME, SUMMARY_NAME, contained, report_path
from mycelium.release.qa.render import junit, render_markdown
from mycelium.release.qa.summary import QASummary, load_summary, write_summary
from mycelium.release.qa.wheelhouse import WheelhouseBuilder
from mycelium.release.remote.fanout import fan_out
from mycelium.release.remote.transport import SSHOptions

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from mycelium.release.playbook.loader import Play
    from mycelium.release.qa.progress import HostObserver
    from mycelium.release.remote.fanout import StopSignal


log = logging.getLogger("mycelium")


@dataclass(frozen=True)
class FleetOptions:
    """What every run of a playbook over the fleet is told (``invoke qa``, ``invoke bench``)."""

    project_dir: Path
    inventory: Path
    playbook: Path
    reports_root: Path
    pattern: str = "localhost"
    forks: int | None = None  # None: every selected host at once, up to MAX_FORKS
    pythons: tuple[str, ...] = ()
    keep: bool = False
    wheel: Path | None = None
    task_timeout: float = defaults.STEP_TIMEOUT_S
    ssh: SSHOptions = field(default_factory=SSHOptions)
    offline: bool = False  # push a wheelhouse: hosts install without a package index


@dataclass(frozen=True)
class QACommandOptions(FleetOptions):
    rerun_failed: bool = False
    allow_missing: bool = False
    junit: Path | None = None


@dataclass(frozen=True)
class OpenRun:
    """A fleet run checked and ready: nothing has touched a host yet."""

    inventory: Inventory
    hosts: list[Host]
    play: Play
    wheel: WheelInfo
    reports_dir: Path  # reports/<version>, never through a planted link

    def settings(self, options: FleetOptions, **extra: Any) -> RunSettings:
        """This run's settings: a fresh run id, the commit, and ``extra`` for the command."""
        wheel = self.wheel.path
        return RunSettings(
            wheelhouse=(
                WheelhouseBuilder(options.project_dir, wheel, wheel.parent / "wheelhouse")
                if options.offline
                else None
            ),
            play=self.play,
            wheel=self.wheel,
            run_id=uuid.uuid4().hex[:12],
            git_commit=git_commit_of(options.project_dir),
            reports_dir=self.reports_dir,
            task_timeout=options.task_timeout,
            ssh=options.ssh,
            keep=options.keep,
            **extra,
        )

    def in_inventory_order(self, cells: Sequence[Cell]) -> list[Cell]:
        order = list(self.inventory.hosts)
        return sorted(cells, key=lambda c: order.index(c.host) if c.host in order else len(order))


def open_run(options: FleetOptions) -> OpenRun:
    """Everything is checked (inventory, pattern, playbook) before the build and any host."""
    inventory = load_inventory(options.inventory)
    hosts = select_hosts(inventory, options.pattern)
    play = load_playbook(options.playbook)[0]
    wheel = wheel_info(options.project_dir, options.wheel)
    # A planted link at reports/<version> must not carry the run's files elsewhere.
    reports_dir = contained(options.reports_root, wheel.version)
    return OpenRun(inventory, hosts, play, wheel, reports_dir)


@dataclass(frozen=True)
class QACommandResult:
    cells: list[Cell]
    matrix_path: Path
    summary_path: Path
    exit_code: int
    interrupted: bool = False


def selected_hosts(inventory: Path, pattern: str) -> list[Host]:
    return select_hosts(load_inventory(inventory), pattern)


def _required(inventory: Inventory) -> list[tuple[str, str]]:
    """Every (host, python) the inventory marks ``mycelium_required``."""
    return [
        (host.name, label)
        for host in inventory.hosts.values()
        if host.required
        for label in map(python_label, host.pythons)
    ]


def git_commit_of(project_dir: Path) -> str:
    """The commit ``project_dir`` is at, or "" without git, GitPython or a repository."""
    try:
        import git  # noqa: PLC0415 - GitPython is the release extra, optional here
    except ImportError:
        return ""
    try:
        return str(git.Repo(project_dir, search_parent_directories=True).head.commit.hexsha)
    except (ValueError, git.exc.GitError):
        return ""


def wheel_info(project_dir: Path, wheel: Path | None) -> WheelInfo:
    """``wheel``, or the one built from ``project_dir``, with its checksum and version."""
    path = wheel or build(project_dir).wheel
    # A mistyped path is the likelier mistake: say so before judging the name.
    if not path.is_file():
        raise UsageError(f"--wheel {path}: no such file")
    try:
        _, version, _, _ = parse_wheel_filename(path.name)
    except InvalidWheelFilename:
        raise UsageError(f"--wheel {path}: not a wheel file name (name-version-...whl)") from None
    return WheelInfo(path=path.resolve(), sha256=sha256_of(path), version=str(version))


def _plan(
    options: QACommandOptions, hosts: list[Host], reports_dir: Path
) -> tuple[list[Host], dict[str, list[str]] | None, list[Cell]]:
    """The hosts to run, per host the interpreters when not the inventory's own, and the
    cells of an earlier run that stand (``--rerun-failed``: the ones that passed)."""
    if options.rerun_failed:
        path = reports_dir / SUMMARY_NAME
        if not path.is_file():
            raise UsageError(
                f"--rerun-failed: no earlier run of {reports_dir.name} ({path} is missing)"
            )
        summary = load_summary(path)
        override = summary.failed_cells()
        known = summary.hosts()
        # Hosts the last run did not cover (new, or missing from it) run again in full.
        override.update({h.name: list(h.pythons) for h in hosts if h.name not in known})
        hosts = [h for h in hosts if h.name in override]
        if not hosts:
            raise UsageError(
                f"--rerun-failed: every selected cell passed in {path}; nothing to rerun"
            )
        rerun = {(h, python_label(p)) for h, pythons in override.items() for p in pythons}
        kept = [c.to_cell() for c in summary.cells if (c.host, c.python) not in rerun]
        return hosts, override, kept
    if options.pythons:
        return hosts, {h.name: list(options.pythons) for h in hosts}, []
    return hosts, None, []


def run_qa_command(options: QACommandOptions, observer: HostObserver) -> QACommandResult:
    """Everything is checked (inventory, pattern, playbook) before the build and any host."""
    opened = open_run(options)
    inventory, wheel, reports_dir = opened.inventory, opened.wheel, opened.reports_dir
    hosts, override, kept = _plan(options, opened.hosts, reports_dir)
    pythons = {h.name: tuple(override[h.name]) if override else h.pythons for h in hosts}
    settings = opened.settings(options, allow_missing=options.allow_missing)
    log.info(
        "QA of mycelium %s on %d host(s): %s",
        wheel.version,
        len(hosts),
        ", ".join(h.name for h in hosts),
    )
    cells, interrupted = run_on_hosts(hosts, pythons, settings, observer, forks=options.forks)
    cells = opened.in_inventory_order(with_missing_required([*kept, *cells], _required(inventory)))
    code = exit_code_for(cells)
    summary = QASummary.build(
        cells,
        version=wheel.version,
        run_id=settings.run_id,
        git_commit=settings.git_commit,
        wheel_sha256=wheel.sha256,
        pattern=options.pattern,
        inventory=str(options.inventory),
        interrupted=interrupted,
        exit_code=code,
    )
    matrix_path, summary_path = _write_outputs(reports_dir, cells, summary)
    if options.junit:
        atomic_write(options.junit, junit(cells, _reports(reports_dir, cells)))
    return QACommandResult(
        cells=cells,
        matrix_path=matrix_path,
        summary_path=summary_path,
        exit_code=code,
        interrupted=interrupted,
    )


def run_on_hosts(
    hosts: Sequence[Host],
    pythons: Mapping[str, Sequence[str]],
    settings: RunSettings,
    observer: HostObserver,
    *,
    forks: int | None = None,
) -> tuple[list[Cell], bool]:
    """Run the play on every host at once (up to ``forks``): their cells, and whether
    Ctrl-C ended the run. A host whose job raised, or never ran, still gets its cells."""
    by_name = {h.name: h for h in hosts}
    observer.begin(list(by_name))

    def job(name: str, stop: StopSignal) -> list[Cell]:
        return qa_on_host(by_name[name], pythons[name], settings, observer, stop)

    group = fan_out(list(by_name), job, forks=min(forks or len(hosts), defaults.MAX_FORKS))
    cells: list[Cell] = []
    for host in hosts:
        if host.name in group.results:
            cells += group.results[host.name]
            continue
        error = group.failures.get(host.name)
        state, message = (
            (CellState.ERROR, f"{type(error).__name__}: {error}")
            if error is not None
            else (CellState.INTERRUPTED, "interrupted")
        )
        labels = [
            report_path(settings.reports_dir, host.name, p).parent.name for p in pythons[host.name]
        ]
        cells += [
            replace(c, container=host.is_container)
            for c in cells_of(host.name, labels, state, message, required=host.required)
        ]
    return cells, group.interrupted


def _write_outputs(
    reports_dir: Path, cells: Sequence[Cell], summary: QASummary
) -> tuple[Path, Path]:
    """``qa_matrix.md`` and ``qa_summary.json`` under ``reports/<version>/``."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    matrix_path = reports_dir / MATRIX_NAME
    atomic_write(matrix_path, render_markdown(cells, summary.model_dump()).encode("utf-8"))
    summary_path = reports_dir / SUMMARY_NAME
    write_summary(summary_path, summary)
    return matrix_path, summary_path


def _reports(reports_dir: Path, cells: Sequence[Cell]) -> Mapping[tuple[str, str], QAReport]:
    """The validated reports of the cells that have one (for JUnit)."""
    found: dict[tuple[str, str], QAReport] = {}
    for cell in cells:
        if cell.total is None:
            continue
        path = report_path(reports_dir, cell.host, cell.python)
        try:
            found[(cell.host, cell.python)] = QAReport.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: cannot be read back for --junit: {exc}") from None
    return found
