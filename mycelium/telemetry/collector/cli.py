"""``mycelium-telemetry-collector``: receive telemetry events and export Prometheus metrics."""

from __future__ import annotations

import argparse  # noqa: TC003 - build_parser uses it at run time
import errno
import sys
from typing import NoReturn

from mycelium import exit_codes

PROG = "mycelium-telemetry-collector"


def build_parser() -> argparse.ArgumentParser:
    from mycelium.cli._app import make_parser, port_number  # noqa: PLC0415

    parser = make_parser(
        PROG,
        "Receive Mycelium telemetry events (POST /v1/events) and export Prometheus metrics "
        "(GET /metrics).",
        "needs the collector extra: pip install 'mycelium[collector]'\n\n"
        "exit status: 0 stopped, 1 cannot listen, 2 usage error",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=port_number, default=None, help="port to listen on (default: 9747)"
    )
    parser.add_argument(
        "--per-session",
        type=int,
        default=10,
        metavar="N",
        help="events one session may send per minute (default: 10)",
    )
    return parser


def main(argv: list[str] | None = None) -> NoReturn:
    from mycelium.cli._app import log, run, setup_logging  # noqa: PLC0415

    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.per_session <= 10_000:  # noqa: PLR2004 - a sane bound
        parser.error("--per-session must be from 1 to 10000")
    setup_logging(args.verbose, args.quiet)

    def serve() -> int:
        try:
            from mycelium.telemetry.collector.service import (  # noqa: PLC0415
                DEFAULT_PORT,
                Limits,
                make_server,
            )
        except ModuleNotFoundError as exc:
            from mycelium.errors import UserError  # noqa: PLC0415

            raise UserError(
                f"{exc.name} is not installed; install the collector extra: "
                "pip install 'mycelium[collector]'"
            ) from None
        port = args.port or DEFAULT_PORT
        try:
            server = make_server(args.host, port, Limits(per_session=args.per_session))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            from mycelium.errors import UserError  # noqa: PLC0415

            raise UserError(
                f"{args.host}:{port} is already in use; stop the program listening there, "
                "or choose another --port"
            ) from None
        log.info("%s: listening on %s (POST /v1/events, GET /metrics)", PROG, server.url)
        try:
            server.serve_forever()
        finally:
            server.server_close()
        return exit_codes.OK

    run(PROG, serve)
    sys.exit(exit_codes.OK)  # pragma: no cover - run() exits
