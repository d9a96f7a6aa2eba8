"""detection: every probe answers in time, and agrees with ground truth made here.

Ground truth is what the check starts itself (a redis-server, a PostgreSQL, a port it knows
is closed) and what the service's own tools say (``redis-server --version``, ``postgres
--version``, the docker CLI for the same environment), never the detector's own word.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import TYPE_CHECKING, Any

from mycelium.binaries import locate
from mycelium.qa.checklist import CheckFailedError, CheckSkippedError, Details, QAContext, check
from mycelium.qa.resources import (
    SilentListener,
    closed_port,
    throwaway_postgres,
    throwaway_redis,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from mycelium.detection.results import ProbeResult

TIMEOUT_S = 0.25
SLACK_S = 0.75  # thread start-up and a loaded machine; a hang is far beyond this


@check("detection")
def every_detector_answers_within_its_timeout(_ctx: QAContext) -> Details:
    from mycelium.detection import InfraDetector  # noqa: PLC0415

    scan = InfraDetector(timeout_s=TIMEOUT_S).scan_all()
    slow = {
        r.service: round(r.latency_ms, 1)
        for r in scan.services
        if r.latency_ms > (TIMEOUT_S + SLACK_S) * 1000
    }
    if slow:
        raise CheckFailedError(f"probes ran past their {TIMEOUT_S * 1000:g} ms timeout: {slow}")
    return {r.service: r.status.value for r in scan.services}


@check("detection")
def a_closed_port_is_reported_unavailable(_ctx: QAContext) -> Details:
    from mycelium.detection.postgres import probe_postgres  # noqa: PLC0415
    from mycelium.detection.redis import probe_redis  # noqa: PLC0415
    from mycelium.detection.results import Status  # noqa: PLC0415
    from mycelium.detection.temporal import probe_temporal  # noqa: PLC0415

    port = closed_port()
    results = [
        probe(port, timeout_s=TIMEOUT_S) for probe in (probe_redis, probe_postgres, probe_temporal)
    ]
    wrong = {
        r.service: r.status.value
        for r in results
        if r.available or r.status is not Status.NOT_LISTENING
    }
    if wrong:
        raise CheckFailedError(f"a port where nothing listens was reported as {wrong}")
    return {"reason": results[0].reason}


@check("detection")
def a_silent_listener_is_no_answer(ctx: QAContext) -> Details:
    from mycelium.detection.redis import probe_redis  # noqa: PLC0415
    from mycelium.detection.results import Status  # noqa: PLC0415

    silent = SilentListener().start()
    ctx.cleanups.append(silent.stop)
    result = probe_redis(silent.port, timeout_s=TIMEOUT_S)
    if result.available or result.status is not Status.NO_ANSWER:
        raise CheckFailedError(
            f"a listener that never answers was reported as {result.status.value}"
        )
    return {"latency_ms": round(result.latency_ms, 1)}


def _tool_version(binary: Path, pattern: str) -> str | None:
    """The version a server binary prints for ``--version``, by ``pattern``'s first group."""
    proc = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    found = re.search(pattern, proc.stdout)
    return found.group(1) if found else None


def _same_version(result: ProbeResult, truth: str | None, tool: str) -> None:
    if truth is not None and result.version != truth:
        raise CheckFailedError(
            f"reported version {result.version}, but {tool} says {truth}",
            {"reported": result.version, "truth": truth},
        )


@check("detection")
def a_running_redis_is_detected_with_its_version(ctx: QAContext) -> Details:
    from mycelium.detection.redis import probe_redis  # noqa: PLC0415

    redis = throwaway_redis(ctx)
    result = probe_redis(redis.port, timeout_s=TIMEOUT_S * 4)
    if not result.available or not result.version:
        raise CheckFailedError(
            f"a running redis-server was reported as {result.status.value}: {result.reason}"
        )
    binary = locate("redis-server")
    truth = _tool_version(binary, r"v=(\S+)") if binary else None
    _same_version(result, truth, "redis-server --version")
    return {"version": result.version, "latency_ms": round(result.latency_ms, 1)}


@check("detection", timeout_s=90)
def a_running_postgres_is_detected_with_its_version(ctx: QAContext) -> Details:
    from mycelium.detection.postgres import probe_postgres  # noqa: PLC0415

    server = throwaway_postgres(ctx)
    result = probe_postgres(server.port, user=server.user, timeout_s=TIMEOUT_S * 4)
    if not result.available or not result.version:
        raise CheckFailedError(
            f"a running PostgreSQL was reported as {result.status.value}: {result.reason}"
        )
    truth = _tool_version(server.binary, r"\(PostgreSQL\) (\S+)")
    _same_version(result, truth, "postgres --version")
    return {"version": result.version, "latency_ms": round(result.latency_ms, 1)}


@check("detection", timeout_s=90)
def onboarding_detect_shows_running_services(ctx: QAContext) -> Details:
    """What a user sees: ``mycelium-onboarding --detect --json`` on the ports we serve."""
    redis = throwaway_redis(ctx)
    try:
        postgres_port: int | None = throwaway_postgres(ctx).port
    except CheckSkippedError:
        postgres_port = None  # the Redis half still says what a user sees
    closed = closed_port()
    proc = subprocess.run(
        [str(ctx.console_script("mycelium-onboarding")), "--detect", "--json",
         "--redis-port", str(redis.port), "--postgres-port", str(postgres_port or closed),
         "--temporal-port", str(closed)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    try:
        services = json.loads(proc.stdout)["services"]
        shown = {name: bool(services[name]["available"]) for name in ("redis", "postgres")}
        temporal = services["temporal"]["status"]
    except (ValueError, KeyError, TypeError):
        raise CheckFailedError(
            f"mycelium-onboarding --detect --json exited {proc.returncode} without a scan: "
            f"{(proc.stderr or proc.stdout).strip()[-300:]}"
        ) from None
    expected = {"redis": True, "postgres": postgres_port is not None}
    if proc.returncode != 0 or shown != expected or temporal != "not-listening":
        raise CheckFailedError(
            f"--detect showed {shown} and temporal {temporal} (exit {proc.returncode}); "
            f"what runs: {expected}, temporal not listening",
        )
    return {"shown": shown, "postgres": "started" if postgres_port else "absent on this host"}


def _docker_cli(docker: Path, env: Mapping[str, str], *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [str(docker), *args], capture_output=True, text=True, env=dict(env),
        timeout=20, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return proc.returncode, proc.stdout.strip()


def _docker_truth(docker: Path, env: Mapping[str, str]) -> tuple[str, str | None]:
    """The endpoint the docker CLI uses for ``env``, and the daemon's version it reaches."""
    _, endpoint = _docker_cli(
        docker, env, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"
    )
    code, out = _docker_cli(docker, env, "version", "--format", "{{json .Server}}")
    server: Any = None
    if code == 0:
        try:
            server = json.loads(out)
        except ValueError:
            server = None
    version = str(server["Version"]) if isinstance(server, dict) and server.get("Version") else None
    return endpoint.removeprefix("unix://"), version


def _compare_docker(
    label: str, docker: Path, env: Mapping[str, str], home: Path, *, strict: bool
) -> dict[str, Any]:
    """One environment: the detector against the docker CLI. ``strict``: the endpoint is
    one the CLI was told (DOCKER_HOST, a context), so the detector must name that one."""
    from mycelium.detection.docker import probe_docker  # noqa: PLC0415

    endpoint, version = _docker_truth(docker, env)
    result = probe_docker(environ=env, home=home, timeout_s=2.0)
    seen = {"cli": {"endpoint": endpoint, "version": version},
            "detector": {"endpoint": result.endpoint, "status": result.status.value,
                         "version": result.version}}  # fmt: skip
    if version is not None and (not result.available or result.version != version):
        raise CheckFailedError(
            f"{label}: the docker CLI reaches Docker {version} at {endpoint}, the detector "
            f"says {result.status.value} ({result.version}): {result.reason}",
            seen,
        )
    if version is None and result.available and result.endpoint == endpoint:
        raise CheckFailedError(
            f"{label}: the detector says Docker runs at {endpoint}, the docker CLI reaches "
            "no daemon there",
            seen,
        )
    if strict and result.endpoint != endpoint:
        raise CheckFailedError(
            f"{label}: the docker CLI uses {endpoint}, the detector looked at {result.endpoint}",
            seen,
        )
    return seen


@check("detection", timeout_s=120)
def docker_detection_agrees_with_the_docker_cli(ctx: QAContext) -> Details:
    """The user's own Docker, then DOCKER_HOST, a current context and DOCKER_CONTEXT that
    the check sets itself, each as the docker CLI resolves them (no daemon needed)."""
    docker = locate("docker")
    if docker is None:
        raise CheckSkippedError("the docker CLI is not installed on this host")
    outside = ctx.outside_env or dict(os.environ)
    home = ctx.outside_home or ctx.sandbox
    details: dict[str, Any] = {
        "own": _compare_docker("your environment", docker, outside, home, strict=False)
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    first, second = closed_port(), closed_port()
    details["docker_host"] = _compare_docker(
        "DOCKER_HOST", docker, {**base, "DOCKER_HOST": f"tcp://127.0.0.1:{first}"},
        ctx.sandbox, strict=True,
    )  # fmt: skip
    config = ctx.scratch("docker-config")
    env = {**base, "DOCKER_CONFIG": str(config)}
    for name, port in (("mycelium-qa-current", first), ("mycelium-qa-named", second)):
        code, _ = _docker_cli(
            docker, env, "context", "create", name, "--docker", f"host=tcp://127.0.0.1:{port}"
        )
        if code != 0:
            raise CheckSkippedError(f"this docker CLI cannot create a context ({name})")
    _docker_cli(docker, env, "context", "use", "mycelium-qa-current")
    details["current_context"] = _compare_docker(
        "the current context", docker, env, ctx.sandbox, strict=True
    )
    details["docker_context"] = _compare_docker(
        "DOCKER_CONTEXT", docker, {**env, "DOCKER_CONTEXT": "mycelium-qa-named"},
        ctx.sandbox, strict=True,
    )  # fmt: skip
    return details


CHECKS = (
    every_detector_answers_within_its_timeout,
    a_closed_port_is_reported_unavailable,
    a_silent_listener_is_no_answer,
    a_running_redis_is_detected_with_its_version,
    a_running_postgres_is_detected_with_its_version,
    onboarding_detect_shows_running_services,
    docker_detection_agrees_with_the_docker_cli,
)
