"""Reading and writing files so that a crash, a full disk or a planted file never does harm.

Temporary files are created with ``O_EXCL`` (never through an existing name) and renamed
over the destination, so a symbolic link at the destination is replaced, not followed:
a committed ``config.yaml.bak -> ~/.bashrc`` can never make us write to ``~/.bashrc``.

Files a user names are read with :func:`read_regular_file`: only a small regular file is
read (a FIFO would block, a device never end), checked before opening and again on the
open descriptor. Its errors are ``OSError`` subclasses; :func:`describe` words any of them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Final

MAX_READ_BYTES: Final = 4 * 1024 * 1024


class NotRegularFileError(OSError):
    """Something other than a regular file or a directory is at the path."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))
        self.kind = kind


class FileTooLargeError(OSError):
    """The file is larger than the caller's limit."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"larger than {limit:,} bytes", os.fspath(path))
        self.limit = limit


class SymbolicLinkError(OSError):
    """A symbolic link where the caller never follows one."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.ELOOP, "is a symbolic link", os.fspath(path))


def read_regular_file(
    path: Path, *, max_bytes: int = MAX_READ_BYTES, follow_links: bool = True
) -> bytes | None:
    """The bytes of the regular file at ``path``; ``None`` when nothing is there.

    With ``follow_links=False`` a symbolic link at ``path`` is refused, never read through.

    Raises:
        IsADirectoryError, NotRegularFileError, FileTooLargeError, SymbolicLinkError: the
            path holds something else than a small regular file.
        OSError: it cannot be read (``errno`` says why).
    """
    try:
        status = path.stat(follow_symlinks=follow_links)
    except FileNotFoundError:
        return None
    require_regular(path, status, max_bytes)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_links else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise SymbolicLinkError(path) from None  # swapped in after the stat
        raise
    with os.fdopen(fd, "rb") as handle:
        # Again on the descriptor: the name may have been swapped since the stat.
        require_regular(path, os.fstat(fd), max_bytes)
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise FileTooLargeError(path, max_bytes)
    return raw


def require_regular(path: Path, status: os.stat_result, max_bytes: int = MAX_READ_BYTES) -> None:
    """Refuse a ``status`` that is not a regular file of at most ``max_bytes``."""
    mode = status.st_mode
    if stat.S_ISLNK(mode):
        raise SymbolicLinkError(path)
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", os.fspath(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, _kind(mode))
    if status.st_size > max_bytes:
        raise FileTooLargeError(path, max_bytes)


def describe(exc: OSError) -> str:  # noqa: PLR0911 - one return per kind of failure
    """What went wrong with a path, as the middle of a message: ``<path>: <this>; <fix>``."""
    if isinstance(exc, (NotRegularFileError, FileTooLargeError, SymbolicLinkError)):
        return str(exc.strerror)
    code = exc.errno
    if code == errno.ELOOP:
        return "the symbolic links loop"
    if code == errno.EISDIR:
        return "is a directory"
    if code == errno.ENOTDIR:
        blocker = file_in_the_way(Path(exc.filename)) if exc.filename else None
        return f"{blocker} is a file, not a directory" if blocker else "not a directory"
    if code == errno.ENAMETOOLONG:
        return "the name is too long for this file system"
    if code in {errno.EACCES, errno.EPERM}:
        return "permission denied"
    return f"cannot read it: {exc.strerror or exc}"


def shown_path(path: Path | str, base: Path | None = None) -> str:
    """``path`` as a person reads it: relative to ``base`` (default: the working directory)
    when it is below it, else as given.

    A link keeps its own name (its directory counts, not where it points); only when that
    fails are both sides resolved, for a base reached through a link (macOS's /tmp).
    """
    root = base or Path.cwd()
    # abspath tidies `..` without following links, which resolve() would.
    here, top = os.path.abspath(path), os.path.abspath(root)  # noqa: PTH100
    with contextlib.suppress(ValueError):
        return os.fspath(Path(here).relative_to(top))
    try:
        return os.fspath(Path(path).resolve().relative_to(root.resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop before 3.13
        return os.fspath(path)


def file_in_the_way(path: Path) -> Path | None:
    """The first parent of ``path`` that exists but is not a directory."""
    for parent in reversed(path.parents):
        with contextlib.suppress(OSError):
            if not parent.is_dir() and parent.exists():
                return parent
    return None


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for check, name in kinds if check(mode)), "not a file")


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: temp file in the same dir, fsync, chmod, rename.

    The mode is set before the rename, so the file never exists with looser permissions.
    A symbolic link at ``path`` is itself replaced; its target is never written.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    try:
        # mkstemp opens with O_CREAT | O_EXCL: it never writes through an existing name.
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name[:200]}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        # The temporary name is ours, not the user's: the error names the file they asked for.
        raise OSError(exc.errno, exc.strerror, os.fspath(path)) from exc
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
