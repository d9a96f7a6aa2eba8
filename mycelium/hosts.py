"""Whether a host name can be looked up at all, asked before any client library tries.

A label over 63 characters (or an empty one, ``a..b``) makes Python's resolver raise
``UnicodeError: encoding with 'idna' codec failed`` from deep inside a connect call.
"""

from __future__ import annotations

import ipaddress


def host_name_problem(host: str) -> str | None:
    """Why ``host`` is no usable host name or address, as a message fragment; else ``None``."""
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        pass
    else:
        return None
    try:
        host.encode("idna")
    except UnicodeError:
        return "a part of the host name is empty or longer than 63 characters"
    return None
