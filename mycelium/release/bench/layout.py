"""The contract between ``playbooks/bench.yml`` and the code that reads its results.

The playbook registers each step's results under these names, fetches each report to
``report_path`` and each interpreter's profiles, as one tar, to ``profiles_path``;
``tests/unit/test_bench_layout.py`` reads the playbook and checks all three. Every path is
built from inventory data and proven to stay below its root (``qa.layout.contained``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

from mycelium.release.fleet.hostvars import python_label
from mycelium.release.qa.layout import contained

if TYPE_CHECKING:
    from pathlib import Path

REPORT_NAME: Final = "performance_report.json"
PROFILES_NAME: Final = "profiles.tar"  # unpacked next to the report, then removed
MATRIX_NAME: Final = "bench_matrix.md"
SVG_NAME: Final = "bench.svg"
INTERLEAVED_DIR: Final = "interleaved"  # --compare REF: the merged reports of builds A and B


class Register(StrEnum):
    """The playbook's ``register:`` names, one per step whose results make a cell."""

    FOUND = "found"  # the interpreter was found
    VENVS = "venvs"  # its virtualenv was created
    INSTALLS = "installs"  # the wheel installed
    BENCH = "bench"  # mycelium-bench ran (rc 0, or 1: an operation past its threshold)
    FETCHED = "fetched"  # its report came back
    PROFILES = "profiles"  # its profiles came back (optional: a cell stands without them)


def report_path(reports_dir: Path, host: str, python: str) -> Path:
    """``reports/<version>/<host>/<python>/performance_report.json``."""
    return contained(reports_dir, host, python_label(python)) / REPORT_NAME


def profiles_path(reports_dir: Path, host: str, python: str) -> Path:
    """``reports/<version>/<host>/<python>/profiles.tar``, as fetched."""
    return contained(reports_dir, host, python_label(python)) / PROFILES_NAME
