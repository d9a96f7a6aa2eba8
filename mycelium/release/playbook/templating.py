"""Jinja2 in playbook values, as Ansible renders it.

A value that is one ``{{ expression }}`` keeps its type; Ansible's ``basename``,
``dirname``, ``bool`` and ``quote`` filters are there.
"""

from __future__ import annotations

import posixpath
import shlex
from functools import cache
from typing import TYPE_CHECKING, Any

from mycelium.errors import PlaybookError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import jinja2


@cache
def _environment() -> jinja2.Environment:
    from jinja2 import StrictUndefined  # noqa: PLC0415
    from jinja2.nativetypes import NativeEnvironment  # noqa: PLC0415

    env = NativeEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["basename"] = posixpath.basename
    env.filters["dirname"] = posixpath.dirname
    env.filters["quote"] = lambda v: shlex.quote(str(v))
    env.filters["bool"] = lambda v: str(v).lower() in {"1", "true", "yes", "on"}
    return env


def render(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render Jinja2 in ``value`` (recursively); a lone ``{{ x }}`` keeps x's type."""
    from jinja2 import TemplateError, Undefined  # noqa: PLC0415

    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        try:
            result = _environment().from_string(value).render(**variables)
            if isinstance(result, Undefined):
                str(result)  # native rendering hands back the Undefined: make it raise
        except TemplateError as exc:
            raise PlaybookError(f"cannot render {value!r}: {exc}") from None
        # Native rendering of text that merely looks like a literal must stay text.
        if not _is_single_expression(value) and not isinstance(result, str):
            return str(result)
        return result
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: render(v, variables) for k, v in value.items()}
    return value


def _is_single_expression(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1


def evaluate_condition(condition: Any, variables: Mapping[str, Any]) -> bool:
    conditions = condition if isinstance(condition, list) else [condition]
    for item in conditions:
        ok = item if isinstance(item, bool) else bool(render("{{ " + str(item) + " }}", variables))
        if not ok:
            return False
    return True
