"""CR-10.1: docs that cannot drift. ``invoke docs-check`` and the ``docs`` check of ``invoke rc``.

Over README.md, CHANGELOG.md, docs/ and .github/: every console block is marked (run or
skip, :mod:`.docblocks`), every ``run`` block runs in a sandbox and prints what it shows,
every link inside the repository resolves (:mod:`.doclinks`), and docs/COMMANDS.md's option
tables are what the console scripts' parsers give (:mod:`.commanddocs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.release.rc.commanddocs import check_command_docs
from mycelium.release.rc.docblocks import Block, network_isolated, parse_blocks, run_block
from mycelium.release.rc.doclinks import broken_links
from mycelium.release.rc.result import CheckResult, failed, passed

if TYPE_CHECKING:
    from pathlib import Path

NAME: Final = "docs"
TOP_LEVEL: Final = ("README.md", "CHANGELOG.md")
DIRECTORIES: Final = ("docs", ".github")


def markdown_files(project_dir: Path) -> list[Path]:
    files = [project_dir / name for name in TOP_LEVEL if (project_dir / name).is_file()]
    for directory in DIRECTORIES:
        if (project_dir / directory).is_dir():
            files += sorted((project_dir / directory).rglob("*.md"))
    return files


@dataclass(frozen=True)
class DocsReport:
    problems: tuple[str, ...]
    ran: tuple[str, ...]  # "README.md:43" of each block run
    skipped: tuple[str, ...]  # "README.md:14: reason"
    links: int


def check_docs_tree(project_dir: Path, *, run: bool = True) -> DocsReport:
    root = project_dir.resolve()
    files = markdown_files(root)
    problems: list[str] = []
    ran: list[str] = []
    skipped: list[str] = []
    blocks: list[Block] = []
    for path in files:
        blocks += parse_blocks(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    for block in blocks:
        if block.mark is None:
            problems.append(
                f"✘ {block.where}: console block without a mark: put <!-- rc: run --> or "
                "<!-- rc: skip REASON --> on the line before it"
            )
        elif block.mark == "skip":
            if not block.reason:
                problems.append(f"✘ {block.where}: <!-- rc: skip --> needs its reason")
            skipped.append(f"{block.where}: {block.reason}")
        elif run:
            problems += run_block(block, root)
            ran.append(block.where)
    link_problems, checked = broken_links(files, root)
    problems += link_problems
    problems += check_command_docs(root)
    return DocsReport(tuple(problems), tuple(ran), tuple(skipped), checked)


def check_docs(project_dir: Path, *, run: bool = True) -> CheckResult:
    report = check_docs_tree(project_dir, run=run)
    figures: dict[str, float | str] = {
        "blocks_run": len(report.ran),
        "blocks_skipped": len(report.skipped),
        "links": report.links,
    }
    # Without a network namespace the blocks still run, but the report must not claim more.
    where = (
        ""
        if not report.ran
        else (
            " (no network: unshare -rn)"
            if network_isolated()
            else " (network NOT isolated: no unshare -rn here)"
        )
    )
    summary = (
        f"{len(report.ran)} console blocks run{where}, {len(report.skipped)} skipped with a "
        f"reason, {report.links} internal links"
    )
    details = (*report.problems, *(f"– skipped {s}" for s in report.skipped))
    if report.problems:
        return failed(NAME, f"{len(report.problems)} problem(s); {summary}", *details, **figures)
    return passed(NAME, summary, *details, **figures)
