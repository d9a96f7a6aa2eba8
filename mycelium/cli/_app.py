"""What every console script shares: the parser's common options and the error edge.

Start-up matters here: ``--help`` must print before anything heavy loads, so this module
imports only ``argparse``; logging, pathlib and our own modules load when a command runs
(tests/unit/test_import_hygiene.py lists what ``--help`` may load).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn, cast

from mycelium import exit_codes

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Sequence
    from pathlib import Path

LOGGER_NAME = "mycelium"


class _Logger:
    """The ``mycelium`` logger, looked up on first use so that ``--help`` skips logging."""

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger(LOGGER_NAME), name)


log = cast("logging.Logger", _Logger())


def path_arg(text: str) -> Path:
    """An argparse type: a path (``type=Path`` without importing pathlib for ``--help``)."""
    from pathlib import Path

    return Path(text)


class _VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked."""

    def __init__(
        self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any
    ) -> None:
        super().__init__(
            option_strings, dest=dest, nargs=0, help="show the version and exit", **kwargs
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from mycelium import __version__

        sys.stdout.write(f"{parser.prog} {__version__}\n")
        parser.exit()


def make_parser(prog: str, description: str, epilog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    add_verbosity(parser)
    return parser


def add_verbosity(parser: argparse.ArgumentParser, *, of_a_command: bool = False) -> None:
    """``-v`` / ``-q``; ``of_a_command``: a subcommand's own, so ``cmd path -v`` works too
    (unset unless given there, so it never undoes one given before the subcommand)."""
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if of_a_command else {}
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v", "--verbose", action="count", help="say more on stderr", **(unset or {"default": 0})
    )
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr",
                           **unset)  # fmt: skip


def add_commands(parser: argparse.ArgumentParser) -> Any:
    """The subcommands of ``parser``, asked for by :func:`parse_command_line`.

    Not ``required`` for argparse: it checks that before unknown options, so
    ``mycelium-configuration --bogus`` would say a COMMAND is missing instead of naming
    ``--bogus``.
    """
    return parser.add_subparsers(dest="command", metavar="COMMAND")


def parse_command_line(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.Namespace:
    """``parse_args``; then a missing COMMAND is the usage error argparse would have given."""
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        parser.error("the following arguments are required: COMMAND")
    return args


MAX_PORT = 65535


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1–65535, or a usage error naming the flag."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PORT:
        from mycelium.redaction import truncate

        raise argparse.ArgumentTypeError(
            f"{truncate(text)!r} is not a port; give a whole number from 1 to {MAX_PORT}"
        )
    return value


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    import logging

    class RedactingFormatter(logging.Formatter):
        """Every log line passes the redaction, whatever a caller put in its arguments."""

        def format(self, record: logging.LogRecord) -> str:
            from mycelium.redaction import redact_text

            return redact_text(super().format(record))

    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def run(
    prog: str,
    command: Callable[[], int],
    *,
    telemetry: str | None = None,
    config: Path | None = None,
) -> NoReturn:
    """Call ``command`` and exit with its code; the one place errors become messages.

    Then, when the user opted in, the outcome is reported: ``telemetry`` names the event a
    success is worth (a failure is an ``error`` of ``prog``), and ``config`` is the
    configuration the command used (for the deployment method). That never fails or slows
    the command (docs/PRIVACY.md).

    Besides our own errors, what escapes a command from the operating system or from
    parsing what the user gave (``OSError``, ``ValueError``, ``RecursionError``) becomes
    one line too: a traceback helps no user, and its locals may hold a secret.
    """
    from mycelium.errors import MyceliumError

    def fail(message: str) -> None:
        from mycelium.redaction import redact_text

        print(f"{prog}: error: {redact_text(message)}", file=sys.stderr)

    try:
        code = command()
    except MyceliumError as exc:
        # Our own messages are redacted where they are built, and may quote placeholders
        # such as redis://[:PASSWORD@]HOST that a second pass would mangle.
        print(f"{prog}: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = exit_codes.OK
    except OSError as exc:
        fail(describe_os_error(exc))
        code = exit_codes.FAILURE
    except RecursionError:
        fail("the input is nested too deeply to read; flatten it (at most a few hundred levels)")
        code = exit_codes.FAILURE
    except ValueError as exc:
        fail(_one_line(str(exc)) or type(exc).__name__)
        code = exit_codes.FAILURE
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        code = exit_codes.INTERRUPTED
    from mycelium.telemetry.hook import after_command

    after_command(prog=prog, code=code, event=telemetry, config=config)
    sys.exit(code)


_OS_FIXES: dict[int, str] = {
    errno.ENAMETOOLONG: "use a shorter name (at most 255 bytes for each part of a path)",
    errno.EACCES: "check the permissions, or choose another location",
    errno.EPERM: "check the permissions, or choose another location",
    errno.EISDIR: "give the path of a file, not of a directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.ELOOP: "the path is a symlink loop; fix or remove the link",
    errno.EROFS: "the file system is read-only; choose another location",
    errno.ENOSPC: "the disk is full; free some space",
}


def describe_os_error(exc: OSError) -> str:
    """``path: reason`` for an error from the operating system, as one short line."""
    from mycelium.redaction import truncate

    reason = exc.strerror or _one_line(str(exc)) or type(exc).__name__
    fix = _OS_FIXES.get(exc.errno or 0)
    if fix:
        reason = f"{reason}; {fix}"
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    if not names:
        return reason
    shown = " -> ".join(truncate(os.fsdecode(n), 120) for n in names)
    return f"{shown}: {reason}"


def _one_line(text: str) -> str:
    from mycelium.redaction import truncate

    first = text.strip().splitlines()[0] if text.strip() else ""
    return truncate(first, 200)
