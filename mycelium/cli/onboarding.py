"""``mycelium-onboarding``: detect the infrastructure on this machine and save a configuration."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.cli._app import log, make_parser, path_arg, port_number, run, setup_logging

if TYPE_CHECKING:
    import argparse

    from mycelium.config import ConfigStore, MyceliumConfig
    from mycelium.config.quick_read import ScanSettings
    from mycelium.detection import InfraDetector, Targets
    from mycelium.wizard.questions import Answer

PROG = "mycelium-onboarding"
DEFAULT_TIMEOUT_MS = 250
NOT_A_TERMINAL = (
    "{stream} is not a terminal, so the wizard cannot ask its questions; use "
    "--non-interactive with --services redis,postgres --method docker-compose --yes "
    "(or answers on stdin, one a line), or --detect to only scan"
)

EPILOG = """\
examples:
  mycelium-onboarding                      the interactive wizard
  mycelium-onboarding --detect [--json]    only scan this machine
  mycelium-onboarding --non-interactive --services redis,postgres \\
      --method docker-compose --yes        answers from flags
  printf 'redis\\npostgres\\n\\ndocker-compose\\ny\\n' | mycelium-onboarding --non-interactive
                                           answers from stdin, one a line: services
                                           (a blank line ends them), method, confirmation;
                                           a blank line takes the default

The wizard starts from the saved configuration when there is one, and only changes what
you change. Ctrl-C or Esc cancels without writing anything.

exit status: 0 saved (or scanned), 1 not saved or an invalid answer, 2 usage error,
130 cancelled
"""


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG, "Detect the infrastructure on this machine and save a configuration.", EPILOG
    )
    parser.add_argument(
        "--detect", action="store_true", help="only scan this machine and print what runs"
    )
    parser.add_argument("--json", action="store_true", help="with --detect: print JSON")
    parser.add_argument(
        "--config", type=path_arg, metavar="PATH", help="read and write this configuration file"
    )
    parser.add_argument(
        "--non-interactive",
        action="store_true",
        help="no prompts: answers from the flags below, then from stdin one a line",
    )
    parser.add_argument(
        "-y", "--yes", action="store_true", help="take the default for every unanswered question"
    )
    parser.add_argument(
        "--services",
        metavar="LIST",
        help="services to run, comma-separated: redis,postgres,temporal",
    )
    parser.add_argument(
        "--method", choices=("docker-compose", "justfile"), help="how to run the services"
    )
    parser.add_argument("--output-dir", metavar="DIR", help="where the deployment files go")
    for name in ("redis", "postgres", "temporal"):
        parser.add_argument(
            f"--{name}-port",
            type=port_number,
            metavar="PORT",
            help=f"{name}'s port (probed and saved)",
        )
    parser.add_argument(
        "--timeout",
        type=int,
        metavar="MS",
        default=DEFAULT_TIMEOUT_MS,
        help=f"each probe's time limit in milliseconds (default {DEFAULT_TIMEOUT_MS})",
    )
    return parser


MAX_TIMEOUT_MS = 60_000  # a probe that needs longer is not answering; beyond it, time_t overflows


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.json and not args.detect:
        parser.error("--json goes with --detect")
    if not 0 < args.timeout <= MAX_TIMEOUT_MS:
        parser.error(
            f"--timeout must be a number of milliseconds from 1 to {MAX_TIMEOUT_MS} (a minute)"
        )
    setup_logging(args.verbose, args.quiet)
    event = None if args.detect else "wizard_completed"
    run(PROG, lambda: dispatch(args), telemetry=event, config=args.config)


def dispatch(args: argparse.Namespace) -> int:
    # Without a file to read, a scan needs neither pydantic nor PyYAML: they load only when
    # a configuration is read or the wizard builds one.
    from mycelium.config.paths import resolve
    from mycelium.config.store import ConfigStore

    store = ConfigStore(resolve(args.config))
    existing = store.exists()
    if args.detect:
        return _detect(_detector(_scan_targets(store) if existing else None, args),
                       as_json=args.json)  # fmt: skip
    from mycelium.config.models import MyceliumConfig

    base = store.load().config if existing else MyceliumConfig()
    detector = _detector(_targets(base), args)
    interactive = not (args.non_interactive or args.yes)
    if interactive:
        _require_terminal()
    return _wizard(store, base, detector, args, existing=existing, interactive=interactive)


def _scan_targets(store: ConfigStore) -> Targets | None:
    """Where the saved file says the services are; ``None``: the defaults.

    The scan's few values are read without the schema (mycelium.config.quick_read); a file
    that reader is unsure of goes through full validation, and a broken file must not stop
    a scan: the defaults are probed and the user told why.
    """
    from mycelium.config.quick_read import read_scan_settings
    from mycelium.errors import ConfigError

    try:
        quick = read_scan_settings(store.read_text())
        if quick is not None:
            return _targets_of_settings(quick)
        return _targets(store.load().config)
    except ConfigError as exc:
        log.warning("%s\n(scanning the default ports instead)", exc)
        return None


def _targets_of_settings(settings: ScanSettings) -> Targets:
    from mycelium.config.quick_read import DEFAULT_TEMPORAL_UI_PORT
    from mycelium.detection import Targets

    default = Targets()
    enabled = bool(settings.temporal_enabled)  # the schema's default: off
    return Targets(
        redis_port=settings.redis_port or default.redis_port,
        redis_password=settings.redis_password,
        postgres_port=settings.postgres_port or default.postgres_port,
        postgres_user=settings.postgres_user or default.postgres_user,
        temporal_port=settings.temporal_port or default.temporal_port,
        temporal_ui_port=(settings.temporal_ui_port or DEFAULT_TEMPORAL_UI_PORT)
        if enabled
        else None,
    )


def _detector(saved: Targets | None, args: argparse.Namespace) -> InfraDetector:
    """The detector for the saved services (``None``: no saved file, the defaults), with
    the ports given as flags."""
    from dataclasses import replace

    from mycelium.detection import InfraDetector, Targets

    saved = saved or Targets()
    targets = replace(
        saved,
        redis_port=args.redis_port or saved.redis_port,
        postgres_port=args.postgres_port or saved.postgres_port,
        temporal_port=args.temporal_port or saved.temporal_port,
    )
    return InfraDetector(targets, timeout_s=args.timeout / 1000.0)


def _targets(base: MyceliumConfig) -> Targets:
    from mycelium.detection import Targets

    services = base.services
    password = services.redis.password
    return Targets(
        redis_port=services.redis.port,
        redis_password=password.get_secret_value() if password else None,
        postgres_port=services.postgres.port,
        postgres_user=services.postgres.user,
        temporal_port=services.temporal.port,
        temporal_ui_port=services.temporal.ui_port if services.temporal.enabled else None,
    )


def _detect(detector: InfraDetector, *, as_json: bool) -> int:
    from mycelium.cli._scan_view import scan_table

    scan = detector.scan_all()
    if as_json:
        import json

        print(json.dumps(scan.to_dict(), indent=2))
    else:
        print(scan_table(scan))
    return exit_codes.OK


def _require_terminal() -> None:
    from mycelium.errors import UsageError

    for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)):
        if not stream.isatty():
            raise UsageError(NOT_A_TERMINAL.format(stream=name))


def _presets(args: argparse.Namespace) -> dict[str, Answer]:
    presets: dict[str, Answer] = {}
    if args.services is not None:
        presets["services"] = tuple(args.services.split(","))
    if args.method is not None:
        presets["method"] = args.method
    if args.output_dir is not None:
        presets["output_dir"] = args.output_dir
    for name in ("redis", "postgres", "temporal"):
        port = getattr(args, f"{name}_port")
        if port is not None:
            presets[f"port.{name}"] = str(port)
    if args.yes:
        presets["confirm"] = True
    return presets


def _wizard(
    store: ConfigStore,
    base: MyceliumConfig,
    detector: InfraDetector,
    args: argparse.Namespace,
    *,
    existing: bool,
    interactive: bool,
) -> int:
    from mycelium.wizard.facts import gather
    from mycelium.wizard.flow import next_command
    from mycelium.wizard.session import defaults_source, lines_source, run_flow

    scan = detector.scan_all()
    ctx = gather(base, scan, existing=existing, ask_details=interactive, target=str(store.path))
    if interactive:
        from mycelium.cli._scan_view import scan_table
        from mycelium.wizard.prompts import prompt_source

        print(scan_table(scan), end="\n\n")
        if existing:
            print(f"Starting from {store.path}; only what you change is changed.\n")
        source = prompt_source(ctx)
    elif args.yes:
        source = defaults_source()
    else:
        source = lines_source(iter(sys.stdin.readline, ""))

    def show(lines: list[str]) -> None:
        print("\n".join(lines))

    outcome = run_flow(ctx, source, presets=_presets(args), show=show)
    if not outcome.confirmed:
        log.error("%s: not saved; nothing was written", PROG)
        return exit_codes.FAILURE
    store.save(outcome.config)
    print(f"✓ saved to {store.path}")
    print(f"next: {next_command(outcome.config)}")
    return exit_codes.OK
