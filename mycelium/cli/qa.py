"""`mycelium-qa`: Run the QA checklist on the installed package and write qa_report.json."""

from __future__ import annotations

from mycelium.cli._app import make_parser, not_yet, run, setup_logging

PROG = "mycelium-qa"


def main(argv: list[str] | None = None) -> None:
    args = make_parser(
        PROG, "Run the QA checklist on the installed package and write qa_report.json."
    ).parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: not_yet(PROG, "this command"))
