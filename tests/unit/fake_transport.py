"""A transport double for unit tests, as Invoke's ``MockContext`` and Fabric's ``MockRemote``.

Commands are answered from a list of (regex, answer) pairs, first match wins; an answer is
a ``CommandResult``, an exception to raise, or a callable of the command. Files "on the
host" live in a dict. Every command is recorded, so a test can say what ran.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mycelium.release.remote.transport import CommandResult

if TYPE_CHECKING:
    from pathlib import Path

Answer = CommandResult | BaseException | Callable[[str], CommandResult]
OK = CommandResult(0, "", "")


@dataclass
class FakeTransport:
    name: str = "fake"
    answers: list[tuple[str, Answer]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    closed: bool = False
    interrupted: bool = False

    def run(self, command: str, *, timeout: float) -> CommandResult:  # noqa: ARG002
        self.commands.append(command)
        for pattern, answer in self.answers:
            if re.search(pattern, command):
                if isinstance(answer, BaseException):
                    raise answer
                return answer(command) if callable(answer) else answer
        return OK

    def put(self, local: Path, remote: str) -> None:
        self.files[remote] = local.read_bytes()

    def get(self, remote: str, local: Path) -> None:
        if remote not in self.files:
            raise FileNotFoundError(remote)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(self.files[remote])

    def interrupt(self) -> None:
        self.interrupted = True

    def close(self) -> None:
        self.closed = True
