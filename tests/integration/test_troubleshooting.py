"""docs/TROUBLESHOOTING.md quotes the product's messages: each must be what the product prints.

Each quoted message is a ```` ```text ```` block right after ``<!-- message: ID -->``; in it,
``<UPPER CASE>`` stands for what varies. A message with a trigger below is produced through
the real command, in a private HOME, and must appear in its output; any other must be
found in the source: each constant fragment between placeholders inside one string literal
of ``mycelium/`` or ``tasks.py`` (an f-string's literal parts count, so a placeholder goes
wherever the source interpolates).
"""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT: Final = Path(__file__).resolve().parents[2]
DOC: Final = ROOT / "docs" / "TROUBLESHOOTING.md"
_ENTRY: Final = re.compile(
    r"<!--\s*message:\s*([a-z0-9-]+)\s*-->\s*\n```text\n(.*?)\n```", re.DOTALL
)
_PLACEHOLDER: Final = re.compile(r"<[A-Z][A-Z0-9 _]*>")
# Where the edges put the command's name: `{prog}: error: {exc}` and `f"invoke qa: {exc}"`.
_EDGE: Final = re.compile(r"^(?:(?P<prog>mycelium-[a-z-]+): error: |(?P<task>invoke [a-z-]+: ))")
_SHORTEST_FRAGMENT: Final = 4  # ": " or "; " says nothing about where a message comes from
CONFIG: Final = '"$XDG_CONFIG_HOME/mycelium/config.yaml"'
WRITE_CONFIG: Final = f'mkdir -p "$XDG_CONFIG_HOME/mycelium" && printf {{}} >{CONFIG}'


@dataclass(frozen=True)
class Entry:
    id: str
    message: str


@dataclass(frozen=True)
class Trigger:
    """Shell commands run in a private HOME: ``setup`` (each must exit 0), then ``command``.

    ``{port}`` is a port this test listens on, ``{free}`` one nothing listens on.
    """

    command: str
    setup: tuple[str, ...] = ()
    cwd_repo: bool = False
    fails: bool = True


def _write(text: str) -> str:
    return WRITE_CONFIG.format("'" + text.replace("\n", "\\n") + "'")


INIT: Final = "mycelium-configuration init"
TRIGGERS: Final[dict[str, Trigger]] = {
    "config-missing": Trigger("mycelium-configuration show"),
    "config-invalid-yaml": Trigger("mycelium-configuration validate", (_write("services: [\n"),)),
    "config-unknown-setting": Trigger(
        "mycelium-configuration validate", (_write("services:\n  redis:\n    prot: 6380\n"),)
    ),
    "config-invalid-value": Trigger(
        "mycelium-configuration set services.redis.port 99999", (INIT,)
    ),
    "config-schema-newer": Trigger(
        "mycelium-configuration validate", (_write("schema_version: 99\n"),)
    ),
    "config-not-utf8": Trigger(
        "mycelium-configuration validate", (_write("project_name: caf\\351\n"),)
    ),
    "config-init-exists": Trigger(INIT, (INIT,)),
    "config-get-unknown": Trigger("mycelium-configuration get services.redis.nope", (INIT,)),
    "config-port-in-use": Trigger(
        "mycelium-configuration validate",
        (INIT, "mycelium-configuration set services.redis.port {port}"),
        fails=False,
    ),
    "onboarding-not-a-terminal": Trigger("mycelium-onboarding </dev/null"),
    "onboarding-stdin-ended": Trigger("mycelium-onboarding --non-interactive </dev/null"),
    "generate-conflict": Trigger(
        "mycelium-generate",
        (INIT, "mycelium-generate", "echo '# mine' >>mycelium-deploy/docker-compose.yml"),
    ),
    "generate-check-missing": Trigger("mycelium-generate --check nothere.yml"),
    "generate-check-findings": Trigger(
        "mycelium-generate --check compose.yml",
        (
            (
                "printf 'services:\\n  redis:\\n    image: redis:7.4.1\\n"
                '    ports: ["6379:6379"]\\n\' >compose.yml'
            ),
        ),
    ),
    "generate-output-escapes": Trigger(
        "mycelium-generate",
        ("printf 'deployment:\\n  output_dir: ../elsewhere\\n' >mycelium.yaml",),
    ),
    "test-cannot-connect": Trigger(
        "mycelium-test --pattern pubsub --redis-url redis://127.0.0.1:{free}/0"
    ),
    "test-url-no-scheme": Trigger("mycelium-test --redis-url localhost:6379"),
    "test-url-port": Trigger("mycelium-test --redis-url redis://127.0.0.1:70000"),
    "test-url-password": Trigger("mycelium-test --redis-url 'redis://:a#b@127.0.0.1:6379/0'"),
    "test-unknown-pattern": Trigger("mycelium-test --pattern nope"),
    "qa-unknown-category": Trigger("mycelium-qa --only nope"),
    "bench-unknown-operation": Trigger("mycelium-bench --only nope"),
    "collector-port-in-use": Trigger("mycelium-telemetry-collector --port {port}"),
    "qa-pattern-no-host": Trigger("invoke qa --hosts nope", cwd_repo=True),
}


def entries(text: str) -> list[Entry]:
    return [Entry(m.group(1), m.group(2)) for m in _ENTRY.finditer(text)]


def pattern(message: str) -> re.Pattern[str]:
    """The message as a regular expression: each placeholder is any text within its line."""
    lines = [".+?".join(map(re.escape, _PLACEHOLDER.split(line))) for line in message.splitlines()]
    return re.compile("^" + "\n".join(lines) + "$", re.MULTILINE)


@cache
def source_literals() -> frozenset[str]:
    """Every string literal of the product and the tasks; an f-string's literal parts.

    Not docstrings: a message an old docstring still quotes is not one the product prints.
    """
    literals: set[str] = set()
    for path in [*sorted((ROOT / "mycelium").rglob("*.py")), ROOT / "tasks.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        literals.update(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        )
    return frozenset(literals)


def _found(fragment: str, literals: frozenset[str]) -> bool:
    return any(fragment in literal for literal in literals)


def missing_from_source(message: str, literals: frozenset[str]) -> list[str]:
    """The fragments of ``message`` that no string literal holds; ``[]`` when all are found."""
    missing: list[str] = []
    for raw in message.splitlines():
        line = raw.strip()
        edge = _EDGE.match(line)
        if edge is not None:
            line = line[edge.end() :]
            needed = [edge["prog"], ": error: "] if edge["prog"] else [edge["task"]]
            missing += [text for text in needed if not _found(text, literals)]
        for fragment in _PLACEHOLDER.split(line):
            # `{reason}; {fix}`: the separator between two interpolations is in neither.
            text = fragment.strip(" ;:,")
            if len(text) >= _SHORTEST_FRAGMENT and not _found(text, literals):
                missing.append(text)
    return missing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def run_trigger(trigger: Trigger, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    """The trigger's command's result, after its setup; in ``home``, the project's env first."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "NO_COLOR": "1",
        "MYCELIUM_TELEMETRY": "0",
    }
    cwd = ROOT if trigger.cwd_repo else home

    def shell(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command.format(port=port, free=_free_port())],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    for step in trigger.setup:
        done = shell(step)
        assert done.returncode == 0, f"setup `{step}` failed: {done.stderr}"
    return shell(trigger.command)


def produced(message: str, result: subprocess.CompletedProcess[str]) -> bool:
    output = "\n".join(line.rstrip() for line in (result.stdout + result.stderr).splitlines())
    return pattern(message).search(output) is not None


DOC_ENTRIES: Final = entries(DOC.read_text(encoding="utf-8"))


def test_every_quoted_message_is_marked_and_every_trigger_is_used() -> None:
    text = DOC.read_text(encoding="utf-8")
    ids = [entry.id for entry in DOC_ENTRIES]
    assert len(ids) == text.count("```text"), "a ```text block without <!-- message: ID -->"
    assert len(ids) == len(set(ids)), "two messages with one id"
    assert set(TRIGGERS) <= set(ids), f"triggers of no message: {set(TRIGGERS) - set(ids)}"
    assert len(TRIGGERS) >= len(ids) // 2, "most messages should be produced, not looked up"


@pytest.mark.parametrize("entry", DOC_ENTRIES, ids=lambda entry: entry.id)
def test_the_product_prints_the_quoted_message(
    entry: Entry, isolated_home: Path, listening_port: int
) -> None:
    trigger = TRIGGERS.get(entry.id)
    if trigger is None:
        assert missing_from_source(entry.message, source_literals()) == [], entry.message
        return
    result = run_trigger(trigger, isolated_home, listening_port)
    assert produced(entry.message, result), (
        f"{entry.id}: the doc quotes\n{entry.message}\nthe command printed\n"
        f"{result.stdout}{result.stderr}"
    )
    assert (result.returncode != 0) == trigger.fails, result.returncode


def test_a_changed_message_fails_its_check(isolated_home: Path, listening_port: int) -> None:
    """Planted: one word changed in a produced message and in a looked-up one."""
    by_id = {entry.id: entry.message for entry in DOC_ENTRIES}
    produced_one = by_id["config-missing"]
    planted = produced_one.replace("no configuration file here", "no config file here")
    result = run_trigger(TRIGGERS["config-missing"], isolated_home, listening_port)
    assert produced(produced_one, result)
    assert not produced(planted, result)

    looked_up = by_id["release-dirty"]
    assert missing_from_source(looked_up, source_literals()) == []
    changed = looked_up.replace("commit or stash them", "commit them")
    assert missing_from_source(changed, source_literals()) == ["): commit them"]
    renamed = looked_up.replace("invoke release: ", "invoke publish: ")
    assert missing_from_source(renamed, source_literals()) == ["invoke publish: "]


def test_a_message_only_a_docstring_quotes_is_not_found() -> None:
    """A docstring is a string literal too, but nothing prints it."""
    quoted = "the body wraps it for people arriving at the release page"

    assert quoted in (ROOT / "mycelium/release/publish/notes.py").read_text(encoding="utf-8")
    assert missing_from_source(quoted, source_literals()) == [quoted]
