"""The shared writer: a link planted at a destination or backup name is never followed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.fileio import atomic_write, shown_path, write_backup

if TYPE_CHECKING:
    from pathlib import Path


def test_atomic_write_replaces_a_link_and_leaves_its_target_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "out.yml"
    link.symlink_to(victim)
    atomic_write(link, b"new\n")
    assert victim.read_text() == "precious\n"
    assert not link.is_symlink()
    assert link.read_text() == "new\n"


def test_a_backup_over_a_planted_link_keeps_the_mode_and_spares_the_target(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("alias ll='ls -l'\n")
    config = tmp_path / "config.yaml"
    config.write_text("secret: x\n")
    config.chmod(0o600)
    (tmp_path / "config.yaml.bak").symlink_to(victim)
    write_backup(config, b"secret: x\n")
    backup = tmp_path / "config.yaml.bak"
    assert victim.read_text() == "alias ll='ls -l'\n"
    assert not backup.is_symlink()
    assert backup.read_text() == "secret: x\n"
    assert backup.stat().st_mode & 0o777 == 0o600


def test_shown_path_is_relative_below_the_base_keeps_a_links_name_and_else_is_as_given(
    tmp_path: Path,
) -> None:
    (tmp_path / "docs").mkdir()
    link = tmp_path / "docs" / "page.md"
    link.symlink_to("/etc/hostname")
    assert shown_path(link, tmp_path) == "docs/page.md"
    assert shown_path(tmp_path / "docs" / ".." / "x", tmp_path) == "x"
    assert shown_path("/elsewhere/y", tmp_path) == "/elsewhere/y"
