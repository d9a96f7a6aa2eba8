"""Running ``invoke qa`` over the sshd lab from tests: the shared helpers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import parse_wheel_filename

from mycelium.release.qa.command import QACommandOptions, QACommandResult, run_qa_command
from mycelium.release.qa.progress import HostProgress
from mycelium.release.remote.transport import SSHOptions

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mycelium.release.dev.build import BuildResult
    from tests.integration.ssh_lab import Lab

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "qa.yml"
# The healthy hosts run the categories that need no service, so the lab stays quick.
QUICK = "--only configuration,platform"


def version_of(wheel: BuildResult) -> str:
    return str(parse_wheel_filename(wheel.wheel.name)[1])


def run(
    lab_inventory: Path, pattern: str, wheel: BuildResult, reports: Path, **options: object
) -> QACommandResult:
    ssh = options.pop("ssh", SSHOptions(connect_timeout=5))
    return run_qa_command(
        QACommandOptions(
            project_dir=ROOT,
            inventory=lab_inventory,
            playbook=PLAYBOOK,
            reports_root=reports,
            pattern=pattern,
            wheel=wheel.wheel,
            ssh=ssh,  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        ),
        HostProgress(live=False),
    )


def quick_inventory(lab: Lab, path: Path, **extra: Mapping[str, object]) -> Path:
    healthy = {name: {"mycelium_qa_args": QUICK} for name in ("h1", "h2", "h3", "unknownkey")}
    return lab.inventory(path, extra={**healthy, **{k: dict(v) for k, v in extra.items()}})


def no_index_env(lab: Lab, tmp_path: Path) -> dict[str, str]:
    """The lab's environment with no package index reachable and no cache to fall back on."""
    dead = "http://127.0.0.1:9/simple"
    return {**quick_env(lab, tmp_path), "UV_INDEX_URL": dead, "UV_DEFAULT_INDEX": dead,
            "PIP_INDEX_URL": dead, "UV_NO_CACHE": "1"}  # fmt: skip


def quick_env(lab: Lab, tmp_path: Path) -> dict[str, str]:
    import yaml

    data = yaml.safe_load(lab.inventory(tmp_path / "env-source.yml").read_text())
    env: dict[str, str] = data["all"]["vars"]["mycelium_env"]
    return env
