"""installation: the wheel is installed whole and every entry point starts."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata, resources

from mycelium.qa.checklist import CheckFailedError, Details, QAContext, check

SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))
MAINTAINER_LIBRARIES = ("fabric", "paramiko", "github", "git", "invoke")


@check("installation")
def python_version_supported(_ctx: QAContext) -> Details:
    version = sys.version_info[:2]
    shown = ".".join(map(str, version))
    if version not in SUPPORTED_PYTHONS:
        supported = ", ".join(".".join(map(str, v)) for v in SUPPORTED_PYTHONS)
        raise CheckFailedError(f"Python {shown} is not supported ({supported} are)")
    return {"python": shown}


@check("installation")
def package_importable(_ctx: QAContext) -> Details:
    import mycelium  # noqa: PLC0415 - the import itself is what is checked

    return {"version": mycelium.__version__}


@check("installation")
def version_matches_expected(ctx: QAContext) -> Details:
    installed = metadata.version("mycelium")
    if ctx.expect_version is None:
        return {"installed": installed, "expected": None}
    from packaging.version import Version  # noqa: PLC0415

    if Version(installed) != Version(ctx.expect_version):
        raise CheckFailedError(
            f"installed version {installed} is not the expected {ctx.expect_version}"
        )
    return {"installed": installed, "expected": ctx.expect_version}


def _scripts() -> tuple[str, ...]:
    """Every console script the installed distribution declares: a new one is checked too."""
    from mycelium.distribution import console_scripts  # noqa: PLC0415

    names = console_scripts()
    if not names:
        raise CheckFailedError("the installed mycelium declares no console scripts")
    return names


@check("installation", timeout_s=90)
def console_scripts_answer_help(ctx: QAContext) -> Details:
    problems = []
    scripts = _scripts()
    for name in scripts:
        exe = ctx.console_script(name)
        proc = subprocess.run(
            [str(exe), "--help"], capture_output=True, text=True, timeout=30, check=False
        )
        if proc.returncode != 0 or not proc.stdout.startswith(f"usage: {name}"):
            last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            problems.append(f"{name} --help exited {proc.returncode}: {last[0]}")
    if problems:
        raise CheckFailedError("; ".join(problems))
    return {"scripts": list(scripts)}


def _each_script(ctx: QAContext, *args: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every console script with ``args``, a few at a time (each is a whole interpreter)."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    def one(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ctx.console_script(name)), *args], capture_output=True, text=True,
            timeout=30, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    scripts = _scripts()
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(scripts, pool.map(one, scripts), strict=True))


@check("installation", timeout_s=90)
def console_scripts_print_their_version(ctx: QAContext) -> Details:
    """``NAME --version`` prints ``NAME <installed version>`` on stdout and exits 0."""
    installed = metadata.version("mycelium")
    problems = [
        f"{name} --version exited {proc.returncode} printing {proc.stdout.strip()[:80]!r}"
        for name, proc in _each_script(ctx, "--version").items()
        if proc.returncode != 0 or proc.stdout.strip() != f"{name} {installed}"
    ]
    if problems:
        raise CheckFailedError("; ".join(problems), {"installed": installed})
    return {"version": installed}


@check("installation", timeout_s=90)
def console_scripts_refuse_unknown_options(ctx: QAContext) -> Details:
    """A usage error is exit 2 with one ``NAME: error:`` line and the usage, no traceback,
    nothing on stdout."""
    problems = []
    for name, proc in _each_script(ctx, "--no-such-option").items():
        lines = proc.stderr.strip().splitlines()
        if (
            proc.returncode != 2  # noqa: PLR2004 - the documented usage exit code
            or proc.stdout.strip()
            or "Traceback" in proc.stderr
            or not lines
            or not lines[-1].startswith(f"{name}: error:")
        ):
            last = lines[-1] if lines else "nothing on stderr"
            problems.append(f"{name} exited {proc.returncode}: {last[:120]}")
    if problems:
        raise CheckFailedError("; ".join(problems))
    return {"scripts": len(_scripts())}


@check("installation")
def package_data_present(_ctx: QAContext) -> Details:
    try:
        templates = resources.files("mycelium.generators") / "templates"
    except ModuleNotFoundError:
        raise CheckFailedError(
            "the package mycelium.generators is missing from the wheel"
        ) from None
    names = (
        sorted(entry.name for entry in templates.iterdir() if entry.name.endswith(".j2"))
        if templates.is_dir()
        else []
    )
    if not names:
        raise CheckFailedError("no templates (*.j2) in mycelium/generators/templates")
    return {"templates": names}


@check("installation", timeout_s=90)
def no_maintainer_libraries_in_the_product(_ctx: QAContext) -> Details:
    probe = (
        "import pkgutil, sys, mycelium\n"
        "from mycelium.distribution import is_maintainer_module\n"
        "for m in pkgutil.walk_packages(mycelium.__path__, 'mycelium.'):\n"
        "    if not is_maintainer_module(m.name):\n"
        "        __import__(m.name)\n"
        "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        last = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise CheckFailedError(f"importing the product failed: {last[-600:]}")
    loaded = set(proc.stdout.split())
    leaked = sorted(loaded.intersection(MAINTAINER_LIBRARIES))
    if leaked:
        raise CheckFailedError(f"the product imports maintainer libraries: {', '.join(leaked)}")
    return {"modules_loaded": len(loaded)}


CHECKS = (
    python_version_supported,
    package_importable,
    version_matches_expected,
    console_scripts_answer_help,
    console_scripts_print_their_version,
    console_scripts_refuse_unknown_options,
    package_data_present,
    no_maintainer_libraries_in_the_product,
)
