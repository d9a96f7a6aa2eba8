"""The runtime dependencies of the project, read from ``uv.lock``.

Runtime means what ``pip install mycelium`` brings: the project's ``dependencies`` (with the
extras they ask for) and everything those need, on every platform; not the optional extras
and not the dev group. Each package keeps the markers it is reached under, so a check can
tell "not installed here because its marker is false" from "missing".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

from mycelium.errors import UserError

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class LockedPackage:
    name: str  # canonical (PEP 503)
    version: str
    markers: tuple[str, ...] = ()  # every marker it is reached under; () means always
    source: str = ""  # the index URL, or "" for a local path

    @property
    def applies_here(self) -> bool:
        """True when some path to it has no marker, or a marker true on this interpreter."""
        if not self.markers:
            return True
        for text in self.markers:
            try:
                if Marker(text).evaluate():
                    return True
            except InvalidMarker:
                return True  # cannot tell: treat it as needed here
        return False


def _key(entry: dict[str, Any]) -> tuple[str, str | None]:
    return canonicalize_name(str(entry.get("name", ""))), entry.get("version")


def runtime_packages(lock: Path, project: str) -> tuple[LockedPackage, ...]:  # noqa: C901, PLR0912 - one graph walk
    """Every package ``project`` needs at run time, sorted by name.

    Raises:
        UserError: the lock is unreadable, or does not hold ``project``.
    """
    try:
        data = tomllib.loads(lock.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{lock}: cannot be read as a uv lock ({exc}); run `uv lock`") from None
    packages = data.get("package")
    if not isinstance(packages, list):
        raise UserError(f"{lock}: no [[package]] entries; run `uv lock`")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry in packages:
        if isinstance(entry, dict) and entry.get("name"):
            by_name.setdefault(canonicalize_name(str(entry["name"])), []).append(entry)
    root_name = canonicalize_name(project)
    roots = [e for e in by_name.get(root_name, []) if _is_local(e)]
    if not roots:
        raise UserError(f"{lock}: the project {project!r} is not in the lock; run `uv lock`")
    found: dict[tuple[str, str], set[str]] = {}
    always: set[tuple[str, str]] = set()
    sources: dict[tuple[str, str], str] = {}
    pending: list[tuple[dict[str, Any], tuple[str, ...], str | None]] = [
        (dep, (), None) for dep in roots[0].get("dependencies", [])
    ]
    seen: set[tuple[str, str | None, tuple[str, ...], tuple[str, ...]]] = set()
    for _ in range(100_000):  # bounded: a lock is a few hundred packages
        if not pending:
            break
        dep, inherited, _via = pending.pop()
        name, version = _key(dep)
        marker = dep.get("marker")
        markers = (*inherited, str(marker)) if marker else inherited
        extras = tuple(sorted(dep.get("extra", []) or []))
        state = (name, version, markers, extras)
        if state in seen:
            continue
        seen.add(state)
        candidates = [
            e for e in by_name.get(name, []) if version is None or e.get("version") == version
        ]
        if not candidates:
            raise UserError(f"{lock}: {name} is needed but has no [[package]] entry; run `uv lock`")
        for entry in candidates:
            key = (name, str(entry.get("version", "")))
            joined = " and ".join(f"({m})" for m in markers)
            found.setdefault(key, set())
            if joined:
                found[key].add(joined)
            else:
                always.add(key)
            sources[key] = str((entry.get("source") or {}).get("registry", ""))
            children = list(entry.get("dependencies", []))
            optional = entry.get("optional-dependencies") or {}
            for extra in extras:
                children += list(optional.get(extra, []))
            pending.extend((child, markers, name) for child in children)
    return tuple(
        LockedPackage(
            name=name,
            version=version,
            markers=() if (name, version) in always else tuple(sorted(found[(name, version)])),
            source=sources[(name, version)],
        )
        for name, version in sorted(found)
    )


def _is_local(entry: dict[str, Any]) -> bool:
    source = entry.get("source") or {}
    return isinstance(source, dict) and ("editable" in source or "virtual" in source)
