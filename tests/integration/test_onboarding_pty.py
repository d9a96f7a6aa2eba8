"""The interactive wizard in a real pseudo-terminal: arrow keys, space, enter, Ctrl-C, Esc."""

from __future__ import annotations

import errno
import os
import re
import socket
from typing import TYPE_CHECKING

import pexpect
import pytest
import yaml

from mycelium.qa.resources import SilentListener

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.integration.servers import RedisServer

UP, DOWN, SPACE, ENTER, CTRL_C, CTRL_U, ESC = "\x1b[A", "\x1b[B", " ", "\r", "\x03", "\x15", "\x1b"


@pytest.fixture
def user_file(isolated_home: Path) -> Path:
    return isolated_home / ".config" / "mycelium" / "config.yaml"


@pytest.fixture
def wizard(
    console_script: Callable[[str], str], tmp_path: Path
) -> Iterator[Callable[..., pexpect.spawn]]:
    exe = console_script("mycelium-onboarding")
    children: list[pexpect.spawn] = []

    def spawn(*args: str) -> pexpect.spawn:
        env = {
            **os.environ,
            "DOCKER_HOST": f"unix://{tmp_path / 'no-docker.sock'}",
            "TERM": "xterm-256color",
            # No cursor-position request: a pty with no terminal behind it never answers.
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
        child = pexpect.spawn(
            exe, list(args), env=env, dimensions=(50, 200), encoding="utf-8", timeout=30
        )
        children.append(child)
        return child

    yield spawn
    for child in children:
        child.close(force=True)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    status = child.exitstatus
    assert isinstance(status, int)
    return status


def test_the_wizard_is_answered_with_arrows_space_and_enter(
    wizard: Callable[..., pexpect.spawn], redis_server: RedisServer, user_file: Path
) -> None:
    child = wizard("--redis-port", str(redis_server.port))
    child.expect("Which services do you want?")
    # Redis runs, so it is preselected; add PostgreSQL (one down, space), then enter.
    child.expect("running .*native")
    child.send(DOWN)
    child.send(SPACE)
    child.send(ENTER)
    child.expect("Port for postgres?")
    child.send(CTRL_U + "5544" + ENTER)
    child.expect("How do you want to run them?")
    child.expect("Docker is not reachable")
    child.send(UP)  # the default is justfile when Docker is unreachable
    child.send(ENTER)
    child.expect("Where should the deployment files go?")
    child.send(CTRL_U + "ops/deploy" + ENTER)
    child.expect(f"redis     127.0.0.1:{redis_server.port}  \\(already running\\)")
    child.expect("Save this configuration?")
    child.send("y")
    child.expect("saved to")
    child.expect("next: mycelium-generate")
    assert finish(child) == 0
    data = yaml.safe_load(user_file.read_text())
    assert data["services"]["redis"]["enabled"] is True
    assert data["services"]["redis"]["port"] == redis_server.port
    assert data["services"]["postgres"]["enabled"] is True
    assert data["services"]["postgres"]["port"] == 5544
    assert data["services"]["temporal"]["enabled"] is False
    assert data["deployment"]["method"] == "docker-compose"
    assert data["deployment"]["output_dir"] == "ops/deploy"


def test_a_port_taken_by_something_else_gets_a_free_one_proposed(
    wizard: Callable[..., pexpect.spawn], user_file: Path
) -> None:
    try:
        listener = SilentListener(port=6379).start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        pytest.skip("port 6379 is in use on this machine; the test needs to hold it")
    try:
        child = wizard()
        child.expect("Which services do you want?")
        child.send(ENTER)  # the schema's defaults: redis and postgres
        child.expect(r"port 6379 is taken by something that is not redis; (\d+) is free")
        proposal = int(child.match.group(1))
        child.send(ENTER)
        child.expect("Port for postgres?")
        child.send(ENTER)
        child.expect("How do you want to run them?")
        child.send(ENTER)
        child.expect("Where should the deployment files go?")
        child.send(ENTER)
        child.expect("Save this configuration?")
        child.send("y")
        assert finish(child) == 0
    finally:
        listener.stop()
    data = yaml.safe_load(user_file.read_text())
    assert proposal != 6379
    assert data["services"]["redis"]["port"] == proposal
    with socket.socket() as probe:  # the proposal was free when proposed
        assert probe.connect_ex(("127.0.0.1", proposal)) != 0


def test_ctrl_c_exits_130_and_writes_nothing(
    wizard: Callable[..., pexpect.spawn], user_file: Path
) -> None:
    child = wizard()
    child.expect("Which services do you want?")
    child.send(SPACE)
    child.send(CTRL_C)
    child.expect("interrupted")
    before = child.before
    assert finish(child) == 130
    assert "Traceback" not in before
    assert not user_file.exists()


def test_escape_on_an_existing_config_exits_130_and_leaves_it_untouched(
    wizard: Callable[..., pexpect.spawn], user_file: Path
) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("project_name: swarm\ndeployment: {method: justfile}\n")
    original = user_file.read_bytes()
    child = wizard()
    child.expect(re.escape(f"Starting from {user_file}"))
    child.expect("Which services do you want?")
    child.send(ENTER)
    child.expect("Port for redis?")
    child.send(ENTER)
    child.expect("Port for postgres?")
    child.send(ENTER)
    child.expect("How do you want to run them?")
    child.send(ESC)
    child.expect("interrupted")
    assert finish(child) == 130
    assert user_file.read_bytes() == original
    assert not user_file.with_name("config.yaml.bak").exists()
