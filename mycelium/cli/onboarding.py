"""`mycelium-onboarding`: Detect the infrastructure on this machine and save a configuration."""

from __future__ import annotations

from mycelium.cli._app import make_parser, not_yet, run, setup_logging

PROG = "mycelium-onboarding"


def main(argv: list[str] | None = None) -> None:
    args = make_parser(
        PROG, "Detect the infrastructure on this machine and save a configuration."
    ).parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: not_yet(PROG, "this command"))
