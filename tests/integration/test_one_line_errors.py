"""Bad input from the command line or the environment ends in one line, never a traceback.

Each case is what a user typed (or a machine set up); the answer is an exit code and one
line on stderr that names the flag, variable or file and says what to do.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

Result = subprocess.CompletedProcess[str]


@pytest.fixture
def cli(console_script: Callable[[str], str], tmp_path: Path) -> Callable[..., Result]:
    user_env = {k: v for k, v in os.environ.items() if not k.startswith(("MYCELIUM_", "DOCKER_"))}

    def call(script: str, *args: str, env: dict[str, str] | None = None) -> Result:
        return subprocess.run(
            [console_script(script), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**user_env, **(env or {})},
            check=False,
        )

    return call


def one_line_error(result: Result, code: int) -> str:
    """The single error line, after checking the exit code and the absence of a traceback."""
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 or lines[0].startswith("usage:"), result.stderr
    return lines[-1]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "--redis-url: not a Redis URL (no scheme://); write redis://"),
        ("ftp://127.0.0.1/0", "--redis-url: ftp://127.0.0.1/0: the scheme 'ftp' is not Redis's"),
        ("redis://h:abc", "--redis-url: redis://h:abc: the port is not a number from 1 to 65535"),
        ("redis://h:99999", "--redis-url: redis://h:99999: the port is not a number from 1 to"),
        ("redis://h:1/x", "--redis-url: redis://h:1/x: the database 'x' is not a whole number"),
        ("redis://h:1/0?nope=1", "--redis-url: redis://h:1/0?nope=1: Redis takes no query"),
        ("redis://:a#b@h:1/0", "--redis-url: redis://:***@h:1/0: the password holds '#'"),
    ],
)
def test_a_malformed_redis_url_is_a_usage_error_naming_the_flag(
    cli: Callable[..., Result], url: str, message: str
) -> None:
    line = one_line_error(cli("mycelium-test", "--redis-url", url), 2)
    assert line.startswith(f"mycelium-test: error: {message}")


LONG_LABEL = "a" * 64


@pytest.mark.parametrize(
    ("flag", "url", "message"),
    [
        ("--redis-url", "redis://[::1", "redis://[::1: not a valid URL (an IPv6 address needs"),
        (
            "--postgres-url",
            "postgresql://u:p@[::1/db",
            "postgresql://u:***@[::1/db: not a valid URL (an IPv6 address needs",
        ),
        (
            "--redis-url",
            "redis://h:1/0?max_connections=-1",
            (
                "redis://h:1/0?max_connections=-1: the query parameter 'max_connections' must be "
                "a whole number from 1 up; fix or remove it"
            ),
        ),
        (
            "--redis-url",
            "redis://h:1/0?protocol=9",
            (
                "redis://h:1/0?protocol=9: the query parameter 'protocol' must be 2 or 3; fix or "
                "remove it"
            ),
        ),
        (
            "--redis-url",
            f"redis://{LONG_LABEL}.example:1/0",
            "a part of the host name is empty or longer than 63 characters",
        ),
        (
            "--postgres-url",
            f"postgresql://u@{LONG_LABEL}.example:1/d",
            "a part of the host name is empty or longer than 63 characters",
        ),
    ],
)
def test_a_url_the_client_library_would_reject_is_one_line_naming_the_flag(
    cli: Callable[..., Result], flag: str, url: str, message: str
) -> None:
    extra = () if flag == "--redis-url" else ("--redis-url", "redis://127.0.0.1:1/0")
    line = one_line_error(cli("mycelium-test", flag, url, *extra), 2)
    assert line.startswith(f"mycelium-test: error: {flag}: "), line
    assert message in line


def test_a_malformed_url_in_the_environment_names_the_variable(
    cli: Callable[..., Result],
) -> None:
    result = cli("mycelium-test", env={"MYCELIUM_POSTGRES_URL": "postgresql://u@h:abc/d"})
    line = one_line_error(result, 2)
    assert line == (
        "mycelium-test: error: $MYCELIUM_POSTGRES_URL: postgresql://***@h:abc/d: "
        "the port is not a number from 1 to 65535"
    )


@pytest.mark.parametrize("port", ["99999", "-5", "0", "abc"])
def test_an_out_of_range_onboarding_port_is_a_usage_error_naming_the_flag(
    cli: Callable[..., Result], port: str
) -> None:
    line = one_line_error(cli("mycelium-onboarding", "--detect", "--redis-port", port), 2)
    assert line == (
        f"mycelium-onboarding: error: argument --redis-port: '{port}' is not a port; "
        "give a whole number from 1 to 65535"
    )


@pytest.mark.parametrize("timeout", ["99999999999999999999", "0", "-1", "60001"])
def test_an_out_of_range_probe_timeout_is_a_usage_error_not_an_overflow(
    cli: Callable[..., Result], timeout: str
) -> None:
    line = one_line_error(cli("mycelium-onboarding", "--detect", "--timeout", timeout), 2)
    assert line == (
        "mycelium-onboarding: error: --timeout must be a number of milliseconds from 1 to "
        "60000 (a minute)"
    )


@pytest.mark.parametrize(
    ("docker_host", "why"),
    [
        ("tcp://127.0.0.1:abc", "its port is not a number from 1 to 65535"),
        ("tcp://127.0.0.1:99999", "its port is not a number from 1 to 65535"),
        ("tcp://[::1", "not a valid URL (an IPv6 address needs its closing ']')"),
        (
            f"tcp://{LONG_LABEL}.example:1",
            "a part of the host name is empty or longer than 63 characters",
        ),
    ],
)
def test_a_malformed_docker_host_makes_docker_unavailable_with_the_reason(
    cli: Callable[..., Result], docker_host: str, why: str
) -> None:
    result = cli("mycelium-onboarding", "--detect", "--json", env={"DOCKER_HOST": docker_host})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    docker = json.loads(result.stdout)["services"]["docker"]
    assert docker["status"] == "error"
    assert docker["reason"].startswith(f"DOCKER_HOST is '{docker_host}': {why}; fix it")


class _ForeignDocker(BaseHTTPRequestHandler):
    """Answers /_ping as a daemon does, then containers in a shape the API never has."""

    containers = b'[{"Ports":5}]'

    def do_GET(self) -> None:
        body = b"OK" if self.path == "/_ping" else self.containers
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def version_string(self) -> str:
        return "Docker/27.3.1 (linux)"

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def foreign_docker() -> Iterator[tuple[ThreadingHTTPServer, type[_ForeignDocker]]]:
    handler = type("Handler", (_ForeignDocker,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize(
    "containers",
    [b'[{"Ports":5}]', b'{"a":1}', b"[5]", b'[{"Ports":[5, {"PublicPort":"x"}]}]', b"null"],
)
def test_a_docker_api_answering_a_foreign_shape_leaves_the_ports_unknown(
    cli: Callable[..., Result],
    foreign_docker: tuple[ThreadingHTTPServer, type[_ForeignDocker]],
    containers: bytes,
) -> None:
    server, handler = foreign_docker
    handler.containers = containers
    host = f"tcp://127.0.0.1:{server.server_address[1]}"
    result = cli("mycelium-onboarding", "--detect", "--json", env={"DOCKER_HOST": host})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    docker = json.loads(result.stdout)["services"]["docker"]
    assert docker["status"] == "available"
    assert docker["version"] == "27.3.1"
    assert docker["reason"] == (
        "unexpected answer to GET /v1.24/containers/json (not the Engine API's shape); "
        "published ports unknown"
    )
    assert "published_ports" not in docker["details"]


@pytest.mark.parametrize("flag", ["--report", "--junit"])
def test_a_qa_report_path_that_is_a_directory_is_refused_before_the_checks_run(
    cli: Callable[..., Result], tmp_path: Path, flag: str
) -> None:
    (tmp_path / "out").mkdir()
    result = cli("mycelium-qa", "--only", "platform", flag, "out")
    line = one_line_error(result, 2)
    example = "qa_report.json" if flag == "--report" else "junit.xml"
    assert line == (
        f"mycelium-qa: error: {flag} out: is a directory; give a file path, such as out/{example}"
    )
    assert result.stdout == ""  # no check ran


def test_a_qa_report_path_under_a_file_is_refused(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("x")
    line = one_line_error(cli("mycelium-qa", "--report", "file/qa_report.json"), 2)
    assert (
        line == "mycelium-qa: error: --report file/qa_report.json: file is a file, not a directory"
    )


def test_a_300_character_output_name_is_one_line_naming_the_fix(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "mycelium.yaml").write_text("deployment:\n  method: justfile\n")
    name = "d" * 300
    line = one_line_error(cli("mycelium-generate", "--output", name), 1)
    assert line.startswith("mycelium-generate: error: " + "d" * 80)
    assert line.endswith(
        ": File name too long; use a shorter name (at most 255 bytes for each part of a path)"
    )
    assert len(line) < 400


@pytest.mark.parametrize(
    ("script", "only"), [("mycelium-qa", "platform"), ("mycelium-bench", "full_scan")]
)
def test_a_host_alias_with_escape_codes_is_refused_before_the_checks_run(
    cli: Callable[..., Result], script: str, only: str
) -> None:
    result = cli(script, "--only", only, "--host-alias", "\x1b[31mX")
    line = one_line_error(result, 2)
    assert line == (
        f"{script}: error: --host-alias '\\x1b[31mX': not an inventory alias (letters, "
        "digits and . _ - @ : only, at most 128); give the host's alias from the inventory"
    )
    assert result.stdout == ""  # nothing ran


@pytest.mark.parametrize("script", ["mycelium-qa", "mycelium-bench"])
def test_a_wheel_checksum_that_is_not_one_is_refused_naming_its_shape(
    cli: Callable[..., Result], script: str
) -> None:
    line = one_line_error(cli(script, "--wheel-sha256", "not-hex"), 2)
    assert line == (
        f"{script}: error: --wheel-sha256: must be the wheel's sha256: 64 lower-case hex digits"
    )


def test_an_unwritable_report_path_is_named_not_its_temporary_file(
    cli: Callable[..., Result],
) -> None:
    line = one_line_error(cli("mycelium-qa", "--only", "platform", "--report", "/proc/self/mem"), 1)
    assert "/proc/self/mem" in line
    assert ".tmp" not in line


@pytest.mark.parametrize("script", ["mycelium-configuration", "mycelium-telemetry"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "error: unrecognized arguments: --bogus"),
        ([], "error: the following arguments are required: COMMAND"),
    ],
)
def test_a_subcommand_cli_names_an_unknown_option_before_asking_for_a_command(
    cli: Callable[..., Result], script: str, args: list[str], message: str
) -> None:
    line = one_line_error(cli(script, *args), 2)

    assert line == f"{script}: {message}"
