"""``mycelium-bench``: time the key operations on the installed package, write the report."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.bench.units import duration
from mycelium.cli._app import make_parser, path_arg, run, setup_logging
from mycelium.cli._origin import add_origin_arguments, check_output, origin_of

if TYPE_CHECKING:
    import argparse

    from mycelium.bench.report import Operation, PerformanceReport

PROG = "mycelium-bench"

EPILOG = """\
Each operation is warmed up, then timed: in-process operations in samples of at
least 100 ms (a fast one repeats inside a sample; 20 samples), whole processes 10
times, coordination patterns 3 runs against a throwaway redis-server. --quick
takes few samples (a smoke run, not a figure to compare).

Grades against the targets table: goal (ours), target, acceptable, slow (the
seed's columns), over (past the seed's threshold: a failure), untargeted.
A noisy figure (stdev >= 10% of the mean, or a min/max 50% from it) says so.

Everything runs in a sandbox (a temporary HOME, XDG dirs and working directory);
only the report and the profile are written outside it.

exit status: 0 nothing over its threshold and no error, 1 otherwise, 2 usage error
"""


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, "Benchmark the installed mycelium's key operations.", EPILOG)
    parser.add_argument(
        "--report", type=path_arg, metavar="PATH", help="write performance_report.json here"
    )
    parser.add_argument(
        "--profile-dir",
        type=path_arg,
        metavar="DIR",
        help="where the cProfile of the slowest operation goes (default: next to --report)",
    )
    parser.add_argument(
        "--only",
        metavar="NAME,...",
        default="",
        help="run only these operations (names from --list; cli_help is every --help)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="few samples: a smoke run, not figures to compare"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--list", action="store_true", help="list the operations and exit")
    parser.add_argument("--expect-version", metavar="X", help="fail unless mycelium X is installed")
    add_origin_arguments(parser, set_by="invoke bench")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    from mycelium.bench.run import BenchOptions, run_bench, select_operations, write_report
    from mycelium.errors import UsageError

    only = tuple(part.strip() for part in args.only.split(",") if part.strip())
    if args.list:
        for op in select_operations(only):
            print(f"{op.name:<26} {op.kind:<10} {op.label}")
        return exit_codes.OK
    # Found before the operations run: minutes of measuring must not end in an unwritable
    # path or in a report the schema refuses.
    check_output(args.report, "--report", "performance_report.json")
    profile_dir = args.profile_dir or (args.report.parent if args.report else None)
    if profile_dir is not None and profile_dir.exists() and not profile_dir.is_dir():
        raise UsageError(f"--profile-dir {profile_dir}: is a file, not a directory")
    origin = origin_of(args)
    options = BenchOptions(
        only=only,
        quick=args.quick,
        expect_version=args.expect_version,
        host_alias=args.host_alias or None,
        origin=origin,
        profile_dir=profile_dir.absolute() if profile_dir else None,
    )
    stream = sys.stderr if args.json else sys.stdout
    outcome = run_bench(options, on_operation=lambda op: print(_line(op), file=stream, flush=True))
    report = outcome.report
    if args.report:
        write_report(report, args.report)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(_table(report))
        if outcome.profile:
            print(f"profile of {outcome.profile.operation}: {outcome.profile.text}")
    return exit_codes.OK if report.ok else exit_codes.FAILURE


def _noise(op: Operation) -> str:
    if op.noise is None:
        return ""
    spread = f"±{op.noise.relative_stdev:.0%}"
    return f"NOISY {spread}" if op.noise.noisy else spread


def _line(op: Operation) -> str:
    text = f"{op.status.mark} {op.name:<26} {duration(op.median_s):>9}"
    if op.throughput is not None:
        text += f"  {op.throughput:,.0f} {op.throughput_unit}"
    if op.reason:
        text += f"\n    {op.reason}"
    if op.noise and op.noise.noisy:
        text += f"\n    warning: {op.noise.warning}"
    return text


def _table(report: PerformanceReport) -> str:
    from tabulate import tabulate

    rows = [
        [
            op.name,
            duration(op.median_s),
            duration(op.p95_s),
            f"{op.throughput:,.0f} {op.throughput_unit}" if op.throughput is not None else "",
            op.grade or op.status,
            _noise(op),
        ]
        for op in report.operations
    ]
    table = tabulate(rows, headers=["operation", "median", "p95", "rate", "grade", "noise"])
    over = [op.name for op in report.operations if op.status.value in {"fail", "error"}]
    verdict = "nothing over its threshold" if not over else f"FAILED: {', '.join(over)}"
    fp = report.fingerprint
    return (
        f"\n{table}\n\n{verdict}; {fp.cpu_model} ×{fp.cpu_count}, "
        f"{fp.python_implementation} {fp.python_version}, load {fp.load_average}"
    )
