"""``mycelium-onboarding`` as a user runs it: real processes, real servers, a temporary HOME."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.integration.servers import free_port

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.qa.resources import SilentListener
    from tests.integration.docker_daemon import DockerDaemon
    from tests.integration.servers import PostgresServer, RedisServer

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def onboard(console_script: Callable[[str], str], tmp_path: Path) -> Run:
    exe = console_script("mycelium-onboarding")
    # Docker stays out of these tests unless one says otherwise: nothing listens here.
    no_docker = f"unix://{tmp_path / 'no-docker.sock'}"

    def run(
        *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DOCKER_HOST": no_docker, **(env or {})},
            check=False,
        )

    return run


@pytest.fixture
def user_file(isolated_home: Path) -> Path:
    return isolated_home / ".config" / "mycelium" / "config.yaml"


def saved(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_detect_json_reports_every_probe_with_its_latency(
    onboard: Run,
    redis_server: RedisServer,
    postgres_server: PostgresServer,
    silent_listener: SilentListener,
    docker_daemon: DockerDaemon,
) -> None:
    result = onboard(
        "--detect", "--json",
        "--redis-port", str(redis_server.port),
        "--postgres-port", str(postgres_server.port),
        "--temporal-port", str(silent_listener.port),
        env={"DOCKER_HOST": docker_daemon.url},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    services = report["services"]
    assert list(services) == ["docker", "redis", "postgres", "temporal"]
    assert services["docker"]["available"] is True
    assert services["docker"]["endpoint"] == str(docker_daemon.socket_path)
    assert services["redis"]["available"] is True
    assert services["redis"]["runs_in"] == "native"
    assert services["postgres"]["available"] is True
    assert services["postgres"]["version"].startswith("15")
    assert services["temporal"] == {
        "service": "temporal",
        "available": False,
        "status": "no-answer",
        "endpoint": f"127.0.0.1:{silent_listener.port}",
        "version": None,
        "latency_ms": services["temporal"]["latency_ms"],
        "reason": f"no answer within 250 ms on 127.0.0.1:{silent_listener.port}",
        "runs_in": None,
        "details": {},
    }
    for probe in services.values():
        assert isinstance(probe["latency_ms"], float)
    assert isinstance(report["scan_ms"], float)
    assert report["platform"]["os"] == "Linux"
    assert result.stderr == ""


def test_detect_prints_a_table_for_people(onboard: Run, redis_server: RedisServer) -> None:
    refused = free_port()
    result = onboard(
        "--detect", "--redis-port", str(redis_server.port), "--postgres-port", str(refused)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["service", "status", "endpoint", "version", "latency", "note"]
    redis_row = next(line for line in lines if line.startswith("redis"))
    assert "✓ available" in redis_row
    assert f"127.0.0.1:{redis_server.port}" in redis_row
    postgres_row = next(line for line in lines if line.startswith("postgres"))
    assert f"connection refused on 127.0.0.1:{refused}" in postgres_row
    assert any(line.startswith("platform: ") for line in lines)


def test_without_a_terminal_it_fails_at_once_and_names_the_flags(
    onboard: Run, user_file: Path
) -> None:
    result = onboard()
    assert result.returncode == 2
    assert result.stdout == ""
    assert "stdin is not a terminal" in result.stderr
    assert "--non-interactive" in result.stderr
    assert "--services redis,postgres --method docker-compose --yes" in result.stderr
    assert not user_file.exists()


def test_non_interactive_answers_from_stdin_one_a_line(onboard: Run, user_file: Path) -> None:
    result = onboard("--non-interactive", stdin="redis\npostgres\n\ndocker-compose\ny\n")
    assert result.returncode == 0, result.stderr
    data = saved(user_file)
    services = data["services"]
    assert isinstance(services, dict)
    assert services["redis"]["enabled"] is True
    assert services["postgres"]["enabled"] is True
    assert services["temporal"]["enabled"] is False
    assert data["deployment"] == {
        "method": "docker-compose",
        "output_dir": "mycelium-deploy",
        "bind_address": "127.0.0.1",
    }
    assert f"✓ saved to {user_file}" in result.stdout
    assert "next: mycelium-generate" in result.stdout
    assert "note: Docker is not reachable" in result.stdout


def test_non_interactive_answers_from_flags(onboard: Run, user_file: Path) -> None:
    result = onboard(
        "--non-interactive", "--services", "redis,temporal", "--method", "justfile",
        "--output-dir", "ops", "--redis-port", "6390", "--yes",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = saved(user_file)
    services = data["services"]
    assert isinstance(services, dict)
    assert services["redis"]["port"] == 6390
    assert services["temporal"]["enabled"] is True
    assert services["postgres"]["enabled"] is False
    assert data["deployment"]["method"] == "justfile"  # type: ignore[index]
    assert data["deployment"]["output_dir"] == "ops"  # type: ignore[index]


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [
        (
            "redis\nmongo\n\ndocker-compose\ny\n",
            (),
            (
                "question 'services' (Which services do you want?): 'mongo' is not a service; "
                "choose from redis, postgres, temporal"
            ),
        ),
        (
            "redis\n\nkubernetes\ny\n",
            (),
            (
                "question 'method' (How do you want to run them?): 'kubernetes' is not a choice; "
                "use one of docker-compose, justfile"
            ),
        ),
        (
            "redis\n\n",
            (),
            "question 'method' (How do you want to run them?): no answer: standard input ended",
        ),
        (
            "",
            (),
            "question 'services' (Which services do you want?): no answer: standard input ended",
        ),
        (
            "",
            ("--services", "redis", "--postgres-port", "5433", "--yes"),
            (
                "question 'port.postgres' (Port for postgres?): postgres is not among the chosen "
                "services"
            ),
        ),
    ],
)
def test_an_invalid_or_missing_answer_names_the_question_and_writes_nothing(
    onboard: Run, user_file: Path, stdin: str, args: tuple[str, ...], message: str
) -> None:
    result = onboard("--non-interactive", *args, stdin=stdin)
    assert result.returncode == 1
    assert f"mycelium-onboarding: error: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not user_file.exists()


def test_declining_the_confirmation_writes_nothing(onboard: Run, user_file: Path) -> None:
    result = onboard("--non-interactive", stdin="redis\n\njustfile\nn\n")
    assert result.returncode == 1
    assert "not saved; nothing was written" in result.stderr
    assert not user_file.exists()


def test_running_again_changes_only_what_the_user_changes(onboard: Run, user_file: Path) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text(
        "project_name: swarm\n"
        "services:\n"
        "  redis: {port: 6391, max_memory: 1gb}\n"
        "  postgres: {enabled: false}\n"
        "  taskqueue: {workers: 7}\n"
        "deployment: {method: justfile, output_dir: infra}\n"
    )
    first = onboard("--non-interactive", "--yes")
    assert first.returncode == 0, first.stderr
    before = saved(user_file)
    assert before["project_name"] == "swarm"
    assert before["services"]["redis"]["max_memory"] == "1gb"  # type: ignore[index]
    assert before["services"]["taskqueue"]["workers"] == 7  # type: ignore[index]
    assert before["deployment"]["method"] == "justfile"  # type: ignore[index]

    second = onboard("--non-interactive", "--method", "docker-compose", "--yes")
    assert second.returncode == 0, second.stderr
    after = saved(user_file)
    assert after["deployment"]["method"] == "docker-compose"  # type: ignore[index]
    after["deployment"]["method"] = "justfile"  # type: ignore[index]
    assert after == before


def test_a_password_protected_redis_is_reported_and_still_preselected(
    onboard: Run, make_redis: Callable[..., RedisServer], user_file: Path
) -> None:
    server = make_redis(password="s3cret")
    result = onboard("--non-interactive", "--redis-port", str(server.port), stdin="\n\n\n")
    assert result.returncode == 0, result.stderr
    services = saved(user_file)["services"]
    assert isinstance(services, dict)
    assert services["redis"]["enabled"] is True
    assert services["redis"]["port"] == server.port
    assert services["postgres"]["enabled"] is False
    assert f"redis     127.0.0.1:{server.port}  (already running)" in result.stdout


def test_detect_still_scans_when_the_config_is_broken_and_the_wizard_refuses(
    onboard: Run, user_file: Path
) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("services:\n  redis:\n    port: 70000\n")
    scan = onboard("--detect", "--json")
    assert scan.returncode == 0
    assert json.loads(scan.stdout)["services"]["redis"]["endpoint"] == "127.0.0.1:6379"
    assert "services.redis.port" in scan.stderr
    assert "(scanning the default ports instead)" in scan.stderr
    wizard = onboard("--non-interactive", "--yes")
    assert wizard.returncode == 1
    assert "services.redis.port" in wizard.stderr
    assert user_file.read_text() == "services:\n  redis:\n    port: 70000\n"


def test_a_scan_without_a_saved_file_probes_what_the_default_file_names(
    onboard: Run, user_file: Path, console_script: Callable[[str], str]
) -> None:
    # Without a file the scan skips the schema (it loads no pydantic): the places it
    # probes must still be the defaults a saved file would hold.
    def endpoints() -> dict[str, str]:
        scan = onboard("--detect", "--json", "--timeout", "50")
        assert scan.returncode == 0, scan.stderr
        services = json.loads(scan.stdout)["services"]
        return {name: probe["endpoint"] for name, probe in services.items()}

    without_file = endpoints()
    subprocess.run(
        [console_script("mycelium-configuration"), "init"], check=True, capture_output=True
    )
    assert user_file.exists()
    assert endpoints() == without_file
    settings = saved(user_file)["services"]
    assert isinstance(settings, dict)
    assert without_file["redis"] == f"127.0.0.1:{settings['redis']['port']}"
    assert without_file["postgres"] == f"127.0.0.1:{settings['postgres']['port']}"
    assert without_file["temporal"] == f"127.0.0.1:{settings['temporal']['port']}"
