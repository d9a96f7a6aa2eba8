"""Path containment: no string from an inventory or a summary leads a path out of its root."""

from __future__ import annotations

import json
import string
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mycelium.errors import InventoryError, UserError
from mycelium.release.fleet.inventory import load_inventory
from mycelium.release.qa.layout import host_dir, report_path
from mycelium.release.qa.summary import load_summary

if TYPE_CHECKING:
    from pathlib import Path

PIECES = ["..", ".", "/", "\\", "~", "%2e%2e", "\x00", "\n", " ", "-", "a", "é", ":", "*"]
hostile = st.lists(st.sampled_from(PIECES) | st.text(string.printable, max_size=3),
                   min_size=1, max_size=8).map("".join)  # fmt: skip


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(alias=hostile)
def test_an_alias_is_refused_or_its_reports_stay_under_reports(tmp_path: Path, alias: str) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    " + json.dumps(alias) + ":\n      ansible_connection: local\n"
    )
    root = tmp_path / "reports" / "1.0.0"
    try:
        hosts = load_inventory(inventory).hosts
    except InventoryError:
        return  # refused with a message: nothing can be built from it
    for name, host in hosts.items():
        for python in host.pythons:
            path = report_path(root, name, python).resolve()
            assert path.is_relative_to(root.resolve())
        assert host_dir(root, name).resolve().parent == root.resolve()


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(python=hostile)
def test_an_interpreter_name_is_refused_or_its_reports_stay_under_the_host(
    tmp_path: Path, python: str
) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    h:\n      ansible_connection: local\n"
        f"      mycelium_pythons: [{json.dumps(python)}]\n"
    )
    try:
        host = load_inventory(inventory).hosts["h"]
    except InventoryError:
        return
    root = tmp_path / "reports" / "1.0.0"
    assert report_path(root, "h", host.pythons[0]).resolve().parent.parent == (root / "h").resolve()


@pytest.mark.parametrize(("field", "value"), [("host", "../../etc"), ("python", "/x/..")])
def test_a_summary_whose_cells_name_paths_is_refused(
    tmp_path: Path, field: str, value: str
) -> None:
    cell = {"host": "h", "python": "python3", "state": "failed", field: value}
    data = {"version": "1", "run_id": "r", "git_commit": "", "wheel_sha256": "0" * 64,
            "pattern": "all", "inventory": "i", "interrupted": False, "exit_code": 2,
            "cells": [cell], "totals": {}}  # fmt: skip
    path = tmp_path / "qa_summary.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=f"cells.0.{field}: Value error, not a host alias"):
        load_summary(path)
