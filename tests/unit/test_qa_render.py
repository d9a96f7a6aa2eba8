"""The matrix renderers: what a maintainer reads, safe from what a hostile host sends."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mycelium.qa.report import CheckResult, PlatformInfo, QAReport, Status, Summary
from mycelium.release.qa.cells import Cell, CellState
from mycelium.release.qa.render import junit, render_markdown, render_text

LINUX = PlatformInfo(os="Linux", os_version="24.04", distro="ubuntu", python_version="3.12.3",
                     architecture="x86_64", wsl=False)  # fmt: skip
META = {"version": "1.0.0", "run_id": "r1", "git_commit": "", "wheel_sha256": "0" * 64}
HOSTILE = "evil\x1b]0;owned\x07\x1b[2J| fake | row |\n| injected | ✓ 9/9 |\r<b>&\x00"


def cell(host: str, python: str, state: CellState, **kw: object) -> Cell:
    return Cell(host, python, state, **kw)  # type: ignore[arg-type]


def test_the_table_has_a_cell_for_every_expected_host_and_python() -> None:
    cells = [
        cell("u24", "python3.11", CellState.PASS, passed=41, total=41, platform=LINUX),
        cell("u24", "python3.12", CellState.FAILED, passed=38, total=41, platform=LINUX,
             failing=("generation/compose_valid",)),
        cell("mac", "python3.11", CellState.UNREACHABLE,
             message="connection refused by 1.2.3.4:22"),
    ]  # fmt: skip
    text = render_text(cells)
    assert text.splitlines()[:4] == [
        "host                        python3.11    python3.12",
        "--------------------------  ------------  ------------",
        "u24 (ubuntu 24.04, x86_64)  ✓ 41/41       ✗ 38/41",
        "mac                         unreachable   —",
    ]
    assert "  u24 / python3.12: failed: generation/compose_valid" in text
    assert "  mac / python3.11: unreachable: connection refused by 1.2.3.4:22" in text


def test_markdown_keeps_one_row_per_host_whatever_a_host_sends() -> None:
    cells = [
        cell("a", "python3.11", CellState.FAILED, passed=1, total=2, failing=(HOSTILE,)),
        cell("b", "python3.11", CellState.ERROR, message=HOSTILE),
    ]
    markdown = render_markdown(cells, META)
    table = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(table) == 4  # header, rule, a, b
    problems = markdown.split("## Problems", 1)[1].strip().splitlines()
    assert len(problems) == 2
    assert all(line.startswith("- ") for line in problems)
    assert "\x1b" not in markdown
    assert r"evil\\x1b\]0;owned" in markdown  # shown (backslash escaped), not obeyed
    assert "<b>" not in markdown


def test_the_terminal_never_receives_a_hosts_control_characters() -> None:
    text = render_text([cell("b", "python3.11", CellState.ERROR, message=HOSTILE)])
    assert not any(ch in text for ch in "\x1b\x07\x00\r")
    assert len(text.splitlines()) == 6  # table (3), blank, "problems:", one problem line


def test_junit_stays_well_formed_with_a_hostile_report() -> None:
    now = datetime.now(tz=UTC)
    # Built without validation: the renderer must hold even where the schema would not.
    results = [CheckResult.model_construct(test=HOSTILE, category="x", status=Status.FAIL,
                                           duration=0.1, error=HOSTILE, details={})]  # fmt: skip
    report = QAReport.model_construct(platform=LINUX, mycelium_version="1.0.0", started_at=now,
                                      finished_at=now, results=results,
                                      summary=Summary.of(results))  # fmt: skip
    cells = [
        cell("a", "python3.11", CellState.FAILED, passed=0, total=1),
        cell("b", "python3.11", CellState.ERROR, message=HOSTILE),
    ]
    root = ET.fromstring(junit(cells, {("a", "python3.11"): report}))
    cases = [case.attrib["name"] for case in root.iter("testcase")]
    assert len(cases) == 2
    assert cases[0].startswith("evil\\x1b]0;owned\\x07")


@pytest.mark.parametrize(
    ("field", "value"),
    [("test", HOSTILE), ("test", "x" * 65), ("category", "Detection"), ("test", "a|b")],
)
def test_the_report_schema_refuses_names_outside_the_checklists_vocabulary(
    field: str, value: str
) -> None:
    good = {"test": "version", "category": "installation", "status": "pass", "duration": 0.1}
    with pytest.raises(ValidationError):
        CheckResult.model_validate({**good, field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [("host_alias", "../../x"), ("host_alias", "a\x1b[2J"), ("mycelium_version", "1.0\n| x |")],
)
def test_the_report_schema_refuses_hostile_header_strings(field: str, value: str) -> None:
    now = datetime.now(tz=UTC).isoformat()
    data = {"platform": LINUX.model_dump(), "mycelium_version": "1.0.0", "started_at": now,
            "finished_at": now, "results": [], "summary": Summary.of([]).model_dump()}  # fmt: skip
    QAReport.model_validate(data)  # the baseline is valid
    with pytest.raises(ValidationError):
        QAReport.model_validate({**data, field: value})


def test_platform_strings_with_control_characters_are_refused() -> None:
    with pytest.raises(ValidationError):
        PlatformInfo.model_validate({**LINUX.model_dump(), "distro": "ubuntu\x1b[31m"})
