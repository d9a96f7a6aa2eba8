"""``invoke qa``: the QA playbook on every selected host, concurrently, into matrix cells.

Each host runs in a worker of a bounded pool; every step has a timeout; whatever happens to a
host (refused, wrong key, silent, timed out, broken report) becomes the state of its cells,
never an exception of the run. Cells are keyed by inventory alias and interpreter.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import shlex
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from mycelium.errors import PlaybookError, ReleaseError
from mycelium.qa.report import PlatformInfo, QAReport, Status
from mycelium.release.playbook import HostRun, Play, render, run_play
from mycelium.release.progress import HostProgress, write_run_log
from mycelium.release.transport import FailureKind, HostFailureError, SSHOptions, open_transport
from mycelium.release.wheelhouse import WheelhouseBuilder, probe_targets

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from mycelium.release.inventory import Host
    from mycelium.release.transport import Transport

log = logging.getLogger("mycelium")

INTERRUPT_GRACE_S: Final = 30.0
_LAST_LINES: Final = 6


class CellState(StrEnum):
    PASS = "pass"  # noqa: S105 - a state, not a password
    FAILED = FailureKind.FAILED.value
    UNREACHABLE = FailureKind.UNREACHABLE.value
    AUTH = FailureKind.AUTH.value
    HOSTKEY = FailureKind.HOSTKEY.value
    TIMEOUT = FailureKind.TIMEOUT.value
    NO_PYTHON = FailureKind.NO_PYTHON.value
    INSTALL = FailureKind.INSTALL.value
    ERROR = FailureKind.ERROR.value
    ABSENT = "absent"  # no such interpreter, and --allow-missing said that is fine


UNREACHABLE_STATES: Final = frozenset({CellState.UNREACHABLE, CellState.AUTH, CellState.HOSTKEY})


@dataclass(frozen=True)
class Cell:
    host: str
    python: str
    state: CellState
    passed: int | None = None
    total: int | None = None
    message: str = ""
    failing: tuple[str, ...] = ()
    platform: PlatformInfo | None = None
    required: bool = False

    @property
    def text(self) -> str:
        if self.state is CellState.PASS:
            return f"✓ {self.passed}/{self.total}"
        if self.state is CellState.FAILED:
            return f"✗ {self.passed}/{self.total}"
        return self.state.value


@dataclass(frozen=True)
class WheelInfo:
    path: Path
    sha256: str
    version: str


@dataclass(frozen=True)
class RunSettings:
    play: Play
    wheel: WheelInfo
    run_id: str
    git_commit: str
    reports_dir: Path  # reports/<version>
    forks: int = 5
    task_timeout: float = 900.0
    ssh: SSHOptions = field(default_factory=SSHOptions)
    keep: bool = False
    allow_missing: bool = False
    wheelhouse: WheelhouseBuilder | None = None  # --offline


def pythons_for(host: Host, override: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    if override and host.name in override:
        return tuple(override[host.name])
    return host.pythons


class QAInterruptedError(KeyboardInterrupt):
    """Ctrl-C during a run; ``cells`` holds every expected cell (unfinished ones as errors)."""

    def __init__(self, cells: list[Cell]) -> None:
        super().__init__("interrupted")
        self.cells = cells


class _Stopper:
    """Ctrl-C for every host at once: stop between steps, and end the step that runs.

    The running step is ended on the host itself: every command of a run names its run
    directory, so ``pkill -f`` on that path finds exactly this run's processes.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self._active: dict[str, tuple[Transport, str]] = {}
        self._lock = threading.Lock()

    def register(self, host: str, transport: Transport, run_dir: str | None) -> None:
        if run_dir:
            with self._lock:
                self._active[host] = (transport, run_dir)

    def unregister(self, host: str) -> None:
        with self._lock:
            self._active.pop(host, None)

    def stop_all(self) -> None:
        self.event.set()
        with self._lock:
            active = list(self._active.values())
        threads = [
            threading.Thread(target=_kill_run, args=(transport, run_dir), daemon=True)
            for transport, run_dir in active
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)


def _kill_run(transport: Transport, run_dir: str) -> None:
    # "[/]tmp/x" as a regex matches "/tmp/x" but not the text of this very command line;
    # the removal is a command of its own, so pkill cannot match (and kill) it.
    pattern = f"[{run_dir[0]}]{run_dir[1:]}"
    try:
        transport.run(f"pkill -f -- {shlex.quote(pattern)}", timeout=10)
    except HostFailureError as failure:
        log.debug("%s: stopping the run failed: %s", transport.name, failure)
    _remove(transport, run_dir)


def run_on_hosts(
    hosts: Sequence[Host],
    settings: RunSettings,
    python_override: Mapping[str, Sequence[str]] | None = None,
    progress: HostProgress | None = None,
) -> list[Cell]:
    """Every expected cell of ``hosts``, in inventory order.

    Ctrl-C stops each host at its next step (its run directory is removed) and raises
    ``QAInterruptedError`` with the cells gathered so far.
    """
    stopper = _Stopper()
    results: dict[str, list[Cell]] = {}
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=max(1, settings.forks), thread_name_prefix="qa"
    )
    futures = {
        pool.submit(
            qa_on_host,
            host,
            pythons_for(host, python_override),
            settings,
            progress or HostProgress([h.name for h in hosts], live=False),
            stopper,
        ): host
        for host in hosts
    }

    def collect(done: set[concurrent.futures.Future[list[Cell]]]) -> None:
        for future in done:
            if not future.cancelled():
                results[futures[future].name] = future.result()

    def cells() -> list[Cell]:
        return [
            c
            for host in hosts
            for c in results.get(host.name)
            or _all_cells(host, pythons_for(host, python_override), CellState.ERROR, "interrupted")
        ]

    try:
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=0.5)
            collect(done)
    except KeyboardInterrupt:
        log.warning("interrupted: stopping every host and removing its run directory")
        for future in futures:
            future.cancel()
        stopper.stop_all()
        done, _ = concurrent.futures.wait(futures, timeout=INTERRUPT_GRACE_S)
        collect(done)
        raise QAInterruptedError(cells()) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return cells()


def _all_cells(host: Host, pythons: Sequence[str], state: CellState, message: str) -> list[Cell]:
    return [Cell(host.name, py, state, message=message, required=host.required) for py in pythons]


def qa_on_host(
    host: Host,
    pythons: Sequence[str],
    settings: RunSettings,
    progress: HostProgress,
    stopper: _Stopper,
) -> list[Cell]:
    """The cells of one host; whatever goes wrong becomes their state, never an exception."""
    journal = HostRun(host=host.name)
    try:
        cells = _run_host(
            host,
            pythons=pythons,
            settings=settings,
            progress=progress,
            stopper=stopper,
            journal=journal,
        )
    except Exception as exc:  # one host's surprise must not end the run
        log.debug("%s: unexpected failure", host.name, exc_info=True)
        cells = _all_cells(host, pythons, CellState.ERROR, f"{type(exc).__name__}: {exc}")
    ending = ", ".join(
        f"{c.python}: {c.text}" + (f" ({c.message})" if c.message else "") for c in cells
    )
    progress.host_done(host.name, " ".join(c.text for c in cells))
    write_run_log(settings.reports_dir / host.name / "run.log", journal.outcomes, ending)
    return cells


def _run_host(
    host: Host,
    *,
    pythons: Sequence[str],
    settings: RunSettings,
    progress: HostProgress,
    stopper: _Stopper,
    journal: HostRun,
) -> list[Cell]:
    for python in pythons:
        stale = settings.reports_dir / host.name / _label(python) / "qa_report.json"
        stale.unlink(missing_ok=True)  # an old report must never make a cell look green
    if stopper.event.is_set():
        return _all_cells(host, pythons, CellState.ERROR, "interrupted")
    progress.task_started(host.name, "connect")
    try:
        transport = open_transport(host, settings.ssh)
    except HostFailureError as failure:
        return _all_cells(host, pythons, CellState(failure.kind.value), str(failure))
    variables = _variables(host, pythons, settings)
    if settings.wheelhouse is not None:
        progress.task_started(host.name, "build its wheelhouse")
        try:
            targets = probe_targets(transport, pythons)
            if targets:
                variables["mycelium_wheelhouse"] = str(settings.wheelhouse.tarball(targets))
        except (HostFailureError, ReleaseError, ValueError) as exc:
            transport.close()
            return _all_cells(host, pythons, CellState.INSTALL, f"--offline: {exc}")
    run_dir = _run_dir(settings.play, variables)
    stopper.register(host.name, transport, run_dir)
    run: HostRun | None = None
    try:
        run = run_play(
            settings.play,
            transport,
            variables,
            task_timeout=settings.task_timeout,
            observer=progress,
            should_stop=stopper.event.is_set,
            journal=journal,
        )
    except HostFailureError as failure:
        return _all_cells(host, pythons, CellState(failure.kind.value), str(failure))
    except PlaybookError as exc:
        return _all_cells(host, pythons, CellState.ERROR, f"playbook: {exc}")
    finally:
        stopper.unregister(host.name)
        failed = run is None or run.failed_task is not None
        if run_dir and failed and not settings.keep:
            _remove(transport, run_dir)
        transport.close()
    return classify(host, pythons, run, settings)


def _variables(host: Host, pythons: Sequence[str], settings: RunSettings) -> dict[str, Any]:
    return {
        **host.vars,
        "inventory_hostname": host.name,
        "mycelium_pythons": list(pythons),
        "mycelium_wheel": str(settings.wheel.path),
        "mycelium_wheel_sha256": settings.wheel.sha256,
        "mycelium_version": settings.wheel.version,
        "mycelium_run_id": settings.run_id,
        "mycelium_git_commit": settings.git_commit,
        "mycelium_reports_dir": str(settings.reports_dir),
        "mycelium_keep": settings.keep,
    }


def _run_dir(play: Play, variables: Mapping[str, Any]) -> str | None:
    """The play's ``run_dir`` for this host, so a failed or stopped run can be removed."""
    try:
        return str(render(play.vars["run_dir"], variables)) if "run_dir" in play.vars else None
    except PlaybookError:
        return None


def _remove(transport: Transport, run_dir: str) -> None:
    try:
        transport.run(f"rm -rf -- {shlex.quote(run_dir)}", timeout=30)
    except HostFailureError as failure:
        log.debug("%s: cleanup failed: %s", transport.name, failure)


def _label(python: str) -> str:
    return python.rstrip("/").rsplit("/", 1)[-1]


def _item_result(run: HostRun, register: str, python: str) -> dict[str, Any] | None:
    for result in run.registered.get(register, {}).get("results", []):
        if result.get("item") == python:
            return dict(result)
    return None


def _tail(result: Mapping[str, Any]) -> str:
    text = "\n".join(filter(None, [str(result.get("stderr", "")), str(result.get("stdout", ""))]))
    lines = [line for line in text.splitlines() if line.strip()][-_LAST_LINES:]
    return " | ".join(lines) or f"exit status {result.get('rc')}"


def classify(host: Host, pythons: Sequence[str], run: HostRun, settings: RunSettings) -> list[Cell]:
    """Each interpreter's cell from the host's journal and the report it sent back."""
    if run.failed_task is not None and "found" not in run.registered:
        failed = run.failed_task
        return _all_cells(
            host, pythons, CellState.ERROR, f"step '{failed.task}' failed: {_tail(failed.result)}"
        )
    return [_classify_one(host, python, run, settings) for python in pythons]


def _classify_one(host: Host, python: str, run: HostRun, settings: RunSettings) -> Cell:
    def cell(state: CellState, message: str) -> Cell:
        return Cell(host.name, _label(python), state, message=message, required=host.required)

    found = _item_result(run, "found", python)
    if found is None or found.get("rc") != 0:
        state = CellState.ABSENT if settings.allow_missing else CellState.NO_PYTHON
        return cell(state, f"{python} not found on the host")
    for register, what in (
        ("venvs", "creating the virtualenv"),
        ("installs", "installing the wheel"),
    ):
        step = _item_result(run, register, python)
        if step is None or step.get("failed"):
            detail = _tail(step) if step else "step did not run"
            return cell(CellState.INSTALL, f"{what} failed: {detail}")
    qa = _item_result(run, "qa", python)
    if qa is None or qa.get("rc") not in {0, 1}:
        detail = _tail(qa) if qa else "step did not run"
        return cell(CellState.ERROR, f"mycelium-qa did not complete: {detail}")
    path = settings.reports_dir / host.name / _label(python) / "qa_report.json"
    report, problem = read_report(path, settings)
    if report is None:
        path.unlink(missing_ok=True)  # keep only what validated
        return cell(CellState.ERROR, problem)
    failing = tuple(
        f"{r.category}/{r.test}" for r in report.results if r.status in {Status.FAIL, Status.ERROR}
    )
    ran = report.summary.total - report.summary.skipped
    return Cell(
        host=host.name,
        python=_label(python),
        state=CellState.PASS if report.ok else CellState.FAILED,
        passed=report.summary.passed,
        total=ran,
        message="" if report.ok else f"{len(failing)} check(s) failed",
        failing=failing,
        platform=report.platform,
        required=host.required,
    )


def read_report(path: Path, settings: RunSettings) -> tuple[QAReport | None, str]:
    """The report at ``path`` if it is valid and from this very run, else why not."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, "no report came back"
    try:
        report = QAReport.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        return None, f"invalid report: {where}: {first['msg']}"
    except (ValueError, json.JSONDecodeError) as exc:
        return None, f"invalid report: {exc}"
    origin = report.origin
    if origin.run_id != settings.run_id or origin.wheel_sha256 != settings.wheel.sha256:
        return None, "stale report: it does not carry this run's id and wheel checksum"
    return report, ""


def exit_code_for(cells: Sequence[Cell]) -> int:
    """Ansible's convention: 0 all passed, 4 some host unreachable, 2 any other failure (wins)."""
    from mycelium import exit_codes  # noqa: PLC0415

    states = {c.state for c in cells}
    if states == {CellState.ABSENT}:
        return exit_codes.QA_FAILED  # a run that tested nothing must never look green
    if states - UNREACHABLE_STATES - {CellState.PASS, CellState.ABSENT}:
        return exit_codes.QA_FAILED
    if states & UNREACHABLE_STATES:
        return exit_codes.QA_UNREACHABLE
    return exit_codes.OK
