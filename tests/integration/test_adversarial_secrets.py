"""Secrets never reach output: every console script, run with a known secret planted.

The secret is planted where a user keeps one (the configuration's password, a URL's user
part or query, ``.env`` values: multi-line, under odd keys) and each command's output
paths are exercised: its messages, its errors, ``-v``, ``--json`` and the files it writes
for people to read. The secret's text must appear in none of them.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.integration.servers import free_port

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SECRET = "S3cr3tPW-planted"


@pytest.fixture
def run(console_script: Callable[[str], str], tmp_path: Path) -> Callable[..., str]:
    """Run a console script in ``tmp_path``; return everything it showed or wrote."""
    user_env = {k: v for k, v in os.environ.items() if not k.startswith("MYCELIUM_")}

    def call(script: str, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            [console_script(script), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env={**user_env, **(env or {})},
            check=False,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.stdout + proc.stderr

    return call


def assert_no_secret(text: str, secret: str = SECRET) -> None:
    # Parts of the secret count too: a password split at '#' leaked its first half before.
    for part in {secret, secret[:4], secret[-6:]}:
        assert part not in text, text


def written_reports(root: Path) -> str:
    return "".join(
        p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and p.suffix in {".json", ".xml", ".md", ".log"}
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--redis-url", "redis://127.0.0.1:{port}/0?password={secret}"),
        ("--redis-url", "redis://:{secret}@127.0.0.1:{port}/0"),
        ("--redis-url", "redis://{secret}@127.0.0.1:{port}/0"),
        ("--redis-url", "redis://agent:{secret}@127.0.0.1:{port}/0?token={secret}"),
        ("--redis-url", "redis://:S3cr#etPW-planted@127.0.0.1:{port}/0"),
        ("--redis-url", "redis://:{secret}@127.0.0.1:abc/0"),
        ("--redis-url", "ftp://:{secret}@127.0.0.1:{port}/0"),
        ("--redis-url", "{secret}"),
        ("--postgres-url", "postgresql://u@127.0.0.1:{port}/d?password={secret}"),
        ("--postgres-url", "postgresql://u:{secret}@127.0.0.1:{port}/d"),
        ("--postgres-url", "host=127.0.0.1 port={port} user=u password={secret} dbname=d"),
    ],
)
@pytest.mark.parametrize("mode", [(), ("-v",), ("--json",)])
def test_mycelium_test_never_shows_a_password_given_in_a_url(
    run: Callable[..., str], args: tuple[str, str], mode: tuple[str, ...]
) -> None:
    flag, url = args
    url = url.format(port=free_port(), secret=SECRET)
    extra = () if flag == "--redis-url" else ("--redis-url", f"redis://127.0.0.1:{free_port()}/0")
    shown = run("mycelium-test", flag, url, *extra, *mode)
    if "#" in url:
        assert_no_secret(shown, "S3cr#etPW-planted")
    else:
        assert_no_secret(shown)


def test_mycelium_test_never_shows_a_url_password_from_the_environment(
    run: Callable[..., str],
) -> None:
    url = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"
    assert_no_secret(run("mycelium-test", "-v", env={"MYCELIUM_REDIS_URL": url}))


def test_mycelium_test_never_shows_the_configured_password(
    run: Callable[..., str], tmp_path: Path
) -> None:
    (tmp_path / "mycelium.yaml").write_text(
        f"services:\n  redis:\n    port: {free_port()}\n    password: {SECRET}\n"
        "  postgres:\n    enabled: false\n"
    )
    assert_no_secret(run("mycelium-test", "-v", "--config", "mycelium.yaml"))
    assert_no_secret(run("mycelium-test", "--json", "--config", "mycelium.yaml"))


@pytest.mark.parametrize(
    "config",
    [
        f"services:\n  redis:\n    - password: {SECRET}\n      host: h\n",
        f"services:\n  redis:\n    password: [{SECRET}]\n",
        f"services:\n  redis:\n    password: {{nested: {SECRET}}}\n",
        f"services:\n  redis: {{host: 'redis://:{SECRET}@h', port: x, password: {SECRET}}}\n",
        f"services:\n  postgres:\n    - {{user: u, password: {SECRET}}}\n",
        f"services:\n  redis:\n    api_key: {SECRET}\n",
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ("mycelium-configuration", "validate"),
        ("mycelium-configuration", "show"),
        ("mycelium-configuration", "show", "--json"),
        ("mycelium-configuration", "get", "services.redis"),
        ("mycelium-generate", "--dry-run"),
        ("mycelium-test",),
        ("mycelium-onboarding", "--detect", "--json"),
    ],
)
def test_an_invalid_configuration_never_shows_its_password(
    run: Callable[..., str], tmp_path: Path, config: str, command: tuple[str, ...]
) -> None:
    (tmp_path / "mycelium.yaml").write_text(config)
    script, *args = command
    assert_no_secret(run(script, *args, "--config", "mycelium.yaml"))


def test_generate_diff_masks_every_env_value_however_it_is_written(
    run: Callable[..., str], tmp_path: Path
) -> None:
    (tmp_path / "mycelium.yaml").write_text(
        "deployment:\n  method: justfile\nservices:\n  postgres:\n    enabled: false\n"
        f"  temporal:\n    enabled: false\n  redis:\n    password: {SECRET}\n"
    )
    run("mycelium-generate")
    env = next(tmp_path.glob("*/.env"))
    planted = {
        "multi": f'MULTI="first line\n{SECRET}-cont1\n{SECRET}-cont2"\n',
        "single": f"MULTI2='one\n{SECRET}-single'\n",
        "dotted": f"my.dotted={SECRET}-dotted\n",
        "dashed": f"with-dash={SECRET}-dashed\n",
        "export": f"export EXPORTED={SECRET}-export\n",
        "garbage": f"{SECRET}-garbage-line\n",
        "commented": f"#POSTGRES_PASSWORD={SECRET}-commented\n",
        "commented export": f"# export OLD_TOKEN={SECRET}-commented\n",
    }
    env.write_text(env.read_text() + "".join(planted.values()))
    for args in (("--diff",), ("--diff", "--force"), ("--check",), ("--dry-run", "--diff")):
        assert_no_secret(run("mycelium-generate", *args))
    assert_no_secret(written_reports(tmp_path))


def test_onboarding_never_shows_the_configured_password(
    run: Callable[..., str], tmp_path: Path
) -> None:
    (tmp_path / "mycelium.yaml").write_text(
        f"services:\n  redis:\n    port: {free_port()}\n    password: {SECRET}\n"
    )
    for args in (("--detect",), ("--detect", "--json"), ("-v", "--detect")):
        assert_no_secret(run("mycelium-onboarding", "--config", "mycelium.yaml", *args))
    answers = run(
        "mycelium-onboarding", "--config", "mycelium.yaml", "--non-interactive", "--yes", "-v"
    )
    assert_no_secret(answers)


@pytest.mark.parametrize(
    "docker_host",
    [
        "tcp://u:{secret}@127.0.0.1:{port}",
        "tcp://{secret}@127.0.0.1:{port}",
        "ssh://user:{secret}@127.0.0.1:{port}",
        "http://u:{secret}@[::1:{port}",
    ],
)
@pytest.mark.parametrize("mode", [("--detect",), ("--detect", "--json"), ("-v", "--detect")])
def test_onboarding_never_shows_a_password_in_docker_host(
    run: Callable[..., str], docker_host: str, mode: tuple[str, ...]
) -> None:
    host = docker_host.format(secret=SECRET, port=free_port())
    assert_no_secret(run("mycelium-onboarding", *mode, env={"DOCKER_HOST": host}))


def test_qa_reports_never_carry_a_url_password_from_the_environment(
    run: Callable[..., str], tmp_path: Path
) -> None:
    url = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"
    shown = run(
        "mycelium-qa", "--only", "configuration,coordination", "--json",
        "--report", str(tmp_path / "out" / "qa_report.json"),
        "--junit", str(tmp_path / "out" / "junit.xml"),
        env={"MYCELIUM_REDIS_URL": url, "MYCELIUM_POSTGRES_URL": url},
    )  # fmt: skip
    assert_no_secret(shown)
    assert_no_secret(written_reports(tmp_path / "out"))
