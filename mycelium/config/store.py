"""Reading and writing the configuration file safely.

Writes take a lock (two writers never interleave), keep the previous file as
``<name>.bak``, and replace the file atomically. A file holding a password is written 0600
instead of 0644, so a secret never becomes world-readable.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import yaml
from filelock import FileLock, Timeout

from mycelium.config.loader import LoadedConfig, load_text
from mycelium.errors import ConfigError
from mycelium.fileio import atomic_write

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.config.models import MyceliumConfig
    from mycelium.config.paths import ConfigLocation

PUBLIC_MODE: Final = 0o644
PRIVATE_MODE: Final = 0o600
LOCK_TIMEOUT_S: Final = 10.0

HEADER: Final = (
    "# Mycelium configuration. Change it with `mycelium-configuration edit` or `set`;\n"
    "# every field is described in docs/CONFIGURATION.md.\n"
)


@dataclass(frozen=True)
class ConfigStore:
    location: ConfigLocation

    @property
    def path(self) -> Path:
        return self.location.path

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak")

    def exists(self) -> bool:
        return self.path.is_file()

    def read_text(self) -> str:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(
                f"{self.path}: no configuration file here",
                (
                    (
                        "run `mycelium-onboarding` to create one, or "
                        "`mycelium-configuration init` for the defaults"
                    ),
                ),
            ) from None
        except IsADirectoryError:
            raise ConfigError(f"{self.path}: is a directory, not a configuration file") from None
        except PermissionError:
            raise ConfigError(
                f"{self.path}: permission denied; check the file's owner and mode"
            ) from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{self.path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None

    def load(self) -> LoadedConfig:
        return load_text(self.read_text(), str(self.path))

    def save(self, config: MyceliumConfig) -> None:
        """Write ``config`` as YAML."""
        self.save_text(render(config), config)

    def save_text(
        self, text: str, config: MyceliumConfig, expected_previous: str | None = None
    ) -> None:
        """Write ``text`` (already validated as ``config``) under the lock, keeping a backup.

        With ``expected_previous``, refuse when the file changed since it was read, so an
        edit never silently discards another writer's change.
        """
        mode = PRIVATE_MODE if has_secrets(config) else PUBLIC_MODE
        lock = FileLock(self.path.with_name(f".{self.path.name}.lock"), timeout=LOCK_TIMEOUT_S)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with lock:
                if expected_previous is not None:
                    current = self.path.read_text("utf-8") if self.exists() else ""
                    if current != expected_previous:
                        raise ConfigError(
                            f"{self.path}: changed on disk while you were editing; "
                            "nothing was saved, run the command again"
                        )
                if self.exists():
                    shutil.copy2(self.path, self.backup_path)
                atomic_write(self.path, text.encode("utf-8"), mode)
        except Timeout:
            raise ConfigError(
                f"{self.path}: another mycelium process is writing this file; "
                "try again when it has finished"
            ) from None


def render(config: MyceliumConfig) -> str:
    """The YAML text of ``config``: fields in schema order, secrets in clear."""
    body = yaml.safe_dump(
        config.revealed(), sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return HEADER + body


def has_secrets(config: MyceliumConfig) -> bool:
    services = config.services
    return services.redis.password is not None or services.postgres.password is not None
