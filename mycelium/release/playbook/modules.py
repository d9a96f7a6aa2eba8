"""The modules of the subset (file, copy, command, shell, fetch), over a ``Transport``.

Each returns a result of Ansible's shape (``rc``, ``stdout``, ``stderr``, ``failed``, ...).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mycelium.release.remote.transport import Transport


def _command_line(command: str, environment: Mapping[str, Any], chdir: str | None) -> str:
    prefix = ""
    if environment:
        prefix = (
            "export "
            + " ".join(f"{k}={shlex.quote(str(v))}" for k, v in environment.items())
            + "; "
        )
    if chdir:
        prefix += f"cd {shlex.quote(str(chdir))} && "
    return prefix + command


def _result(rc: int, stdout: str, stderr: str, **extra: Any) -> dict[str, Any]:
    return {
        "rc": rc,
        "stdout": stdout.rstrip("\n"),
        "stderr": stderr.rstrip("\n"),
        "stdout_lines": stdout.splitlines(),
        "stderr_lines": stderr.splitlines(),
        "failed": rc != 0,
        "changed": True,
        **extra,
    }


def _shell(
    transport: Transport, params: Any, env: Mapping[str, Any], chdir: str | None, timeout: float
) -> dict[str, Any]:
    command = params if isinstance(params, str) else str(params["cmd"])
    res = transport.run(
        _command_line("/bin/sh -c " + shlex.quote(command), env, chdir), timeout=timeout
    )
    return _result(res.rc, res.stdout, res.stderr, cmd=command)


def _command(
    transport: Transport, params: Any, env: Mapping[str, Any], chdir: str | None, timeout: float
) -> dict[str, Any]:
    command = params if isinstance(params, str) else str(params["cmd"])
    argv = shlex.split(command)  # command: no shell features, as in Ansible
    res = transport.run(_command_line(shlex.join(argv), env, chdir), timeout=timeout)
    return _result(res.rc, res.stdout, res.stderr, cmd=argv)


def _file(
    transport: Transport, params: Any, _env: Mapping[str, Any], _chdir: str | None, timeout: float
) -> dict[str, Any]:
    path = str(params["path"])
    if path.rstrip("/") in {"", "/", "~"}:
        return _result(1, "", f"refusing to manage {path!r}", msg=f"refusing to manage {path!r}")
    if params["state"] == "absent":
        res = transport.run(f"rm -rf -- {shlex.quote(path)}", timeout=timeout)
    else:
        mode = (
            f" && chmod {shlex.quote(str(params['mode']))} {shlex.quote(path)}"
            if "mode" in params
            else ""
        )
        res = transport.run(f"mkdir -p -- {shlex.quote(path)}{mode}", timeout=timeout)
    return _result(res.rc, res.stdout, res.stderr, path=path, state=params["state"])


def _copy(
    transport: Transport, params: Any, _env: Mapping[str, Any], _chdir: str | None, timeout: float
) -> dict[str, Any]:
    source, dest = Path(str(params["src"])), str(params["dest"])
    if not source.is_file():
        return _result(1, "", f"no such file: {source}", msg=f"Could not find or access '{source}'")
    try:
        transport.put(source, dest)
    except OSError as exc:
        return _result(1, "", str(exc), msg=f"upload failed: {exc}")
    if "mode" in params:
        res = transport.run(
            f"chmod {shlex.quote(str(params['mode']))} {shlex.quote(dest)}", timeout=timeout
        )
        if res.rc != 0:
            return _result(res.rc, res.stdout, res.stderr)
    return _result(0, "", "", dest=dest, src=str(source))


def _fetch(
    transport: Transport, params: Any, _env: Mapping[str, Any], _chdir: str | None, _timeout: float
) -> dict[str, Any]:
    source, dest = str(params["src"]), Path(str(params["dest"]))
    flat = params.get("flat", False) in {True, "yes", "true"}
    target = dest if flat else dest / transport.name / source.lstrip("/")
    try:
        transport.get(source, target)
    except OSError as exc:
        return _result(
            1, "", str(exc), msg=f"the remote file does not exist or is not readable: {source}"
        )
    return _result(0, "", "", dest=str(target), src=source)


HANDLERS: Final[dict[str, Callable[..., dict[str, Any]]]] = {
    "shell": _shell,
    "command": _command,
    "file": _file,
    "copy": _copy,
    "fetch": _fetch,
}
