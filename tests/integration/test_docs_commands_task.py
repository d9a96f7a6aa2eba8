"""`invoke docs-commands` as a maintainer runs it, on a copy of the project with a planted edit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = "docs/COMMANDS.md"


def copy_of_the_project(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    for name in ("tasks.py", "pyproject.toml", PAGE):
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def docs_commands(project: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(project), "docs-commands", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_committed_page_is_up_to_date() -> None:
    result = docs_commands(ROOT, "--check")
    assert (result.returncode, result.stdout) == (0, f"{PAGE}: up to date\n"), result.stderr


def test_a_hand_edit_inside_a_region_fails_the_check_and_the_rewrite_restores_it(
    tmp_path: Path,
) -> None:
    project = copy_of_the_project(tmp_path)
    page = project / PAGE
    original = page.read_text()
    region = line_of(original, "<!-- generated: options mycelium-generate -->")
    row = "| `--rotate-secrets` | draw new passwords"
    assert line_of(original, row) > region  # the edit is inside the region
    page.write_text(original.replace(row, "| `--rotate-secrets` | rotate"))

    checked = docs_commands(project, "--check")
    assert checked.returncode == 1
    assert checked.stderr == (
        f"✘ {PAGE}:{region}: the options of mycelium-generate differ from its parser (edit "
        "the parser's help, not the table); run `uv run invoke docs-commands`\n"
    )

    rewritten = docs_commands(project)
    assert (rewritten.returncode, rewritten.stdout) == (0, f"{PAGE}: rewritten\n")
    assert page.read_text() == original


def test_an_unterminated_marker_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    project = copy_of_the_project(tmp_path)
    page = project / PAGE
    text = page.read_text()
    start = line_of(text, "<!-- generated: options mycelium-test -->")
    end = text.index("<!-- end generated -->\n", text.index("options mycelium-test -->"))
    broken = text[:end] + text[end + len("<!-- end generated -->\n") :]
    page.write_text(broken)

    result = docs_commands(project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        (
            f"✘ {PAGE}:{start}: region 'mycelium-test' is not closed; add "
            "<!-- end generated --> on a line of its own after it"
        )
    ]
    assert page.read_text() == broken
