"""Load a playbook and refuse, before any host is touched, anything outside the subset.

Supported (and nothing else):

- play keys: ``name``, ``hosts``, ``gather_facts`` (false), ``vars``, ``tasks``;
- modules: ``ansible.builtin.file`` (``state: directory|absent``), ``copy``, ``command``,
  ``shell``, ``fetch`` (``flat``), with or without the ``ansible.builtin.`` prefix;
- task keys: ``name``, ``vars``, ``loop``, ``register``, ``when``, ``ignore_errors``,
  ``changed_when``, ``environment``, ``args`` (``chdir``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import yaml

from mycelium.config.yaml_document import safe_load
from mycelium.errors import PlaybookError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

MODULES: Final = ("file", "copy", "command", "shell", "fetch")
TASK_KEYS: Final = frozenset(
    {
        "name",
        "vars",
        "loop",
        "register",
        "when",
        "ignore_errors",
        "changed_when",
        "environment",
        "args",
    }
)
PLAY_KEYS: Final = frozenset({"name", "hosts", "gather_facts", "vars", "tasks"})
MODULE_PARAMS: Final = {
    "file": frozenset({"path", "state", "mode"}),
    "copy": frozenset({"src", "dest", "mode"}),
    "fetch": frozenset({"src", "dest", "flat"}),
    "command": frozenset({"cmd"}),
    "shell": frozenset({"cmd"}),
}
ARGS_KEYS: Final = frozenset({"chdir"})


@dataclass(frozen=True)
class Task:
    name: str
    module: str
    params: Any
    keys: Mapping[str, Any]


@dataclass(frozen=True)
class Play:
    name: str
    hosts: str
    vars: Mapping[str, Any]
    tasks: tuple[Task, ...]


def load_playbook(path: Path) -> list[Play]:
    """Read ``path`` and refuse anything outside the subset, naming the task and key."""
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlaybookError(f"{path}: no such playbook") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(f"{path}: cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        raise PlaybookError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, list) or not data:
        raise PlaybookError(f"{path}: a playbook is a list of plays (- hosts: ...)")
    return [_parse_play(path, index, play) for index, play in enumerate(data, 1)]


def _parse_play(path: Path, index: int, play: Any) -> Play:
    where = f"{path}: play {index}"
    if not isinstance(play, dict):
        raise PlaybookError(f"{where}: must be a mapping with hosts: and tasks:")
    unknown = sorted(set(play) - PLAY_KEYS)
    if unknown:
        raise PlaybookError(
            f"{where}: unsupported key {', '.join(unknown)}; plays support "
            f"{', '.join(sorted(PLAY_KEYS))}"
        )
    if play.get("gather_facts", True) not in {False, "false", "no"}:
        raise PlaybookError(f"{where}: set `gather_facts: false` (fact gathering is not supported)")
    tasks = play.get("tasks") or []
    if not isinstance(tasks, list):
        raise PlaybookError(f"{where}: tasks must be a list")
    name = str(play.get("name", f"play {index}"))
    parsed = tuple(_parse_task(f"{path}: {name}", i, t) for i, t in enumerate(tasks, 1))
    return Play(
        name=name, hosts=str(play.get("hosts", "all")), vars=play.get("vars") or {}, tasks=parsed
    )


def _parse_task(where: str, index: int, task: Any) -> Task:
    if not isinstance(task, dict):
        raise PlaybookError(f"{where}: task {index} must be a mapping")
    name = str(task.get("name", f"task {index}"))
    here = f"{where}: task {name!r}"
    modules = [k for k in task if _module_name(k) is not None]
    others = sorted(k for k in task if k not in TASK_KEYS and _module_name(k) is None)
    if others:
        raise PlaybookError(
            f"{here}: unsupported key {', '.join(others)}; supported modules: "
            f"{', '.join('ansible.builtin.' + m for m in MODULES)}; task keys: "
            f"{', '.join(sorted(TASK_KEYS))}"
        )
    if len(modules) != 1:
        raise PlaybookError(f"{here}: needs exactly one module, found {len(modules)}")
    module = _module_name(modules[0])
    assert module is not None  # noqa: S101 - filtered just above
    params = task[modules[0]]
    _check_params(here, module, params, task.get("args"))
    keys = {k: v for k, v in task.items() if k in TASK_KEYS}
    return Task(name=name, module=module, params=params, keys=keys)


def _module_name(key: str) -> str | None:
    short = key.removeprefix("ansible.builtin.")
    return short if short in MODULES else None


def _check_params(here: str, module: str, params: Any, args: Any) -> None:
    if module in {"command", "shell"} and isinstance(params, str):
        pass
    elif isinstance(params, dict):
        unknown = sorted(set(params) - MODULE_PARAMS[module])
        if unknown:
            raise PlaybookError(
                f"{here}: {module}: unsupported parameter {', '.join(unknown)}; "
                f"supported: {', '.join(sorted(MODULE_PARAMS[module]))}"
            )
        if module == "file" and params.get("state") not in {"directory", "absent"}:
            raise PlaybookError(f"{here}: file: state must be directory or absent")
    else:
        raise PlaybookError(f"{here}: {module}: parameters must be a mapping")
    if args is not None and (not isinstance(args, dict) or set(args) - ARGS_KEYS):
        raise PlaybookError(f"{here}: args: only chdir is supported")
