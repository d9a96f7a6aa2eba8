"""Which Redis and PostgreSQL to test, and how to show their URLs without the password."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from mycelium.config import MyceliumConfig

REDIS_URL_ENV: Final = "MYCELIUM_REDIS_URL"
POSTGRES_URL_ENV: Final = "MYCELIUM_POSTGRES_URL"
MASK: Final = "***"

_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (URL or ``key=value`` conninfo form)."""
    if "://" not in url:
        return _KEYWORD_PASSWORD.sub(rf"\g<1>{MASK}", url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = f"{user}:{MASK}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Endpoints:
    """The services a run talks to; ``None`` means the service is not part of this run."""

    redis_url: str | None
    postgres_url: str | None
    source: str  # where they came from, for the reader of the output


def choose(
    *,
    redis_url: str | None,
    postgres_url: str | None,
    config: MyceliumConfig | None,
    config_path: str | None,
) -> Endpoints:
    """URLs from flags, then ``$MYCELIUM_*_URL``, then the configuration file.

    With no configuration file, Redis defaults to ``redis://127.0.0.1:6379/0`` and
    PostgreSQL is tested only when a URL names it.
    """
    redis_url = redis_url or os.environ.get(REDIS_URL_ENV) or None
    postgres_url = postgres_url or os.environ.get(POSTGRES_URL_ENV) or None
    if config is None:
        source = "command line and environment"
        return Endpoints(redis_url or "redis://127.0.0.1:6379/0", postgres_url, source)
    services = config.services
    if redis_url is None and services.redis.enabled:
        password = services.redis.password
        auth = f":{quote(password.get_secret_value(), safe='')}@" if password else ""
        redis_url = f"redis://{auth}{_host(services.redis.host)}:{services.redis.port}/0"
    if postgres_url is None and services.postgres.enabled:
        pg = services.postgres
        secret = f":{quote(pg.password.get_secret_value(), safe='')}" if pg.password else ""
        postgres_url = (
            f"postgresql://{quote(pg.user, safe='')}{secret}@{_host(pg.host)}:{pg.port}/"
            f"{quote(pg.database, safe='')}"
        )
    return Endpoints(redis_url, postgres_url, f"configuration {config_path}")


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
