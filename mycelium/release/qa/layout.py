"""The contract between ``playbooks/qa.yml`` and the code that reads its results.

The playbook registers each step's results under these names, and fetches each report to
``report_path``; ``tests/unit/test_qa_layout.py`` reads the playbook and checks both. Every
path here is built from inventory data and is proven to stay below its root.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

from mycelium.errors import InventoryError
from mycelium.release.fleet.hostvars import is_safe_component, python_label

if TYPE_CHECKING:
    from pathlib import Path

REPORT_NAME: Final = "qa_report.json"
RUN_LOG_NAME: Final = "run.log"
SUMMARY_NAME: Final = "qa_summary.json"
MATRIX_NAME: Final = "qa_matrix.md"


class Register(StrEnum):
    """The playbook's ``register:`` names, one per step whose results make a cell."""

    FOUND = "found"  # the interpreter was found
    VENVS = "venvs"  # its virtualenv was created
    INSTALLS = "installs"  # the wheel installed
    QA = "qa"  # mycelium-qa ran (rc 0 or 1)
    FETCHED = "fetched"  # its report came back


def contained(root: Path, *parts: str) -> Path:
    """``root/parts...``, refusing any part that is not one plain name below ``root``."""
    for part in parts:
        if not is_safe_component(part):
            raise InventoryError(f"{part!r} cannot name a directory under {root}")
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise InventoryError(
            f"{path} would leave {root} (a symbolic link?); remove it, or choose another "
            "--reports directory"
        )
    return path


def host_dir(reports_dir: Path, host: str) -> Path:
    """``reports/<version>/<host>/``: the host's run.log and one directory per interpreter."""
    return contained(reports_dir, host)


def report_path(reports_dir: Path, host: str, python: str) -> Path:
    """``reports/<version>/<host>/<python>/qa_report.json``."""
    return contained(reports_dir, host, python_label(python)) / REPORT_NAME
