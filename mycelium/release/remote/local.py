"""``ansible_connection: local``: commands and files on this machine, no SSH."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

from mycelium.release.remote.transport import CommandResult, timed_out


class LocalTransport:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, command: str, *, timeout: float) -> CommandResult:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # its own process group, so a timeout kills all of it
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise timed_out(timeout) from None
        return CommandResult(proc.returncode, stdout, stderr)

    def put(self, local: Path, remote: str) -> None:
        Path(remote).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, remote)

    def get(self, remote: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(remote, local)

    def interrupt(self) -> None:
        pass  # the caller stops the run directory's processes with pkill

    def close(self) -> None:
        pass
