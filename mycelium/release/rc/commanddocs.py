"""CR-10.1: docs/COMMANDS.md's option lists, generated from the console scripts' own parsers.

Each console script of ``[project.scripts]`` names ``module:main``; its module has a
``build_parser()`` that builds the argparse parser without running anything. For each
script (and each subcommand of a script that has them) the generator renders the usage
synopsis and a table of the options with their help and default. Only the text between

    <!-- generated: options NAME -->
    ...
    <!-- end generated -->

in docs/COMMANDS.md is machine-owned: ``invoke docs-commands`` rewrites it and leaves every
other byte alone, and the docs check (``invoke docs-check``, ``invoke rc``) reports a region
that differs from what the parser gives. The parsers' help strings are the one source: to
change a row, change the ``help=`` in ``mycelium/cli`` and regenerate.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import re
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.errors import ReleaseError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

DOC: Final = "docs/COMMANDS.md"
FIX: Final = "uv run invoke docs-commands"
# argparse wraps the usage at the terminal's width; the docs must not change with it.
WIDTH: Final = 88
_START: Final = re.compile(r"^<!--\s*generated:\s*options\s+(\S(?:.*\S)?)\s*-->\s*$")
_END: Final = re.compile(r"^<!--\s*end generated\s*-->\s*$")
_CODE_SPAN: Final = re.compile(r"(`[^`]*`)")
_ANY_MARK: Final = re.compile(r"^<!--\s*(?:end\s+)?generated\b")
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class _FixedWidth(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=WIDTH)


# -- the parsers ------------------------------------------------------------------------------


def console_scripts(project_dir: Path) -> dict[str, str]:
    """``{script: "module:function"}`` from the project's ``[project.scripts]``."""
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    scripts: dict[str, str] = data.get("project", {}).get("scripts", {})
    return dict(scripts)


def build_parsers(scripts: Mapping[str, str]) -> dict[str, argparse.ArgumentParser]:
    """Each script's parser, from its module's ``build_parser()``: nothing is run."""
    parsers: dict[str, argparse.ArgumentParser] = {}
    for name, target in sorted(scripts.items()):
        module_name = target.partition(":")[0]
        build = getattr(importlib.import_module(module_name), "build_parser", None)
        if build is None:
            raise ReleaseError(
                f"{name}: {module_name} has no build_parser(); give it one that returns the "
                "argparse parser, so its options can be documented"
            )
        parsers[name] = build()
    return parsers


# -- rendering --------------------------------------------------------------------------------


def render_all(parsers: Mapping[str, argparse.ArgumentParser]) -> dict[str, str]:
    """``{region name: body}``: one per script, and one per subcommand (``"prog sub"``)."""
    bodies: dict[str, str] = {}
    for name, parser in parsers.items():
        bodies[name] = render(parser)
        for sub_name, sub_parser in _subcommands(parser):
            bodies[f"{name} {sub_name}"] = render(sub_parser)
    return bodies


def render(parser: argparse.ArgumentParser) -> str:
    """The usage in a text block, then a table of the options (and one of the subcommands)."""
    parts = [f"```text\n{usage(parser)}```\n"]
    rows = [_row(action) for action in _actions(parser) if _documented(action)]
    if rows:
        parts.append(_table(("Option", "What it does"), rows))
    commands = [(f"`{name}`", help_text) for name, help_text in _subcommand_help(parser)]
    if commands:
        parts.append(_table(("Command", "What it does"), commands))
    return "\n".join(parts) + "\n"


def usage(parser: argparse.ArgumentParser) -> str:
    """argparse's own usage line, wrapped at :data:`WIDTH` whatever the terminal."""
    shown = copy.copy(parser)  # the caller's parser keeps its formatter
    shown.formatter_class = _FixedWidth
    return shown.format_usage()


def option_label(action: argparse.Action) -> str:
    """``-y``, ``--yes``; ``--config PATH``; ``--only a|b``; ``--check [FILE]``; ``KEY``."""
    argument = _argument(action)
    if not action.option_strings:
        return f"`{argument}`"
    return ", ".join(
        f"`{option} {argument}`" if argument else f"`{option}`" for option in action.option_strings
    )


def description(action: argparse.Action) -> str:
    """The help text, and the default when argparse has one the help does not already say."""
    text = (action.help or "").strip()
    default = action.default
    shown_default = (
        default not in (None, False, "", argparse.SUPPRESS)
        and not isinstance(action, argparse._CountAction)  # noqa: SLF001 - no public type; -v's 0 says nothing
        and "default" not in text.lower()
    )
    if shown_default:
        text = f"{text} (default: `{default}`)" if text else f"default: `{default}`"
    return text


def _argument(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.metavar is not None:
        metavar = str(action.metavar)
    elif action.choices is not None:
        metavar = "|".join(str(choice) for choice in action.choices)
    else:
        metavar = action.dest.upper() if action.option_strings else action.dest
    match action.nargs:
        case "?":
            return f"[{metavar}]"
        case "*":
            return f"[{metavar} ...]"
        case "+":
            return f"{metavar} [{metavar} ...]"
        case int(count):
            return " ".join([metavar] * count)
        case _:
            return metavar


def _row(action: argparse.Action) -> tuple[str, str]:
    return option_label(action), description(action)


def _table(header: tuple[str, str], rows: Iterable[tuple[str, str]]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "| --- | --- |"]
    lines += [f"| {_cell(left)} | {_cell(right)} |" for left, right in rows]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    # A pipe ends a table cell, even inside a code span, unless it is escaped; outside code
    # spans, <name> would be read as an HTML tag and vanish.
    parts = _CODE_SPAN.split(" ".join(text.split()))
    return "".join(
        part if part.startswith("`") else part.replace("<", "\\<") for part in parts
    ).replace("|", "\\|")


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return list(parser._actions)  # noqa: SLF001 - argparse has no public list of its actions


def _documented(action: argparse.Action) -> bool:
    # --help is on every parser (the page says so once); SUPPRESS hides an option from
    # --help, so from the docs too; a subcommand has its own region.
    return (
        action.help != argparse.SUPPRESS
        and not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)  # noqa: SLF001 - no public types
    )


def _subparsers(
    parser: argparse.ArgumentParser,
) -> list[argparse._SubParsersAction[argparse.ArgumentParser]]:
    return [a for a in _actions(parser) if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001 - no public type


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    return [(name, sub) for group in _subparsers(parser) for name, sub in group.choices.items()]


def _subcommand_help(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    return [
        (choice.dest, choice.help or "")
        for group in _subparsers(parser)
        for choice in group._choices_actions  # noqa: SLF001 - where argparse keeps each subcommand's help
    ]


# -- the regions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    name: str
    start: int  # index of the start marker's line
    end: int  # index of the end marker's line

    @property
    def line(self) -> int:
        return self.start + 1


def find_regions(text: str, where: str) -> list[Region]:
    """The generated regions of ``text``; a marker out of place is one line naming it."""
    regions: list[Region] = []
    open_name: str | None = None
    open_at = 0
    fence = ""  # the fence of the code block the line is in, outside any region
    for index, line in enumerate(text.split("\n")):
        if open_name is None and (fence or _FENCE.match(line)):
            # A code block may show the markers as an example; they mark nothing there.
            fence = _fence_after(fence, line)
            continue
        start = _START.match(line)
        if start:
            if open_name is not None:
                raise _marker_error(where, open_at, f"region {open_name!r} is not closed")
            open_name, open_at = start.group(1), index
            if any(region.name == open_name for region in regions):
                raise _marker_error(where, index, f"region {open_name!r} appears twice; keep one")
        elif _END.match(line):
            if open_name is None:
                raise _marker_error(
                    where, index, "<!-- end generated --> without a region before it; remove it"
                )
            regions.append(Region(open_name, open_at, index))
            open_name = None
        elif _ANY_MARK.match(line):
            raise _marker_error(
                where,
                index,
                "not a marker this generator knows; write <!-- generated: options COMMAND --> "
                "or <!-- end generated -->",
            )
    if open_name is not None:
        raise _marker_error(where, open_at, f"region {open_name!r} is not closed")
    return regions


def _fence_after(fence: str, line: str) -> str:
    """The open fence after ``line``: CommonMark closes one with a run of its character at
    least as long and nothing else on the line."""
    match = _FENCE.match(line)
    if not fence:
        return match.group(1) if match else ""
    if match is None or match.group(1)[0] != fence[0] or len(match.group(1)) < len(fence):
        return fence
    return fence if line[match.end() :].strip() else ""


def _marker_error(where: str, index: int, problem: str) -> ReleaseError:
    if "not closed" in problem:
        problem += "; add <!-- end generated --> on a line of its own after it"
    return ReleaseError(f"{where}:{index + 1}: {problem}")


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their ends, split at ``\\n`` only, as editors count them
    (``str.splitlines`` also splits at U+2028 and form feeds, which shifts line numbers)."""
    parts = text.split("\n")
    return [f"{part}\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def rewrite(text: str, bodies: Mapping[str, str], where: str) -> str:
    """``text`` with each known region's body replaced; every other byte stays as it was."""
    lines = _lines(text)
    out: list[str] = []
    done = 0
    for region in find_regions(text, where):
        out += lines[done : region.start + 1]
        body = bodies.get(region.name)
        out.append(body if body is not None else "".join(lines[region.start + 1 : region.end]))
        done = region.end
    out += lines[done:]
    return "".join(out)


def drift(text: str, bodies: Mapping[str, str], where: str) -> list[str]:
    """One line per region that differs from its parser, is missing, or names no command."""
    problems: list[str] = []
    lines = _lines(text)
    regions = {region.name: region for region in find_regions(text, where)}
    for name, body in bodies.items():
        region = regions.get(name)
        if region is None:
            problems.append(
                f"✘ {where}: no generated options of {name}; add <!-- generated: options "
                f"{name} --> and <!-- end generated --> where they belong, then run `{FIX}`"
            )
        elif "".join(lines[region.start + 1 : region.end]) != body:
            problems.append(
                f"✘ {where}:{region.line}: the options of {name} differ from its parser "
                f"(edit the parser's help, not the table); run `{FIX}`"
            )
    problems += [
        f"✘ {where}:{region.line}: generated options of {name}, which is no console script "
        "or subcommand; remove the region or fix its name"
        for name, region in regions.items()
        if name not in bodies
    ]
    return problems


# -- the two uses -----------------------------------------------------------------------------


def command_bodies(project_dir: Path) -> dict[str, str]:
    return render_all(build_parsers(console_scripts(project_dir)))


def check_command_docs(project_dir: Path, bodies: Mapping[str, str] | None = None) -> list[str]:
    """The docs check's lines for docs/COMMANDS.md; none when the project has no scripts."""
    path = project_dir / DOC
    try:
        bodies = command_bodies(project_dir) if bodies is None else bodies
        if bodies and path.is_symlink():
            # The rewrite would write wherever the link points, outside the repository too.
            return [f"✘ {DOC}: a symbolic link; make it a file in the repository ({FIX})"]
        if bodies and not path.is_file():
            return [f"✘ {DOC}: missing; it documents every console script's options ({FIX})"]
        return drift(path.read_bytes().decode("utf-8"), bodies, DOC) if bodies else []
    except ReleaseError as exc:
        return [f"✘ {exc}"]


@dataclass(frozen=True)
class CommandDocs:
    """What ``invoke docs-commands`` did: whether the file changed, and what is still wrong."""

    changed: bool
    problems: tuple[str, ...]


def sync_command_docs(
    project_dir: Path, *, check: bool, bodies: Mapping[str, str] | None = None
) -> CommandDocs:
    """Rewrite the regions of docs/COMMANDS.md in place (or, with ``check``, only compare).

    Only the regions are written: a command with no region yet needs its markers placed by
    hand first (where it belongs on the page is a writer's choice), and the check after the
    rewrite names it.
    """
    bodies = command_bodies(project_dir) if bodies is None else bodies
    path = project_dir / DOC
    changed = False
    if not check and path.is_file() and not path.is_symlink():
        # Bytes, not text mode: newline translation would rewrite lines outside the regions.
        text = path.read_bytes().decode("utf-8")
        try:
            new = rewrite(text, bodies, DOC)
        except ReleaseError as exc:
            return CommandDocs(changed=False, problems=(f"✘ {exc}",))
        if new != text:
            path.write_bytes(new.encode("utf-8"))
            changed = True
    return CommandDocs(changed, tuple(check_command_docs(project_dir, bodies)))
