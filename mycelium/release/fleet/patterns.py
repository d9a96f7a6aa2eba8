"""Host patterns as Ansible reads them (``lib/ansible/inventory/manager.py``).

``a,b`` or ``a:b`` is a union, ``a:&b`` an intersection, ``a:!b`` an exclusion. Plain
patterns are applied first, then intersections, then exclusions, whatever the written
order; with no plain pattern the start is ``all``. A single pattern matches group names and
host names exactly, as a glob (``web*``), or as a regular expression (``~web\\d+``).

Regular expressions are Python's syntax, run by the ``regex`` engine with a time budget: a
pattern that backtracks catastrophically (``~(a|aa)+$``) is refused, never a hang.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Final

import regex

from mycelium.errors import InventoryError

if TYPE_CHECKING:
    from mycelium.release.fleet.inventory import Host, Inventory

_GLOB_CHARS = (".", "?", "*", "[")
MATCH_BUDGET_S: Final = 0.25  # per name matched; host and group names are short
# `group[0]`, `group[1:3]`, `group[-1]`: a subscript of the matched hosts, not a glob class.
_SUBSCRIPT = re.compile(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)?\s*:\s*(-?[0-9]+)?)\]$")


def split_pattern(pattern: str) -> list[str]:
    """``web:&db:!x`` → ``['web', '&db', '!x']``; commas win over colons, as in Ansible."""
    if "," in pattern:
        parts = pattern.split(",")
    else:
        # A colon inside [...] (a range) or in a regex is not a separator.
        parts = re.split(r":(?![^\[]*\])", pattern) if not pattern.startswith("~") else [pattern]
    return [p.strip() for p in parts if p.strip()]


def order_patterns(parts: list[str]) -> list[str]:
    regular = [p for p in parts if p[0] not in "!&"]
    intersections = [p for p in parts if p[0] == "&"]
    exclusions = [p for p in parts if p[0] == "!"]
    return (regular or ["all"]) + intersections + exclusions


def select_hosts(inventory: Inventory, pattern: str) -> list[Host]:
    """The hosts ``pattern`` selects, in inventory order; an empty result is an error."""
    parts = split_pattern(pattern)
    if not parts:
        raise InventoryError("an empty host pattern selects nothing; use `all` or a group name")
    chosen: list[str] = []
    for part in order_patterns(parts):
        if part[0] == "!":
            excluded = set(_match_one(inventory, part[1:]))
            chosen = [h for h in chosen if h not in excluded]
        elif part[0] == "&":
            kept = set(_match_one(inventory, part[1:]))
            chosen = [h for h in chosen if h in kept]
        else:
            chosen += [h for h in _match_one(inventory, part) if h not in chosen]
    if not chosen:
        named = [g for g in inventory.groups if g not in {"all", "ungrouped"}]
        empty = [g for g in named if not _match_one(inventory, g)]
        # The shipped inventory has its groups ready and their hosts commented out.
        one = len(empty) == 1
        hint = (
            f" ({', '.join(empty)} {'has' if one else 'have'} no host yet: add yours under "
            f"{'it' if one else 'them'})"
            if empty
            else ""
        )
        raise InventoryError(
            f"host pattern {pattern!r} matches no host in {inventory.path}; "
            f"there are {inventory.describe()}{hint}"
        )
    order = list(inventory.hosts)
    return [inventory.hosts[name] for name in sorted(chosen, key=order.index)]


def _match_one(inventory: Inventory, pattern: str) -> list[str]:
    if not pattern:
        return []
    subscript = _SUBSCRIPT.match(pattern) if not pattern.startswith("~") else None
    if subscript is None:
        return _match_plain(inventory, pattern)
    base, index, start, end = subscript.groups()
    hosts = _match_plain(inventory, base)
    if index is not None:
        position = int(index)
        return [hosts[position]] if -len(hosts) <= position < len(hosts) else []
    # Ansible's ranges include their end: web[0:1] is the first two hosts.
    stop = int(end) + 1 if end is not None else None
    return hosts[int(start or 0) : stop]


def _match_plain(inventory: Inventory, pattern: str) -> list[str]:
    compiled = _compile(pattern)

    def matches(name: str) -> bool:
        try:
            return compiled.match(name, timeout=MATCH_BUDGET_S) is not None
        except TimeoutError:
            raise InventoryError(
                f"host pattern {pattern!r}: the regular expression takes too long on {name!r} "
                "(catastrophic backtracking); simplify it, e.g. ~web[0-9]+ instead of ~(web|w)+"
            ) from None

    results: list[str] = []
    groups = [g for g in inventory.groups if matches(g)]
    for group in groups:
        results += [h for h in _hosts_of_group(inventory, group) if h not in results]
    if not groups or pattern[0] == "~" or any(ch in pattern for ch in _GLOB_CHARS):
        results += [h for h in inventory.hosts if matches(h) and h not in results]
    return results


def _compile(pattern: str) -> regex.Pattern[str]:
    if pattern.startswith("~"):
        try:
            return regex.compile(pattern[1:], flags=regex.VERSION0)
        except regex.error as exc:
            raise InventoryError(
                f"host pattern {pattern!r}: invalid regular expression: {exc}"
            ) from None
    return regex.compile(fnmatch.translate(pattern), flags=regex.VERSION0)


def _hosts_of_group(inventory: Inventory, name: str) -> list[str]:
    found: list[str] = []
    stack = [name]
    seen: set[str] = set()
    while stack:
        group = inventory.groups[stack.pop()]
        if group.name in seen:
            continue
        seen.add(group.name)
        found += [h for h in group.hosts if h not in found]
        stack.extend(reversed(group.children))
    return found
