"""This repository's own docs, as `invoke rc` checks them: a drifted doc fails the suite."""

from __future__ import annotations

from pathlib import Path

from mycelium.release.rc.docs import check_docs_tree

ROOT = Path(__file__).resolve().parents[2]


def test_every_console_block_is_marked_runs_as_shown_and_every_link_resolves() -> None:
    report = check_docs_tree(ROOT, run=True)
    assert report.problems == (), "\n".join(report.problems)
    assert report.ran  # some blocks really run, so the check can fail
