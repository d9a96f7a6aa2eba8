"""Named exit codes, in one place, for every console script and task."""

from __future__ import annotations

from typing import Final

OK: Final = 0
FAILURE: Final = 1  # the command ran and the answer is "no" (invalid config, failed check)
USAGE: Final = 2  # the command line itself is wrong
INTERRUPTED: Final = 130  # Ctrl-C, as a shell reports SIGINT

# `invoke qa` follows ansible-playbook: 2 some host failed, 4 some host unreachable.
QA_FAILED: Final = 2
QA_UNREACHABLE: Final = 4

# `invoke release`: prepared, but the QA or bench gate has no passing evidence yet.
RELEASE_WAITING: Final = 3
