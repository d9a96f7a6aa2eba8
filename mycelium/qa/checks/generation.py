"""generation: the deployment files are generated, valid, private and stable.

Each file is checked by every validator this host has (``docker-compose``, ``just``); a
validator the host lacks makes its check ``skip`` with the reason, never a pass.
"""

from __future__ import annotations

import stat
import subprocess
from typing import TYPE_CHECKING, Any

from mycelium.binaries import locate
from mycelium.qa.checklist import CheckFailedError, CheckSkippedError, Details, QAContext, check

if TYPE_CHECKING:
    from pathlib import Path

CONFIG = {
    "project_name": "qa-generation",
    "services": {
        "redis": {"port": 16379},
        "postgres": {"port": 15432},
        "temporal": {"enabled": True},
    },
}


def _generate(ctx: QAContext, method: str) -> Path:
    """Generate into a fresh directory, once per method and run; the output directory."""
    key = f"generated-{method}"
    if key not in ctx.shared:
        import yaml  # noqa: PLC0415

        workdir = ctx.scratch(f"gen-{method}")
        data: dict[str, Any] = {**CONFIG, "deployment": {"method": method, "output_dir": "out"}}
        (workdir / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        _run_generate(ctx, workdir)
        ctx.shared[key] = workdir / "out"
    found: Path = ctx.shared[key]
    return found


def _run_generate(ctx: QAContext, workdir: Path, *extra: str) -> None:
    proc = subprocess.run(
        [str(ctx.console_script("mycelium-generate")), "--config", "config.yaml", *extra],
        capture_output=True, text=True, timeout=60, check=False, cwd=workdir,
    )  # fmt: skip
    if proc.returncode != 0:
        raise CheckFailedError(
            f"mycelium-generate exited {proc.returncode}: {proc.stderr.strip()[-300:]}"
        )


@check("generation", timeout_s=90)
def compose_file_is_valid_yaml_bound_to_loopback(ctx: QAContext) -> Details:
    import yaml  # noqa: PLC0415

    out = _generate(ctx, "docker-compose")
    try:
        compose = yaml.safe_load((out / "docker-compose.yml").read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CheckFailedError(f"docker-compose.yml is not valid YAML: {exc}") from None
    services = compose.get("services", {}) if isinstance(compose, dict) else {}
    missing = [name for name in ("redis", "postgres", "temporal") if name not in services]
    if missing:
        raise CheckFailedError(f"docker-compose.yml lacks the enabled services {missing}")
    exposed = [
        f"{name}: {port}"
        for name, body in services.items()
        for port in body.get("ports", [])
        if not str(port).startswith("127.0.0.1:")
    ]
    if exposed:
        raise CheckFailedError(f"ports published beyond 127.0.0.1: {exposed}")
    return {"services": sorted(services)}


@check("generation", timeout_s=90)
def compose_file_passes_the_security_lint(ctx: QAContext) -> Details:
    from mycelium.generators.lint import lint_compose  # noqa: PLC0415

    path = _generate(ctx, "docker-compose") / "docker-compose.yml"
    findings = lint_compose(path.read_text(encoding="utf-8"), path.name)
    if findings:
        raise CheckFailedError("; ".join(f.format() for f in findings)[:400])
    return {}


@check("generation", timeout_s=90)
def compose_file_accepted_by_docker_compose(ctx: QAContext) -> Details:
    tool = locate("docker-compose")
    if tool is None:
        raise CheckSkippedError("docker-compose is not installed on this host")
    out = _generate(ctx, "docker-compose")
    proc = subprocess.run(
        [str(tool), "-f", "docker-compose.yml", "config", "-q"],
        capture_output=True, text=True, timeout=60, check=False, cwd=out,
    )  # fmt: skip
    if proc.returncode != 0:
        raise CheckFailedError(f"docker-compose config rejected it: {proc.stderr.strip()[-300:]}")
    return {"validator": "docker-compose config -q"}


@check("generation", timeout_s=90)
def justfile_accepted_by_just(ctx: QAContext) -> Details:
    tool = locate("just")
    if tool is None:
        raise CheckSkippedError("just is not installed on this host")
    out = _generate(ctx, "justfile")
    proc = subprocess.run(
        [str(tool), "--justfile", "Justfile", "--summary"],
        capture_output=True, text=True, timeout=60, check=False, cwd=out,
    )  # fmt: skip
    if proc.returncode != 0 or "up" not in proc.stdout.split():
        raise CheckFailedError(f"just rejected the Justfile: {proc.stderr.strip()[-300:]}")
    return {"recipes": len(proc.stdout.split())}


@check("generation", timeout_s=90)
def env_file_is_private(ctx: QAContext) -> Details:
    modes = {}
    for method in ("docker-compose", "justfile"):
        env = _generate(ctx, method) / ".env"
        modes[method] = f"{stat.S_IMODE(env.stat().st_mode):04o}"
    wrong = {m: mode for m, mode in modes.items() if mode != "0600"}
    if wrong:
        raise CheckFailedError(f".env is readable by others: {wrong}")
    return modes


@check("generation", timeout_s=90)
def generated_files_are_lf_only_utf8(ctx: QAContext) -> Details:
    checked = []
    for method in ("docker-compose", "justfile"):
        out = _generate(ctx, method)
        for path in sorted(p for p in out.iterdir() if p.is_file()):
            data = path.read_bytes()
            if b"\r" in data:
                raise CheckFailedError(f"{path.name} has CR line endings")
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise CheckFailedError(f"{path.name} is not UTF-8") from None
            checked.append(path.name)
    return {"files": sorted(set(checked))}


@check("generation", timeout_s=90)
def secrets_are_stable_across_runs(ctx: QAContext) -> Details:
    out = _generate(ctx, "docker-compose")
    before = (out / ".env").read_bytes()
    _run_generate(ctx, out.parent)
    after = (out / ".env").read_bytes()
    if after != before:
        raise CheckFailedError("a second run changed the passwords in .env")
    mode = stat.S_IMODE((out / ".env").stat().st_mode)
    if mode != 0o600:  # noqa: PLR2004
        raise CheckFailedError(f"after the second run .env has mode {mode:04o}")
    return {"variables": before.count(b"=")}


@check("generation", timeout_s=90)
def env_file_is_listed_in_gitignore(ctx: QAContext) -> Details:
    out = _generate(ctx, "docker-compose")
    ignore = out / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    if ".env" not in (line.strip() for line in lines):
        raise CheckFailedError(".gitignore beside the generated files does not list .env")
    return {"lines": len(lines)}


@check("generation", timeout_s=90)
def an_edited_file_is_never_overwritten(ctx: QAContext) -> Details:
    """A rerun refuses (exit 1, nothing written, the file named); ``--force`` keeps the
    user's version as ``.bak``."""
    workdir = ctx.scratch("edited")
    import shutil  # noqa: PLC0415

    shutil.copytree(_generate(ctx, "justfile").parent, workdir, dirs_exist_ok=True)
    justfile = workdir / "out" / "Justfile"
    edited = justfile.read_text(encoding="utf-8") + "\n# my own recipe notes\n"
    justfile.write_text(edited, encoding="utf-8")
    proc = subprocess.run(
        [str(ctx.console_script("mycelium-generate")), "--config", "config.yaml"],
        capture_output=True, text=True, timeout=60, check=False, cwd=workdir,
    )  # fmt: skip
    if proc.returncode != 1 or "Justfile" not in proc.stderr:
        raise CheckFailedError(
            f"a rerun over an edited Justfile exited {proc.returncode}, not 1 naming it: "
            f"{proc.stderr.strip()[-200:]}"
        )
    if justfile.read_text(encoding="utf-8") != edited:
        raise CheckFailedError("a rerun overwrote the Justfile the user edited")
    _run_generate(ctx, workdir, "--force")
    backup = justfile.with_name("Justfile.bak")
    if not backup.exists() or backup.read_text(encoding="utf-8") != edited:
        raise CheckFailedError("--force did not keep the user's version as Justfile.bak")
    return {"refusal": proc.stderr.strip().splitlines()[-1][:200]}


CHECKS = (
    compose_file_is_valid_yaml_bound_to_loopback,
    compose_file_passes_the_security_lint,
    compose_file_accepted_by_docker_compose,
    justfile_accepted_by_just,
    env_file_is_private,
    generated_files_are_lf_only_utf8,
    secrets_are_stable_across_runs,
    env_file_is_listed_in_gitignore,
    an_edited_file_is_never_overwritten,
)
