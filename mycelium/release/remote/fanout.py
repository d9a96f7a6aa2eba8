"""Run one job per host on a bounded pool, and return every host's outcome.

As Fabric's ``GroupResult``, the answer maps each host to its result *or* the exception it
raised, so no partial result is lost; unlike Fabric's ``ThreadingGroup`` the pool is
bounded, and Ctrl-C is handled: the shared ``StopSignal`` is set, each host's registered
stop action runs (bounded in time), and the hosts that finished within the grace period
keep their results.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Sequence

log = logging.getLogger("mycelium")

K = TypeVar("K", bound="Hashable")
R = TypeVar("R")

INTERRUPT_GRACE_S: Final = 30.0
STOP_ACTION_BUDGET_S: Final = 15.0
_POLL_S: Final = 0.5


class StopSignal:
    """Set once, on Ctrl-C; each running job registers how to stop what it runs now."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._actions: dict[object, Callable[[], None]] = {}
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        return self._event.is_set()

    def on_stop(self, key: object, action: Callable[[], None]) -> None:
        with self._lock:
            self._actions[key] = action

    def clear_action(self, key: object) -> None:
        with self._lock:
            self._actions.pop(key, None)

    def stop(self) -> None:
        """Set the signal and run every registered action at once, each bounded in time."""
        self._event.set()
        with self._lock:
            actions = list(self._actions.values())
        threads = [threading.Thread(target=action, daemon=True) for action in actions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=STOP_ACTION_BUDGET_S)


@dataclass
class GroupResult(Generic[K, R]):
    """Each host's result or exception; hosts never finished are in neither."""

    results: dict[K, R] = field(default_factory=dict)
    failures: dict[K, BaseException] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def succeeded(self) -> dict[K, R]:
        return self.results

    @property
    def failed(self) -> dict[K, BaseException]:
        return self.failures


def fan_out(
    keys: Sequence[K],
    job: Callable[[K, StopSignal], R],
    *,
    forks: int,
    grace: float = INTERRUPT_GRACE_S,
) -> GroupResult[K, R]:
    """``job(key, stop)`` for every key, at most ``forks`` at once.

    Ctrl-C in the calling thread sets ``stop``, runs the stop actions, waits up to ``grace``
    seconds for the jobs to return, and answers with ``interrupted`` set.
    """
    stop = StopSignal()
    outcome: GroupResult[K, R] = GroupResult()
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=max(1, forks), thread_name_prefix="host"
    )
    futures = {pool.submit(job, key, stop): key for key in keys}

    def collect(done: set[concurrent.futures.Future[R]]) -> None:
        for future in done:
            if future.cancelled():
                continue
            error = future.exception()
            if error is None:
                outcome.results[futures[future]] = future.result()
            else:
                outcome.failures[futures[future]] = error

    try:
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=_POLL_S)
            collect(done)
    except KeyboardInterrupt:
        log.warning("interrupted: stopping every host")
        outcome.interrupted = True
        for future in futures:
            future.cancel()
        stop.stop()
        done, _ = concurrent.futures.wait(futures, timeout=grace)
        collect(done)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return outcome
