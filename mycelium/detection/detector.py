"""``InfraDetector``: every probe, alone or all at once, cached for the session."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.detection._net import LOOPBACK
from mycelium.detection.docker import probe_docker, published_ports
from mycelium.detection.platform import detect_platform
from mycelium.detection.postgres import probe_postgres
from mycelium.detection.redis import probe_redis
from mycelium.detection.results import PlatformInfo, ProbeResult, RunsIn, ScanResult
from mycelium.detection.temporal import probe_temporal

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

DEFAULT_TIMEOUT_S: Final = 0.25


@dataclass(frozen=True)
class Targets:
    """Where to look. Ports come from the saved configuration when there is one."""

    host: str = LOOPBACK
    redis_port: int = 6379
    redis_password: str | None = None
    postgres_port: int = 5432
    postgres_user: str = "mycelium"
    temporal_port: int = 7233
    temporal_ui_port: int | None = None


class InfraDetector:
    """Probes the services on this machine.

    ``scan_all`` runs every probe concurrently and keeps the result: the wizard asks for it
    several times and the machine is scanned once. ``refresh=True`` scans again.
    """

    def __init__(
        self,
        targets: Targets | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        environ: Mapping[str, str] | None = None,
        home: Path | None = None,
    ) -> None:
        self.targets = targets or Targets()
        self.timeout_s = timeout_s
        self._environ = environ
        self._home = home
        self._scan: ScanResult | None = None
        self._lock = threading.Lock()

    @property
    def host(self) -> str:
        # "localhost" may resolve to ::1 first and cost seconds where IPv6 is filtered.
        return LOOPBACK if self.targets.host == "localhost" else self.targets.host

    def detect_docker(self) -> ProbeResult:
        env = os.environ if self._environ is None else self._environ
        return probe_docker(env, self._home, timeout_s=self.timeout_s)

    def detect_redis(self) -> ProbeResult:
        t = self.targets
        return probe_redis(
            t.redis_port, host=self.host, password=t.redis_password, timeout_s=self.timeout_s
        )

    def detect_postgres(self) -> ProbeResult:
        t = self.targets
        return probe_postgres(
            t.postgres_port, host=self.host, user=t.postgres_user, timeout_s=self.timeout_s
        )

    def detect_temporal(self) -> ProbeResult:
        t = self.targets
        return probe_temporal(
            t.temporal_port, host=self.host, ui_port=t.temporal_ui_port, timeout_s=self.timeout_s
        )

    def detect_platform(self) -> PlatformInfo:
        return detect_platform(environ=self._environ)

    def scan_all(self, *, refresh: bool = False) -> ScanResult:
        with self._lock:
            if self._scan is None or refresh:
                self._scan = self._scan_now()
            return self._scan

    def _scan_now(self) -> ScanResult:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=5, thread_name_prefix="mycelium-probe") as pool:
            docker = pool.submit(self.detect_docker)
            redis = pool.submit(self.detect_redis)
            postgres = pool.submit(self.detect_postgres)
            temporal = pool.submit(self.detect_temporal)
            platform = pool.submit(self.detect_platform)
            # Each probe ends within its own timeout; the margin covers a loaded machine.
            wait = self.timeout_s * 4 + 5.0
            results = [f.result(timeout=wait) for f in (docker, redis, postgres, temporal)]
            info = platform.result(timeout=wait)
        ports = published_ports(results[0]) if results[0].available else frozenset()
        services = [results[0], *(_where(r, ports) for r in results[1:])]
        return ScanResult(
            docker=services[0],
            redis=services[1],
            postgres=services[2],
            temporal=services[3],
            platform=info,
            total_ms=(time.perf_counter() - start) * 1000.0,
            published_ports=ports,
        )


def _where(result: ProbeResult, ports: frozenset[int]) -> ProbeResult:
    """Native or in a container: a running container that publishes the port owns it."""
    if not result.status.service_present or result.port is None:
        return result
    return result.with_runs_in(RunsIn.CONTAINER if result.port in ports else RunsIn.NATIVE)
