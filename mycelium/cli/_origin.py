"""What ``mycelium-qa`` and ``mycelium-bench`` share as host-side harnesses: the proof-of-
origin flags the maintainer's run passes, and the report paths checked before minutes of
work could end in an unwritable path or a report the schema refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from mycelium.qa.report import Origin


def add_origin_arguments(parser: argparse.ArgumentParser, *, set_by: str) -> None:
    origin = parser.add_argument_group(f"proof of origin (set by `{set_by}`)")
    origin.add_argument(
        "--host-alias", metavar="NAME", help=f"the host's alias in the inventory (by {set_by})"
    )
    origin.add_argument(
        "--run-id", metavar="ID", help=f"the run this report is part of (by {set_by})"
    )
    origin.add_argument(
        "--wheel-sha256", metavar="HEX", help=f"the sha256 of the wheel under test (by {set_by})"
    )
    origin.add_argument(
        "--git-commit", metavar="SHA", help=f"the commit the wheel was built from (by {set_by})"
    )


def origin_of(args: argparse.Namespace) -> Origin:
    """The proof of origin the flags give, every value checked before any work starts."""
    import re

    from pydantic import ValidationError

    from mycelium.errors import UsageError
    from mycelium.qa.report import HOST_ALIAS_PATTERN, Origin
    from mycelium.redaction import quoted

    alias = args.host_alias
    if alias is not None and not re.match(HOST_ALIAS_PATTERN, alias):
        raise UsageError(
            f"--host-alias {quoted(alias)}: not an inventory alias (letters, digits and "
            ". _ - @ : only, at most 128); give the host's alias from the inventory"
        )
    try:
        # The maintainer's run passes empty strings for what it does not know (a build
        # outside git).
        return Origin(
            run_id=args.run_id or None,
            wheel_sha256=args.wheel_sha256 or None,
            git_commit=args.git_commit or None,
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        raise UsageError(f"--{field.replace('_', '-')}: must be {_SHAPES[field]}") from None


_SHAPES = {
    "run_id": "letters, digits and . _ : @ + ! - (at most 128)",
    "wheel_sha256": "the wheel's sha256: 64 lower-case hex digits",
    "git_commit": "a commit: 7 to 40 lower-case hex digits",
}


def check_output(path: Path | None, flag: str, example: str) -> None:
    """Refuse an output path that is a directory, or under a file, naming the flag."""
    from mycelium.errors import UsageError

    if path is None:
        return
    if path.is_dir():
        raise UsageError(
            f"{flag} {path}: is a directory; give a file path, such as {path / example}"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{flag} {path}: {parent} is a file, not a directory")
            break
