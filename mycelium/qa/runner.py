"""Run checks one by one, each bounded by its own timeout, into ``CheckResult``s."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from mycelium.qa.checklist import Check, CheckFailedError, CheckSkippedError, QAContext
from mycelium.qa.report import CheckResult, Status

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mycelium.qa.scrub import Scrubber

_MAX_ERROR = 500


def run_check(check: Check, ctx: QAContext, scrubber: Scrubber) -> CheckResult:
    """Run one check in a worker thread; a check past its timeout is reported as ``error``.

    A thread cannot be killed: a hung check is abandoned (daemon thread) and its result
    ignored, and the checks themselves bound every subprocess and socket they use.
    """
    # The worker fills in exactly one status with its (error text, details).
    outcome: dict[Status, tuple[str | None, dict[str, Any]]] = {}

    def target() -> None:
        try:
            outcome[Status.PASS] = (None, check.run(ctx) or {})
        except CheckSkippedError as exc:
            outcome[Status.SKIP] = (str(exc), {})
        except CheckFailedError as exc:
            outcome[Status.FAIL] = (str(exc), exc.details)
        except Exception as exc:  # noqa: BLE001 - any other exception is the check's own error
            outcome[Status.ERROR] = (f"{type(exc).__name__}: {exc}", {})

    started = time.perf_counter()
    worker = threading.Thread(target=target, name=f"qa-{check.name}", daemon=True)
    worker.start()
    worker.join(check.timeout_s)
    duration = round(time.perf_counter() - started, 4)
    error: str | None
    details: dict[str, Any]
    if worker.is_alive() or not outcome:
        status, error, details = Status.ERROR, f"timed out after {check.timeout_s:g}s", {}
    else:
        [(status, (error, details))] = outcome.items()
    return CheckResult(
        test=check.name,
        category=check.category,
        status=status,
        duration=duration,
        error=scrubber.text(error)[:_MAX_ERROR] if error else None,
        details=scrubber.data(details),
    )


def run_checks(
    checks: Sequence[Check],
    ctx: QAContext,
    scrubber: Scrubber,
    on_result: Callable[[CheckResult], None] = lambda _r: None,
) -> list[CheckResult]:
    results = []
    for check in checks:
        result = run_check(check, ctx, scrubber)
        on_result(result)
        results.append(result)
    return results
