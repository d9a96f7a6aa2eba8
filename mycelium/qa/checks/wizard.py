"""wizard: the non-interactive onboarding writes a valid configuration, the same each time."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from mycelium.qa.checklist import CheckFailedError, Details, QAContext, check

if TYPE_CHECKING:
    from pathlib import Path

ANSWERS = ("--non-interactive", "--services", "redis,postgres", "--method", "justfile", "--yes")


def _onboard(ctx: QAContext, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ctx.console_script("mycelium-onboarding")), *ANSWERS, "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False, cwd=config.parent,
    )  # fmt: skip


@check("wizard", timeout_s=90)
def non_interactive_flow_writes_a_valid_config(ctx: QAContext) -> Details:
    from mycelium.config import ConfigStore  # noqa: PLC0415
    from mycelium.config.paths import ConfigLocation, Source  # noqa: PLC0415

    config = ctx.scratch("wizard") / "config.yaml"
    proc = _onboard(ctx, config)
    if proc.returncode != 0:
        raise CheckFailedError(
            f"mycelium-onboarding exited {proc.returncode}: {proc.stderr.strip()[-300:]}"
        )
    loaded = ConfigStore(ConfigLocation(config, Source.OPTION)).load().config
    services = loaded.services
    if (
        not (services.redis.enabled and services.postgres.enabled)
        or loaded.deployment.method != "justfile"
    ):
        raise CheckFailedError("the saved configuration is not what was answered")
    ctx.shared["wizard_config"] = config
    return {"next": proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""}


@check("wizard", timeout_s=90)
def running_the_wizard_twice_is_stable(ctx: QAContext) -> Details:
    config = ctx.shared.get("wizard_config") or ctx.scratch("wizard2") / "config.yaml"
    if not config.exists() and _onboard(ctx, config).returncode != 0:
        raise CheckFailedError("the first run failed")
    before = config.read_bytes()
    proc = _onboard(ctx, config)
    if proc.returncode != 0:
        raise CheckFailedError(
            f"the second run exited {proc.returncode}: {proc.stderr.strip()[-300:]}"
        )
    if config.read_bytes() != before:
        raise CheckFailedError("the same answers wrote a different file the second time")
    return {"bytes": len(before)}


CHECKS = (non_interactive_flow_writes_a_valid_config, running_the_wizard_twice_is_stable)
