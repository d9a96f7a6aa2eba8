"""configuration: the store keeps what it is given, safely, where XDG says."""

from __future__ import annotations

import os
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


CHECKS = (
    persistence_round_trip,
    config_file_mode_is_0644,
    invalid_values_are_rejected_with_the_field_named,
    xdg_config_home_is_honoured,
)
