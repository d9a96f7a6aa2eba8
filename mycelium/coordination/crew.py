"""A bounded group of participant threads: one deadline, one stop signal, errors kept.

A participant that raises stops the whole crew at once (nobody waits for a partner that
is gone) and its exception is kept for the pattern to re-raise on the caller's thread.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

JOIN_GRACE_S: Final = 5.0


class Crew:
    def __init__(self, timeout_s: float) -> None:
        self.deadline = time.monotonic() + timeout_s
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def running(self) -> bool:
        """False once stopped or past the deadline: every participant loop checks this."""
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def spawn(self, name: str, target: Callable[[], None]) -> None:
        def body() -> None:
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 - kept and re-raised by the pattern
                with self._lock:
                    self.errors.append(exc)
                self.stop.set()

        thread = threading.Thread(target=body, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def join(self) -> list[str]:
        """Wait for every participant until the deadline (plus a grace); names still alive."""
        for thread in self._threads:
            thread.join(timeout=self.remaining() + JOIN_GRACE_S)
        return [thread.name for thread in self._threads if thread.is_alive()]

    def raise_first_error(self) -> None:
        if self.errors:
            raise self.errors[0]
