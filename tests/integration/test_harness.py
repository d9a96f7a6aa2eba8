"""The throwaway servers themselves: later tests rely on them being real and reachable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
import redis

if TYPE_CHECKING:
    from tests.integration.servers import PostgresServer, RedisServer


def test_redis_server_answers_ping_and_keeps_data(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    try:
        assert client.ping() is True
        client.set("harness:key", "value", ex=10)
        assert client.get("harness:key") == b"value"
        assert client.info("server")["tcp_port"] == redis_server.port
    finally:
        client.delete("harness:key")
        client.close()


def test_postgres_server_runs_queries_on_its_own_port(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.dsn, connect_timeout=5) as conn:
        row = conn.execute("SHOW port").fetchone()
        assert row is not None
        assert int(row[0]) == postgres_server.port
        version = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
        assert version is not None
        assert version[0] >= 120000


def test_a_password_protected_redis_refuses_anonymous_clients(make_redis: object) -> None:
    server: RedisServer = make_redis(password="s3cret-pass")  # type: ignore[operator]
    anonymous = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=5)
    try:
        try:
            anonymous.ping()
        except redis.AuthenticationError:
            pass
        else:
            raise AssertionError("a server started with a password accepted no password")
        assert redis.Redis.from_url(server.url, socket_timeout=5).ping() is True
    finally:
        anonymous.close()
