"""``mycelium-telemetry``: see, turn on, turn off and preview the opt-in telemetry."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.cli._app import (
    add_commands,
    add_verbosity,
    make_parser,
    parse_command_line,
    run,
    setup_logging,
)

if TYPE_CHECKING:
    from mycelium.telemetry.commands import Status

PROG = "mycelium-telemetry"

EPILOG = """\
telemetry is off unless you opt in. DO_NOT_TRACK=1 or MYCELIUM_TELEMETRY=0 always turn it
off; MYCELIUM_TELEMETRY=1 or `mycelium-telemetry enable` turn it on. Only your own
configuration counts ($MYCELIUM_CONFIG or ~/.config/mycelium/config.yaml), never a
project's mycelium.yaml. What is collected, and what never is: docs/PRIVACY.md.

exit status: 0 ok, 1 the configuration cannot be read or written, 2 usage error
"""


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, "See and change the opt-in telemetry.", EPILOG)
    sub = add_commands(parser)
    common = argparse.ArgumentParser(add_help=False)
    add_verbosity(common, of_a_command=True)
    status = sub.add_parser(
        "status", parents=[common], help="whether telemetry is on, and what decided it"
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    for name, summary in (
        ("enable", "opt in (telemetry.enabled: true in your configuration)"),
        ("disable", "opt out, and drop what is still queued"),
        ("preview", "print the exact bytes each event would be; send nothing"),
    ):
        sub.add_parser(name, parents=[common], help=summary)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parse_command_line(build_parser(), argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: dispatch(args))


def dispatch(args: argparse.Namespace) -> int:
    from mycelium.telemetry import commands

    if args.command == "status":
        result = commands.status()
        if args.json:
            import json  # only for --json: --help stays on argparse alone

            print(json.dumps(result.as_dict(), indent=2))
        else:
            _print_status(result)
    elif args.command in {"enable", "disable"}:
        enabled = args.command == "enable"
        changed = commands.set_enabled(enabled)
        print(f"telemetry.enabled = {'true' if enabled else 'false'}  (saved to {changed.path})")
        _print_status(changed.status)
    else:
        for body in commands.preview():
            sys.stdout.buffer.write(body + b"\n")
        sys.stdout.flush()
    return exit_codes.OK


def _print_status(result: Status) -> None:
    s = result.settings
    print(f"telemetry: {s.consent.state} ({s.consent.source.value}: {s.consent.detail})")
    problem = f"; not read: {s.problem}" if s.problem else ""
    print(f"configuration: {s.config_file}{problem}")
    endpoint = s.endpoint or "none: events are only written to the spool"
    print(f"endpoint: {endpoint} ({s.endpoint_source})")
    print(f"spool: {s.spool} ({result.recorded} recorded, {result.queued} queued)")
