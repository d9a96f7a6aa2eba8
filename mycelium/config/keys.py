"""Dotted keys (``services.redis.port``) for ``get`` and ``set``."""

from __future__ import annotations

from typing import Any

import yaml

from mycelium.config.messages import known_keys, model_at, suggest_key
from mycelium.config.yaml_document import safe_load
from mycelium.errors import UsageError

_MAX_SHOWN = 80


def _clip(text: str) -> str:
    # A key or value is echoed in an error; a megabyte of it helps nobody.
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def split_key(key: str) -> tuple[str, ...]:
    parts = tuple(key.split("."))
    if not key or any(not part for part in parts):
        raise UsageError(
            f"{_clip(key)!r} is not a setting name; use a dotted path like services.redis.port"
        )
    return parts


def check_known(parts: tuple[str, ...]) -> None:
    """Raise ``UsageError`` with a suggestion when ``parts`` is not a field of the schema."""
    for depth in range(len(parts)):
        parent = parts[:depth]
        if model_at(parent) is None:
            leaf = ".".join(parent)
            raise UsageError(
                f"{_clip(leaf)} is a single value; it has no setting {_clip(parts[depth])!r}"
            )
        if parts[depth] not in known_keys(parent):
            dotted = _clip(".".join(parts[: depth + 1]))
            suggestion = suggest_key(parts[: depth + 1])
            hint = (
                f"did you mean {'.'.join((*parent, suggestion))}?"
                if suggestion
                else "known settings here: " + ", ".join(known_keys(parent))
            )
            raise UsageError(f"{dotted}: unknown setting; {hint}")


def get_value(data: dict[str, Any], parts: tuple[str, ...]) -> Any:
    check_known(parts)
    node: Any = data
    for part in parts:
        node = node[part]
    return node


def set_value(data: dict[str, Any], parts: tuple[str, ...], raw: str) -> dict[str, Any]:
    """A copy of ``data`` with ``parts`` set to ``raw`` read as a YAML scalar (``6380`` → int)."""
    check_known(parts)
    try:
        # Bounded: a value on the command line can be an alias bomb too.
        value = safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw  # not YAML: take the text as it is, validation will judge it
    out: dict[str, Any] = _deep_copy(data)
    node = out
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
