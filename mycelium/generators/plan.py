"""What one run of ``mycelium-generate`` would write: an in-memory plan, no side effects.

The generators are pure; this module picks which of them run for a configuration and
gathers their text into a :class:`Plan` that the writer applies (or only shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from mycelium.config.models import DeploymentMethod
from mycelium.config.paths import Source
from mycelium.errors import ConfigError
from mycelium.generators.compose import DockerComposeGenerator
from mycelium.generators.envfile import SecretsGenerator
from mycelium.generators.justfile import JustfileGenerator

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.config.models import MyceliumConfig
    from mycelium.config.paths import ConfigLocation

PUBLIC_MODE: Final = 0o644
SECRET_MODE: Final = 0o600
GITIGNORE: Final = ".gitignore"
# What a generated directory keeps out of git: the secrets (and the backup --force makes
# of an edited .env), and the data of native runs.
IGNORED: Final = (".env", ".env.bak", "data/")


class Target(StrEnum):
    COMPOSE = "compose"
    JUSTFILE = "justfile"
    SECRETS = "secrets"


@dataclass(frozen=True)
class PlannedFile:
    """One file of the plan. ``managed`` files are guarded by the manifest; ``.gitignore``
    is only ever appended to, so it is not."""

    name: str
    text: str
    mode: int = PUBLIC_MODE
    secret: bool = False
    managed: bool = True


@dataclass(frozen=True)
class Plan:
    output_dir: Path
    files: tuple[PlannedFile, ...]
    targets: tuple[Target, ...]


def targets_for(config: MyceliumConfig, only: Target | None = None) -> tuple[Target, ...]:
    """``only`` alone, else the file of the configured method and ``.env``."""
    if only is not None:
        return (only,)
    method = config.deployment.method
    primary = Target.COMPOSE if method is DeploymentMethod.DOCKER_COMPOSE else Target.JUSTFILE
    return (primary, Target.SECRETS)


def gitignore_text(existing: str | None) -> str | None:
    """``existing`` with the entries we need appended; ``None`` when nothing is missing."""
    lines = (existing or "").splitlines()
    present = {line.strip() for line in lines}
    missing = [entry for entry in IGNORED if entry not in present and f"/{entry}" not in present]
    if not missing:
        return None
    head = "\n".join(lines) + "\n" if lines else ""
    note = "# Added by mycelium-generate: secrets and the data of native runs stay out of git.\n"
    return head + note + "".join(f"{entry}\n" for entry in missing)


def build_plan(
    config: MyceliumConfig,
    output_dir: Path,
    *,
    only: Target | None = None,
    existing_env: str | None = None,
    existing_gitignore: str | None = None,
    rotate_secrets: bool = False,
    secrets: SecretsGenerator | None = None,
) -> Plan:
    """The files to write under ``output_dir``, from the configuration and what is there."""
    targets = targets_for(config, only)
    files: list[PlannedFile] = []
    for target in targets:
        if target is Target.COMPOSE:
            compose = DockerComposeGenerator()
            files.append(PlannedFile(compose.file_name, compose.render(config)))
        elif target is Target.JUSTFILE:
            justfile = JustfileGenerator()
            files.append(PlannedFile(justfile.file_name, justfile.render(config)))
        else:
            generator = secrets or SecretsGenerator()
            text = generator.render(config, existing_env, rotate=rotate_secrets)
            files.append(PlannedFile(generator.file_name, text, SECRET_MODE, secret=True))
    if Target.SECRETS in targets:
        ignore = gitignore_text(existing_gitignore)
        if ignore is not None:
            files.append(PlannedFile(GITIGNORE, ignore, managed=False))
    return Plan(output_dir, tuple(files), targets)


def output_dir_for(
    config: MyceliumConfig, location: ConfigLocation, override: Path | None = None
) -> Path:
    """Where the files go: ``override``, else ``deployment.output_dir``.

    A relative ``output_dir`` in a project's ``mycelium.yaml`` is relative to that file's
    directory (the project) and must stay inside it; in any other file, relative to the
    working directory.
    """
    if override is not None:
        return override.expanduser()
    configured = config.deployment.output_dir.expanduser()
    if location.source is Source.PROJECT:
        # A project's mycelium.yaml may come with a cloned repository: it only ever writes
        # inside its own project, never into ~ or another absolute place.
        project = location.path.parent
        target = project / configured
        if not target.resolve().is_relative_to(project.resolve()):
            raise ConfigError(
                f"{location.path}: deployment.output_dir: {str(config.deployment.output_dir)!r}"
                f" leaves the project ({project}); a project file may only write inside its "
                "project: use a relative path such as mycelium-deploy, or pass --output DIR"
            )
        return target
    # Relative to the working directory stays relative, so messages show short paths.
    return configured
