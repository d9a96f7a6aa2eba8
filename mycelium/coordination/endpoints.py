"""Which Redis and PostgreSQL to test, and whether a URL given by hand is one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

from redis.connection import URL_QUERY_ARGUMENT_PARSERS

from mycelium.errors import UsageError
from mycelium.hosts import host_name_problem
from mycelium.redaction import redact_url, truncate

if TYPE_CHECKING:
    from collections.abc import Callable

    from mycelium.config import MyceliumConfig

REDIS_URL_ENV: Final = "MYCELIUM_REDIS_URL"
POSTGRES_URL_ENV: Final = "MYCELIUM_POSTGRES_URL"
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"

_SCHEMES: Final = {
    "redis": ("redis", "rediss", "unix"),
    "postgres": ("postgresql", "postgres"),
}
_FORMS: Final = {
    "redis": "redis://[:PASSWORD@]HOST:PORT/DB",
    "postgres": "postgresql://USER[:PASSWORD]@HOST:PORT/DB",
}
_NAMES: Final = {"redis": "Redis", "postgres": "PostgreSQL"}
_MAX_PORT: Final = 65535
_REDIS_QUERY_RULES: Final[dict[str, tuple[str, Callable[[str], bool]]]] = {
    "max_connections": ("a whole number from 1 up", lambda v: v.isdigit() and int(v) >= 1),
    "protocol": ("2 or 3", lambda v: v.strip() in {"2", "3"}),
}


def check_url(url: str, *, kind: str, source: str) -> None:
    """Refuse a URL the client library would choke on, with a message naming ``source``.

    Raises:
        UsageError: the URL is not of the ``kind`` service's form; the message shows the
            URL with its password masked and the form to write.
    """
    shown = truncate(redact_url(url))
    form = _FORMS[kind]
    if kind == "postgres" and "://" not in url and "=" in url:
        return  # the key=value conninfo form; libpq reports its own errors there
    scheme, sep, rest = url.partition("://")
    if not sep:
        # Not echoed: a value with no scheme may well be a password pasted in the wrong place.
        raise UsageError(f"{source}: not a {_NAMES[kind]} URL (no scheme://); write {form}")
    if scheme.lower() not in _SCHEMES[kind]:
        raise UsageError(
            f"{source}: {shown}: the scheme {truncate(scheme)!r} is not {_NAMES[kind]}'s; "
            f"write {form}"
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UsageError(
            f"{source}: {shown}: not a valid URL (an IPv6 address needs its closing ']'); "
            f"write {form}"
        ) from None
    if "@" in rest and "@" not in parts.netloc:
        raise UsageError(
            f"{source}: {shown}: the password holds '#', '?' or '/' as it is; "
            "percent-encode it (%23 for #, %3F for ?, %2F for /)"
        )
    if scheme.lower() != "unix":
        _check_place(parts, kind=kind, shown=shown, source=source)


def _check_place(parts: SplitResult, *, kind: str, shown: str, source: str) -> None:
    form = _FORMS[kind]
    if not parts.hostname:
        raise UsageError(f"{source}: {shown} names no host; write {form}")
    problem = host_name_problem(parts.hostname)
    if problem is not None:
        raise UsageError(f"{source}: {shown}: {problem}; write {form}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= _MAX_PORT:
        raise UsageError(f"{source}: {shown}: the port is not a number from 1 to {_MAX_PORT}")
    database = parts.path.strip("/")
    if kind == "redis" and database and not database.isdigit():
        raise UsageError(
            f"{source}: {shown}: the database {truncate(database)!r} is not a whole number"
        )
    if kind == "redis":
        _check_redis_query(parts.query, shown=shown, source=source)


def _check_redis_query(query: str, *, shown: str, source: str) -> None:
    # redis-py hands unknown query parameters to the connection as keyword arguments,
    # which fails deep inside with a TypeError; the ones it parses fail with a ValueError.
    known = {*URL_QUERY_ARGUMENT_PARSERS, "password", "username", "client_name"}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in known:
            raise UsageError(
                f"{source}: {shown}: Redis takes no query parameter {truncate(name)!r}; "
                f"remove it (known: {', '.join(sorted(known))})"
            )
        parser = URL_QUERY_ARGUMENT_PARSERS.get(name)
        if callable(parser) and value:
            try:
                parser(value)
            except (ValueError, TypeError):
                raise UsageError(
                    f"{source}: {shown}: the query parameter {name!r} has a value Redis "
                    "cannot read; fix or remove it"
                ) from None
        rule = _REDIS_QUERY_RULES.get(name)
        if rule is not None and value and not rule[1](value):
            # redis-py parses these, then refuses them only when it connects.
            raise UsageError(
                f"{source}: {shown}: the query parameter {name!r} must be {rule[0]}; "
                "fix or remove it"
            )


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
        check_url(flag, kind=name, source=sources[name])
        return flag
    from_env = os.environ.get(env_var)
    if from_env:
        sources[name] = f"${env_var}"
        check_url(from_env, kind=name, source=sources[name])
        return from_env
    return None


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
