"""Writing files so that a crash, a full disk or a planted symlink never does harm.

Temporary files are created with ``O_EXCL`` (never through an existing name) and renamed
over the destination, so a symbolic link at the destination is replaced, not followed:
a committed ``config.yaml.bak -> ~/.bashrc`` can never make us write to ``~/.bashrc``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: temp file in the same dir, fsync, chmod, rename.

    The mode is set before the rename, so the file never exists with looser permissions.
    A symbolic link at ``path`` is itself replaced; its target is never written.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    # mkstemp opens with O_CREAT | O_EXCL: it never writes through an existing name.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name[:200]}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            # fchmod on the open file: a name swapped in meanwhile cannot redirect it.
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def write_backup(path: Path, data: bytes) -> None:
    """Keep ``data`` (the previous content of ``path``) as ``<name>.bak`` beside it.

    The backup gets the mode of the file it copies (a secret stays private) and is written
    like any file here: a link planted at ``<name>.bak`` is replaced, never followed.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o600
    atomic_write(backup_path(path), data, mode)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (and macOS for directories) refuse; the data file is synced
    finally:
        os.close(fd)
