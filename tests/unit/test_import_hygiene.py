"""The house's boundaries: the product never loads the maintainer side, and no module cycle."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import mycelium

PACKAGE = Path(mycelium.__file__).parent
# The product, declared: a new package must be put on one side or the other on purpose.
PRODUCT = (
    "mycelium.bench",
    "mycelium.binaries",
    "mycelium.cli",
    "mycelium.config",
    "mycelium.coordination",
    "mycelium.detection",
    "mycelium.errors",
    "mycelium.exit_codes",
    "mycelium.fileio",
    "mycelium.generators",
    "mycelium.qa",
    "mycelium.redaction",
    "mycelium.status",
    "mycelium.telemetry",
    "mycelium.wizard",
)
# The telemetry collector lives beside the client it shares a schema with, but it is the
# maintainers' service (the `collector` extra): the product never loads it.
MAINTAINER = ("mycelium.release", "mycelium.telemetry.collector")
FORBIDDEN = (
    "fabric", "paramiko", "github", "git", "invoke", "tomlkit", "regex", "prometheus_client",
)  # fmt: skip


def all_modules() -> list[str]:
    return ["mycelium"] + [
        info.name for info in pkgutil.walk_packages(mycelium.__path__, "mycelium.")
    ]


def _under(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def product_modules() -> list[str]:
    return [m for m in all_modules() if _under(m, PRODUCT) and not _under(m, MAINTAINER)]


def loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_every_module_is_declared_product_or_maintainer() -> None:
    undeclared = [
        m for m in all_modules() if m != "mycelium" and not _under(m, PRODUCT + MAINTAINER)
    ]
    assert undeclared == []


def test_no_product_module_imports_the_maintainer_side_or_its_libraries() -> None:
    modules = product_modules()
    assert "mycelium.cli.configuration" in modules
    loaded = loaded_after("\n".join(f"import {name}" for name in modules))
    assert not any(_under(m, MAINTAINER) for m in loaded)
    assert {m.split(".")[0] for m in loaded}.isdisjoint(FORBIDDEN)


def test_a_console_scripts_parser_loads_no_heavy_library() -> None:
    code = (
        "from mycelium.cli import configuration, onboarding, generate, test, qa, bench\n"
        "from mycelium.cli import telemetry\n"
        "telemetry.build_parser()\n"
        "configuration.build_parser()\n"
        "generate.build_parser()\n"
        "bench.build_parser()"
    )
    roots = {m.split(".")[0] for m in loaded_after(code)}
    assert roots.isdisjoint({"pydantic", "yaml", "redis", "jinja2", "psycopg", *FORBIDDEN})


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The mycelium modules ``path`` imports, at run time (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in known and m != module}


def test_there_is_no_import_cycle_inside_mycelium() -> None:
    known = set(all_modules())
    paths = {}
    for name in known:
        relative = name.split(".")[1:]
        file = PACKAGE.joinpath(*relative)
        paths[name] = file / "__init__.py" if file.is_dir() else file.with_suffix(".py")
    graph = {name: _imports(path, name, known) - {"mycelium"} for name, path in paths.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert cycles == []
