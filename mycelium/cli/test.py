"""``mycelium-test``: prove the configured services coordinate agents correctly."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.cli._app import log, make_parser, path_arg, run, setup_logging

if TYPE_CHECKING:
    from collections.abc import Callable

    from mycelium.coordination import RunReport
    from mycelium.coordination.endpoints import Endpoints

PROG = "mycelium-test"
PATTERNS = ("pubsub", "taskqueue", "barrier")

EPILOG = """\
patterns and what each proves:
  pubsub     every subscriber gets every message, in order, exactly once
  taskqueue  every task is done exactly once although one worker dies mid-task
             (Redis Streams; also PostgreSQL SKIP LOCKED when PostgreSQL is configured)
  barrier    no participant passes a generation before all have arrived

which services (first found wins):
  Redis       --redis-url, $MYCELIUM_REDIS_URL, services.redis in the configuration,
              redis://127.0.0.1:6379/0 when there is no configuration file
  PostgreSQL  --postgres-url, $MYCELIUM_POSTGRES_URL, services.postgres when enabled
              in a configuration file

exit status: 0 every selected pattern held, 1 a pattern failed or a service is
unreachable, 2 usage error
"""


def _positive(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:  # noqa: PLR2004 - an hour bounds even a heavy run
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600, got {value:g}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, "Prove the configured services coordinate agents correctly.", EPILOG)
    parser.add_argument(
        "--pattern",
        choices=(*PATTERNS, "all"),
        default="all",
        help="which pattern to check (default: all)",
    )
    parser.add_argument(
        "--participants",
        type=_positive(2),
        default=4,
        metavar="N",
        help="subscribers, workers or barrier participants (default: 4; at least 2)",
    )
    parser.add_argument(
        "--messages",
        type=_positive(3),
        default=200,
        metavar="M",
        help="messages published, and tasks enqueued (default: 200; at least 3)",
    )
    parser.add_argument(
        "--generations",
        type=_positive(1),
        default=5,
        metavar="G",
        help="barrier generations (default: 5)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="seconds each pattern may take before it counts as failed (default: 30)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as JSON instead of a table"
    )
    parser.add_argument(
        "--redis-url", metavar="URL", help="the Redis to test: redis://[:PASSWORD@]HOST:PORT/DB"
    )
    parser.add_argument(
        "--postgres-url",
        metavar="URL",
        help="the PostgreSQL to test: postgresql://USER[:PASSWORD]@HOST:PORT/DB",
    )
    parser.add_argument(
        "--config",
        type=path_arg,
        metavar="PATH",
        help="read this configuration file instead of the usual places",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: dispatch(args), telemetry="coordination_test_run")


def dispatch(args: argparse.Namespace) -> int:
    from mycelium.coordination import Pattern, run_patterns
    from mycelium.redaction import redact_url

    endpoints = _endpoints(args)
    patterns = list(Pattern) if args.pattern == "all" else [Pattern(args.pattern)]
    for key, name, url in (
        ("redis", "Redis", endpoints.redis_url),
        ("postgres", "PostgreSQL", endpoints.postgres_url),
    ):
        if url:
            log.info("%s: %s (from %s)", name, redact_url(url), endpoints.sources[key])
    report = run_patterns(
        endpoints=endpoints,
        patterns=patterns,
        participants=args.participants,
        messages=args.messages,
        generations=args.generations,
        timeout_s=args.timeout,
    )
    print(_as_json(report) if args.json else _as_table(report))
    if not args.json:
        for result in report.results:
            for problem in result.problems:
                log.error("%s (%s): %s", result.pattern, result.backend, problem)
    return exit_codes.OK if report.held else exit_codes.FAILURE


def _endpoints(args: argparse.Namespace) -> Endpoints:
    from mycelium.config import ConfigStore, resolve
    from mycelium.coordination import choose

    store = ConfigStore(resolve(args.config))
    config = None
    if store.exists() or args.config is not None:
        config = store.load().config
    else:
        log.debug("no configuration file at %s", store.path)
    return choose(
        redis_url=args.redis_url,
        postgres_url=args.postgres_url,
        config=config,
        config_path=str(store.path),
    )


def _as_table(report: RunReport) -> str:
    from tabulate import tabulate

    rows = []
    for result in report.results:
        throughput = (
            f"{result.throughput:,.0f} {result.throughput_unit}"
            if result.throughput is not None
            else "–"
        )
        latency = (
            f"{result.latency.p50_ms:.2f} / {result.latency.p95_ms:.2f} / "
            f"{result.latency.p99_ms:.2f} ms ({result.latency_label})"
            if result.latency is not None
            else "–"
        )
        mark = "✓" if result.held else "✗"
        rows.append(
            [
                result.pattern,
                result.backend,
                result.participants,
                f"{mark} {result.status.value}",
                throughput,
                latency,
                _notes(result.details),
            ]
        )
    headers = [
        "pattern",
        "backend",
        "participants",
        "result",
        "throughput",
        "latency p50 / p95 / p99",
        "notes",
    ]
    return tabulate(rows, headers=headers, disable_numparse=True)


def _notes(details: dict[str, int | float | str]) -> str:
    if "redelivered" in details:
        return (
            f"{details['tasks']} tasks, {details['redelivered']} redelivered after a worker "
            "was killed"
        )
    if "delivered" in details:
        return f"{details['messages']} messages, {details['delivered']} deliveries"
    if "generations" in details:
        return f"{details['generations']} generations"
    return ""


def _as_json(report: RunReport) -> str:
    from dataclasses import asdict

    from mycelium.redaction import redact_mapping

    data = {
        "run_id": report.run_id,
        "held": report.held,
        "results": [
            {**asdict(result), "status": result.status.value, "held": result.held}
            for result in report.results
        ],
    }
    import json

    return json.dumps(redact_mapping(data), indent=2)
