"""Host patterns: a regular expression that backtracks forever is refused, never a hang."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import InventoryError
from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.fleet.patterns import select_hosts

if TYPE_CHECKING:
    from pathlib import Path


def test_a_catastrophic_regex_is_refused_within_its_budget(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(textwrap.dedent(f"""\
        all:
          hosts:
            {"a" * 60}b: {{}}
        """))  # fmt: skip
    with pytest.raises(InventoryError) as info:
        select_hosts(load_inventory(path), "~(a|aa)+$")
    assert str(info.value).startswith(
        "host pattern '~(a|aa)+$': the regular expression takes too long on "
    )


def test_an_ordinary_regex_still_selects(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text("all:\n  hosts:\n    web1: {}\n    web22: {}\n    db1: {}\n")
    assert [h.name for h in select_hosts(load_inventory(path), "~web\\d+")] == ["web1", "web22"]


def test_a_pattern_naming_only_empty_groups_says_they_have_no_host_yet(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(textwrap.dedent("""\
        all:
          hosts:
            localhost: {}
          children:
            ubuntu: {hosts: {}}
            macos: {}
            lab: {hosts: {web1: {}}}
        """))  # fmt: skip
    with pytest.raises(InventoryError) as info:
        select_hosts(load_inventory(path), "ubuntu:macos")
    assert str(info.value) == (
        f"host pattern 'ubuntu:macos' matches no host in {path}; there are groups: ubuntu, "
        "macos, lab; hosts: localhost, web1 (ubuntu, macos have no host yet: add yours under "
        "them)"
    )
