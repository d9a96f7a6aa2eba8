"""Where events go: a checked URL (https, or plain http to this machine only)."""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

MAX_URL: Final = 512
ENV_VAR: Final = "MYCELIUM_TELEMETRY_URL"
PATH: Final = "/v1/events"
_LOOPBACK_NAMES: Final = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(value: str) -> str:
    """``value`` if it is a URL events may go to; ``ValueError`` with the fix otherwise."""
    example = f"use for example https://telemetry.example.org{PATH}"
    if len(value) > MAX_URL or any(ord(ch) < 33 or ord(ch) == 127 for ch in value):  # noqa: PLR2004
        raise ValueError(
            f"is not a URL (no spaces or control characters, at most {MAX_URL}); {example}"
        )
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise ValueError(f"is not a URL; {example}") from None
    if parts.scheme not in {"https", "http"} or not host:
        raise ValueError(f"must be an http(s) URL with a host; {example}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"must not carry a user name or password; {example}")
    if parts.query or parts.fragment:
        raise ValueError(f"must not have a query or fragment; {example}")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError(
            f"plain http is allowed to this machine only (127.0.0.1, ::1, localhost); {example}"
        )
    return value
