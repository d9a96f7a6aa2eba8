"""The ground truth a benchmark run sets up itself, once, and ends when the run ends.

A throwaway ``redis-server`` and PostgreSQL (when the host has their binaries), a closed
port, a silent listener, and the Docker daemon the docker CLI would use (the user's own
environment and HOME, read only). Each is started on first use, so ``--only`` starts only
what the chosen operations need; a missing binary becomes the reason an operation skips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mycelium.qa.checklist import CheckSkippedError
from mycelium.qa.resources import (
    LocalPostgres,
    SilentListener,
    closed_port,
    throwaway_postgres,
    throwaway_redis,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from mycelium.qa.checklist import QAContext


class OperationSkippedError(Exception):
    """This host lacks what an operation needs; the message says what."""


@dataclass
class Ground:
    """Resources shared by every operation of one run (the context's cleanups end them).

    ``outside_env`` and ``outside_home`` are the user's, kept only so that Docker detection
    finds the daemon the docker CLI would use; nothing is ever written there.
    """

    ctx: QAContext
    outside_env: Mapping[str, str]
    outside_home: Path
    _cache: dict[str, object] = field(default_factory=dict)

    @property
    def sandbox(self) -> Path:
        return self.ctx.sandbox

    def scratch(self, name: str) -> Path:
        return self.ctx.scratch(name)

    def console_script(self, name: str) -> Path:
        return self.ctx.console_script(name)

    def redis_port(self) -> int:
        try:
            return throwaway_redis(self.ctx).port
        except CheckSkippedError as exc:
            raise OperationSkippedError(str(exc)) from None

    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port()}/0"

    def postgres(self) -> LocalPostgres:
        try:
            return throwaway_postgres(self.ctx)
        except CheckSkippedError as exc:
            raise OperationSkippedError(str(exc)) from None

    def closed_port(self) -> int:
        if "closed" not in self._cache:
            self._cache["closed"] = closed_port()
        port = self._cache["closed"]
        assert isinstance(port, int)  # noqa: S101 - what the cache holds
        return port

    def silent_port(self) -> int:
        if "silent" not in self._cache:
            started = SilentListener().start()
            self.ctx.cleanups.append(started.stop)
            self._cache["silent"] = started
        listener = self._cache["silent"]
        assert isinstance(listener, SilentListener)  # noqa: S101 - what the cache holds
        return listener.port
