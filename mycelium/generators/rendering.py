"""The Jinja2 environment the generators share, built and compiled once per process.

``StrictUndefined`` makes a template mistake (a misspelt variable) fail loudly instead of
rendering an empty string into a deployment file, and :func:`.quoting.finalize` makes an
interpolation without a quoting filter fail the same way.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import jinja2

from mycelium.generators.quoting import FILTERS, finalize

# A Justfile uses ``{{ }}`` for its own interpolation: its template marks Jinja variables
# with ``[[ ]]`` instead, so neither language needs escaping in it.
_VARIABLE_MARKS: Final[dict[str, tuple[str, str]]] = {
    "standard": ("{{", "}}"),
    "justfile": ("[[", "]]"),
}


def _syntax_of(name: str) -> str:
    return "justfile" if name.startswith("Justfile") else "standard"


@functools.cache
def environment(syntax: str = "standard") -> jinja2.Environment:
    start, end = _VARIABLE_MARKS[syntax]
    env = jinja2.Environment(
        variable_start_string=start,
        variable_end_string=end,
        loader=jinja2.PackageLoader("mycelium.generators", "templates"),
        undefined=jinja2.StrictUndefined,
        # YAML, a Justfile and a dotenv file: HTML escaping would corrupt them.
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
        newline_sequence="\n",  # the templates' own line ends are LF, whatever the checkout
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        finalize=finalize,
    )
    env.filters.update(FILTERS)
    return env


@functools.cache
def template(name: str) -> jinja2.Template:
    """The compiled template ``name``; compiled on first use, then reused."""
    return environment(_syntax_of(name)).get_template(name)


def render(name: str, context: dict[str, Any]) -> str:
    """``name`` rendered with ``context``: the template's lines end in LF, one final newline.

    Values are not rewritten here: the quoting filters escape a CR in what they quote, and
    a user's ``.env`` line carried over verbatim keeps its bytes, ``\r`` included.
    """
    text = template(name).render(context)
    return text.rstrip("\n") + "\n"
