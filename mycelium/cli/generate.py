"""``mycelium-generate``: write docker-compose.yml, a Justfile and .env from the configuration."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mycelium import exit_codes
from mycelium.cli._app import log, make_parser, path_arg, run, setup_logging

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from mycelium.config import ConfigLocation, MyceliumConfig
    from mycelium.generators.plan import Plan
    from mycelium.generators.run import GenerateResult

PROG = "mycelium-generate"
ONLY = ("compose", "justfile", "secrets")

EPILOG = """\
what it writes (in deployment.output_dir, or --output DIR):
  docker-compose.yml  deployment.method docker-compose: every enabled service, hardened
  Justfile            deployment.method justfile: up/down/status/logs/reset, native processes
  .env                the services' passwords (mode 0600), kept across runs
  .gitignore          .env, .env.bak and data/ added when missing
  .mycelium-generated.json  the sha256 of each file as generated: a file you edited is
                      not overwritten without --force (your version is kept as .bak)

exit status: 0 ok, 1 refused (edited files) or insecure settings found (--check),
2 usage error
"""


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(
        PROG, "Write docker-compose.yml, a Justfile and .env from the configuration.", EPILOG
    )
    parser.add_argument(
        "--config",
        type=path_arg,
        metavar="PATH",
        help="read this configuration file instead of the usual places",
    )
    parser.add_argument(
        "--output",
        type=path_arg,
        metavar="DIR",
        help="write into DIR instead of deployment.output_dir",
    )
    parser.add_argument(
        "--only",
        choices=ONLY,
        help="write only docker-compose.yml, the Justfile or .env "
        "(default: the method's file and .env)",
    )
    show = parser.add_mutually_exclusive_group()
    show.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be created, updated, replaced or refused; write nothing",
    )
    show.add_argument(
        "--diff",
        action="store_true",
        help="show the changes as a unified diff, passwords as <secret sha256:...> fingerprints; "
        "write nothing",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace files you edited; your version is kept as <name>.bak",
    )
    parser.add_argument(
        "--rotate-secrets",
        action="store_true",
        help="draw new passwords instead of keeping the ones in .env; restart the services after",
    )
    parser.add_argument(
        "--check",
        nargs="?",
        const="",
        metavar="FILE",
        help="lint a Compose file for insecure settings; without FILE, the generated one",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    event = None if args.check is not None or args.dry_run else "deployment_generated"
    run(PROG, lambda: dispatch(args), telemetry=event, config=args.config)


def dispatch(args: argparse.Namespace) -> int:
    if args.check is not None:
        return _check(args)
    return _generate(args)


def _load(config: Path | None) -> tuple[MyceliumConfig, ConfigLocation]:
    from mycelium.config import ConfigStore, resolve

    location = resolve(config)
    return ConfigStore(location).load().config, location


def _output_dir(args: argparse.Namespace, config: MyceliumConfig, location: ConfigLocation) -> Path:
    from pathlib import Path

    from mycelium.generators.plan import output_dir_for

    return Path(_shown(output_dir_for(config, location, args.output)))


def _generate(args: argparse.Namespace) -> int:
    from mycelium.generators.run import Target, generate

    config, location = _load(args.config)
    result = generate(
        config,
        _output_dir(args, config, location),
        only=Target(args.only) if args.only else None,
        force=args.force,
        dry_run=args.dry_run,
        review_only=args.diff,
        rotate_secrets=args.rotate_secrets,
    )
    if args.diff:
        return _show_diff(result)
    _report(result, dry_run=args.dry_run)
    for finding in result.findings:
        log.warning("warning: %s", finding.format())
    if not args.dry_run:
        _next_step(result.plan, args)
    return exit_codes.OK


def _show_diff(result: GenerateResult) -> int:
    from mycelium.generators.writer import Action, unified_diff

    changes = result.changes
    for change in changes:
        if change.action is Action.CONFLICT:
            log.warning(
                "%s: you edited this file; mycelium-generate would not replace it without --force",
                _shown(change.path),
            )
        if change.action is not Action.UNCHANGED:
            sys.stdout.write(unified_diff(change))
    if all(c.action is Action.UNCHANGED for c in changes):
        print("no changes: every file is as mycelium-generate would write it")
    return exit_codes.OK


_VERBS = {
    "create": ("created", "would create"),
    "update": ("updated", "would update"),
    "unchanged": ("unchanged", "unchanged"),
    "replace": ("replaced", "would replace"),
    "conflict": ("kept", "would refuse (you edited it; --force replaces it)"),
}


def _report(result: GenerateResult, *, dry_run: bool) -> None:
    from mycelium.generators.writer import Action

    for change in result.changes:
        verb = _VERBS[change.action.value][1 if dry_run else 0]
        notes = []
        if change.file.secret:
            notes.append(f"mode {change.file.mode:04o}")
        if change.action is Action.REPLACE:
            notes.append(f"your version kept as {change.path.name}.bak")
        suffix = f" ({', '.join(notes)})" if notes else ""
        print(f"{verb:<9} {_shown(change.path)}{suffix}")
    if dry_run:
        print("dry run: nothing was written")


def _next_step(plan: Plan, args: argparse.Namespace) -> None:
    import shlex

    from mycelium.generators.plan import Target

    where = _shown(plan.output_dir)
    targets: tuple[Target, ...] = plan.targets
    # The hints repeat the user's own --config/--output: typed as shown, they must act there.
    again = [PROG]
    if args.config is not None:
        again += ["--config", str(args.config)]
    if args.output is not None:
        again += ["--output", str(args.output)]
    rerun = shlex.join(again)
    if Target.SECRETS not in targets and not (plan.output_dir / ".env").exists():
        log.warning(
            "note: %s/.env does not exist yet; run `%s --only secrets` before starting",
            where,
            rerun,
        )
    if Target.COMPOSE in targets or (
        Target.JUSTFILE not in targets and (plan.output_dir / "docker-compose.yml").exists()
    ):
        command = "docker compose up -d"
    elif Target.JUSTFILE in targets or (plan.output_dir / "Justfile").exists():
        command = "just up"
    else:  # only .env was written, beside no deployment file yet
        print(f"next: `{rerun}` writes the deployment file beside it")
        return
    print(f"next: cd {_quote(where)} && {command}")


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mycelium.generators.run import check_compose

    config = None
    if args.check:
        path = Path(args.check)
    else:
        if args.output is not None:
            directory = args.output
        else:
            config, location = _load(args.config)
            directory = _output_dir(args, config, location)
        path = directory / "docker-compose.yml"
    # The generated file (found from the configuration) is also held to what it generates.
    findings = check_compose(path, _shown(path), config)
    for finding in findings:
        print(finding.format())
    if findings:
        count = len(findings)
        print(f"✗ {_shown(path)}: {count} insecure setting{'s' if count > 1 else ''}")
        return exit_codes.FAILURE
    print(f"✓ {_shown(path)}: no insecure setting found")
    return exit_codes.OK


def _shown(path: Path) -> str:
    from mycelium.fileio import shown_path

    return shown_path(path)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
