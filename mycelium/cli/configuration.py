"""``mycelium-configuration``: show, edit and validate the saved configuration."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from mycelium import exit_codes
from mycelium.cli._app import (
    add_commands,
    add_verbosity,
    log,
    make_parser,
    parse_command_line,
    path_arg,
    run,
    setup_logging,
)

if TYPE_CHECKING:
    from mycelium.config import ConfigStore, LoadedConfig, MyceliumConfig
    from mycelium.errors import ConfigError

PROG = "mycelium-configuration"

EPILOG = """\
where the file is (first found wins):
  --config PATH, $MYCELIUM_CONFIG, ./mycelium.yaml (or a parent, up to the
  repository root), $XDG_CONFIG_HOME/mycelium/config.yaml (~/.config/mycelium/)

exit status: 0 ok, 1 invalid configuration, 2 usage error
"""


KEY_HELP = "the setting's dotted path, such as services.redis.port"


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, "Show, edit and validate the Mycelium configuration.", EPILOG)
    common = argparse.ArgumentParser(add_help=False)
    add_verbosity(common, of_a_command=True)
    common.add_argument(
        "--config",
        type=path_arg,
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="use this configuration file instead of the usual places",
    )
    parser.add_argument(
        "--config", type=path_arg, metavar="PATH", default=None, help=argparse.SUPPRESS
    )
    sub = add_commands(parser)

    init = sub.add_parser("init", parents=[common], help="write a configuration with the defaults")
    init.add_argument(
        "--force",
        action="store_true",
        help="replace an existing file (the old one is kept as .bak)",
    )
    init.add_argument(
        "--project", action="store_true", help="write ./mycelium.yaml for this project instead"
    )
    show = sub.add_parser(
        "show", parents=[common], help="print the configuration as YAML or JSON, passwords masked"
    )
    show.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    sub.add_parser("path", parents=[common], help="print which file is used")
    validate = sub.add_parser(
        "validate", parents=[common], help="check the file; warnings go to stderr"
    )
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")
    sub.add_parser(
        "edit",
        parents=[common],
        help="edit a copy in $VISUAL or $EDITOR; only a valid result is saved",
    )
    get = sub.add_parser("get", parents=[common], help="print one setting")
    get.add_argument("key", metavar="KEY", help=KEY_HELP)
    setter = sub.add_parser(
        "set", parents=[common], help="change one setting, validate the whole file and save"
    )
    setter.add_argument("key", metavar="KEY", help=KEY_HELP)
    setter.add_argument(
        "value", metavar="VALUE", help="read as YAML: 6380 is a number, true a boolean"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parse_command_line(build_parser(), argv)
    setup_logging(args.verbose, args.quiet)
    run(PROG, lambda: dispatch(args))


def dispatch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mycelium.config.paths import PROJECT_FILE_NAME, ConfigLocation, Source, resolve
    from mycelium.config.store import ConfigStore

    if args.command == "init" and args.project and args.config is None:
        location = ConfigLocation(Path.cwd() / PROJECT_FILE_NAME, Source.PROJECT)
    else:
        location = resolve(args.config)
    store = ConfigStore(location)
    handler = {
        "init": _init,
        "show": _show,
        "path": _path,
        "validate": _validate,
        "edit": _edit,
        "get": _get,
        "set": _set,
    }[args.command]
    return handler(store, args)


def _load(store: ConfigStore) -> LoadedConfig:
    loaded = store.load()
    _note_migration(store, loaded)
    return loaded


def _note_migration(store: ConfigStore, loaded: LoadedConfig) -> None:
    if loaded.migrated_from is not None:
        log.warning(
            "note: %s uses schema_version %d and was read as the current schema; it is "
            "rewritten in the new form the next time it is saved (`set` or `edit`)",
            store.path,
            loaded.migrated_from,
        )


def _init(store: ConfigStore, args: argparse.Namespace) -> int:
    from mycelium.config import MyceliumConfig
    from mycelium.errors import UserError

    if store.exists() and not args.force:
        raise UserError(
            f"{store.path} already exists; use `{PROG} init --force` to replace it with the "
            "defaults (the current file is kept as .bak)"
        )
    store.save(MyceliumConfig())
    print(f"wrote the default configuration to {store.path}")
    return exit_codes.OK


def _show(store: ConfigStore, args: argparse.Namespace) -> int:
    import yaml

    data = _load(store).config.redacted()
    if args.json:
        import json

        print(json.dumps(data, indent=2))
    else:
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return exit_codes.OK


def _path(store: ConfigStore, _: argparse.Namespace) -> int:
    from mycelium.errors import ConfigError

    print(store.path)
    try:
        state = "yes" if store.exists() else "no"
    except ConfigError as exc:
        state = f"no ({exc})"
    log.debug("source: %s; exists: %s", store.location.source.value, state)
    return exit_codes.OK


def _validate(store: ConfigStore, args: argparse.Namespace) -> int:
    from mycelium.config.checks import find_warnings

    config = _load(store).config
    warnings = find_warnings(config)
    for warning in warnings:
        print(f"warning: {store.path}: {warning}", file=sys.stderr)
    if warnings and args.strict:
        count = len(warnings)
        print(f"✗ {store.path}: {count} warning{'s' if count > 1 else ''} (--strict)")
        return exit_codes.FAILURE
    print(f"✓ {store.path} is valid")
    return exit_codes.OK


def _edit(store: ConfigStore, _: argparse.Namespace) -> int:
    from mycelium.config.edit import EditOutcome, edit_config, editor_command

    def ask_again(error: ConfigError) -> bool:
        print(str(error), file=sys.stderr)
        if not sys.stdin.isatty():
            line = sys.stdin.readline()
            # End of input is no answer: abandon the edit rather than reopen the editor.
            return bool(line) and line.strip().lower() in {"", "y", "yes"}
        answer = input("Edit again? [Y/n] ")
        return answer.strip().lower() in {"", "y", "yes"}

    result = edit_config(store, editor=editor_command(), ask_again=ask_again)
    stream = sys.stdout if result.outcome is not EditOutcome.ABORTED else sys.stderr
    print(result.message, file=stream)
    return exit_codes.FAILURE if result.outcome is EditOutcome.ABORTED else exit_codes.OK


def _get(store: ConfigStore, args: argparse.Namespace) -> int:
    from mycelium.config.keys import get_value, split_key

    value = get_value(_load(store).config.redacted(), split_key(args.key))
    print(_format_value(value))
    return exit_codes.OK


def _set(store: ConfigStore, args: argparse.Namespace) -> int:
    from mycelium.config.keys import get_value, set_value, split_key
    from mycelium.config.loader import validate_data

    parts = split_key(args.key)

    def change(current: MyceliumConfig) -> MyceliumConfig:
        return validate_data(set_value(current.revealed(), parts, args.value), str(store.path))

    updated = store.update(change)
    if updated.previous is not None:
        _note_migration(store, updated.previous)
    shown = get_value(updated.config.redacted(), parts)
    print(f"{args.key} = {_format_value(shown)}  (saved to {store.path})")
    return exit_codes.OK


def _format_value(value: Any) -> str:
    if isinstance(value, dict):
        import yaml

        return str(yaml.safe_dump(value, sort_keys=False, allow_unicode=True)).rstrip("\n")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
