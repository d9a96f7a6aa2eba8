"""Quoting for each language of the generated files, so no value can leave its field.

The configuration is validated before it reaches a generator, but a value that slipped
through (a validator too lenient, a field added later) must still land inside its own
YAML scalar, shell word, just string or dotenv value. Every ``{{ }}`` in a template goes
through one of these filters; :func:`finalize` refuses to render anything that did not,
so a template that interpolates a raw value fails in the tests instead of shipping.
"""

from __future__ import annotations

import re
import shlex
from typing import Final

from mycelium.errors import UserError

# Printable ASCII but the backslash: the characters every quoting below keeps as they are.
_PLAIN: Final = frozenset(chr(code) for code in range(0x20, 0x7F)) - {"\\"}
_JUST_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What dotenv readers (Compose, python-dotenv, a shell's `.`) all read the same unquoted.
_DOTENV_BARE: Final = re.compile(r"[A-Za-z0-9_.,:/@+=%-]*")
_DOTENV_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Quoted(str):
    """Text already quoted for the file it goes into; the only thing templates may emit."""

    __slots__ = ()


class UnsafeValueError(UserError):
    """A configuration value cannot be written into a generated file without changing it."""


def _refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise UnsafeValueError(
            f"{_shown(value)}: a NUL character cannot reach a command or the environment; "
            "fix this value in the configuration"
        )
    return value


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + "...'"  # noqa: PLR2004 - one short line


def _escape_unicode(char: str, short: str, long: str) -> str:
    code = ord(char)
    return short.format(code) if code <= 0xFFFF else long.format(code)  # noqa: PLR2004


def yaml_str(value: object) -> Quoted:
    """``value`` as one Compose YAML scalar: an integer as is, anything else quoted.

    Compose interpolates ``$`` in every value, so it is doubled (``$$`` reads as ``$``).
    """
    if type(value) is int:
        return Quoted(str(value))
    text = str(value).replace("$", "$$")
    if '"' in text and "'" not in text and all(char in _PLAIN for char in text):
        return Quoted(f"'{text}'")  # single quotes have no escapes: a shell line reads as is
    out = []
    for char in text:
        if char in _PLAIN and char != '"':
            out.append(char)
        elif char in {"\\", '"'}:
            out.append("\\" + char)
        else:
            out.append(_escape_unicode(char, "\\u{:04x}", "\\U{:08x}"))
    return Quoted('"' + "".join(out) + '"')


def sh(value: object) -> Quoted:
    """``value`` as one POSIX shell word."""
    return Quoted(shlex.quote(_refuse_nul(str(value))))


def just_str(value: object) -> Quoted:
    """``value`` as a just double-quoted string literal (escapes, no interpolation)."""
    text = _refuse_nul(str(value))
    out = []
    for char in text:
        if char in _JUST_ESCAPES:
            out.append(_JUST_ESCAPES[char])
        elif char in _PLAIN:
            out.append(char)
        else:
            out.append(f"\\u{{{ord(char):x}}}")
    return Quoted('"' + "".join(out) + '"')


def inline(value: object) -> Quoted:
    """``value`` for a comment or a name: one line of printable ASCII, escapes shown."""
    out = []
    for char in str(value):
        if char in _PLAIN:
            out.append(char)
        elif char == "\\":
            out.append("\\\\")
        else:
            out.append(_escape_unicode(char, "\\u{:04x}", "\\U{:08x}"))
    return Quoted("".join(out))


def dotenv(value: object) -> Quoted:
    """``value`` as a dotenv value that Compose and python-dotenv read back unchanged.

    Bare when it has only characters no reader treats specially, in single quotes when it
    has no quote, backslash, ``$`` or line break; refused otherwise, since the readers
    disagree on escapes and python-dotenv interpolates even in single quotes.
    """
    text = str(value)
    if _DOTENV_BARE.fullmatch(text):
        return Quoted(text)
    if all(char in _PLAIN and char not in "'$" for char in text):
        return Quoted(f"'{text}'")
    raise UnsafeValueError(
        f"{_shown(text)} cannot be written to .env unchanged; use letters, digits and "
        "'-_.' in this configuration value"
    )


def dotenv_key(value: object) -> Quoted:
    """A variable name the generator chose: refused unless it is an identifier."""
    text = str(value)
    if not _DOTENV_KEY.fullmatch(text):
        raise UnsafeValueError(f"{_shown(text)} is not a variable name")
    return Quoted(text)


def verbatim(value: str) -> Quoted:
    """Text carried over byte for byte (a user's own ``.env`` lines)."""
    return Quoted(value)


FILTERS: Final = {
    "yaml": yaml_str,
    "sh": sh,
    "just": just_str,
    "inline": inline,
    "dotenv": dotenv,
    "dotenv_key": dotenv_key,
    "verbatim": verbatim,
}


def finalize(value: object) -> Quoted:
    """Jinja's last step for every ``{{ }}``: only quoted text gets into a file."""
    if isinstance(value, Quoted):
        return value
    raise TypeError(
        f"template interpolates {_shown(str(value))} without a quoting filter "
        f"({', '.join(FILTERS)})"
    )
