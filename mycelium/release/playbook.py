"""A documented subset of Ansible playbooks, run over a ``Transport``.

Supported (and nothing else, refused before any host is touched):

- play keys: ``name``, ``hosts``, ``gather_facts`` (false), ``vars``, ``tasks``;
- modules: ``ansible.builtin.file`` (``state: directory|absent``), ``copy``, ``command``,
  ``shell``, ``fetch`` (``flat``), with or without the ``ansible.builtin.`` prefix;
- task keys: ``name``, ``vars``, ``loop``, ``register``, ``when``, ``ignore_errors``,
  ``changed_when``, ``environment``, ``args`` (``chdir``);
- Jinja2 in values (a value that is one ``{{ expression }}`` keeps its type, as in
  Ansible), with Ansible's ``basename``, ``dirname``, ``bool`` and ``quote`` filters.

Registered results have Ansible's shape (``rc``, ``stdout``, ``stderr``, ``failed``,
``skipped``; ``results`` for a loop), so the same playbook reads the same under
``ansible-playbook``.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from mycelium.errors import PlaybookError
from mycelium.release.transport import FailureKind, HostFailureError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import jinja2

    from mycelium.release.transport import Transport

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
DEFAULT_TASK_TIMEOUT_S: Final = 600.0


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


@dataclass(frozen=True)
class TaskOutcome:
    task: str
    result: dict[str, Any]

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))


@dataclass
class HostRun:
    """The journal of one host: every task's result, and the registered variables."""

    host: str
    outcomes: list[TaskOutcome] = field(default_factory=list)
    registered: dict[str, Any] = field(default_factory=dict)
    failed_task: TaskOutcome | None = None


class PlayObserver:
    """Told when each task starts and ends on a host; the base class ignores both."""

    def task_started(self, host: str, task: str) -> None:
        """``task`` begins on ``host``."""

    def task_finished(self, host: str, outcome: TaskOutcome) -> None:
        """``outcome`` of a task on ``host``."""


def load_playbook(path: Path) -> list[Play]:
    """Read ``path`` and refuse anything outside the subset, naming the task and key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlaybookError(f"{path}: no such playbook") from None
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


# --- templating ------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    from jinja2 import StrictUndefined  # noqa: PLC0415
    from jinja2.nativetypes import NativeEnvironment  # noqa: PLC0415

    env = NativeEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["basename"] = posixpath.basename
    env.filters["dirname"] = posixpath.dirname
    env.filters["quote"] = lambda v: shlex.quote(str(v))
    env.filters["bool"] = lambda v: str(v).lower() in {"1", "true", "yes", "on"}
    return env


def render(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render Jinja2 in ``value`` (recursively); a lone ``{{ x }}`` keeps x's type."""
    from jinja2 import TemplateError, Undefined  # noqa: PLC0415

    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        try:
            result = _environment().from_string(value).render(**variables)
            if isinstance(result, Undefined):
                str(result)  # native rendering hands back the Undefined: make it raise
        except TemplateError as exc:
            raise PlaybookError(f"cannot render {value!r}: {exc}") from None
        # Native rendering of text that merely looks like a literal must stay text.
        if not _is_single_expression(value) and not isinstance(result, str):
            return str(result)
        return result
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: render(v, variables) for k, v in value.items()}
    return value


def _is_single_expression(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1


def evaluate_condition(condition: Any, variables: Mapping[str, Any]) -> bool:
    conditions = condition if isinstance(condition, list) else [condition]
    for item in conditions:
        ok = item if isinstance(item, bool) else bool(render("{{ " + str(item) + " }}", variables))
        if not ok:
            return False
    return True


# --- execution ---------------------------------------------------------------------------


def run_play(
    play: Play,
    transport: Transport,
    variables: Mapping[str, Any],
    *,
    task_timeout: float = DEFAULT_TASK_TIMEOUT_S,
    observer: PlayObserver | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    journal: HostRun | None = None,
) -> HostRun:
    """Run every task of ``play`` on one host, stopping at the first unignored failure.

    A ``HostFailureError`` (timeout, lost connection) propagates: the caller turns it into the
    host's row, and ``journal`` (when given) keeps what ran until then.
    """
    run = journal if journal is not None else HostRun(host=transport.name)
    watch = observer or PlayObserver()
    scope: dict[str, Any] = {**variables}
    for key, value in play.vars.items():  # in order: a play var may use the ones before it
        scope[key] = render(value, scope)
    for key in variables:  # extra vars win over play vars, as in Ansible
        scope[key] = variables[key]
    for task in play.tasks:
        if should_stop():
            raise HostFailureError(FailureKind.ERROR, "interrupted")
        task_scope = {**scope, **run.registered}
        for key, value in (task.keys.get("vars") or {}).items():
            task_scope[key] = render(value, task_scope)
        watch.task_started(transport.name, task.name)
        result = _run_task(task, transport, task_scope, task_timeout)
        outcome = TaskOutcome(task.name, result)
        run.outcomes.append(outcome)
        watch.task_finished(transport.name, outcome)
        register = task.keys.get("register")
        if register:
            run.registered[str(register)] = result
        if outcome.failed and not task.keys.get("ignore_errors"):
            run.failed_task = outcome
            break
    return run


def _run_task(
    task: Task, transport: Transport, scope: dict[str, Any], timeout: float
) -> dict[str, Any]:
    if "loop" not in task.keys:
        return _run_item(task, transport, scope, timeout)
    items = render(task.keys["loop"], scope)
    if not isinstance(items, list):
        raise PlaybookError(f"task {task.name!r}: loop must be a list, got {type(items).__name__}")
    results = []
    for item in items:
        result = _run_item(task, transport, {**scope, "item": item}, timeout)
        result["item"] = item
        results.append(result)
    return {
        "results": results,
        "failed": any(r.get("failed") for r in results),
        "skipped": bool(results) and all(r.get("skipped") for r in results),
        "changed": any(r.get("changed") for r in results),
        "msg": "All items completed" if results else "No items in the list",
    }


def _run_item(
    task: Task, transport: Transport, scope: dict[str, Any], timeout: float
) -> dict[str, Any]:
    when = task.keys.get("when")
    if when is not None and not evaluate_condition(when, scope):
        return {"skipped": True, "changed": False, "skip_reason": "Conditional result was False"}
    params = render(task.params, scope)
    environment = render(task.keys.get("environment") or {}, scope)
    chdir = render((task.keys.get("args") or {}).get("chdir"), scope)
    handler = _HANDLERS[task.module]
    return handler(transport, params, environment, chdir, timeout)


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


_HANDLERS: Final[dict[str, Callable[..., dict[str, Any]]]] = {
    "shell": _shell,
    "command": _command,
    "file": _file,
    "copy": _copy,
    "fetch": _fetch,
}
