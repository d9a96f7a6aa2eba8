"""``mycelium-configuration`` as a user runs it: a real process, a temporary HOME."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def mc(console_script: Callable[[str], str]) -> Run:
    exe = console_script("mycelium-configuration")

    def run(
        *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **(env or {})},
            check=False,
        )

    return run


@pytest.fixture
def user_file(isolated_home: Path) -> Path:
    return isolated_home / ".config" / "mycelium" / "config.yaml"


def write_editor(tmp_path: Path, name: str, body: str) -> str:
    """An $EDITOR that edits the file it is given with a Python snippet (``path`` in scope)."""
    script = tmp_path / name
    script.write_text(
        f"#!{sys.executable}\nimport sys, pathlib\npath = pathlib.Path(sys.argv[1])\n"
        + textwrap.dedent(body)
    )
    script.chmod(0o755)
    return str(script)


def test_init_writes_the_defaults_to_the_xdg_file_and_path_names_it(
    mc: Run, user_file: Path
) -> None:
    result = mc("init")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote the default configuration to {user_file}\n"
    assert stat.S_IMODE(user_file.stat().st_mode) == 0o644
    assert mc("path").stdout == f"{user_file}\n"
    assert mc("validate").stdout == f"✓ {user_file} is valid\n"


def test_verbosity_is_taken_before_or_after_the_command(mc: Run, user_file: Path) -> None:
    mc("init")
    for args in (("-v", "path"), ("path", "-v")):
        result = mc(*args)
        assert result.stdout == f"{user_file}\n"
        assert "source: user file; exists: yes" in result.stderr
    assert mc("path", "-q").stderr == ""


def test_init_refuses_to_overwrite_without_force(mc: Run, user_file: Path) -> None:
    mc("init")
    mc("set", "project_name", "mine")
    refused = mc("init")
    assert refused.returncode == 1
    assert "already exists; use `mycelium-configuration init --force`" in refused.stderr
    assert mc("get", "project_name").stdout == "mine\n"
    assert mc("init", "--force").returncode == 0
    assert mc("get", "project_name").stdout == "mycelium\n"
    assert "project_name: mine" in user_file.with_name("config.yaml.bak").read_text()


def test_show_masks_secrets_in_yaml_and_json(mc: Run) -> None:
    mc("init")
    assert mc("set", "services.redis.password", "hunter2").returncode == 0
    shown = mc("show")
    as_json = mc("show", "--json")
    assert "hunter2" not in shown.stdout + as_json.stdout
    assert "password: '**********'" in shown.stdout
    assert '"password": "**********"' in as_json.stdout
    assert mc("get", "services.redis.password").stdout == "**********\n"


def test_set_and_get_round_trip_and_bad_values_change_nothing(mc: Run, user_file: Path) -> None:
    assert mc("set", "services.redis.port", "6380").stdout.startswith("services.redis.port = 6380")
    before = user_file.read_bytes()
    bad = mc("set", "services.redis.port", "70000")
    assert bad.returncode == 1
    assert bad.stderr == (
        f"mycelium-configuration: error: {user_file}: invalid configuration (1 problem):\n"
        f"  {user_file}: services.redis.port: 70000 is not a valid port; use 1–65535\n"
    )
    assert user_file.read_bytes() == before
    assert mc("get", "services.redis.port").stdout == "6380\n"


def test_an_unknown_key_is_a_usage_error_with_a_suggestion(mc: Run) -> None:
    mc("init")
    result = mc("set", "services.redis.prot", "1")
    assert result.returncode == 2
    assert result.stderr == (
        "mycelium-configuration: error: services.redis.prot: unknown setting; "
        "did you mean services.redis.port?\n"
    )


def test_an_invalid_file_fails_validation_with_lines_and_no_traceback(
    mc: Run, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("services:\n  redis:\n    port: 70000\n    prot: 1\n")
    result = mc("validate", "--config", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"mycelium-configuration: error: {path}: invalid configuration (2 problems):",
        f"  {path}:3: services.redis.port: 70000 is not a valid port; use 1–65535",
        f"  {path}:4: services.redis.prot: unknown setting; did you mean 'port'?",
    ]


def test_broken_yaml_names_the_line(mc: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("services:\n  redis: {port: 1\n")
    result = mc("--config", str(path), "show")
    assert result.returncode == 1
    assert result.stderr.startswith(f"mycelium-configuration: error: {path}:3:1: invalid YAML:")


def test_strict_fails_on_a_port_already_in_use(mc: Run) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        mc("set", "services.redis.port", str(port))
        relaxed = mc("validate")
        strict = mc("validate", "--strict")
    assert relaxed.returncode == 0
    assert f"port {port} is already in use on this machine" in relaxed.stderr
    assert strict.returncode == 1
    assert strict.stdout.startswith("✗ ")


def test_a_project_file_overrides_the_user_file(mc: Run, user_file: Path) -> None:
    mc("init")
    assert mc("init", "--project").returncode == 0
    project = Path.cwd() / "mycelium.yaml"
    assert project.is_file()
    assert mc("path").stdout == f"{project}\n"
    mc("set", "project_name", "local")
    assert "project_name: mycelium" in user_file.read_text()


def test_a_schema_1_file_is_migrated_on_load_and_the_user_told(mc: Run, user_file: Path) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("schema_version: 1\nservices:\n  postgresql:\n    port: 5433\n")
    shown = mc("get", "services.postgres.port")
    assert shown.stdout == "5433\n"
    assert "uses schema_version 1 and was read as the current schema" in shown.stderr
    assert mc("set", "project_name", "upgraded").returncode == 0
    assert "schema_version: 2" in user_file.read_text()


def test_edit_saves_a_valid_change(mc: Run, tmp_path: Path, user_file: Path) -> None:
    mc("init")
    editor = write_editor(
        tmp_path, "ed", "path.write_text(path.read_text().replace('port: 6379', 'port: 6390'))\n"
    )
    result = mc("edit", env={"EDITOR": editor})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"saved {user_file}\n"
    assert mc("get", "services.redis.port").stdout == "6390\n"


def test_edit_of_an_invalid_change_offers_another_try_and_saves_nothing_on_no(
    mc: Run, tmp_path: Path, user_file: Path
) -> None:
    mc("init")
    before = user_file.read_bytes()
    editor = write_editor(
        tmp_path, "ed", "path.write_text(path.read_text().replace('port: 6379', 'port: 99999'))\n"
    )
    result = mc("edit", env={"EDITOR": editor}, stdin="n\n")
    assert result.returncode == 1
    assert "services.redis.port: 99999 is not a valid port; use 1–65535" in result.stderr
    assert f"{user_file} is unchanged; your edit is kept in " in result.stderr
    assert user_file.read_bytes() == before


def test_edit_without_an_answer_abandons_once_instead_of_reopening_the_editor(
    mc: Run, tmp_path: Path, user_file: Path
) -> None:
    mc("init")
    before = user_file.read_bytes()
    rounds = tmp_path / "rounds"
    editor = write_editor(
        tmp_path,
        "ed",
        f"""\
        with open({str(rounds)!r}, "a") as log:
            log.write("x")
        path.write_text(path.read_text().replace('port: 6379', 'port: 99999'))
        """,
    )
    result = mc("edit", env={"EDITOR": editor}, stdin="")  # end of input: no answer
    assert result.returncode == 1
    assert rounds.read_text() == "x"  # the editor ran once
    assert result.stderr.count("is not a valid port") == 1
    assert user_file.read_bytes() == before


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("path.write_bytes(b'project_name: caf\\xe9\\n')", "not UTF-8 text (byte 17 is 0xe9)"),
        ("path.unlink()", "the editor removed "),
    ],
)
def test_what_an_editor_leaves_instead_of_text_is_one_line_and_saves_nothing(
    mc: Run, tmp_path: Path, user_file: Path, action: str, message: str
) -> None:
    mc("init")
    before = user_file.read_bytes()
    result = mc("edit", env={"EDITOR": write_editor(tmp_path, "ed", action + "\n")})
    assert result.returncode == 1
    assert message in result.stderr
    assert f"{user_file} is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert user_file.read_bytes() == before


def test_edit_again_lets_the_user_fix_the_mistake(mc: Run, tmp_path: Path) -> None:
    mc("init")
    # First round: a bad port; second round (the counter file exists): a good one.
    editor = write_editor(
        tmp_path,
        "ed",
        f"""\
        marker = pathlib.Path({str(tmp_path / "round")!r})
        port = '6391' if marker.exists() else 'nope'
        marker.touch()
        import re
        path.write_text(re.sub(r'port: \\S+', 'port: ' + port, path.read_text(), count=1))
        """,
    )
    result = mc("edit", env={"EDITOR": editor}, stdin="y\n")
    assert result.returncode == 0, result.stderr
    assert "'nope' is not a whole number" in result.stderr
    assert mc("get", "services.redis.port").stdout == "6391\n"


def test_every_console_script_answers_help_and_version(
    console_script: Callable[[str], str],
) -> None:
    from mycelium import __version__

    for name in ("mycelium-onboarding", "mycelium-generate", "mycelium-test",
                 "mycelium-configuration", "mycelium-qa"):  # fmt: skip
        exe = console_script(name)
        helped = subprocess.run(
            [exe, "--help"], capture_output=True, text=True, timeout=30, check=False
        )
        versioned = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        assert helped.returncode == 0, helped.stderr
        assert helped.stdout.startswith(f"usage: {name}")
        assert versioned.stdout == f"{name} {__version__}\n"
