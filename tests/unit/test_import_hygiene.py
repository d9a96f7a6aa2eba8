"""The house's boundaries: the product never loads the maintainer side, and no module cycle."""

from __future__ import annotations

import ast
import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import mycelium
from mycelium.distribution import MAINTAINER_PACKAGES

PACKAGE = Path(mycelium.__file__).parent
# The product, declared: a new package must be put on one side or the other on purpose.
PRODUCT = (
    "mycelium.bench",
    "mycelium.binaries",
    "mycelium.cli",
    "mycelium.config",
    "mycelium.coordination",
    "mycelium.distribution",
    "mycelium.detection",
    "mycelium.errors",
    "mycelium.exit_codes",
    "mycelium.fileio",
    "mycelium.generators",
    "mycelium.hosts",
    "mycelium.qa",
    "mycelium.redaction",
    "mycelium.status",
    "mycelium.telemetry",
    "mycelium.wizard",
)
# The telemetry collector lives beside the client it shares a schema with, but it is the
# maintainers' service (the `collector` extra): the product never loads it. One list, the
# one the QA checklist reads too.
MAINTAINER = MAINTAINER_PACKAGES
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


# What start-up must not pay for: a command loads these only when it needs them. Not a
# timing (timings belong in `invoke bench`): the list of modules a command loads.
SCHEMA_AND_FILES = ("pydantic", "pydantic_core", "yaml", "filelock", "jinja2")
HEAVY_STDLIB = ("logging", "pathlib", "json", "email", "http", "importlib.metadata")
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def console_scripts() -> dict[str, str]:
    """Each console script of pyproject.toml and its ``module:function``."""
    scripts: dict[str, str] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    return scripts


def isolated_env(cwd: Path) -> dict[str, str]:
    home = cwd / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    for name in ("MYCELIUM_CONFIG", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"):
        env.pop(name, None)
    # Under `invoke rc`'s coverage (patch = subprocess) every child would load coverage: the
    # probe measures what a user's process loads, so it runs unmeasured.
    for name in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"):
        env.pop(name, None)
    return env


def loaded_by_command(entry: str, argv: list[str], cwd: Path) -> set[str]:
    """The modules a console script loads running ``argv`` in ``cwd``, with an empty HOME."""
    module, function = entry.split(":")
    probe = (
        "import sys\n"
        f"from {module} import {function} as main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\n'.join(['--modules--', *sys.modules]))\n"
    )
    env = isolated_env(cwd)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )
    return set(out.stderr.split("--modules--", 1)[1].split())


def _loaded_any(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("script", sorted(console_scripts()))
def test_a_console_scripts_help_loads_nothing_but_argparse_and_mycelium(
    script: str, tmp_path: Path
) -> None:
    loaded = loaded_by_command(console_scripts()[script], ["--help"], tmp_path)
    own = {*sys.stdlib_module_names, "mycelium", "__main__"}
    third_party = sorted(m for m in loaded if m.split(".")[0] not in own)
    assert third_party == []
    assert _loaded_any(loaded, HEAVY_STDLIB) == []


def test_a_scan_without_a_saved_configuration_loads_no_schema_or_yaml(tmp_path: Path) -> None:
    from mycelium.detection.docker import candidate_endpoints

    entry = console_scripts()["mycelium-onboarding"]
    loaded = loaded_by_command(entry, ["--detect", "--json", "--timeout", "50"], tmp_path)
    assert "mycelium.detection.detector" in loaded  # it did scan
    assert _loaded_any(loaded, SCHEMA_AND_FILES) == []
    assert _loaded_any(loaded, ("mycelium.config.models", "mycelium.config.loader")) == []
    endpoints, _ = candidate_endpoints(isolated_env(tmp_path))
    if not any(Path(e.display).exists() for e in endpoints):
        # No Docker socket to ask: its HTTP client (and the email package) stays out.
        assert _loaded_any(loaded, ("http", "email")) == []


def test_a_scan_with_a_saved_configuration_reads_its_ports_without_the_schema(
    tmp_path: Path,
) -> None:
    config = tmp_path / "mycelium.yaml"
    config.write_text("schema_version: 2\nservices:\n  redis:\n    port: 6390\n")
    entry = console_scripts()["mycelium-onboarding"]
    loaded = loaded_by_command(
        entry, ["--detect", "--json", "--timeout", "50", "--config", str(config)], tmp_path
    )
    assert "mycelium.config.quick_read" in loaded  # it read the file...
    assert _loaded_any(loaded, ("pydantic", "pydantic_core", "mycelium.config.models")) == []


def test_reading_a_configuration_takes_no_lock_and_renders_no_template(tmp_path: Path) -> None:
    config = tmp_path / "mycelium.yaml"
    config.write_text("project_name: demo\n", encoding="utf-8")
    entry = console_scripts()["mycelium-configuration"]
    for command in (["show"], ["validate"], ["show", "--json"]):
        loaded = loaded_by_command(entry, [*command, "--config", str(config)], tmp_path)
        assert "mycelium.config.models" in loaded  # the file was validated, as strictly
        assert _loaded_any(loaded, ("filelock", "jinja2", "mycelium.config.messages")) == []


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
