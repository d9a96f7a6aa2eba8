"""The store: where the file is, and that writing it is atomic, locked and backed up."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

import pytest
from filelock import FileLock

from mycelium.config import ConfigStore, MyceliumConfig, resolve
from mycelium.config.paths import ConfigLocation, Source, user_config_dir
from mycelium.config.store import render
from mycelium.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


def store_at(path: Path) -> ConfigStore:
    return ConfigStore(ConfigLocation(path, Source.OPTION))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_user_file_follows_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert resolve() == ConfigLocation(tmp_path / "xdg" / "mycelium" / "config.yaml", Source.USER)


def test_without_xdg_config_home_the_user_file_is_under_dot_config(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_config_dir() == isolated_home / ".config" / "mycelium"


def test_a_project_file_in_a_parent_directory_wins_over_the_user_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src" / "deep").mkdir(parents=True)
    (project / "mycelium.yaml").write_text("{}\n")
    found = resolve(cwd=project / "src" / "deep")
    assert found == ConfigLocation(project / "mycelium.yaml", Source.PROJECT)


def test_the_project_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "mycelium.yaml").write_text("{}\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert resolve(cwd=repo).source is Source.USER


def test_the_environment_variable_wins_over_the_project_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mycelium.yaml").write_text("{}\n")
    monkeypatch.setenv("MYCELIUM_CONFIG", str(tmp_path / "env.yaml"))
    assert resolve(cwd=tmp_path) == ConfigLocation(tmp_path / "env.yaml", Source.ENVIRONMENT)
    assert resolve(tmp_path / "opt.yaml", cwd=tmp_path).source is Source.OPTION


def test_save_writes_0644_and_load_reads_the_same_config(tmp_path: Path) -> None:
    store = store_at(tmp_path / "a" / "config.yaml")
    config = MyceliumConfig.model_validate(
        {"project_name": "demo", "services": {"redis": {"port": 6380}}}
    )
    store.save(config)
    assert mode_of(store.path) == 0o644
    assert store.load().config == config
    assert store.path.read_text().startswith("# Mycelium configuration.")


def test_a_config_holding_a_password_is_written_0600(tmp_path: Path) -> None:
    store = store_at(tmp_path / "config.yaml")
    store.save(MyceliumConfig.model_validate({"services": {"redis": {"password": "pw"}}}))
    assert mode_of(store.path) == 0o600


def test_saving_keeps_the_previous_file_as_a_backup(tmp_path: Path) -> None:
    store = store_at(tmp_path / "config.yaml")
    store.save(MyceliumConfig(project_name="first"))
    store.save(MyceliumConfig(project_name="second"))
    assert "project_name: first" in store.backup_path.read_text()
    assert "project_name: second" in store.path.read_text()


def test_a_failed_write_leaves_the_old_file_whole_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_at(tmp_path / "config.yaml")
    store.save(MyceliumConfig(project_name="kept"))
    before = store.path.read_bytes()

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ConfigError) as info:
        store.save(MyceliumConfig(project_name="lost"))
    assert str(info.value) == (
        f"{store.path}: cannot write it: No space left on device; free some space and retry"
    )
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []


def test_a_writer_waits_for_the_lock_and_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mycelium.config.store.LOCK_TIMEOUT_S", 0.2)
    store = store_at(tmp_path / "config.yaml")
    store.save(MyceliumConfig(project_name="kept"))
    with FileLock(tmp_path / ".config.yaml.lock"), pytest.raises(ConfigError) as info:
        store.save(MyceliumConfig(project_name="blocked"))
    assert str(info.value) == (
        f"{store.path}: another mycelium process is writing this file; "
        "try again when it has finished"
    )
    assert "project_name: kept" in store.path.read_text()


@pytest.mark.parametrize("planted", ["loop", "directory"])
def test_a_planted_lock_file_is_named_and_the_configuration_kept(
    tmp_path: Path, planted: str
) -> None:
    store = store_at(tmp_path / "config.yaml")
    store.save(MyceliumConfig(project_name="kept"))
    lock = tmp_path / ".config.yaml.lock"
    lock.unlink(missing_ok=True)
    if planted == "loop":
        lock.symlink_to(lock)
    else:
        lock.mkdir()

    with pytest.raises(ConfigError) as info:
        store.save(MyceliumConfig(project_name="lost"))

    assert str(info.value).startswith(f"{lock}: cannot take the write lock: ")
    assert str(info.value).endswith(f"remove it (`rm -r {lock}`: nothing else uses it) and retry")
    assert "project_name: kept" in store.path.read_text()


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        store_at(tmp_path / "none.yaml").load()
    assert str(info.value) == (
        f"{tmp_path / 'none.yaml'}: no configuration file here\n"
        "  run `mycelium-onboarding` to create one, or "
        "`mycelium-configuration init` for the defaults"
    )


def test_a_file_that_is_not_utf8_is_refused_with_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"project_name: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 17\); save it as UTF-8"):
        store_at(path).load()


def test_an_edit_is_refused_when_the_file_changed_meanwhile(tmp_path: Path) -> None:
    store = store_at(tmp_path / "config.yaml")
    store.save(MyceliumConfig(project_name="one"))
    stale = render(MyceliumConfig(project_name="zero"))
    with pytest.raises(ConfigError, match="changed on disk while you were editing"):
        store.save_text(
            "project_name: two\n", MyceliumConfig(project_name="two"), expected_previous=stale
        )
    assert "project_name: one" in store.path.read_text()
