"""The rc checks that run real tools (pytest-cov, ruff, mypy, compose-lint, uv's SBOM export),
each on a small project of its own and each shown to fail on a planted defect."""

from __future__ import annotations

import json
from pathlib import Path

from mycelium.release.rc.composelint import check_compose_security
from mycelium.release.rc.quality import check_lint, check_tests
from mycelium.release.rc.result import CheckStatus
from mycelium.release.rc.sbom import check_sbom

REPO = Path(__file__).resolve().parents[2]

PACKAGE = """\
def covered(x: int) -> int:
    return x + 1


def half(x: int) -> int:
    if x > 0:
        return x
    y = x * 2
    z = y - 1
    w = z + y
    return -w
"""


def small_project(root: Path, test_body: str) -> Path:
    """A project whose package is named ``mycelium`` (the check measures that name)."""
    (root / "mycelium").mkdir(parents=True)
    (root / "mycelium" / "__init__.py").write_text(PACKAGE)
    (root / "checks").mkdir()
    (root / "checks" / "test_it.py").write_text(
        f"from mycelium import covered, half\n\n\n{test_body}"
    )
    return root


def test_tests_pass_with_the_coverage_figure_in_the_report(tmp_path: Path) -> None:
    body = "def test_all():\n    assert covered(1) == 2\n    assert half(1) == 1\n    half(-1)\n"
    project = small_project(tmp_path / "p", body)

    result = check_tests(project, tmp_path, paths=("checks",))

    assert result.status is CheckStatus.PASS, result.details
    assert result.figures["coverage_percent"] == 100.0
    assert "coverage 100.0 % of mycelium/" in result.summary


def test_coverage_under_the_bar_fails_with_the_figure(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", "def test_one():\n    assert covered(1) == 2\n")

    result = check_tests(project, tmp_path, paths=("checks",))

    assert result.status is CheckStatus.FAIL
    assert result.summary.startswith("coverage ")
    assert "of mycelium/ is under 80 %" in result.summary
    assert float(result.figures["coverage_percent"]) < 80.0


def test_a_failing_test_fails_the_check_whatever_the_coverage(tmp_path: Path) -> None:
    body = "def test_all():\n    half(1)\n    half(-1)\n    assert covered(1) == 3\n"
    project = small_project(tmp_path / "p", body)

    result = check_tests(project, tmp_path, paths=("checks",), minimum=0.0)

    assert result.status is CheckStatus.FAIL
    assert result.summary.startswith("tests failed: ")
    assert "1 failed" in result.summary


LINT_PYPROJECT = """\
[tool.ruff]
line-length = 100
[tool.ruff.lint]
select = ["F", "E"]
[tool.mypy]
files = ["pkg"]
strict = true
"""


def test_lint_passes_a_clean_project_and_names_each_tool_that_finds_a_planted_defect(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(LINT_PYPROJECT)
    (tmp_path / "pkg").mkdir()
    module = tmp_path / "pkg" / "__init__.py"
    module.write_text("def double(x: int) -> int:\n    return x * 2\n")

    clean = check_lint(tmp_path)
    assert clean.status is CheckStatus.PASS, clean.details

    module.write_text('import os\n\n\ndef double(x: int) -> int:\n    return "x" * x\n')
    planted = check_lint(tmp_path)

    assert planted.status is CheckStatus.FAIL
    assert planted.summary == "2 of 3 tools found problems"
    shown = "\n".join(planted.details)
    assert "✘ ruff check" in shown
    assert "F401" in shown
    assert "✘ mypy" in shown
    assert "✔ ruff format --check" in shown


def test_the_generated_compose_files_pass_both_lints() -> None:
    result = check_compose_security()

    assert result.status is CheckStatus.PASS, result.details


def test_an_exposure_nobody_asked_for_is_found_by_both_lints() -> None:
    planted = {"exposed-by-mistake": {"deployment": {"bind_address": "0.0.0.0"}}}

    result = check_compose_security(planted)

    assert result.status is CheckStatus.FAIL
    shown = "\n".join(result.details)
    assert "✘ our lint: exposed-by-mistake/docker-compose.yml" in shown
    assert "compose-lint CL-0005" in shown


def test_the_sbom_of_this_repository_is_valid_cyclonedx_with_a_license_per_component(
    tmp_path: Path,
) -> None:
    target = tmp_path / "sbom.cdx.json"

    result = check_sbom(REPO, target, "9.9.9")

    assert result.status is CheckStatus.PASS, result.summary
    bom = json.loads(target.read_text())
    assert bom["bomFormat"] == "CycloneDX"
    names = {c["name"] for c in bom["components"]}
    assert {"pydantic", "jinja2", "redis"} <= names
    assert "pytest" not in names  # dev tools are not shipped
    assert all(c.get("licenses") for c in bom["components"])
