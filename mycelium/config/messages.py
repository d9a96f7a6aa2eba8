"""pydantic errors as lines a person can act on: file, line, field path, value and fix."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from mycelium.config.models import MyceliumConfig
from mycelium.redaction import MASK, is_secret_name, redact_mapping, redact_text

if typing.TYPE_CHECKING:
    from mycelium.config.yaml_document import FieldPath, YamlDocument

_MAX_SHOWN = 60
MAX_PROBLEMS = 20
_MAX_KEY_SHOWN = 60

_FRIENDLY: dict[str, str] = {
    "int_parsing": "is not a whole number",
    "int_type": "is not a whole number",
    "int_from_float": "is not a whole number",
    "bool_parsing": "is not true or false",
    "bool_type": "is not true or false",
    "string_type": "is not text",
    "model_type": "is not a mapping of settings",
    "model_attributes_type": "is not a mapping of settings",
    "dict_type": "is not a mapping of settings",
}


def dotted(path: FieldPath) -> str:
    # Keys come from the file: a megabyte-long one is echoed as its start.
    text = ".".join(str(p) for p in path)
    return text if len(text) <= _MAX_KEY_SHOWN else text[: _MAX_KEY_SHOWN - 1] + "…"


def model_at(path: FieldPath, root: type[BaseModel] = MyceliumConfig) -> type[BaseModel] | None:
    """The model class that holds the fields found at ``path`` (``()`` is the root)."""
    model: type[BaseModel] = root
    for part in path:
        if not isinstance(part, str) or part not in model.model_fields:
            return None
        nested = _model_in(model.model_fields[part].annotation)
        if nested is None:
            return None
        model = nested
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def suggest_key(path: FieldPath) -> str | None:
    """The known field nearest to an unknown key's last part (``prot`` → ``port``)."""
    parent = model_at(path[:-1])
    if parent is None or not path:
        return None
    matches = difflib.get_close_matches(str(path[-1]), list(parent.model_fields), n=1, cutoff=0.6)
    return matches[0] if matches else None


def known_keys(path: FieldPath) -> list[str]:
    parent = model_at(path)
    return list(parent.model_fields) if parent is not None else []


def _shown(path: FieldPath, value: object) -> str:
    # A secret may sit at the path itself or anywhere inside a wrongly shaped value.
    if any(is_secret_name(part) for part in path):
        return f"'{MASK}'"
    text = repr(redact_mapping(value))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "...'"


def validation_problems(exc: ValidationError, source: str, doc: YamlDocument | None) -> list[str]:
    """One line per problem in ``exc``, located in ``source``; at most ``MAX_PROBLEMS``.

    A file with thousands of mistakes gets the first ones and a count, not megabytes.
    """
    located: list[tuple[int, int, FieldPath]] = []
    errors = exc.errors(include_url=False)
    for index, error in enumerate(errors):
        path: FieldPath = tuple(error["loc"])
        line = doc.line_of(path) if doc is not None and path else None
        located.append((line or 0, index, path))
    # In file order, as a person reads the file; errors without a line come first.
    located.sort(key=lambda item: (item[0], item[1]))
    lines: list[str] = []
    for line, index, path in located[:MAX_PROBLEMS]:
        where = f"{source}:{line}" if line else source
        lines.append(f"{where}: {_describe(errors[index], path)}")
    hidden = len(located) - MAX_PROBLEMS
    if hidden > 0:
        lines.append(f"… and {hidden:,} more; fix these and validate again")
    return lines


def _describe(error: Any, path: FieldPath) -> str:  # noqa: PLR0911 - one return per kind
    kind = error["type"]
    field = dotted(path)
    message = str(error["msg"])
    if kind == "extra_forbidden":
        suggestion = suggest_key(path)
        hint = f"did you mean '{suggestion}'?" if suggestion else _allowed(path[:-1])
        return f"{field}: unknown setting; {hint}"
    if kind == "value_error":
        # Our validators phrase the whole fix; pydantic prefixes "Value error, ".
        # They may quote the value, and a value can hold a URL with its password.
        text = redact_text(message.removeprefix("Value error, "))
        if not path:
            return text
        return f"{field}: {text}"
    value = _shown(path, error.get("input"))
    if kind in _FRIENDLY:
        return f"{field}: {value} {_FRIENDLY[kind]}"
    if kind == "missing":
        return f"{field}: required setting is missing"
    if kind == "literal_error" and path == ("schema_version",):
        return f"{field}: {value} is not a schema this version of mycelium reads; {message.lower()}"
    return f"{field}: {value} is not accepted: {message[0].lower()}{message[1:]}"


def _allowed(parent: FieldPath) -> str:
    keys = known_keys(parent)
    if not keys:
        return "remove it"
    return "remove it or use one of: " + ", ".join(keys)
