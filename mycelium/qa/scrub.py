"""Keep a report free of user names, home paths, host names, IPs and secrets."""

from __future__ import annotations

import contextlib
import getpass
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mycelium.redaction import MASK, is_secret_name, redact_text

if TYPE_CHECKING:
    from collections.abc import Iterable

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


@dataclass(frozen=True)
class Scrubber:
    """Replaces each known private string by a neutral placeholder, longest first."""

    replacements: tuple[tuple[str, str], ...]

    @classmethod
    def for_host(
        cls, sandbox: Path | None = None, extra: Iterable[tuple[str, str]] = ()
    ) -> Scrubber:
        pairs: list[tuple[str, str]] = list(extra)
        if sandbox is not None:
            pairs.append((str(sandbox), "<sandbox>"))
            pairs.append((str(sandbox.resolve()), "<sandbox>"))
        home = os.environ.get("HOME")
        real_home = str(Path("~").expanduser())
        pairs.extend((value, "~") for value in {home, real_home} if value and len(value) > 1)
        pairs.extend((name, "<user>") for name in _user_names())
        host = socket.gethostname()
        if host and host != "localhost":
            pairs.append((host, "<host>"))
        # Longest first, so /home/alice/x is replaced before alice.
        ordered = sorted({p for p in pairs if p[0]}, key=lambda p: len(p[0]), reverse=True)
        return cls(tuple(ordered))

    def text(self, value: str) -> str:
        out = redact_text(value)
        for needle, placeholder in self.replacements:
            out = _replace_word(out, needle, placeholder)
        return _IPV4.sub(_mask_ip, out)

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                self.text(str(k)): MASK if is_secret_name(k) and v else self.data(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def _user_names() -> set[str]:
    names = set()
    for var in ("USER", "LOGNAME", "USERNAME", "SUDO_USER"):
        if os.environ.get(var):
            names.add(os.environ[var])
    # No passwd entry (some containers): nothing to scrub by that name.
    with contextlib.suppress(KeyError, OSError):
        names.add(getpass.getuser())
    # Very short names ("a") would shred ordinary words; they cannot identify much anyway.
    return {n for n in names if len(n) >= 3}  # noqa: PLR2004


def _replace_word(text: str, needle: str, placeholder: str) -> str:
    if "/" in needle:
        return text.replace(needle, placeholder)
    # A user or host name only where it stands as a word, not inside other words.
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(needle)}(?![A-Za-z0-9_])", placeholder, text)


def _mask_ip(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text  # a version number like 1.2.3.4000 is not an address
    if address.is_loopback or address.is_unspecified:
        return text  # 127.0.0.1 and 0.0.0.0 say nothing about the host
    return "<ip>"
