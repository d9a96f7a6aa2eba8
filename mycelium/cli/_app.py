"""What every console script shares: the parser's common options and the error edge."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from mycelium import exit_codes

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

log = logging.getLogger("mycelium")


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
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="count", default=0, help="say more on stderr")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    return parser


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def run(prog: str, command: Callable[[], int]) -> NoReturn:
    """Call ``command`` and exit with its code; the one place errors become messages."""
    from mycelium.errors import MyceliumError

    try:
        code = command()
    except MyceliumError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        code = exit_codes.INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = exit_codes.OK
    sys.exit(code)
