"""The promise register: the table under "The promise register" in ``docs/QA.md``.

One row per promise: ``| `id` | promise | where | checks |``. ``where`` is ``any`` (every
host can check it), ``wsl`` or ``macos`` (only there), ``manual`` (a person checks it; the
checks cell says why) or ``suite`` (no host can break it apart from the code: the test suite
checks it; the cell names the test).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.errors import ReleaseError

if TYPE_CHECKING:
    from pathlib import Path

HEADING: Final = "### The promise register"
WHERE: Final = ("any", "wsl", "macos", "manual", "suite")
_ID = re.compile(r"^`([a-z][a-z0-9-]{0,63})`$")
_CHECK = re.compile(r"`([a-z][a-z0-9_]{0,63})`")


@dataclass(frozen=True)
class Promise:
    id: str
    text: str
    where: str
    checks: tuple[str, ...]  # empty for manual and suite rows
    note: str  # the checks cell as written (the reason, for manual and suite rows)


def read_register(qa_md: Path) -> tuple[Promise, ...]:
    """Every row of the register; a malformed row is an error naming the file and line."""
    lines = qa_md.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(HEADING)
    except ValueError:
        raise ReleaseError(f"{qa_md}: no {HEADING!r} section") from None
    promises: list[Promise] = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith("#"):
            break
        if not line.startswith("|") or line.startswith(("| id ", "| ---")):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4:  # noqa: PLR2004 - id, promise, where, checks
            raise ReleaseError(f"{qa_md}:{number}: a register row has 4 cells, not {len(cells)}")
        ident, text, where, checks = cells
        found = _ID.match(ident)
        if found is None or where not in WHERE:
            raise ReleaseError(
                f"{qa_md}:{number}: the id must be `lower-case-words` and where one of "
                f"{', '.join(WHERE)}"
            )
        names = () if where in {"manual", "suite"} else tuple(_CHECK.findall(checks))
        promises.append(Promise(found.group(1), text, where, names, checks))
    if not promises:
        raise ReleaseError(f"{qa_md}: the promise register has no rows")
    return tuple(promises)
