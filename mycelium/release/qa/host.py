"""One host's run: connect, run the playbook, classify, clean up, write its ``run.log``.

``invoke qa`` and ``invoke bench`` share it; ``RunSettings.reader`` says which report the
playbook fetches and how it becomes a cell. Whatever happens to the host (refused, wrong
key, silent, timed out, broken report, Ctrl-C) becomes the state of its cells, never an
exception of the run.
"""

from __future__ import annotations

import logging
import posixpath
import shlex
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mycelium.errors import PlaybookError, ReleaseError
from mycelium.release import defaults
from mycelium.release.fleet.hostvars import python_label
from mycelium.release.playbook.runner import HostRun, PlayInterruptedError, run_play
from mycelium.release.playbook.templating import render
from mycelium.release.qa.cells import STATE_FOR_FAILURE, Cell, CellState, cells_of
from mycelium.release.qa.classify import QA_READER, Expected, ReportReader, classify
from mycelium.release.qa.layout import RUN_LOG_NAME, host_dir
from mycelium.release.qa.progress import HostObserver, write_run_log
from mycelium.release.qa.wheelhouse import WheelhouseBuilder, probe_targets
from mycelium.release.remote.connect import open_transport
from mycelium.release.remote.transport import SSHOptions, TransportError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from mycelium.release.fleet.inventory import Host
    from mycelium.release.playbook.loader import Play
    from mycelium.release.remote.fanout import StopSignal
    from mycelium.release.remote.transport import Transport

log = logging.getLogger("mycelium")


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
    task_timeout: float = defaults.STEP_TIMEOUT_S
    ssh: SSHOptions = field(default_factory=SSHOptions)
    keep: bool = False
    allow_missing: bool = False
    wheelhouse: WheelhouseBuilder | None = None  # --offline
    reader: ReportReader = QA_READER  # what the playbook fetches, and how it becomes a cell
    extra_vars: Mapping[str, Any] = field(default_factory=dict)  # the command's own variables

    @property
    def expected(self) -> Expected:
        return Expected(
            run_id=self.run_id,
            wheel_sha256=self.wheel.sha256,
            reports_dir=self.reports_dir,
            allow_missing=self.allow_missing,
        )


def qa_on_host(
    host: Host,
    pythons: Sequence[str],
    settings: RunSettings,
    observer: HostObserver,
    stop: StopSignal,
) -> list[Cell]:
    """The cells of one host; whatever goes wrong becomes their state, never an exception."""
    journal = HostRun(host=host.name)
    labels = [python_label(p) for p in pythons]
    try:
        cells = _run_host(
            host, pythons, settings=settings, observer=observer, stop=stop, journal=journal
        )
    except PlayInterruptedError:
        cells = cells_of(host.name, labels, CellState.INTERRUPTED, "interrupted",
                         required=host.required)  # fmt: skip
    except Exception as exc:  # one host's surprise must not end the run
        log.debug("%s: unexpected failure", host.name, exc_info=True)
        cells = cells_of(host.name, labels, CellState.ERROR, f"{type(exc).__name__}: {exc}",
                         required=host.required)  # fmt: skip
    if host.is_container:  # the matrix says so even when no report came back
        cells = [replace(c, container=True) for c in cells]
    ending = ", ".join(
        f"{c.python}: {c.text}" + (f" ({c.message})" if c.message else "") for c in cells
    )
    observer.host_done(host.name, " ".join(c.text for c in cells))
    write_run_log(host_dir(settings.reports_dir, host.name) / RUN_LOG_NAME, journal.outcomes,
                  ending)  # fmt: skip
    return cells


def _run_host(
    host: Host,
    pythons: Sequence[str],
    *,
    settings: RunSettings,
    observer: HostObserver,
    stop: StopSignal,
    journal: HostRun,
) -> list[Cell]:
    labels = [python_label(p) for p in pythons]

    def every(state: CellState, message: str) -> list[Cell]:
        return cells_of(host.name, labels, state, message, required=host.required)

    for python in pythons:
        # An old report must never make a cell look green.
        for path in settings.reader.stale_paths(settings.reports_dir, host.name, python):
            path.unlink(missing_ok=True)
    if stop.is_set():
        return every(CellState.INTERRUPTED, "interrupted")
    observer.task_started(host.name, "connect")
    try:
        transport = open_transport(host, settings.ssh)
    except TransportError as failure:
        return every(STATE_FOR_FAILURE[failure.kind], str(failure))
    # Ctrl-C: the transport stops what runs now (a container's commands), besides _kill_run.
    stop.on_stop((host.name, "transport"), transport.interrupt)
    try:
        variables = _variables(host, pythons, settings)
        if settings.wheelhouse is not None:
            observer.task_started(host.name, "build its wheelhouse")
            try:
                variables.update(_wheelhouse(transport, pythons, settings.wheelhouse))
            except (ReleaseError, ValueError) as exc:
                return every(CellState.INSTALL, f"--offline: {exc}")
        run = _play(host, transport, variables, settings=settings, observer=observer, stop=stop,
                    journal=journal)  # fmt: skip
        return classify(host.name, pythons, run, settings.expected, required=host.required,
                        reader=settings.reader)  # fmt: skip
    except PlaybookError as exc:
        return every(CellState.ERROR, f"playbook: {exc}")
    except TransportError as failure:
        return every(STATE_FOR_FAILURE[failure.kind], str(failure))
    finally:
        stop.clear_action((host.name, "transport"))
        transport.close()


def _wheelhouse(
    transport: Transport, pythons: Sequence[str], builder: WheelhouseBuilder
) -> dict[str, str]:
    targets = probe_targets(transport, pythons)
    return {"mycelium_wheelhouse": str(builder.tarball(targets))} if targets else {}


def _play(
    host: Host,
    transport: Transport,
    variables: dict[str, Any],
    *,
    settings: RunSettings,
    observer: HostObserver,
    stop: StopSignal,
    journal: HostRun,
) -> HostRun:
    """Run the play; on failure or Ctrl-C, remove the run directory (unless --keep)."""
    run_dir = run_dir_of(settings.play, variables, settings.run_id)
    if run_dir is not None:
        stop.on_stop(host.name, lambda: _kill_run(transport, run_dir))
    run: HostRun | None = None
    try:
        run = run_play(
            settings.play,
            transport,
            variables,
            task_timeout=settings.task_timeout,
            observer=observer,
            should_stop=stop.is_set,
            journal=journal,
        )
    finally:
        stop.clear_action(host.name)
        if run_dir and (run is None or run.failed_task is not None) and not settings.keep:
            # Stopped or failed: first end whatever of this run still runs there (a step
            # cut short may leave children writing into the directory), then remove it.
            if stop.is_set():
                _kill_run(transport, run_dir)
            else:
                _remove(transport, run_dir)
    return run


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
        **settings.extra_vars,
    }


def run_dir_of(play: Play, variables: dict[str, Any], run_id: str) -> str | None:
    """The play's ``run_dir`` for this host, if it is one this run made and may remove.

    Only an absolute, normalised path whose last part starts with this run's id qualifies:
    the clean-up can never reach a directory the run did not create.
    """
    if "run_dir" not in play.vars:
        return None
    try:
        run_dir = str(render(play.vars["run_dir"], variables))
    except PlaybookError:
        return None
    if (
        not run_dir.startswith("/")
        or posixpath.normpath(run_dir) != run_dir
        or not posixpath.basename(run_dir).startswith(run_id)
    ):
        log.warning("run_dir %r is not a directory of this run: it will not be removed", run_dir)
        return None
    return run_dir


def _kill_run(transport: Transport, run_dir: str) -> None:
    # "[/]tmp/x" as a regex matches "/tmp/x" but not the text of this very command line;
    # the removal is a command of its own, so pkill cannot match (and kill) it.
    pattern = f"[{run_dir[0]}]{run_dir[1:]}"
    try:
        transport.run(f"pkill -f -- {shlex.quote(pattern)}", timeout=10)
    except TransportError as failure:
        log.debug("%s: stopping the run failed: %s", transport.name, failure)
    _remove(transport, run_dir)


def _remove(transport: Transport, run_dir: str) -> None:
    # A process that is still dying may create a file while rm walks the tree ("Directory
    # not empty"): try again a few times, a second apart, until the directory is gone.
    quoted = shlex.quote(run_dir)
    command = (
        f"for attempt in 1 2 3 4 5; do rm -rf -- {quoted} 2>/dev/null; "
        f"[ -e {quoted} ] || exit 0; sleep 1; done; exit 1"
    )
    try:
        result = transport.run(command, timeout=30)
    except TransportError as failure:
        log.debug("%s: cleanup failed: %s", transport.name, failure)
        return
    if result.rc != 0:
        log.warning("%s: could not remove %s; remove it by hand", transport.name, run_dir)
