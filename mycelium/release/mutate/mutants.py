"""Mutants: small, realistic regressions kept in ``tests/mutants/*.toml``.

```toml
promise = "config-file-mode"       # the register row it breaks
file = "mycelium/config/store.py"  # relative to the project
description = "the configuration is written group-writable"
search = "0o644"                   # must occur exactly once in the file
replace = "0o664"
```

The file's name is the mutant's name. A mutant whose ``search`` text no longer occurs
exactly once is stale: it is reported as an error, never silently skipped.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from mycelium.errors import ReleaseError

NAME: Final = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
_KEYS: Final = {"promise", "file", "description", "search", "replace"}


@dataclass(frozen=True)
class Mutant:
    name: str
    promise: str
    file: str
    description: str
    search: str
    replace: str

    def apply(self, root: Path) -> None:
        """Change the copy of the source under ``root``; stale when ``search`` is not there
        exactly once."""
        target = root / self.file
        text = target.read_text(encoding="utf-8")
        count = text.count(self.search)
        if count != 1:
            raise ReleaseError(
                f"mutant {self.name}: its search text occurs {count} times in {self.file}, "
                "not once; update tests/mutants/" + f"{self.name}.toml"
            )
        target.write_text(text.replace(self.search, self.replace), encoding="utf-8")


def load_mutant(path: Path) -> Mutant:
    name = path.stem
    where = f"{path}"
    if NAME.match(name) is None:
        raise ReleaseError(f"{where}: a mutant's file name is lower-case-words.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReleaseError(f"{where}: not a readable TOML file ({exc})") from None
    missing, unknown = _KEYS - data.keys(), data.keys() - _KEYS
    if missing or unknown:
        raise ReleaseError(
            f"{where}: a mutant has exactly {', '.join(sorted(_KEYS))}"
            + (f"; missing {', '.join(sorted(missing))}" if missing else "")
            + (f"; unknown {', '.join(sorted(unknown))}" if unknown else "")
        )
    if not all(isinstance(data[key], str) and data[key] for key in _KEYS - {"replace"}):
        raise ReleaseError(f"{where}: every field is a non-empty string")
    if not isinstance(data["replace"], str) or data["replace"] == data["search"]:
        raise ReleaseError(f"{where}: replace is a string that differs from search")
    file = PurePosixPath(data["file"])
    if (
        file.is_absolute()
        or ".." in file.parts
        or file.parts[:1] not in {("mycelium",), ("pyproject.toml",)}
    ):
        raise ReleaseError(f"{where}: file must be under mycelium/ (or be pyproject.toml)")
    return Mutant(name=name, promise=data["promise"], file=str(file),
                  description=data["description"], search=data["search"],
                  replace=data["replace"])  # fmt: skip


def load_mutants(directory: Path, names: tuple[str, ...] = ()) -> tuple[Mutant, ...]:
    """Every mutant of ``directory`` by name, or only ``names`` (each must exist)."""
    found = {path.stem: path for path in sorted(directory.glob("*.toml"))}
    unknown = sorted(set(names) - found.keys())
    if unknown:
        raise ReleaseError(
            f"no mutant named {', '.join(unknown)} in {directory}; "
            f"there are: {', '.join(found) or 'none'}"
        )
    return tuple(load_mutant(found[n]) for n in (names or tuple(found)))
