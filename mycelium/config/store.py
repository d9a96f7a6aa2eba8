"""Reading and writing the configuration file safely.

Writes take a lock (two writers never interleave), keep the previous file as
``<name>.bak``, and replace the file atomically. A file holding a password is written 0600
instead of 0644, so a secret never becomes world-readable. ``update`` reads, changes and
writes under one lock, so concurrent ``set`` commands on different keys all land.

A configuration that is a symbolic link is written through to the link's target, as
editors do; the backup and the lock sit beside the target. Links at the backup's or the
temporary file's name are replaced, never followed. Only a regular file is read: a FIFO,
a device or a directory at the path is refused before it is opened (``mycelium.fileio``
reads it, as it reads every file a user names).
"""

from __future__ import annotations

import contextlib
import errno
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mycelium.config.limits import LIMITS
from mycelium.errors import ConfigError
from mycelium.fileio import (
    FileTooLargeError,
    NotRegularFileError,
    atomic_write,
    backup_path,
    file_in_the_way,
    read_regular_file,
    require_regular,
    write_backup,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from mycelium.config.loader import LoadedConfig
    from mycelium.config.models import MyceliumConfig
    from mycelium.config.paths import ConfigLocation

# PyYAML, pydantic (through the loader) and filelock load inside the methods that need
# them: finding out that there is no file, or where it would be, must stay cheap.

PUBLIC_MODE: Final = 0o644
PRIVATE_MODE: Final = 0o600
LOCK_TIMEOUT_S: Final = 10.0
MAX_FILE_BYTES: Final = LIMITS.max_chars
FIX_PATH: Final = "choose another file with --config PATH or $MYCELIUM_CONFIG"

HEADER: Final = (
    "# Mycelium configuration. Change it with `mycelium-configuration edit` or `set`;\n"
    "# every field is described in docs/CONFIGURATION.md.\n"
)


@dataclass(frozen=True)
class Updated:
    """What ``ConfigStore.update`` read (``None``: no file yet) and what it wrote."""

    previous: LoadedConfig | None
    config: MyceliumConfig


@dataclass(frozen=True)
class ConfigStore:
    location: ConfigLocation

    @property
    def path(self) -> Path:
        return self.location.path

    @property
    def target(self) -> Path:
        """The file really read and written: ``path`` with its symbolic links followed."""
        try:
            return self.path.resolve()
        except RuntimeError:  # Python < 3.13 signals a symlink loop this way
            raise ConfigError(self._problem(OSError(errno.ELOOP, "loop"), "read")) from None
        except OSError as exc:
            raise ConfigError(self._problem(exc, "read")) from None

    @property
    def backup_path(self) -> Path:
        return backup_path(self.target)

    def exists(self) -> bool:
        """Whether a configuration file is there; anything else at the path is an error."""
        return self._stat() is not None

    def read_text(self) -> str:
        return self._decode(self._read_bytes())

    def _decode(self, raw: bytes | None) -> str:
        if raw is None:
            raise ConfigError(
                f"{self.path}: no configuration file here",
                (
                    (
                        "run `mycelium-onboarding` to create one, or "
                        "`mycelium-configuration init` for the defaults"
                    ),
                ),
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{self.path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None

    def load(self) -> LoadedConfig:
        from mycelium.config.loader import load_text  # noqa: PLC0415 - pydantic: only to read

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
        with self._locked():
            previous = self._read_bytes()
            if expected_previous is not None:
                current = previous.decode("utf-8", "replace") if previous is not None else ""
                if current != expected_previous:
                    raise ConfigError(
                        f"{self.path}: changed on disk while you were editing; "
                        "nothing was saved, run the command again"
                    )
            self._write(text, config, previous)

    def update(self, change: Callable[[MyceliumConfig], MyceliumConfig]) -> Updated:
        """Read the file (or the defaults), apply ``change`` and write the result, all under
        the lock, so a concurrent writer's change is never lost.
        """
        from mycelium.config.loader import load_text  # noqa: PLC0415 - pydantic: only to read
        from mycelium.config.models import MyceliumConfig  # noqa: PLC0415 - as above

        with self._locked():
            previous = self._read_bytes()
            loaded = None if previous is None else load_text(self._decode(previous), str(self.path))
            config = change(loaded.config if loaded is not None else MyceliumConfig())
            self._write(render(config), config, previous)
        return Updated(previous=loaded, config=config)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import FileLock, Timeout  # noqa: PLC0415 - only a write needs the lock

        target = self.target
        lock = FileLock(target.with_name(f".{target.name[:200]}.lock"), timeout=LOCK_TIMEOUT_S)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(self._problem(exc, "write")) from None
        try:
            lock.acquire()
        except Timeout:
            raise ConfigError(
                f"{self.path}: another mycelium process is writing this file; "
                "try again when it has finished"
            ) from None
        except OSError as exc:
            # The lock file, not the configuration, is what is wrong (a stale or planted link).
            where = lock.lock_file
            raise ConfigError(
                f"{where}: cannot take the write lock: {exc.strerror or exc}; "
                f"remove it (`rm -r {where}`: nothing else uses it) and retry"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _write(self, text: str, config: MyceliumConfig, previous: bytes | None) -> None:
        target = self.target
        mode = PRIVATE_MODE if has_secrets(config) else PUBLIC_MODE
        try:
            if previous is not None:
                write_backup(target, previous)
            atomic_write(target, text.encode("utf-8"), mode)
        except OSError as exc:
            raise ConfigError(self._problem(exc, "write")) from None

    def _stat(self) -> os.stat_result | None:
        """The file's status, ``None`` when absent; a non-file at the path is refused."""
        try:
            status = self.target.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(self._problem(exc, "read")) from None
        self._require_regular(status)
        return status

    def _read_bytes(self) -> bytes | None:
        """The file's bytes (``None``: no file), refusing what is not a small regular file."""
        try:
            return read_regular_file(self.target, max_bytes=MAX_FILE_BYTES)
        except (IsADirectoryError, NotRegularFileError, FileTooLargeError) as exc:
            raise ConfigError(self._refusal(exc)) from None
        except OSError as exc:
            raise ConfigError(self._problem(exc, "read")) from None

    def _require_regular(self, status: os.stat_result) -> None:
        try:
            require_regular(self.target, status, MAX_FILE_BYTES)
        except (IsADirectoryError, NotRegularFileError, FileTooLargeError) as exc:
            raise ConfigError(self._refusal(exc)) from None

    def _refusal(self, exc: OSError) -> str:
        if isinstance(exc, NotRegularFileError):
            return f"{self.path}: not a regular file ({exc.kind}); {FIX_PATH}"
        if isinstance(exc, FileTooLargeError):
            return self._too_big()
        return (
            f"{self.path}: is a directory, not a configuration file; give a file path "
            f"such as {self.path / 'config.yaml'}"
        )

    def _too_big(self) -> str:
        return (
            f"{self.path}: refused: larger than {MAX_FILE_BYTES:,} bytes, the limit for a "
            f"configuration file (a real one is a few kilobytes); {FIX_PATH}"
        )

    def _problem(self, exc: OSError, verb: str) -> str:  # noqa: PLR0911 - one return per kind
        """One line for an ``OSError`` on the configuration path, with the fix."""
        code = exc.errno
        if code == errno.ELOOP:
            return f"{self.path}: the symbolic links loop; point the link at a real file"
        if code in {errno.ENOTDIR, errno.EEXIST}:  # EEXIST: mkdir met a file on the way
            blocker = file_in_the_way(self.path)
            what = f"{blocker} is a file, not a directory" if blocker else "not a directory"
            return f"{self.path}: {what}; {FIX_PATH}"
        if code == errno.ENAMETOOLONG:
            return f"{self.path}: the name is too long for this file system; {FIX_PATH}"
        if code == errno.EISDIR:
            return (
                f"{self.path}: is a directory, not a configuration file; give a file path "
                f"such as {self.path / 'config.yaml'}"
            )
        if code in {errno.EACCES, errno.EPERM, errno.EROFS}:
            return (
                f"{self.path}: cannot {verb} it: {exc.strerror}; check the owner and mode of "
                f"the file and its directory, or {FIX_PATH}"
            )
        if code in {errno.ENOSPC, errno.EDQUOT}:
            return f"{self.path}: cannot {verb} it: {exc.strerror}; free some space and retry"
        reason = exc.strerror or str(exc)
        return f"{self.path}: cannot {verb} it: {reason}; {FIX_PATH}"


def render(config: MyceliumConfig) -> str:
    """The YAML text of ``config``: fields in schema order, secrets in clear."""
    import yaml  # noqa: PLC0415 - only a write renders YAML

    body = yaml.safe_dump(
        config.revealed(), sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return HEADER + body


def has_secrets(config: MyceliumConfig) -> bool:
    services = config.services
    return services.redis.password is not None or services.postgres.password is not None
