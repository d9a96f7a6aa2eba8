"""Where the configuration lives.

Order of precedence: ``--config PATH``, then ``$MYCELIUM_CONFIG``, then a project-local
``mycelium.yaml`` in the working directory or the nearest parent up to the repository
root, then the user file ``$XDG_CONFIG_HOME/mycelium/config.yaml``. XDG is honoured on
every platform (macOS included), as our users' dotfiles expect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

APP_NAME: Final = "mycelium"
USER_FILE_NAME: Final = "config.yaml"
PROJECT_FILE_NAME: Final = "mycelium.yaml"
ENV_VAR: Final = "MYCELIUM_CONFIG"


class Source(StrEnum):
    OPTION = "--config"
    ENVIRONMENT = "$MYCELIUM_CONFIG"
    PROJECT = "project file"
    USER = "user file"


@dataclass(frozen=True)
class ConfigLocation:
    path: Path
    source: Source

    def describe(self) -> str:
        return f"{self.path} ({self.source.value})"


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME/mycelium``, or ``~/.config/mycelium`` when unset."""
    # platformdirs' Unix flavour is the XDG spec; we use it on macOS as well on purpose.
    # Imported here: with --config, $MYCELIUM_CONFIG or a project file it is not needed.
    from platformdirs.unix import Unix  # noqa: PLC0415

    return Path(Unix(appname=APP_NAME).user_config_dir)


def find_project_file(start: Path) -> Path | None:
    """The nearest ``mycelium.yaml`` from ``start`` upwards, not past a repository root."""
    for directory in (start, *start.parents):
        candidate = directory / PROJECT_FILE_NAME
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists():
            return None
    return None


def resolve(explicit: Path | None = None, cwd: Path | None = None) -> ConfigLocation:
    """The file every command reads and writes, and why that one."""
    if explicit is not None:
        return ConfigLocation(explicit.expanduser(), Source.OPTION)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return ConfigLocation(Path(from_env).expanduser(), Source.ENVIRONMENT)
    project = find_project_file((cwd or Path.cwd()).resolve())
    if project is not None:
        return ConfigLocation(project, Source.PROJECT)
    return ConfigLocation(user_config_dir() / USER_FILE_NAME, Source.USER)
