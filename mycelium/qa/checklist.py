"""Checks, their context, and the outcomes a check can signal."""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_TIMEOUT_S: Final = 60.0


class CheckSkippedError(Exception):
    """The host lacks a capability the check needs; the message says which."""


class CheckFailedError(Exception):
    """The product did something wrong; the message says what, ``details`` the evidence."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


Details = dict[str, Any] | None


@dataclass(frozen=True)
class Check:
    """One named check in one category; ``run`` returns details or raises."""

    category: str
    name: str
    run: Callable[[QAContext], Details]
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass
class QAContext:
    """What a check may use: the sandbox, the options, and shared resources."""

    sandbox: Path
    expect_version: str | None = None
    # The user's environment and HOME from before the sandbox, read only: Docker detection
    # is compared with what the docker CLI says for the user's own DOCKER_HOST/context.
    outside_env: dict[str, str] = field(default_factory=dict)
    outside_home: Path | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def scratch(self, name: str) -> Path:
        """A fresh directory inside the sandbox for one check."""
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.sandbox))

    def console_script(self, name: str) -> Path:
        """The installed console script ``name`` of the running interpreter's environment."""
        candidate = Path(sys.executable).parent / name
        if candidate.exists():
            return candidate
        found = shutil.which(name)
        if found is None:
            raise CheckFailedError(f"{name} is not installed next to {Path(sys.executable).name}")
        return Path(found)

    def close(self) -> None:
        while self.cleanups:
            self.cleanups.pop()()


def check(
    category: str, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Callable[[Callable[[QAContext], Details]], Check]:
    """Declare a check; its function's name is the name in the report."""

    def wrap(func: Callable[[QAContext], Details]) -> Check:
        return Check(category=category, name=func.__name__, run=func, timeout_s=timeout_s)

    return wrap
