"""detection: every probe answers in time, and agrees with ground truth made here."""

from __future__ import annotations

from mycelium.qa.checklist import CheckFailedError, Details, QAContext, check
from mycelium.qa.resources import SilentListener, closed_port, throwaway_redis

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


@check("detection")
def a_running_redis_is_detected_with_its_version(ctx: QAContext) -> Details:
    from mycelium.detection.redis import probe_redis  # noqa: PLC0415

    redis = throwaway_redis(ctx)
    result = probe_redis(redis.port, timeout_s=TIMEOUT_S * 4)
    if not result.available or not result.version:
        raise CheckFailedError(
            f"a running redis-server was reported as {result.status.value}: {result.reason}"
        )
    return {"version": result.version, "latency_ms": round(result.latency_ms, 1)}


CHECKS = (
    every_detector_answers_within_its_timeout,
    a_closed_port_is_reported_unavailable,
    a_silent_listener_is_no_answer,
    a_running_redis_is_detected_with_its_version,
)
