"""docs/COMMANDS.md's option tables come from the parsers, and any drift is reported."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mycelium.cli import generate
from mycelium.errors import ReleaseError
from mycelium.release.rc import commanddocs
from mycelium.release.rc.commanddocs import (
    build_parsers,
    check_command_docs,
    console_scripts,
    drift,
    find_regions,
    render,
    render_all,
    rewrite,
    sync_command_docs,
    usage,
)
from mycelium.release.rc.docs import check_docs
from mycelium.release.rc.result import CheckStatus

ROOT = Path(__file__).resolve().parents[2]
FIX = "run `uv run invoke docs-commands`"


def small_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tool")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say more")
    parser.add_argument("--only", choices=("a", "b"), help="only this one")
    parser.add_argument("--check", nargs="?", const="", metavar="FILE", help="lint FILE")
    parser.add_argument("--size", type=int, default=3, metavar="N", help="how many")
    parser.add_argument("--keep", action="store_true", help="kept as <name>.bak")
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    parser.add_argument("key", help="a dotted path")
    return parser


def test_render_gives_the_usage_and_a_row_per_documented_option() -> None:
    assert render(small_parser()) == (
        "```text\n"
        "usage: tool [-h] [-v] [--only {a,b}] [--check [FILE]] [--size N] [--keep] key\n"
        "```\n"
        "\n"
        "| Option | What it does |\n"
        "| --- | --- |\n"
        "| `-v`, `--verbose` | say more |\n"
        "| `--only a\\|b` | only this one |\n"
        "| `--check [FILE]` | lint FILE |\n"
        "| `--size N` | how many (default: `3`) |\n"
        "| `--keep` | kept as \\<name>.bak |\n"
        "| `key` | a dotted path |\n"
        "\n"
    )


def test_a_subcommand_cli_gets_a_command_table_and_a_region_per_subcommand() -> None:
    parser = argparse.ArgumentParser(prog="tool")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    show = sub.add_parser("show", help="print it")
    show.add_argument("--json", action="store_true", help="as JSON")
    sub.add_parser("path", help="where it is")
    bodies = render_all({"tool": parser})
    assert list(bodies) == ["tool", "tool show", "tool path"]
    assert "| `show` | print it |\n| `path` | where it is |\n" in bodies["tool"]
    assert "usage: tool show [-h] [--json]\n" in bodies["tool show"]
    assert "| `--json` | as JSON |" in bodies["tool show"]


def test_the_usage_does_not_depend_on_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = generate.build_parser()
    monkeypatch.setenv("COLUMNS", "40")
    narrow = usage(parser)
    monkeypatch.setenv("COLUMNS", "300")
    assert usage(parser) == narrow
    assert max(len(line) for line in narrow.splitlines()) <= commanddocs.WIDTH


def test_every_console_script_has_a_parser_and_the_committed_page_is_up_to_date() -> None:
    scripts = console_scripts(ROOT)
    assert "mycelium-telemetry-collector" in scripts
    bodies = render_all(build_parsers(scripts))
    assert set(scripts) <= set(bodies)
    assert "mycelium-configuration init" in bodies
    assert check_command_docs(ROOT, bodies) == [], "run `uv run invoke docs-commands`"


def test_an_option_added_to_a_parser_is_drift_naming_the_command() -> None:
    parsers = build_parsers(console_scripts(ROOT))
    parsers["mycelium-generate"].add_argument("--new-flag", action="store_true", help="new")
    (problem,) = check_command_docs(ROOT, render_all(parsers))
    assert problem.startswith("✘ docs/COMMANDS.md:")
    assert problem.endswith(
        ": the options of mycelium-generate differ from its parser "
        f"(edit the parser's help, not the table); {FIX}"
    )


def test_the_docs_check_fails_when_a_parser_gains_an_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def grown() -> argparse.ArgumentParser:
        parser = original()
        parser.add_argument("--new-flag", action="store_true", help="new")
        return parser

    original = generate.build_parser
    assert check_docs(ROOT, run=False).status is CheckStatus.PASS
    monkeypatch.setattr(generate, "build_parser", grown)
    result = check_docs(ROOT, run=False)
    assert result.status is CheckStatus.FAIL
    problems = [d for d in result.details if d.startswith("✘")]
    assert len(problems) == 1
    assert "the options of mycelium-generate differ from its parser" in problems[0]


PAGE = (
    "# Tool\r\n"  # a CRLF line outside the regions must survive the rewrite
    "Prose with trailing blanks   \n"
    "<!-- generated: options tool -->\n"
    "stale\n"
    "<!-- end generated -->\n"
    "Between \u2028 the two.\n"
    "<!--   generated:   options   tool show   -->\n"
    "<!-- end generated -->\n"
    "no newline at the end"
)
BODIES = {"tool": "fresh\n\n", "tool show": "shown\n\n"}


def test_the_rewrite_replaces_the_regions_and_keeps_every_other_byte() -> None:
    new = rewrite(PAGE, BODIES, "PAGE.md")
    assert new == (
        "# Tool\r\n"
        "Prose with trailing blanks   \n"
        "<!-- generated: options tool -->\n"
        "fresh\n\n"
        "<!-- end generated -->\n"
        "Between \u2028 the two.\n"
        "<!--   generated:   options   tool show   -->\n"
        "shown\n\n"
        "<!-- end generated -->\n"
        "no newline at the end"
    )
    assert drift(new, BODIES, "PAGE.md") == []
    assert rewrite(new, BODIES, "PAGE.md") == new


def test_a_hand_edit_inside_a_region_is_drift() -> None:
    edited = rewrite(PAGE, BODIES, "PAGE.md").replace("shown\n", "shown, and improved\n")
    assert drift(edited, BODIES, "PAGE.md") == [
        (
            "✘ PAGE.md:8: the options of tool show differ from its parser "
            f"(edit the parser's help, not the table); {FIX}"
        )
    ]


def test_a_missing_region_and_a_region_of_no_command_are_named() -> None:
    page = "<!-- generated: options tool -->\nfresh\n\n<!-- end generated -->\n"
    assert drift(page, {"tool show": "x\n"}, "PAGE.md") == [
        (
            "✘ PAGE.md: no generated options of tool show; add "
            "<!-- generated: options tool show --> and <!-- end generated --> where they belong, "
            "then run `uv run invoke docs-commands`"
        ),
        (
            "✘ PAGE.md:1: generated options of tool, which is no console script or subcommand; "
            "remove the region or fix its name"
        ),
    ]


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (
            "# T\n\n<!-- generated: options tool -->\nbody\n",
            (
                "PAGE.md:3: region 'tool' is not closed; add <!-- end generated --> on a line of "
                "its own after it"
            ),
        ),
        (
            "<!-- generated: options a -->\n<!-- generated: options b -->\n",
            (
                "PAGE.md:1: region 'a' is not closed; add <!-- end generated --> on a line of its "
                "own after it"
            ),
        ),
        (
            "text\n<!-- end generated -->\n",
            "PAGE.md:2: <!-- end generated --> without a region before it; remove it",
        ),
        (
            "<!-- generated: option tool -->\n",
            (
                "PAGE.md:1: not a marker this generator knows; write "
                "<!-- generated: options COMMAND --> or <!-- end generated -->"
            ),
        ),
        (
            (
                "<!-- generated: options a -->\n<!-- end generated -->\n"
                "<!-- generated: options a -->\n<!-- end generated -->\n"
            ),
            "PAGE.md:3: region 'a' appears twice; keep one",
        ),
    ],
)
def test_a_marker_out_of_place_is_one_line_naming_the_file_and_line(
    page: str, message: str
) -> None:
    with pytest.raises(ReleaseError) as caught:
        find_regions(page, "PAGE.md")
    assert str(caught.value) == message


def project(tmp_path: Path, page: str) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "COMMANDS.md").write_bytes(page.encode())
    return tmp_path


def test_the_check_changes_nothing_and_the_rewrite_then_passes(tmp_path: Path) -> None:
    root = project(tmp_path, PAGE)
    checked = sync_command_docs(root, check=True, bodies=BODIES)
    assert checked.changed is False
    assert len(checked.problems) == 2
    assert (root / "docs" / "COMMANDS.md").read_bytes() == PAGE.encode()
    written = sync_command_docs(root, check=False, bodies=BODIES)
    assert written == commanddocs.CommandDocs(changed=True, problems=())
    assert sync_command_docs(root, check=False, bodies=BODIES).changed is False


def test_an_unterminated_marker_in_the_page_is_a_docs_problem(tmp_path: Path) -> None:
    root = project(tmp_path, "# T\n<!-- generated: options tool -->\n")
    assert check_command_docs(root, BODIES) == [
        (
            "✘ docs/COMMANDS.md:2: region 'tool' is not closed; add <!-- end generated --> on a "
            "line of its own after it"
        )
    ]


def test_a_missing_page_is_named_and_a_project_without_scripts_has_nothing_to_check(
    tmp_path: Path,
) -> None:
    assert check_command_docs(tmp_path, BODIES) == [
        (
            "✘ docs/COMMANDS.md: missing; it documents every console script's options "
            "(uv run invoke docs-commands)"
        )
    ]
    assert check_command_docs(tmp_path) == []  # no pyproject.toml, no scripts


def test_a_script_without_a_parser_builder_is_named() -> None:
    with pytest.raises(ReleaseError, match=r"^tool: json has no build_parser\(\); give it one"):
        build_parsers({"tool": "json:main"})


def test_a_script_without_a_parser_builder_is_a_docs_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project.scripts]\ntool = "json:main"\n')
    (problem,) = check_command_docs(project(tmp_path, "# T\n"))
    assert problem.startswith("✘ tool: json has no build_parser(); give it one")


def test_markers_shown_in_a_code_block_are_an_example_not_a_region() -> None:
    page = (
        "To document a command, write:\n\n"
        "```markdown\n<!-- generated: options tool -->\n<!-- end generated -->\n```\n\n"
        "~~~\n<!-- generated: options nothing -->\n~~~\n" + PAGE
    )

    new = rewrite(page, BODIES, "PAGE.md")

    assert new.startswith(page[: page.index(PAGE)])
    assert drift(new, BODIES, "PAGE.md") == []


def test_a_symlinked_page_is_refused_and_what_it_points_at_is_never_written(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(PAGE.encode())
    root = tmp_path / "project"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "COMMANDS.md").symlink_to(outside)

    done = sync_command_docs(root, check=False, bodies=BODIES)

    assert outside.read_bytes() == PAGE.encode()
    refused = (
        "✘ docs/COMMANDS.md: a symbolic link; make it a file in the repository "
        "(uv run invoke docs-commands)"
    )
    assert done == commanddocs.CommandDocs(changed=False, problems=(refused,))
    assert check_command_docs(root, BODIES) == list(done.problems)
