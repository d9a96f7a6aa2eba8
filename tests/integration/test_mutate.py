"""``invoke mutate`` on a sample: real wheels, real venvs, the real checklist."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mycelium.release.mutate.outcome import State
from mycelium.release.mutate.render import render_text
from mycelium.release.mutate.run import MutateOptions, run_mutation

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ("env-file-world-readable", "config-group-writable", "docker-context-variable-ignored")
HARMLESS = """promise = "env-private"
file = "mycelium/generators/plan.py"
description = "a comment changes: nothing a user meets"
search = '''
SECRET_MODE: Final = 0o600'''
replace = '''
SECRET_MODE: Final = 0o600  # still private'''
"""


def _project_with(tmp_path: Path) -> Path:
    """The project's source, register and a sample of its mutants, plus one harmless one."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "mycelium", root / "mycelium", ignore=shutil.ignore_patterns("__py*"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, root / name)
    (root / "docs").mkdir()
    shutil.copy2(ROOT / "docs" / "QA.md", root / "docs" / "QA.md")
    mutants = root / "tests" / "mutants"
    mutants.mkdir(parents=True)
    for name in SAMPLE:
        shutil.copy2(ROOT / "tests" / "mutants" / f"{name}.toml", mutants)
    (mutants / "harmless-comment.toml").write_text(HARMLESS, encoding="utf-8")
    stale = HARMLESS.replace("0o600'''\nreplace", "0o601'''\nreplace")
    (mutants / "stale-search-text.toml").write_text(stale, encoding="utf-8")
    return root


def test_the_sample_is_killed_a_harmless_change_survives_a_stale_one_is_an_error(
    tmp_path: Path,
) -> None:
    root = _project_with(tmp_path)
    report = run_mutation(MutateOptions(root=root, jobs=2, reports=tmp_path / "reports"))

    assert report.control.state is State.PASSED, report.control
    states = {m.name: m.state for m in report.mutants}
    assert states == {
        "config-group-writable": State.KILLED,
        "docker-context-variable-ignored": State.KILLED,
        "env-file-world-readable": State.KILLED,
        "harmless-comment": State.SURVIVED,
        "stale-search-text": State.ERROR,
    }
    caught = {m.name: m.killed_by for m in report.mutants}
    assert "generation/env_file_is_private" in caught["env-file-world-readable"]
    assert "configuration/config_file_mode_is_0644" in caught["config-group-writable"]
    assert caught["docker-context-variable-ignored"] == (
        "detection/docker_detection_agrees_with_the_docker_cli",
    )
    [stale] = [m for m in report.mutants if m.state is State.ERROR]
    assert "search text occurs 0 times" in stale.note
    assert not report.ok
    text = render_text(report)
    assert "harmless-comment" in text
    assert "✗ SURVIVED" in text
    assert "3/5 mutants killed, 1 survived, 1 broken" in text

    written = json.loads(
        (tmp_path / "reports" / report.version / "mutation_report.json").read_text()
    )
    assert written["ok"] is False
    assert written["control"]["state"] == "passed"
    assert (tmp_path / "reports" / report.version / "mutation_report.md").exists()
