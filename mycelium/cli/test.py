"""`mycelium-test`: Prove the configured services coordinate agents correctly."""

from __future__ import annotations

from mycelium.cli._app import make_parser, not_yet, run, setup_logging

PROG = "mycelium-test"


def main(argv: list[str] | None = None) -> None:
    args = make_parser(
        PROG, "Prove the configured services coordinate agents correctly."
    ).parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: not_yet(PROG, "this command"))
