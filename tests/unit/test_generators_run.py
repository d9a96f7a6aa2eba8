"""The generate use case as one call returning data: the CLI only prints it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.config import MyceliumConfig
from mycelium.generators.lint import Rule
from mycelium.generators.run import GenerateResult, Target, generate
from mycelium.generators.writer import Action

if TYPE_CHECKING:
    from pathlib import Path


def test_a_dry_run_returns_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    result = generate(MyceliumConfig(), tmp_path / "out", dry_run=True)
    assert isinstance(result, GenerateResult)
    assert not result.written
    assert [c.action for c in result.changes] == [Action.CREATE] * 3
    assert result.plan.targets == (Target.COMPOSE, Target.SECRETS)
    assert not (tmp_path / "out").exists()


def test_a_run_writes_the_files_and_returns_the_lint_of_the_compose_file(
    tmp_path: Path,
) -> None:
    config = MyceliumConfig.model_validate({"deployment": {"bind_address": "0.0.0.0"}})
    result = generate(config, tmp_path)
    assert result.written
    assert (tmp_path / "docker-compose.yml").is_file()
    assert {f.rule for f in result.findings} == {Rule.PORTS}


def test_a_review_never_refuses_and_shows_an_edited_file_as_a_conflict(tmp_path: Path) -> None:
    generate(MyceliumConfig(), tmp_path)
    (tmp_path / "docker-compose.yml").write_text("# mine\n")
    result = generate(MyceliumConfig(), tmp_path, review_only=True)
    assert not result.written
    assert result.changes[0].action is Action.CONFLICT
    assert (tmp_path / "docker-compose.yml").read_text() == "# mine\n"
