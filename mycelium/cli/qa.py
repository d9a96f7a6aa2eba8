"""``mycelium-qa``: run the QA checklist on the installed package, write qa_report.json."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.cli._app import make_parser, path_arg, run, setup_logging
from mycelium.cli._origin import add_origin_arguments, check_output, origin_of

if TYPE_CHECKING:
    import argparse

    from mycelium.qa.report import CheckResult, QAReport

PROG = "mycelium-qa"
CATEGORIES = (  # kept in step with mycelium.qa.checks.CATEGORIES (a test checks it)
    "installation, detection, wizard, configuration, generation, coordination, platform, "
    "performance"
)

EPILOG = f"""\
categories: {CATEGORIES}

Every check runs in a sandbox (a temporary HOME, XDG dirs and working directory);
your own files are never read or written. Statuses: pass, fail (the product is
wrong), skip (this host lacks a capability), error (the check itself broke).

exit status: 0 nothing failed or errored, 1 otherwise, 2 usage error
"""


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, "Run the QA checklist on the installed mycelium.", EPILOG)
    parser.add_argument("--report", type=path_arg, metavar="PATH", help="write qa_report.json here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument(
        "--only", metavar="CATEGORY,...", default="", help="run only these categories"
    )
    parser.add_argument("--junit", type=path_arg, metavar="PATH", help="also write JUnit XML here")
    parser.add_argument("--expect-version", metavar="X", help="fail unless mycelium X is installed")
    parser.add_argument("--keep", action="store_true", help="keep the sandbox and say where it is")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    add_origin_arguments(parser, set_by="invoke qa")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    from mycelium.qa.run import QAOptions, run_qa, select_checks, write_report

    only = tuple(part.strip() for part in args.only.split(",") if part.strip())
    # Found before the checklist runs: minutes of checks must not end in an unwritable path
    # or in a report the schema refuses.
    check_output(args.report, "--report", "qa_report.json")
    check_output(args.junit, "--junit", "junit.xml")
    origin = origin_of(args)
    if args.list:
        for item in select_checks(only):
            print(f"{item.category:<14} {item.name}")
        return exit_codes.OK
    options = QAOptions(
        only=only,
        expect_version=args.expect_version,
        keep=args.keep,
        host_alias=args.host_alias,
        origin=origin,
    )
    stream = sys.stderr if args.json else sys.stdout
    report, kept = run_qa(options, on_result=lambda r: print(_line(r), file=stream, flush=True))
    if args.report:
        write_report(report, args.report)
    if args.junit:
        from mycelium.qa.junit import write_junit

        write_junit(report, args.junit)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(_summary(report))
    if kept is not None:
        print(f"sandbox kept in {kept}", file=sys.stderr)
    return exit_codes.OK if report.ok else exit_codes.FAILURE


def _line(result: CheckResult) -> str:
    text = f"{result.status.mark} {result.category:<14} {result.test}  ({result.duration:.2f}s)"
    if result.error:
        text += f"\n    {result.error}"
    return text


def _summary(report: QAReport) -> str:
    from tabulate import tabulate

    s = report.summary
    table = tabulate(
        [[s.total, s.passed, s.failed, s.skipped, s.errors, f"{s.pass_rate:.0%}"]],
        headers=["total", "passed", "failed", "skipped", "errors", "pass rate"],
    )
    verdict = "QA passed" if report.ok else "QA FAILED"
    where = report.platform
    return f"\n{table}\n\n{verdict} on {where.os} {where.os_version}, Python {where.python_version}"
