"""`mycelium-generate`: Write docker-compose.yml, a Justfile and .env from the configuration."""

from __future__ import annotations

from mycelium.cli._app import make_parser, not_yet, run, setup_logging

PROG = "mycelium-generate"


def main(argv: list[str] | None = None) -> None:
    args = make_parser(
        PROG, "Write docker-compose.yml, a Justfile and .env from the configuration."
    ).parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: not_yet(PROG, "this command"))
