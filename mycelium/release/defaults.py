"""The maintainer side's defaults, each defined once (tasks.py, docs and code read these)."""

from __future__ import annotations

from typing import Final

STEP_TIMEOUT_S: Final = 900.0  # one playbook step (a command or a file transfer) on a host
CONNECT_TIMEOUT_S: Final = 10.0  # a host's SSH answer
MAX_FORKS: Final = 16  # beyond this a maintainer's machine spends its time on SSH handshakes
