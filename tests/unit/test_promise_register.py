"""The promise register of docs/QA.md stays honest: every check in a row, every row real."""

from __future__ import annotations

from pathlib import Path

import pytest

from mycelium.errors import ReleaseError
from mycelium.qa.checks import all_checks
from mycelium.release.mutate.mutants import load_mutant, load_mutants
from mycelium.release.mutate.register import read_register

ROOT = Path(__file__).resolve().parents[2]
QA_MD = ROOT / "docs" / "QA.md"
MUTANTS = ROOT / "tests" / "mutants"


def test_every_check_a_row_names_exists() -> None:
    known = {c.name for c in all_checks()}
    unknown = {p.id: sorted(set(p.checks) - known) for p in read_register(QA_MD)}
    assert {k: v for k, v in unknown.items() if v} == {}


def test_every_check_is_in_some_row() -> None:
    named = {name for p in read_register(QA_MD) for name in p.checks}
    assert sorted(c.name for c in all_checks() if c.name not in named) == []


def test_rows_are_unique_and_checked_rows_name_checks() -> None:
    promises = read_register(QA_MD)
    ids = [p.id for p in promises]
    assert len(ids) == len(set(ids))
    assert [p.id for p in promises if p.where in {"any", "wsl", "macos"} and not p.checks] == []
    assert [p.id for p in promises if p.where in {"manual", "suite"} and not p.note] == []


def test_every_row_a_host_can_check_has_a_mutant_and_every_mutant_a_row() -> None:
    promises = {p.id: p for p in read_register(QA_MD)}
    mutants = load_mutants(MUTANTS)
    assert sorted(m.name for m in mutants if m.promise not in promises) == []
    assert sorted(m.name for m in mutants if not promises[m.promise].checks) == []
    broken = {m.promise for m in mutants}
    assert sorted(p for p, row in promises.items() if row.where == "any" and p not in broken) == []


def test_every_mutant_still_applies_to_the_source(tmp_path: Path) -> None:
    for mutant in load_mutants(MUTANTS):
        target = tmp_path / mutant.name / mutant.file
        target.parent.mkdir(parents=True)
        target.write_bytes((ROOT / mutant.file).read_bytes())
        mutant.apply(tmp_path / mutant.name)
        assert target.read_text(encoding="utf-8") != (ROOT / mutant.file).read_text("utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("promise = 'x'\n", "missing description, file, replace, search"),
        (
            "promise='x'\nfile='../etc/passwd'\ndescription='d'\nsearch='a'\nreplace='b'\n",
            "file must be under mycelium/",
        ),
        (
            "promise='x'\nfile='mycelium/a.py'\ndescription='d'\nsearch='a'\nreplace='a'\n",
            "replace is a string that differs from search",
        ),
        ("promise = [", "not a readable TOML file"),
        (
            (
                "promise='x'\nfile='mycelium/a.py'\ndescription='d'\nsearch='a'\nreplace='b'\n"
                "checks='x'\n"
            ),
            "unknown checks",
        ),
    ],
)
def test_a_bad_mutant_file_is_refused_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad-one.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReleaseError, match=message) as caught:
        load_mutant(path)
    assert str(path) in str(caught.value)


def test_a_stale_mutant_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "mycelium").mkdir()
    (tmp_path / "mycelium" / "a.py").write_text("x = 1\n", encoding="utf-8")
    path = tmp_path / "stale-one.toml"
    path.write_text(
        "promise='x'\nfile='mycelium/a.py'\ndescription='d'\nsearch='y = 2'\nreplace='y = 3'\n",
        encoding="utf-8",
    )
    with pytest.raises(ReleaseError, match=r"stale-one: its search text occurs 0 times"):
        load_mutant(path).apply(tmp_path)


def test_a_malformed_register_row_names_the_line(tmp_path: Path) -> None:
    qa = tmp_path / "QA.md"
    qa.write_text(
        "### The promise register\n\n| id | promise | where | checks |\n| --- | --- | --- | --- |\n"
        "| `ok-row` | p | any | `a_check` |\n| `bad row` | p | any | `a_check` |\n",
        encoding="utf-8",
    )
    with pytest.raises(ReleaseError, match=r"QA\.md:6: the id must be"):
        read_register(qa)
