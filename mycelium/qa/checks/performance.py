"""performance: quick timings of the key operations against DESIGN.md's targets.

The figures are details of the report; a check fails only past the seed's *threshold*
column (a regression a user would feel), never for missing our own tighter target, which
``invoke bench`` measures properly. Each operation is warmed up once, then timed
``ROUNDS`` times; the median is compared.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any, Final

from mycelium.qa.checklist import CheckFailedError, Details, QAContext, check

if TYPE_CHECKING:
    from collections.abc import Callable

ROUNDS: Final = 15


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def _timed(name: str, operation: Callable[[], Any]) -> Details:
    from mycelium.bench.targets import TARGETS  # noqa: PLC0415 - the one targets table

    operation()  # warm-up: imports, template compilation, first connection
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples)
    target = TARGETS[name]
    details = {
        "median_ms": _ms(median),
        "max_ms": _ms(max(samples)),
        "target_ms": _ms(target.goal_s),
        "seed_target_ms": _ms(target.seed_s),
        "threshold_ms": _ms(target.threshold_s),
        "meets_target": target.goal_s is not None and median <= target.goal_s,
    }
    if target.threshold_s is not None and median > target.threshold_s:
        raise CheckFailedError(
            f"{name} takes {median * 1000:.1f} ms (median of {ROUNDS}); the threshold is "
            f"{target.threshold_s * 1000:g} ms",
            details,
        )
    return details


def _config() -> Any:
    from mycelium.config import MyceliumConfig  # noqa: PLC0415

    return MyceliumConfig.model_validate({"services": {"temporal": {"enabled": True}}})


@check("performance")
def docker_detection_time(_ctx: QAContext) -> Details:
    from mycelium.detection import InfraDetector  # noqa: PLC0415

    detector = InfraDetector()
    return _timed("docker_detection", detector.detect_docker)


@check("performance")
def redis_detection_time(ctx: QAContext) -> Details:
    from mycelium.detection.redis import probe_redis  # noqa: PLC0415
    from mycelium.qa.checklist import CheckSkippedError  # noqa: PLC0415
    from mycelium.qa.resources import closed_port, throwaway_redis  # noqa: PLC0415

    try:
        port = throwaway_redis(ctx).port
    except CheckSkippedError:
        port = closed_port()  # still times a full probe: the refusal path
    return _timed("redis_detection", lambda: probe_redis(port))


@check("performance")
def full_scan_time(_ctx: QAContext) -> Details:
    from mycelium.detection import InfraDetector  # noqa: PLC0415

    detector = InfraDetector()
    return _timed("full_scan", lambda: detector.scan_all(refresh=True))


@check("performance")
def config_validation_time(_ctx: QAContext) -> Details:
    from mycelium.config import MyceliumConfig  # noqa: PLC0415

    data = _config().revealed()
    return _timed("config_validation", lambda: MyceliumConfig.model_validate(data))


@check("performance")
def compose_generation_time(_ctx: QAContext) -> Details:
    from mycelium.generators.compose import DockerComposeGenerator  # noqa: PLC0415

    config, generator = _config(), DockerComposeGenerator()
    return _timed("compose_generation", lambda: generator.render(config))


@check("performance")
def justfile_generation_time(_ctx: QAContext) -> Details:
    from mycelium.generators.justfile import JustfileGenerator  # noqa: PLC0415

    config, generator = _config(), JustfileGenerator()
    return _timed("justfile_generation", lambda: generator.render(config))


CHECKS = (
    docker_detection_time,
    redis_detection_time,
    full_scan_time,
    config_validation_time,
    compose_generation_time,
    justfile_generation_time,
)
