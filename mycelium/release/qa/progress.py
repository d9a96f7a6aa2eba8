"""What a maintainer sees while ``invoke qa`` runs, and the per-host ``run.log``.

On a terminal, one live line per host with its current step (rich); otherwise a plain line
per finished step. ``-v`` also streams every command's output with a host prefix. Each
host's full output is written to ``reports/<version>/<host>/run.log``.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from mycelium.fileio import atomic_write
from mycelium.release.playbook.runner import PlayObserver, TaskOutcome
from mycelium.release.qa.render import plain

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from rich.live import Live

log = logging.getLogger("mycelium")


def _mark(outcome: TaskOutcome) -> str:
    if outcome.failed:
        return "✗"
    return "–" if outcome.result.get("skipped") else "✓"


def _outputs(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(stream, text) of a task's result, items of a loop included."""
    items = result.get("results")
    if isinstance(items, list):
        return [pair for item in items for pair in _outputs(item)]
    return [(name, str(result[name])) for name in ("stdout", "stderr") if result.get(name)]


class HostObserver(PlayObserver):
    """A play observer that is also told which hosts run, and when each has its cells."""

    def begin(self, hosts: Sequence[str]) -> None:
        """The run starts on ``hosts``."""

    def host_done(self, host: str, summary: str) -> None:
        """``host`` finished; ``summary`` is its cells' text."""


class HostProgress(HostObserver):
    """One live line per host on a terminal (rich), else a log line per finished step."""

    def __init__(self, *, verbose: bool = False, live: bool | None = None) -> None:
        self.verbose = verbose
        self._steps: dict[str, str] = {}
        self._lock = threading.Lock()
        self._use_live = (sys.stderr.isatty() if live is None else live) and not verbose
        self._live: Live | None = None

    def begin(self, hosts: Sequence[str]) -> None:
        with self._lock:
            self._steps = dict.fromkeys(hosts, "waiting")
        if self._use_live and self._live is None:
            from rich.console import Console  # noqa: PLC0415
            from rich.live import Live  # noqa: PLC0415

            self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=8)
            self._live.start()

    def _table(self) -> Any:
        from rich.table import Table  # noqa: PLC0415
        from rich.text import Text  # noqa: PLC0415 - Text: no markup read from host strings

        table = Table(show_header=False, box=None, pad_edge=False)
        for host, step in self._steps.items():
            table.add_row(Text(plain(host)), Text(plain(step)))
        return table

    def _set(self, host: str, step: str) -> None:
        with self._lock:
            self._steps[host] = step
            if self._live is not None:
                self._live.update(self._table())

    def task_started(self, host: str, task: str) -> None:
        self._set(host, f"… {task}")

    def task_finished(self, host: str, outcome: TaskOutcome) -> None:
        self._set(host, f"{_mark(outcome)} {outcome.task}")
        if self._live is None:
            log.info("[%s] %s %s", host, _mark(outcome), outcome.task)
        if self.verbose:
            for stream, text in _outputs(outcome.result):
                for line in text.splitlines():
                    # Output comes from the host: shown, never interpreted by the terminal.
                    log.info("[%s] %s| %s", host, "!" if stream == "stderr" else " ", plain(line))

    def host_done(self, host: str, summary: str) -> None:
        self._set(host, summary)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def write_run_log(path: Path, outcomes: Sequence[TaskOutcome], ending: str) -> None:
    """Every task of one host, with its commands' full output, then how the host ended."""
    lines: list[str] = []
    for outcome in outcomes:
        lines.append(f"=== {_mark(outcome)} {outcome.task}")
        items = outcome.result.get("results")
        for result in items if isinstance(items, list) else [outcome.result]:
            if "item" in result:
                lines.append(f"--- item: {result['item']}")
            if result.get("skipped"):
                lines.append("(skipped)")
                continue
            lines.append(f"rc: {result.get('rc', 0)}")
            lines.extend(
                f"{stream}: {line}"
                for stream, text in _outputs(result)
                for line in text.splitlines()
            )
    lines.append(f"=== {ending}")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))
