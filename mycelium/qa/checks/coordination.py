"""coordination: the three patterns hold their guarantee against a live Redis.

The Redis is a throwaway ``redis-server`` the checklist starts when the host has one, else
a Redis already answering on 127.0.0.1:6379 without a password (the patterns use their own
key prefix with a TTL and delete their keys), else the checks skip with the reason.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from mycelium.qa.checklist import (
    CheckFailedError,
    CheckSkippedError,
    Details,
    QAContext,
    check,
)

DEFAULT_REDIS = 6379


def _redis_url(ctx: QAContext) -> str:
    from mycelium.qa.resources import throwaway_redis  # noqa: PLC0415

    try:
        return throwaway_redis(ctx).url
    except CheckSkippedError as no_binary:
        from mycelium.detection.redis import probe_redis  # noqa: PLC0415

        if probe_redis(DEFAULT_REDIS).available:
            return f"redis://127.0.0.1:{DEFAULT_REDIS}/0"
        raise CheckSkippedError(f"{no_binary}, and no Redis answers on 127.0.0.1:6379") from None


def _run_pattern(ctx: QAContext, pattern: str) -> dict[str, Any]:
    url = _redis_url(ctx)
    proc = subprocess.run(
        [str(ctx.console_script("mycelium-test")), "--pattern", pattern, "--redis-url", url,
         "--json", "--timeout", "30"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    try:
        result: dict[str, Any] = json.loads(proc.stdout)["results"][0]
    except (ValueError, KeyError, IndexError):
        raise CheckFailedError(
            f"mycelium-test exited {proc.returncode} without a result: {proc.stderr.strip()[-300:]}"
        ) from None
    details = {
        "throughput": round(float(result.get("throughput") or 0), 1),
        "unit": result.get("throughput_unit"),
        "latency_ms": result.get("latency"),
        **result.get("details", {}),
    }
    if not result.get("held") or proc.returncode != 0:
        problems = "; ".join(result.get("problems") or []) or result.get("status", "failed")
        raise CheckFailedError(f"{pattern} did not hold its guarantee: {problems}"[:400], details)
    return details


@check("coordination", timeout_s=120)
def pubsub_delivers_every_message_in_order(ctx: QAContext) -> Details:
    return _run_pattern(ctx, "pubsub")


@check("coordination", timeout_s=120)
def taskqueue_survives_a_killed_worker(ctx: QAContext) -> Details:
    return _run_pattern(ctx, "taskqueue")


@check("coordination", timeout_s=120)
def barrier_lets_nobody_pass_early(ctx: QAContext) -> Details:
    return _run_pattern(ctx, "barrier")


CHECKS = (
    pubsub_delivers_every_message_in_order,
    taskqueue_survives_a_killed_worker,
    barrier_lets_nobody_pass_early,
)
