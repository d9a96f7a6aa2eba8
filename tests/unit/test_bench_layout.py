"""The contract between playbooks/bench.yml and invoke bench: register names, report paths."""

from __future__ import annotations

from pathlib import Path

import yaml

from mycelium.release.bench.layout import Register, profiles_path, report_path
from mycelium.release.bench.reports import BENCH_READER
from mycelium.release.playbook.loader import load_playbook

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "bench.yml"


def tasks() -> list[dict[str, object]]:
    play = yaml.safe_load(PLAYBOOK.read_text())[0]
    return list(play["tasks"])


def rendered(dest: str, root: Path) -> Path:
    return Path(
        dest.replace("{{ mycelium_reports_dir }}", str(root))
        .replace("{{ inventory_hostname }}", "h1")
        .replace("{{ item | basename }}", "python3.11")
    )


def test_the_playbook_is_inside_the_subset_the_runner_supports() -> None:
    assert load_playbook(PLAYBOOK)[0].tasks


def test_every_register_name_the_reader_reads_is_registered_by_the_playbook() -> None:
    registered = {str(t["register"]) for t in tasks() if "register" in t}
    assert {r.value for r in Register} <= registered
    assert BENCH_READER.register in registered


def test_the_playbook_fetches_reports_and_profiles_where_invoke_bench_reads_them(
    tmp_path: Path,
) -> None:
    fetches = {
        str(t["register"]): str(t["ansible.builtin.fetch"]["dest"])  # type: ignore[index]
        for t in tasks()
        if "ansible.builtin.fetch" in t
    }
    python = "/usr/bin/python3.11"
    assert rendered(fetches[Register.FETCHED], tmp_path) == report_path(tmp_path, "h1", python)
    assert rendered(fetches[Register.PROFILES], tmp_path) == profiles_path(tmp_path, "h1", python)


def test_the_benchmark_step_passes_the_proof_of_origin_and_the_commands_flags() -> None:
    step = next(t for t in tasks() if t.get("register") == Register.BENCH.value)
    command = str(step["ansible.builtin.shell"])
    flags = ["--report", "--profile-dir", "--host-alias", "--run-id", "--wheel-sha256",
             "--expect-version", "{{ mycelium_bench_flags", "{{ mycelium_bench_args"]  # fmt: skip
    assert [flag for flag in flags if flag not in command] == []
    assert step.get("ignore_errors") is True  # a host's failure becomes its cell
