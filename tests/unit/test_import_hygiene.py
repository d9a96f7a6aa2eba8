"""The product never loads the maintainer libraries, and --help never loads the heavy ones."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import mycelium

FORBIDDEN = ("fabric", "paramiko", "github", "git", "invoke", "tomlkit")


def product_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(mycelium.__path__, "mycelium.")
        if not info.name.startswith("mycelium.release")
    ]
    assert "mycelium.cli.configuration" in names
    return names


def loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in out.stdout.split()}


def test_no_product_module_imports_a_maintainer_library() -> None:
    imports = "\n".join(f"import {name}" for name in product_modules())
    assert loaded_after(imports).isdisjoint(FORBIDDEN)


def test_a_console_scripts_parser_loads_no_heavy_library() -> None:
    code = (
        "from mycelium.cli import configuration, onboarding, generate, test, qa\n"
        "configuration.build_parser()\n"
        "generate.build_parser()"
    )
    assert loaded_after(code).isdisjoint(
        {"pydantic", "yaml", "redis", "jinja2", "psycopg", *FORBIDDEN}
    )
