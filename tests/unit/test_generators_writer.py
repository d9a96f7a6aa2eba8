"""Applying a plan: edits are never lost, secrets stay private, dry runs write nothing."""

from __future__ import annotations

import json
import stat
from typing import TYPE_CHECKING, Any

import pytest

from mycelium.config import MyceliumConfig
from mycelium.config.paths import ConfigLocation, Source
from mycelium.errors import UserError
from mycelium.generators.envfile import SecretsGenerator, parse_env
from mycelium.generators.plan import Plan, Target, build_plan, gitignore_text, output_dir_for
from mycelium.generators.writer import (
    MANIFEST,
    Action,
    GenerationConflictError,
    apply,
    mask_secrets,
    review,
    unified_diff,
)

if TYPE_CHECKING:
    from pathlib import Path


def plan_for(
    out: Path,
    data: dict[str, Any] | None = None,
    *,
    rotate: bool = False,
    only: Target | None = None,
) -> Plan:
    env = out / ".env"
    ignore = out / ".gitignore"
    return build_plan(
        MyceliumConfig.model_validate(data or {}),
        out,
        only=only,
        existing_env=env.read_text() if env.exists() else None,
        existing_gitignore=ignore.read_text() if ignore.exists() else None,
        rotate_secrets=rotate,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def actions(out: Path, **kwargs: Any) -> dict[str, Action]:
    outcome = apply(plan_for(out), **kwargs)
    return {c.file.name: c.action for c in outcome.changes}


def test_a_first_run_creates_the_files_a_manifest_and_a_private_env(tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    assert actions(out) == {
        "docker-compose.yml": Action.CREATE,
        ".env": Action.CREATE,
        ".gitignore": Action.CREATE,
    }
    assert mode(out / ".env") == 0o600
    assert mode(out / "docker-compose.yml") == 0o644
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["files"]) == {".env", "docker-compose.yml"}
    assert (out / ".gitignore").read_text().splitlines()[-3:] == [".env", ".env.bak", "data/"]


def test_a_rerun_changes_nothing_and_keeps_the_secrets(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    before = (tmp_path / ".env").read_bytes()
    assert set(actions(tmp_path).values()) == {Action.UNCHANGED}
    assert (tmp_path / ".env").read_bytes() == before
    assert mode(tmp_path / ".env") == 0o600


def test_a_loosened_env_is_made_private_again(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    (tmp_path / ".env").chmod(0o644)
    apply(plan_for(tmp_path))
    assert mode(tmp_path / ".env") == 0o600


def test_rotation_replaces_the_secrets_and_keeps_the_mode(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    old = parse_env((tmp_path / ".env").read_text())
    apply(plan_for(tmp_path, rotate=True))
    new = parse_env((tmp_path / ".env").read_text())
    assert new["REDIS_PASSWORD"] != old["REDIS_PASSWORD"]
    assert mode(tmp_path / ".env") == 0o600


def test_a_file_the_user_edited_is_not_overwritten(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(compose.read_text() + "# mine\n")
    (tmp_path / ".env").chmod(0o640)
    changed = plan_for(tmp_path, {"services": {"redis": {"port": 7000}}})
    with pytest.raises(GenerationConflictError) as caught:
        apply(changed)
    assert str(caught.value).splitlines() == [
        "nothing was written: 1 file would lose your edits",
        f"  {compose}: changed since mycelium-generate wrote it (or was not written by it)",
        (
            "  keep your version and stop here, or run again with --force to replace it (your "
            "version is kept as <name>.bak); --diff shows the difference"
        ),
    ]
    assert compose.read_text().endswith("# mine\n")
    assert mode(tmp_path / ".env") == 0o600


def test_a_file_that_was_there_before_counts_as_edited(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    with pytest.raises(GenerationConflictError):
        apply(plan_for(tmp_path))
    assert not (tmp_path / ".env").exists()  # nothing at all was written


def test_force_replaces_an_edited_file_and_keeps_the_edit_as_bak(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    compose = tmp_path / "docker-compose.yml"
    edited = compose.read_text() + "# mine\n"
    compose.write_text(edited)
    result = apply(plan_for(tmp_path), force=True)
    assert {c.file.name: c.action for c in result.changes}["docker-compose.yml"] is Action.REPLACE
    assert (tmp_path / "docker-compose.yml.bak").read_text() == edited
    assert "# mine" not in compose.read_text()


def test_an_unedited_file_is_updated_when_the_configuration_changes(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    changed = actions(tmp_path)
    assert changed["docker-compose.yml"] is Action.UNCHANGED
    result = apply(plan_for(tmp_path, {"services": {"redis": {"port": 7000}}}))
    assert {c.file.name: c.action for c in result.changes}["docker-compose.yml"] is Action.UPDATE
    assert "127.0.0.1:7000:6379" in (tmp_path / "docker-compose.yml").read_text()


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    outcome = apply(plan_for(out), dry_run=True)
    assert not outcome.written
    assert [c.action for c in outcome.changes] == [Action.CREATE] * 3
    assert not out.exists()


def test_env_edits_that_only_change_values_are_kept_without_conflict(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    env = tmp_path / ".env"
    env.write_text(env.read_text().replace("REDIS_PASSWORD=", "REDIS_PASSWORD=mine", 1))
    apply(plan_for(tmp_path))
    assert parse_env(env.read_text())["REDIS_PASSWORD"].startswith("mine")


def test_the_diff_never_shows_a_secret(tmp_path: Path) -> None:
    apply(plan_for(tmp_path))
    secret = parse_env((tmp_path / ".env").read_text())["REDIS_PASSWORD"]
    changes = review(plan_for(tmp_path, rotate=True))
    env_change = next(c for c in changes if c.file.secret)
    diff = unified_diff(env_change)
    assert diff.startswith("--- a/.env\n+++ b/.env\n")
    assert secret not in diff
    assert "-REDIS_PASSWORD=<secret sha256:" in diff
    assert " COMPOSE_PROJECT_NAME=mycelium" in diff


def test_mask_secrets_keeps_comments_and_names_but_masks_a_commented_out_value() -> None:
    assert mask_secrets("# a note\n# a=b\nX=abc\n") == (
        "# a note\n# a=<secret sha256:3e23e816>\nX=<secret sha256:ba7816bf>\n"
    )


def test_gitignore_entries_are_appended_once() -> None:
    assert gitignore_text("node_modules/\n.env\n") == (
        "node_modules/\n.env\n# Added by mycelium-generate: secrets and the data of native runs "
        "stay out of git.\n.env.bak\ndata/\n"
    )
    assert gitignore_text("/.env\n.env.bak\ndata/\n") is None


def test_only_one_target_writes_only_its_file(tmp_path: Path) -> None:
    outcome = apply(plan_for(tmp_path, only=Target.JUSTFILE))
    assert [c.file.name for c in outcome.changes] == ["Justfile"]
    assert not (tmp_path / ".env").exists()


def test_the_method_chooses_the_default_files(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"deployment": {"method": "justfile"}})
    assert [f.name for f in plan.files] == ["Justfile", ".env", ".gitignore"]


def test_secrets_are_generated_by_the_injected_source(tmp_path: Path) -> None:
    plan = build_plan(MyceliumConfig(), tmp_path, secrets=SecretsGenerator(token=lambda n: "x" * n))
    env = next(f for f in plan.files if f.secret)
    assert parse_env(env.text)["REDIS_PASSWORD"] == "x" * 32


def test_output_dir_of_a_project_file_is_relative_to_the_project(tmp_path: Path) -> None:
    config = MyceliumConfig()
    project = ConfigLocation(tmp_path / "proj" / "mycelium.yaml", Source.PROJECT)
    user = ConfigLocation(tmp_path / "user.yaml", Source.USER)
    assert output_dir_for(config, project) == tmp_path / "proj" / "mycelium-deploy"
    assert str(output_dir_for(config, user)) == "mycelium-deploy"
    assert output_dir_for(config, user, tmp_path / "x") == tmp_path / "x"


def test_an_output_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "deploy"
    blocker.write_text("not a directory\n")
    with pytest.raises(UserError) as caught:
        apply(plan_for(blocker))
    assert str(caught.value) == f"{blocker}: is not a directory; choose another --output"


def test_an_unwritable_directory_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, *_: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("mycelium.generators.writer.atomic_write", refuse)
    with pytest.raises(UserError) as caught:
        apply(plan_for(tmp_path))
    assert str(caught.value) == (
        f"{tmp_path / 'docker-compose.yml'}: cannot write: Permission denied; check the "
        "directory's owner and mode, or choose another --output"
    )
