"""Build, install and check the healthy control and every mutant, each in its own venv.

Each build starts from a copy of the project's source (``mycelium/``, ``pyproject.toml``,
``README.md``) with one mutant applied; ``uv build --wheel`` makes its wheel, ``uv venv`` and
``uv pip install`` a fresh environment, and that environment's ``mycelium-qa`` runs the
categories holding the checks the register names for the mutant's promise. A mutant is
``killed`` when a check fails or errors (or the checklist cannot even report), ``survived``
when everything passes, ``error`` when the mutant could not be built or applied. The healthy
control runs the union of those categories and must pass: otherwise it is a false alarm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.errors import ReleaseError
from mycelium.release.mutate.mutants import Mutant, load_mutants
from mycelium.release.mutate.outcome import MutationReport, Outcome, State
from mycelium.release.mutate.register import read_register

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mycelium.release.mutate.register import Promise

CONTROL: Final = "healthy"
SOURCE: Final = ("mycelium", "pyproject.toml", "README.md")
STEP_TIMEOUT_S: Final = 600


@dataclass(frozen=True)
class MutateOptions:
    root: Path
    names: tuple[str, ...] = ()
    jobs: int = 0  # 0: one per core
    reports: Path | None = None  # default <root>/reports
    whole_checklist: bool = False  # every category for every build, not only the promise's


def categories_of(promise: Promise) -> tuple[str, ...]:
    from mycelium.qa.checks import CATEGORIES, all_checks  # noqa: PLC0415

    by_name = {c.name: c.category for c in all_checks()}
    unknown = [name for name in promise.checks if name not in by_name]
    if unknown:
        raise ReleaseError(f"promise {promise.id} names checks that do not exist: {unknown}")
    wanted = {by_name[name] for name in promise.checks}
    return tuple(c for c in CATEGORIES if c in wanted)


def run_mutation(
    options: MutateOptions, on_outcome: Callable[[Outcome], None] = lambda _o: None
) -> MutationReport:
    """The control and every selected mutant, ``jobs`` at a time; writes the report."""
    uv = shutil.which("uv")
    if uv is None:
        raise ReleaseError("invoke mutate needs uv on PATH (https://docs.astral.sh/uv/)")
    root = options.root
    promises = {p.id: p for p in read_register(root / "docs" / "QA.md")}
    mutants = load_mutants(root / "tests" / "mutants", options.names)
    plan: list[tuple[Mutant | None, tuple[str, ...]]] = []
    for mutant in mutants:
        promise = promises.get(mutant.promise)
        if promise is None or not promise.checks:
            raise ReleaseError(
                f"mutant {mutant.name}: promise {mutant.promise!r} is not a row of the register "
                "with checks (docs/QA.md, The promise register)"
            )
        plan.append((mutant, () if options.whole_checklist else categories_of(promise)))
    union = sorted({c for _, cats in plan for c in cats})
    from mycelium.qa.checks import CATEGORIES  # noqa: PLC0415

    control_cats = () if options.whole_checklist else tuple(c for c in CATEGORIES if c in union)
    version = _project_version(root)
    started = time.monotonic()
    jobs = options.jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="mycelium-mutate-") as tmp:
        work = Path(tmp)
        builds = [(None, control_cats), *plan]

        def one(item: tuple[Mutant | None, tuple[str, ...]]) -> Outcome:
            outcome = _build_and_check(uv, root, work, version, *item)
            on_outcome(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            outcomes = list(pool.map(one, builds))
    report = MutationReport(
        version=version,
        control=outcomes[0],
        mutants=tuple(outcomes[1:]),
        seconds=round(time.monotonic() - started, 1),
    )
    return _write(report, (options.reports or root / "reports") / version)


def _project_version(root: Path) -> str:
    import tomllib  # noqa: PLC0415

    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def _build_and_check(  # noqa: PLR0917 - one build's every input, called from one place
    uv: str,
    root: Path,
    work: Path,
    version: str,
    mutant: Mutant | None,
    categories: Sequence[str],
) -> Outcome:
    name = mutant.name if mutant else CONTROL
    started = time.monotonic()

    def outcome(state: State, killed_by: tuple[str, ...] = (), note: str = "") -> Outcome:
        return Outcome(
            name=name,
            promise=mutant.promise if mutant else "",
            description=mutant.description if mutant else "the build as it is",
            categories=tuple(categories),
            state=state,
            killed_by=killed_by,
            note=note,
            seconds=round(time.monotonic() - started, 1),
        )

    here = work / name
    source = here / "src"
    source.mkdir(parents=True)
    for part in SOURCE:
        origin = root / part
        if origin.is_dir():
            shutil.copytree(origin, source / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / part)
    try:
        if mutant is not None:
            mutant.apply(source)
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
        _step(env, [uv, "build", "--wheel", "--out-dir", str(here / "dist"), str(source)])
        [wheel] = sorted((here / "dist").glob("*.whl"))
        venv = here / "venv"
        _step(env, [uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
        python = venv / "bin" / "python"
        _step(env, [uv, "pip", "install", "--quiet", "--python", str(python), str(wheel)])
    except ReleaseError as exc:
        return outcome(State.ERROR, note=str(exc))
    report = here / "qa_report.json"
    only = ["--only", ",".join(categories)] if categories else []
    proc = subprocess.run(
        [str(venv / "bin" / "mycelium-qa"), "--report", str(report), "--expect-version",
         version, *only],
        capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False, env=env,
        cwd=here, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    caught = _caught(report, proc)
    if mutant is None:
        return outcome(State.FALSE_ALARM, caught) if caught else outcome(State.PASSED)
    return outcome(State.KILLED, caught) if caught else outcome(State.SURVIVED)


def _caught(report: Path, proc: subprocess.CompletedProcess[str]) -> tuple[str, ...]:
    """The checks that failed or errored; a checklist that could not report is caught too."""
    from mycelium.qa.report import QAReport  # noqa: PLC0415
    from mycelium.status import Status  # noqa: PLC0415

    try:
        parsed = QAReport.model_validate_json(report.read_bytes())
    except (OSError, ValueError):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return (f"<no report: mycelium-qa exited {proc.returncode}: {tail[0][:160]}>",)
    bad = {Status.FAIL, Status.ERROR}
    return tuple(f"{r.category}/{r.test}" for r in parsed.results if r.status in bad)


def _step(env: dict[str, str], command: list[str]) -> None:
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False,
            env=env, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"{' '.join(command[1:3])} ran past {STEP_TIMEOUT_S}s") from None
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise ReleaseError(f"{' '.join(command[1:3])} exited {proc.returncode}: {tail[:400]}")


def _write(report: MutationReport, directory: Path) -> MutationReport:
    from mycelium.fileio import atomic_write  # noqa: PLC0415
    from mycelium.release.mutate.render import render_markdown  # noqa: PLC0415

    directory.mkdir(parents=True, exist_ok=True)
    data = {
        "version": report.version,
        "seconds": report.seconds,
        "ok": report.ok,
        "control": asdict(report.control),
        "mutants": [asdict(m) for m in report.mutants],
    }
    as_json = directory / "mutation_report.json"
    as_md = directory / "mutation_report.md"
    atomic_write(as_json, (json.dumps(data, indent=2) + "\n").encode("utf-8"), 0o644)
    atomic_write(as_md, render_markdown(report).encode("utf-8"), 0o644)
    return MutationReport(
        version=report.version,
        control=report.control,
        mutants=report.mutants,
        seconds=report.seconds,
        paths=(as_json, as_md),
    )
