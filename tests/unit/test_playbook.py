"""The playbook subset: what runs, what is refused before any host is touched."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mycelium.errors import PlaybookError
from mycelium.release.playbook.loader import load_playbook
from mycelium.release.playbook.runner import run_play
from mycelium.release.playbook.templating import evaluate_condition, render
from mycelium.release.remote.local import LocalTransport

REPO_PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "qa.yml"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "play.yml"
    path.write_text(textwrap.dedent(body))
    return path


def refusal(tmp_path: Path, body: str) -> str:
    with pytest.raises(PlaybookError) as info:
        load_playbook(write(tmp_path, body))
    return str(info.value)


def test_the_repository_playbook_is_inside_the_subset() -> None:
    play = load_playbook(REPO_PLAYBOOK)[0]
    assert play.hosts == "all"
    assert [t.module for t in play.tasks][:3] == ["file", "copy", "shell"]


def test_an_unsupported_module_is_refused_naming_the_task_key_and_set(tmp_path: Path) -> None:
    message = refusal(
        tmp_path,
        """\
        - hosts: all
          gather_facts: false
          tasks:
            - name: install things
              ansible.builtin.apt: {name: redis}
        """,
    )
    assert message == (
        f"{tmp_path / 'play.yml'}: play 1: task 'install things': unsupported key "
        "ansible.builtin.apt; supported modules: ansible.builtin.file, ansible.builtin.copy, "
        "ansible.builtin.command, ansible.builtin.shell, ansible.builtin.fetch; task keys: args, "
        "changed_when, environment, ignore_errors, loop, name, register, vars, when"
    )


def test_an_unsupported_task_key_is_refused(tmp_path: Path) -> None:
    message = refusal(
        tmp_path,
        """\
        - hosts: all
          gather_facts: false
          tasks:
            - name: go
              command: "true"
              become: true
        """,
    )
    assert "task 'go': unsupported key become;" in message


def test_fact_gathering_and_unknown_play_keys_are_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path, "- hosts: all\n  tasks: []\n").endswith(
        "play 1: set `gather_facts: false` (fact gathering is not supported)"
    )
    assert "unsupported key roles" in refusal(
        tmp_path, "- hosts: all\n  gather_facts: false\n  roles: [x]\n"
    )


def test_file_state_must_be_directory_or_absent(tmp_path: Path) -> None:
    message = refusal(
        tmp_path,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - file: {path: /x, state: touch}\n",
    )
    assert message.endswith("file: state must be directory or absent")


def test_a_lone_expression_keeps_its_type_and_filters_work() -> None:
    scope = {"xs": [1, 2], "path": "/usr/bin/python3.12", "name": "a b"}
    assert render("{{ xs }}", scope) == [1, 2]
    assert render("{{ path | basename }}", scope) == "python3.12"
    assert render("v{{ xs | length }}", scope) == "v2"
    assert render("echo {{ name | quote }}", scope) == "echo 'a b'"
    with pytest.raises(PlaybookError, match="is undefined"):
        render("{{ nope }}", scope)


def test_when_and_loop_and_register_behave_like_ansible(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - hosts: all
          gather_facts: false
          vars:
            items: [one, two, three]
          tasks:
            - name: echo each
              shell: "echo {{ item }}; test {{ item }} != two"
              loop: "{{ items }}"
              register: echoed
              ignore_errors: true
            - name: only the good ones
              vars:
                good: "{{ echoed.results | selectattr('rc', 'equalto', 0)
                          | map(attribute='item') | list }}"
              command: echo {{ item }}
              loop: "{{ good }}"
              when: item != 'three'
              register: second
            - name: write a file
              shell: pwd > out.txt; echo "$GREETING" > greeting.txt
              args:
                chdir: "{{ where }}"
              environment:
                GREETING: hi
        """,
    )
    play = load_playbook(path)[0]
    run = run_play(play, LocalTransport("local"), {"where": str(tmp_path)}, task_timeout=30)
    assert run.failed_task is None
    echoed = run.registered["echoed"]
    assert echoed["failed"] is True
    assert [r["rc"] for r in echoed["results"]] == [0, 1, 0]
    second = run.registered["second"]["results"]
    assert [(r["item"], r.get("skipped", False)) for r in second] == [
        ("one", False),
        ("three", True),
    ]
    assert (tmp_path / "out.txt").read_text().strip() == str(tmp_path)
    assert (tmp_path / "greeting.txt").read_text() == "hi\n"


def test_a_failed_task_stops_the_host(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - hosts: all
          gather_facts: false
          tasks:
            - name: break
              command: "false"
            - name: never
              command: touch never
        """,
    )
    run = run_play(load_playbook(path)[0], LocalTransport("local"), {}, task_timeout=30)
    assert run.failed_task is not None
    assert run.failed_task.task == "break"
    assert [o.task for o in run.outcomes] == ["break"]


def test_conditions_accept_lists_and_booleans() -> None:
    assert evaluate_condition(["x == 1", True], {"x": 1}) is True
    assert evaluate_condition("x > 1", {"x": 1}) is False
