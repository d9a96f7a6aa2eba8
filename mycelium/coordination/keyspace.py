"""A run's own corner of Redis: one key prefix, a TTL on every key, deleted at the end."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import redis

ROOT: Final = "mycelium-test"
SCAN_BATCH: Final = 500


def new_run_id() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True)
class Keyspace:
    """Keys of one run under ``mycelium-test:<run id>:<pattern>:``.

    Nothing outside the prefix is ever written or deleted, so a user's data is safe, and
    ``ttl_s`` on every key means a crashed run's keys disappear by themselves.
    """

    run_id: str
    pattern: str
    ttl_s: int

    @property
    def prefix(self) -> str:
        return f"{ROOT}:{self.run_id}:{self.pattern}"

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(part) for part in parts)])

    def keys(self, client: redis.Redis) -> list[str]:
        found = client.scan_iter(match=f"{self.prefix}:*", count=SCAN_BATCH)
        return sorted(k.decode() if isinstance(k, bytes) else str(k) for k in found)

    def keys_without_ttl(self, client: redis.Redis) -> list[str]:
        """Keys that would outlive a crash; the patterns treat any as a failure of ours."""
        return [key for key in self.keys(client) if int(client.ttl(key)) < 0]

    def delete(self, client: redis.Redis) -> int:
        keys = self.keys(client)
        return int(client.delete(*keys)) if keys else 0
