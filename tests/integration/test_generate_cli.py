"""``mycelium-generate`` as a user runs it, and a generated Justfile driving a real Redis."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from mycelium.generators.envfile import parse_env
from tests.integration.servers import free_port, new_workdir, remove_workdir

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXPECTED_CHECK = """\
compose.yml:2: db: has no healthcheck; add one so that depends_on can wait until it is ready [missing-healthcheck]
compose.yml:3: db: image 'postgres' is not pinned to an exact version; name one (redis:7.4.1) or a digest (@sha256:...) [unpinned-image]
compose.yml:4: db: runs privileged (privileged: true); remove it and grant only the capabilities it needs with cap_add [privileged]
compose.yml:6: db: POSTGRES_PASSWORD is set to a literal password; read it from .env instead (POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}) [literal-password]
compose.yml:7: db: port '5432:5432' is published on all interfaces; bind it to one address ("127.0.0.1:HOST:CONTAINER", or host_ip: 127.0.0.1) [ports-on-all-interfaces]
✗ compose.yml: 5 insecure settings
"""  # noqa: E501 - one finding per line, as printed

REDIS_ONLY: dict[str, Any] = {
    "services": {"postgres": {"enabled": False}, "temporal": {"enabled": False}},
    "deployment": {"method": "justfile"},
}


def env_mode(out: Path) -> int:
    return stat.S_IMODE((out / ".env").stat().st_mode)


@pytest.fixture
def generate(
    tmp_path: Path, console_script: Callable[[str], str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run mycelium-generate in the test's working directory with a project config."""
    script = console_script("mycelium-generate")

    def call(
        *args: str, config: dict[str, object] | None = None
    ) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "work" / "mycelium.yaml"
        if config is not None or not path.exists():
            path.write_text(yaml.safe_dump(config or {}))
        return subprocess.run(
            [script, *args],
            cwd=tmp_path / "work",
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    return call


def test_a_first_run_writes_the_files_and_says_what_to_run_next(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    result = generate()
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "created   mycelium-deploy/docker-compose.yml\n"
        "created   mycelium-deploy/.env (mode 0600)\n"
        "created   mycelium-deploy/.gitignore\n"
        "next: cd mycelium-deploy && docker compose up -d\n"
    )
    assert result.stderr == ""
    out = tmp_path / "work" / "mycelium-deploy"
    assert env_mode(out) == 0o600
    assert ".env" in (out / ".gitignore").read_text().splitlines()


def test_a_rerun_leaves_secrets_and_files_unchanged(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    generate()
    out = tmp_path / "work" / "mycelium-deploy"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = generate()
    assert again.returncode == 0
    assert again.stdout.splitlines()[:2] == [
        "unchanged mycelium-deploy/docker-compose.yml",
        "unchanged mycelium-deploy/.env (mode 0600)",
    ]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert env_mode(out) == 0o600


def test_an_edited_file_is_refused_then_replaced_with_force(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    generate()
    out = tmp_path / "work" / "mycelium-deploy"
    compose = out / "docker-compose.yml"
    compose.write_text(compose.read_text() + "# my change\n")
    refused = generate(config={"services": {"redis": {"port": 7001}}})
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.startswith(
        "mycelium-generate: error: nothing was written: 1 file would lose your edits\n"
        "  mycelium-deploy/docker-compose.yml: changed since mycelium-generate wrote it"
    )
    assert "Traceback" not in refused.stderr
    assert compose.read_text().endswith("# my change\n")
    diff = generate("--diff")
    assert diff.returncode == 0
    assert "-# my change\n" in diff.stdout
    assert '+      - "127.0.0.1:7001:6379"\n' in diff.stdout
    forced = generate("--force")
    assert forced.returncode == 0
    assert (
        "replaced  mycelium-deploy/docker-compose.yml (your version kept as docker-compose.yml.bak)"
    ) in forced.stdout
    assert "127.0.0.1:7001:6379" in compose.read_text()
    assert (out / "docker-compose.yml.bak").read_text().endswith("# my change\n")
    assert env_mode(out) == 0o600


def test_dry_run_and_diff_write_nothing(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    dry = generate("--dry-run")
    assert dry.returncode == 0
    assert dry.stdout.splitlines() == [
        "would create mycelium-deploy/docker-compose.yml",
        "would create mycelium-deploy/.env (mode 0600)",
        "would create mycelium-deploy/.gitignore",
        "dry run: nothing was written",
    ]
    diff = generate("--diff")
    assert diff.returncode == 0
    assert "+++ b/docker-compose.yml" in diff.stdout
    assert "+REDIS_PASSWORD=<secret sha256:" in diff.stdout
    assert not (tmp_path / "work" / "mycelium-deploy").exists()
    assert generate("--dry-run", "--diff").returncode == 2


def test_rotate_secrets_changes_every_password_and_keeps_the_mode(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    generate()
    env = tmp_path / "work" / "mycelium-deploy" / ".env"
    before = env.read_text()
    rotated = generate("--rotate-secrets")
    assert rotated.returncode == 0
    assert "updated   mycelium-deploy/.env (mode 0600)" in rotated.stdout
    after = env.read_text()
    for name in ("REDIS_PASSWORD", "POSTGRES_PASSWORD"):
        old = next(line for line in before.splitlines() if line.startswith(name))
        assert old not in after
    assert env_mode(env.parent) == 0o600


def test_the_justfile_method_suggests_just_up(
    generate: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = generate(config={"deployment": {"method": "justfile", "output_dir": "native"}})
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "created   native/Justfile"
    assert result.stdout.splitlines()[-1] == "next: cd native && just up"


def test_the_hints_repeat_the_users_own_output_and_config(
    generate: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    compose_only = generate("--only", "compose", "--output", "my out", config={})
    assert compose_only.stdout.splitlines()[-1] == "next: cd 'my out' && docker compose up -d"
    assert (
        "note: my out/.env does not exist yet; run `mycelium-generate --output 'my out' "
        "--only secrets` before starting"
    ) in compose_only.stderr

    secrets_beside = generate("--only", "secrets", "--output", "my out")
    assert secrets_beside.stdout.splitlines()[-1] == "next: cd 'my out' && docker compose up -d"

    secrets_alone = generate("--only", "secrets", "--config", "mycelium.yaml", "--output", "o")
    assert secrets_alone.stdout.splitlines()[-1] == (
        "next: `mycelium-generate --config mycelium.yaml --output o` writes the deployment "
        "file beside it"
    )


def test_exposing_the_ports_is_written_but_warned_about(
    generate: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = generate(config={"deployment": {"bind_address": "0.0.0.0"}})
    assert result.returncode == 0
    assert result.stderr.splitlines()[0] == (
        "warning: mycelium-deploy/docker-compose.yml:26: redis: port '0.0.0.0:6379:6379' is "
        'published on all interfaces; bind it to one address ("127.0.0.1:HOST:CONTAINER", or '
        "host_ip: 127.0.0.1) [ports-on-all-interfaces]"
    )


def test_check_passes_the_generated_file_and_names_problems_in_a_users_file(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    generate()
    ok = generate("--check")
    assert ok.returncode == 0
    assert ok.stdout == "✓ mycelium-deploy/docker-compose.yml: no insecure setting found\n"
    mine = tmp_path / "work" / "compose.yml"
    mine.write_text(
        "services:\n  db:\n    image: postgres\n    privileged: true\n"
        "    environment:\n      POSTGRES_PASSWORD: example\n    ports: ['5432:5432']\n"
    )
    bad = generate("--check", "compose.yml")
    assert bad.returncode == 1
    assert bad.stdout == EXPECTED_CHECK
    assert "example" not in bad.stdout
    missing = generate("--check", "nowhere.yml")
    assert missing.returncode == 1
    assert missing.stderr == (
        "mycelium-generate: error: --check nowhere.yml: no such file; run `mycelium-generate` "
        "first, or name a Compose file\n"
    )


def test_check_fails_a_generated_file_that_gained_a_service(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    assert generate().returncode == 0
    compose = tmp_path / "work" / "mycelium-deploy" / "docker-compose.yml"
    text = compose.read_text().replace(
        "services:\n",
        "services:\n  evil:\n    image: alpine:3.20\n    healthcheck: {test: [CMD, 'true']}\n"
        "    volumes: ['/:/host']\n",
    )
    compose.write_text(text)
    result = generate("--check")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == (
        "✗ mycelium-deploy/docker-compose.yml: 2 insecure settings"
    )
    assert "evil: services.evil is not in what the configuration generates" in result.stdout
    assert "evil: mounts the host path '/' into the container" in result.stdout


def test_an_invalid_configuration_is_reported_without_a_traceback(
    generate: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = generate(config={"services": {"redis": {"port": 70000}}})
    assert result.returncode == 1
    assert "services.redis.port: 70000 is not a valid port; use 1–65535" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_hostile_bind_address_is_refused_and_nothing_is_written(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    hostile = "::1%$(id>PWNED_JUST)"
    result = generate(config={"deployment": {"method": "justfile", "bind_address": hostile}})
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert problems == [
        (
            f"  {tmp_path / 'work' / 'mycelium.yaml'}:2: deployment.bind_address: "
            "'::1%$(id>PWNED_JUST)' is not an IP address: the zone after '%' must be an "
            "interface name (letters, digits, '_', '.', '-'; at most 15); use for example "
            "fe80::1%eth0"
        )
    ]
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["mycelium.yaml"]


@pytest.mark.parametrize("output_dir", ["~", "/tmp/elsewhere", "../outside", "sub/../../x"])
def test_a_project_file_cannot_send_the_files_outside_its_project(
    generate: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
    isolated_home: Path,
    output_dir: str,
) -> None:
    before = sorted(isolated_home.rglob("*"))
    result = generate(config={"deployment": {"output_dir": output_dir}})
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        f"{tmp_path / 'work' / 'mycelium.yaml'}: deployment.output_dir: {output_dir!r} leaves "
        f"the project ({tmp_path / 'work'}); a project file may only write inside its "
        "project: use a relative path such as mycelium-deploy, or pass --output DIR"
    )
    assert sorted(isolated_home.rglob("*")) == before
    assert not (tmp_path / "outside").exists()


def test_an_output_dir_with_a_line_break_is_refused(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    result = generate(config={"deployment": {"output_dir": 'x"\n evil: $(id)'}})
    assert result.returncode == 1
    assert "deployment.output_dir: " in result.stderr
    assert "is not a directory name: no control characters or line breaks" in result.stderr
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["mycelium.yaml"]


@pytest.fixture
def native_redis(
    generate: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> Iterator[tuple[Path, int]]:
    """A Justfile and .env for Redis alone on a free port; its server is always stopped."""
    port = free_port()
    config = {**REDIS_ONLY, "services": {**REDIS_ONLY["services"], "redis": {"port": port}}}
    result = generate(config=config)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "work" / "mycelium-deploy"
    try:
        yield out, port
    finally:
        pidfile = out / "data" / "redis" / "redis.pid"
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)


def test_just_up_status_down_runs_a_real_redis(
    native_redis: tuple[Path, int], console_script: Callable[[str], str]
) -> None:
    out, port = native_redis
    just = console_script("just")

    def recipe(name: str) -> subprocess.CompletedProcess[str]:
        # From another directory: the Justfile finds its .env and data/ by itself.
        return subprocess.run(
            [just, "--justfile", str(out / "Justfile"), name],
            cwd=out.parent,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    up = recipe("up")
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith(f"redis: started on 127.0.0.1:{port} (pid ")
    password = next(
        line.split("=", 1)[1]
        for line in (out / ".env").read_text().splitlines()
        if line.startswith("REDIS_PASSWORD=")
    )
    # The password is required, and it is the one in .env.
    noauth = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"],
        capture_output=True, text=True, check=False, timeout=10,
    )  # fmt: skip
    assert "NOAUTH" in noauth.stdout + noauth.stderr
    pong = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"],
        capture_output=True, text=True, check=False, timeout=10,
        env={**os.environ, "REDISCLI_AUTH": password},
    )  # fmt: skip
    assert pong.stdout.strip() == "PONG"
    pid = int((out / "data" / "redis" / "redis.pid").read_text())
    proc_cmdline = Path(f"/proc/{pid}/cmdline")
    if proc_cmdline.exists():  # Linux: nobody can read the password off the process list
        assert password.encode() not in proc_cmdline.read_bytes()

    status = recipe("status")
    assert status.returncode == 0, status.stderr
    assert status.stdout == f"redis: running on 127.0.0.1:{port}\n"

    down = recipe("down")
    assert down.returncode == 0, down.stderr
    assert down.stdout == "redis: stopped\n"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    after = recipe("status")
    assert after.returncode == 1
    assert after.stdout == f"redis: not running on 127.0.0.1:{port}\n"


def test_a_missing_program_is_named_with_how_to_install_it(
    native_redis: tuple[Path, int], console_script: Callable[[str], str], tmp_path: Path
) -> None:
    out, _ = native_redis
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "bash").symlink_to("/bin/bash")  # a PATH with bash and nothing else
    result = subprocess.run(
        [console_script("just"), "--justfile", str(out / "Justfile"), "redis-up"],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "PATH": str(bare)},
    )  # fmt: skip
    assert result.returncode == 127
    assert result.stderr.splitlines()[0] == (
        "redis: redis-server is not installed; install it with 'sudo apt-get install "
        "redis-server' (Debian/Ubuntu) or 'brew install redis' (macOS)"
    )


def _as_server_user() -> dict[str, Any]:
    """subprocess arguments that drop root to ``nobody``: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def test_just_up_status_down_runs_a_real_postgres(console_script: Callable[[str], str]) -> None:
    workdir = new_workdir("generate-postgres")  # under /tmp, where `nobody` may go
    out = workdir / "deploy"
    port = free_port()
    try:
        config = workdir / "mycelium.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "services": {
                        "redis": {"enabled": False},
                        "postgres": {"port": port},
                        "taskqueue": {"backend": "postgres"},
                    },
                    "deployment": {"method": "justfile"},
                }
            )
        )
        generated = subprocess.run(
            [console_script("mycelium-generate"), "--config", str(config), "--output", str(out)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert generated.returncode == 0, generated.stderr
        just = workdir / "just"  # a copy `nobody` can run wherever the venv lives
        shutil.copy(console_script("just"), just)
        drop = _as_server_user()
        if drop:
            for path in (workdir, *workdir.rglob("*")):
                os.chown(path, drop["user"], drop["group"])

        def recipe(name: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(just), "--justfile", str(out / "Justfile"), name],
                cwd=workdir, capture_output=True, text=True, check=False, timeout=120,
                env={**os.environ, "HOME": str(workdir)}, **drop,
            )  # fmt: skip

        up = recipe("up")
        assert up.returncode == 0, up.stderr + (out / "data" / "postgres.log").read_text()
        assert up.stdout == f"postgres: started on 127.0.0.1:{port}\n"
        password = parse_env((out / ".env").read_text())["POSTGRES_PASSWORD"]
        import psycopg

        url = f"postgresql://mycelium:{password}@127.0.0.1:{port}/mycelium"
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute("SELECT current_database()").fetchone()
        assert row == ("mycelium",)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(url.replace(password, "wrong"), connect_timeout=5).close()

        status = recipe("status")
        assert status.returncode == 0, status.stderr
        assert status.stdout == f"postgres: running on 127.0.0.1:{port}\n"
        down = recipe("down")
        assert down.returncode == 0, down.stderr
        assert down.stdout == "postgres: stopped\n"
        assert recipe("status").stdout == f"postgres: not running on 127.0.0.1:{port}\n"
    finally:
        pidfile = out / "data" / "postgres" / "postmaster.pid"
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError, IndexError):
            os.kill(int(pidfile.read_text().splitlines()[0]), signal.SIGQUIT)
            time.sleep(0.5)
        remove_workdir(workdir)
