"""configuration: the store keeps what it is given, safely, where XDG says; the commands
refuse what the documentation says they refuse, as a user sees it (exit code, stderr)."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
from pathlib import Path

from mycelium.qa.checklist import CheckFailedError, Details, QAContext, check


@check("configuration")
def persistence_round_trip(ctx: QAContext) -> Details:
    from mycelium.config import ConfigStore, MyceliumConfig  # noqa: PLC0415
    from mycelium.config.paths import ConfigLocation, Source  # noqa: PLC0415

    path = ctx.scratch("roundtrip") / "config.yaml"
    store = ConfigStore(ConfigLocation(path, Source.OPTION))
    config = MyceliumConfig.model_validate(
        {"project_name": "qa-roundtrip", "services": {"redis": {"port": 6390}}}
    )
    store.save(config)
    loaded = store.load().config
    if loaded != config:
        raise CheckFailedError("the configuration read back differs from the one saved")
    return {"bytes": path.stat().st_size}


@check("configuration")
def config_file_mode_is_0644(ctx: QAContext) -> Details:
    from mycelium.config import ConfigStore, MyceliumConfig  # noqa: PLC0415
    from mycelium.config.paths import ConfigLocation, Source  # noqa: PLC0415

    path = ctx.scratch("mode") / "config.yaml"
    ConfigStore(ConfigLocation(path, Source.OPTION)).save(MyceliumConfig())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != 0o644:  # noqa: PLR2004
        raise CheckFailedError(f"config.yaml has mode {mode:04o}, expected 0644")
    return {"mode": f"{mode:04o}"}


@check("configuration")
def invalid_values_are_rejected_with_the_field_named(ctx: QAContext) -> Details:
    from mycelium.config import ConfigStore  # noqa: PLC0415
    from mycelium.config.paths import ConfigLocation, Source  # noqa: PLC0415
    from mycelium.errors import ConfigError  # noqa: PLC0415

    path = ctx.scratch("invalid") / "config.yaml"
    path.write_text("services:\n  redis:\n    port: 70000\n", encoding="utf-8")
    before = path.read_bytes()
    try:
        ConfigStore(ConfigLocation(path, Source.OPTION)).load()
    except ConfigError as exc:
        message = str(exc)
    else:
        raise CheckFailedError("a port of 70000 was accepted")
    if "services.redis.port" not in message or ":3:" not in message:
        raise CheckFailedError("the error does not name the field and line", {"message": message})
    if path.read_bytes() != before:
        raise CheckFailedError("reading an invalid file changed it")
    return {"message": message.splitlines()[-1].strip()}


@check("configuration", timeout_s=45)
def xdg_config_home_is_honoured(ctx: QAContext) -> Details:
    from mycelium.config.paths import user_config_dir  # noqa: PLC0415

    custom = ctx.scratch("xdg")
    env = {**os.environ, "XDG_CONFIG_HOME": str(custom)}
    proc = subprocess.run(
        [str(ctx.console_script("mycelium-configuration")), "path"],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )  # fmt: skip
    expected = custom / "mycelium" / "config.yaml"
    if proc.returncode != 0 or Path(proc.stdout.strip()) != expected:
        raise CheckFailedError(
            "mycelium-configuration path ignores XDG_CONFIG_HOME",
            {"printed": proc.stdout.strip(), "stderr": proc.stderr.strip()[-200:]},
        )
    in_process = user_config_dir()
    if in_process != Path(os.environ["XDG_CONFIG_HOME"]) / "mycelium":
        raise CheckFailedError(f"user_config_dir() is {in_process}, not under XDG_CONFIG_HOME")
    return {}


# What the documentation says is refused (CONFIGURATION.md "Fields", "Rules across fields"):
# the file, the field path and the fix must each be on stderr.
REFUSED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("port out of range", "services:\n  redis:\n    port: 70000\n",
     (":3:", "services.redis.port", "1–65535")),
    ("unknown key", "services:\n  redis:\n    prot: 6380\n",
     (":3:", "services.redis.prot", "did you mean 'port'")),
    ("unknown method", "deployment:\n  method: kubernetes\n",
     ("deployment.method", "docker-compose")),
    ("host with a space", "services:\n  redis:\n    host: 'local host'\n",
     ("services.redis.host",)),
    ("host with a newline", 'services:\n  redis:\n    host: "localhost\\n"\n',
     ("services.redis.host",)),
    ("project name", "project_name: 'Bad Name'\n", ("project_name",)),
    ("two services on one port",
     "services:\n  redis:\n    port: 7000\n  postgres:\n    port: 7000\n",
     ("services.postgres.port", "services.redis.port", "7000")),
    ("nothing enabled",
     ("services:\n  redis:\n    enabled: false\n  postgres:\n    enabled: false\n"
     "  taskqueue:\n    enabled: false\n"),
     ("no service is enabled",)),
    ("queue without its backend",
     "services:\n  taskqueue:\n    backend: postgres\n  postgres:\n    enabled: false\n",
     ("services.taskqueue.backend", "services.postgres.enabled")),
    ("newer schema", "schema_version: 99\n", ("schema_version", "install a newer mycelium")),
)  # fmt: skip


def _configuration(
    ctx: QAContext, config: Path, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ctx.console_script("mycelium-configuration")), "--config", str(config), *args],
        capture_output=True, text=True, timeout=30, check=False, cwd=cwd or config.parent,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _refused(ctx: QAContext, directory: Path, label: str, text: str, needs: tuple[str, ...]) -> str:
    """One refused file: the problem, or '' when it was refused as documented."""
    config = directory / f"{label.replace(' ', '-')}.yaml"
    config.write_text(text, encoding="utf-8")
    proc = _configuration(ctx, config, "validate")
    missing = [n for n in (config.name, *needs) if n not in proc.stderr]
    if proc.returncode != 1:
        return f"{label}: exit {proc.returncode}, not 1"
    if "Traceback" in proc.stderr:
        return f"{label}: a traceback instead of a message"
    if missing:
        return f"{label}: the message lacks {missing}: {proc.stderr.strip()[-200:]!r}"
    if config.read_text(encoding="utf-8") != text:
        return f"{label}: validating changed the file"
    return ""


@check("configuration", timeout_s=120)
def validate_refuses_what_the_documentation_refuses(ctx: QAContext) -> Details:
    """``mycelium-configuration validate`` as a user runs it, on each documented refusal."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    directory = ctx.scratch("refused")
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(lambda case: _refused(ctx, directory, *case), REFUSED) if p]
    if problems:
        raise CheckFailedError("; ".join(problems)[:800], {"problems": problems})
    return {"refused": [label for label, _, _ in REFUSED]}


@check("configuration", timeout_s=90)
def strict_validation_fails_on_warnings(ctx: QAContext) -> Details:
    """Warnings pass ``validate`` (on stderr) and fail ``validate --strict``; a clean file
    passes both."""
    from mycelium.qa.resources import SilentListener, closed_port  # noqa: PLC0415

    taken = SilentListener().start()
    ctx.cleanups.append(taken.stop)
    free = [closed_port() for _ in range(3)]
    ports = f"  postgres:\n    port: {free[1]}\n"
    cases = {
        "clean": (f"services:\n  redis:\n    port: {free[0]}\n{ports}", ""),
        "privileged port": (f"services:\n  redis:\n    port: 80\n{ports}", "services.redis.port"),
        "port in use": (f"services:\n  redis:\n    port: {taken.port}\n{ports}",
                        "services.redis.port"),
        "bind address": ((f"deployment:\n  bind_address: 0.0.0.0\nservices:\n  redis:\n"
                         f"    port: {free[0]}\n{ports}"), "deployment.bind_address"),
    }  # fmt: skip
    directory = ctx.scratch("strict")
    problems, seen = [], {}
    for label, (text, field) in cases.items():
        config = directory / f"{label.replace(' ', '-')}.yaml"
        config.write_text(text, encoding="utf-8")
        plain = _configuration(ctx, config, "validate")
        strict = _configuration(ctx, config, "validate", "--strict")
        seen[label] = [plain.returncode, strict.returncode]
        if plain.returncode != 0:
            problems.append(f"{label}: validate exited {plain.returncode}: {plain.stderr[-200:]}")
        want = 1 if field else 0
        if strict.returncode != want:
            problems.append(f"{label}: validate --strict exited {strict.returncode}, not {want}")
        if field and not ("warning" in plain.stderr and field in plain.stderr):
            problems.append(f"{label}: no warning naming {field} on stderr")
    if problems:
        raise CheckFailedError("; ".join(problems)[:800], {"exit_codes": seen})
    return {"exit_codes": seen}


@check("configuration", timeout_s=90)
def configuration_commands_keep_their_promises(ctx: QAContext) -> Details:  # noqa: C901
    """init, set, get and show as a user runs them: exit codes, refusals, modes, masking."""
    directory = ctx.scratch("commands")
    config = directory / "config.yaml"
    problems: list[str] = []

    def expect(args: tuple[str, ...], code: int) -> subprocess.CompletedProcess[str]:
        proc = _configuration(ctx, config, *args)
        if proc.returncode != code:
            problems.append(
                f"{' '.join(args)} exited {proc.returncode}, not {code}: "
                f"{(proc.stderr or proc.stdout).strip()[-160:]}"
            )
        if "Traceback" in proc.stderr:
            problems.append(f"{' '.join(args)} printed a traceback")
        return proc

    expect(("init",), 0)
    if not config.exists():
        raise CheckFailedError("init wrote no file", {"problems": problems})
    first = config.read_bytes()
    mode = stat.S_IMODE(config.stat().st_mode)
    if mode != 0o644:  # noqa: PLR2004
        problems.append(f"init wrote mode {mode:04o}, not 0644")
    expect(("init",), 1)
    if config.read_bytes() != first:
        problems.append("a refused init changed the file")
    expect(("set", "services.redis.port", "6380"), 0)
    if expect(("get", "services.redis.port"), 0).stdout.strip() != "6380":
        problems.append("get does not print what set saved")
    before = config.read_bytes()
    expect(("set", "services.redis.port", "70000"), 1)
    expect(("set", "services.redis.nope", "1"), 2)
    expect(("get", "services.nope"), 2)
    if config.read_bytes() != before:
        problems.append("a refused set changed the file")
    secret = "qa-" + secrets.token_urlsafe(12)
    expect(("set", "services.redis.password", secret), 0)
    mode = stat.S_IMODE(config.stat().st_mode)
    if mode != 0o600:  # noqa: PLR2004
        problems.append(f"a file holding a password has mode {mode:04o}, not 0600")
    shown = expect(("show",), 0)
    if secret in shown.stdout + shown.stderr:
        problems.append("show prints the password")
    if expect(("path",), 0).stdout.strip() != str(config):
        problems.append("path does not print the file given with --config")
    if problems:
        raise CheckFailedError("; ".join(problems)[:800], {"problems": problems})
    return {"commands": ["init", "set", "get", "show", "path"]}


CHECKS = (
    persistence_round_trip,
    config_file_mode_is_0644,
    invalid_values_are_rejected_with_the_field_named,
    xdg_config_home_is_honoured,
    validate_refuses_what_the_documentation_refuses,
    strict_validation_fails_on_warnings,
    configuration_commands_keep_their_promises,
)
