"""Which Redis and PostgreSQL to test, and how to show their URLs without the password."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from mycelium.config import MyceliumConfig

REDIS_URL_ENV: Final = "MYCELIUM_REDIS_URL"
POSTGRES_URL_ENV: Final = "MYCELIUM_POSTGRES_URL"
MASK: Final = "***"
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"

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
    """The services a run talks to; ``None`` means the service is not part of this run.

    ``sources`` says where each URL came from, for the reader of the output.
    """

    redis_url: str | None
    postgres_url: str | None
    sources: dict[str, str] = field(default_factory=dict)


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
    sources: dict[str, str] = {}
    redis_url = _given(redis_url, REDIS_URL_ENV, "redis", sources)
    postgres_url = _given(postgres_url, POSTGRES_URL_ENV, "postgres", sources)
    from_config = f"configuration {config_path}"
    if config is None:
        if redis_url is None:
            redis_url = DEFAULT_REDIS_URL
            sources["redis"] = "the default; no configuration file"
        return Endpoints(redis_url, postgres_url, sources)
    services = config.services
    if redis_url is None and services.redis.enabled:
        password = services.redis.password
        auth = f":{quote(password.get_secret_value(), safe='')}@" if password else ""
        redis_url = f"redis://{auth}{_host(services.redis.host)}:{services.redis.port}/0"
        sources["redis"] = from_config
    if postgres_url is None and services.postgres.enabled:
        pg = services.postgres
        secret = f":{quote(pg.password.get_secret_value(), safe='')}" if pg.password else ""
        postgres_url = (
            f"postgresql://{quote(pg.user, safe='')}{secret}@{_host(pg.host)}:{pg.port}/"
            f"{quote(pg.database, safe='')}"
        )
        sources["postgres"] = from_config
    return Endpoints(redis_url, postgres_url, sources)


def _given(flag: str | None, env_var: str, name: str, sources: dict[str, str]) -> str | None:
    if flag:
        sources[name] = "--" + name + "-url"
        return flag
    from_env = os.environ.get(env_var)
    if from_env:
        sources[name] = f"${env_var}"
        return from_env
    return None


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
