"""Redis connections for the patterns: no silent retries, clear errors, restart detection.

redis-py retries a failed command by default. A retry that lands on a restarted server
carries on with its in-memory data gone, and the run would report a broken guarantee
instead of the real cause; so every client here has retries off, and a lost connection
surfaces as one and is explained by :func:`explain_loss`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.utils import SENTINEL

from mycelium.coordination.endpoints import REDIS_URL_ENV
from mycelium.coordination.errors import ServiceUnavailableError
from mycelium.redaction import redact_url

if TYPE_CHECKING:
    from collections.abc import Callable

CONNECT_TIMEOUT_S: Final = 3.0
# Longer than any blocking command the patterns send (they block for at most 1 s).
SOCKET_TIMEOUT_S: Final = 10.0
RECONNECT_WINDOW_S: Final = 5.0


def connect(url: str, name: str = "mycelium-test", budget_s: float | None = None) -> redis.Redis:
    """A client for ``url``; it connects on first use.

    With ``budget_s``, connecting, the handshake and every reply share that one deadline:
    a server that accepts and then says nothing costs ``budget_s``, not a socket timeout
    per read.
    """
    extra: dict[str, object] = {}
    if budget_s is not None:
        extra["connection_class"] = _bounded(url, time.monotonic() + budget_s)
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S if budget_s is None else budget_s,
        socket_timeout=SOCKET_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
        client_name=name,
        **extra,
    )


def _bounded(url: str, deadline: float) -> type[redis.connection.AbstractConnection]:
    scheme = url.partition("://")[0].lower()
    base: type[redis.connection.AbstractConnection] = {
        "rediss": redis.SSLConnection,
        "unix": redis.UnixDomainSocketConnection,
    }.get(scheme, redis.Connection)

    class Bounded(base):  # type: ignore[valid-type,misc] # a base chosen at run time
        def read_response(self, *args: Any, timeout: object = SENTINEL, **kwargs: Any) -> Any:
            if timeout is SENTINEL:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.disconnect()
                    raise redis.TimeoutError
                timeout = left
            return super().read_response(*args, timeout=timeout, **kwargs)

    return Bounded


def factory(url: str) -> Callable[[], redis.Redis]:
    return lambda: connect(url)


def preflight(url: str) -> str:
    """Check that ``url`` answers and accepts us; return the server's ``run_id``.

    Raises:
        ServiceUnavailableError: down, refusing the password, or not Redis; the message
            names the URL with the password masked and says what to change.
    """
    shown = redact_url(url)
    hint = f"give the right one with --redis-url or ${REDIS_URL_ENV}"
    client = connect(url, budget_s=CONNECT_TIMEOUT_S)
    try:
        client.ping()
        return str(client.info("server")["run_id"])
    except redis.AuthenticationError as exc:
        text = str(exc)
        if "without any password configured" in text or "no password is set" in text:
            raise ServiceUnavailableError(
                f"Redis at {shown} has no password set but one was given; "
                "drop it from the URL or the configuration"
            ) from None
        if not _has_password(url):
            raise ServiceUnavailableError(
                f"Redis at {shown} requires a password and none was given; {hint}, "
                "or set services.redis.password"
            ) from None
        raise ServiceUnavailableError(
            f"Redis at {shown} refused the password ({text}); {hint}"
        ) from None
    except redis.TimeoutError:
        raise ServiceUnavailableError(
            f"Redis at {shown} did not answer within {CONNECT_TIMEOUT_S:.0f} s"
        ) from None
    except redis.ConnectionError as exc:
        raise ServiceUnavailableError(
            f"cannot connect to Redis at {shown}: {_reason(exc)}; is the server running, at "
            f"that address? (the Redis line above says where it came from; {hint})"
        ) from None
    except redis.RedisError as exc:
        raise ServiceUnavailableError(f"Redis at {shown} answered with an error: {exc}") from None
    finally:
        client.close()


def explain_loss(url: str, run_id: str, wait_s: float = RECONNECT_WINDOW_S) -> str:
    """Why the connection to Redis went away: a restart, a stopped server, or a blip.

    A restarting server is down for a moment, so this keeps trying for ``wait_s`` before
    it calls the server stopped.
    """
    shown = redact_url(url)
    deadline = time.monotonic() + wait_s
    now: str | None = None
    while now is None:
        client = connect(url)
        try:
            now = str(client.info("server")["run_id"])
        except redis.RedisError:
            if time.monotonic() >= deadline:
                return (
                    f"lost the connection to Redis at {shown} mid-run and it is not answering "
                    f"now; did the server stop?"
                )
            time.sleep(0.2)
        finally:
            client.close()
    if now != run_id:
        return (
            f"Redis at {shown} restarted mid-run (its run_id changed); a restart drops "
            "subscriptions and, without persistence, queued data, so this run does not "
            "recover: run the test again"
        )
    return (
        f"the connection to Redis at {shown} dropped mid-run although the server kept "
        "running (a network or proxy problem, or a client killed by CLIENT KILL)"
    )


def _has_password(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.password) or "password=" in parts.query


def _reason(exc: redis.ConnectionError) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower() if marker != "Connection refused" else "connection refused"
    return text
