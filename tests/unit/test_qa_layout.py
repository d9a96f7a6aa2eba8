"""The contract between playbooks/qa.yml and invoke qa: register names and report paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mycelium.errors import InventoryError
from mycelium.release.qa.layout import Register, contained, report_path

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "qa.yml"


def tasks() -> list[dict[str, object]]:
    play = yaml.safe_load(PLAYBOOK.read_text())[0]
    return list(play["tasks"])


def test_every_register_name_the_classifier_reads_is_registered_by_the_playbook() -> None:
    registered = {str(t["register"]) for t in tasks() if "register" in t}
    assert {r.value for r in Register} <= registered


def test_the_playbook_fetches_each_report_where_the_classifier_reads_it(tmp_path: Path) -> None:
    fetch = next(t for t in tasks() if t.get("register") == Register.FETCHED.value)
    dest = str(fetch["ansible.builtin.fetch"]["dest"])  # type: ignore[index]
    rendered = (
        dest.replace("{{ mycelium_reports_dir }}", str(tmp_path))
        .replace("{{ inventory_hostname }}", "h1")
        .replace("{{ item | basename }}", "python3.11")
    )
    assert Path(rendered) == report_path(tmp_path, "h1", "/usr/bin/python3.11")


@pytest.mark.parametrize("part", ["..", "a/b", "/etc", "", "a\x00b"])
def test_a_path_part_that_is_not_one_plain_name_is_refused(tmp_path: Path, part: str) -> None:
    with pytest.raises(InventoryError, match="cannot name a directory under"):
        contained(tmp_path, part)


def test_a_planted_symlink_cannot_lead_a_report_out_of_reports(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "h1").symlink_to(outside)
    with pytest.raises(InventoryError, match="would leave"):
        report_path(tmp_path / "reports", "h1", "python3")
