"""``invoke bench --compare REF``: two builds on this machine, interleaved A B A B.

Two runs made at different times on a shared machine differ by whatever else the machine
did meanwhile; runs that alternate within one session share that noise, so what is left
is the difference between the builds. A is the REF, built in a temporary ``git worktree``;
B is this working tree (or ``--wheel``). Each is installed in its own virtualenv; each
round runs ``mycelium-bench`` for A then B; every round's samples of an operation are merged
per build, and the two merged reports are compared (``compare.py``).
"""

from __future__ import annotations

import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium.bench.grading import grade
from mycelium.bench.report import Noise, Operation, PerformanceReport
from mycelium.errors import ReleaseError, UsageError
from mycelium.fileio import atomic_write
from mycelium.release.bench.compare import (
    ALPHA,
    FingerprintMismatchError,
    compare_reports,
    confirm_by_rounds,
    round_ratio,
)
from mycelium.release.bench.layout import INTERLEAVED_DIR, MATRIX_NAME, SVG_NAME
from mycelium.release.bench.outcome import BenchResult, bench_flags, overall_exit_code
from mycelium.release.bench.plot import MISSING, matplotlib_available, write_svg
from mycelium.release.bench.render import Column, render_markdown
from mycelium.release.bench.reports import load_old_report
from mycelium.release.dev.build import build
from mycelium.release.qa.cells import Cell, CellState
from mycelium.release.qa.command import git_commit_of, wheel_info
from mycelium.release.qa.layout import contained
from mycelium.status import Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mycelium.release.bench.outcome import BenchOptions, CompareTarget
    from mycelium.release.qa.host import WheelInfo

log = logging.getLogger("mycelium")

SETUP_TIMEOUT_S: Final = 600.0  # a worktree, a build, a virtualenv with its install
_NOISY_RELATIVE_STDEV: Final = 0.10  # as a merged figure's noise is judged


@dataclass(frozen=True)
class Build:
    wheel: WheelInfo
    commit: str  # "" when unknown


def run_interleaved(options: BenchOptions, target: CompareTarget) -> BenchResult:
    assert target.commit is not None  # noqa: S101 - the caller resolved the ref
    if options.rounds < 1:
        raise UsageError(f"--rounds {options.rounds}: at least 1")
    wheel_b = wheel_info(options.project_dir, options.wheel)
    commit_b = git_commit_of(options.project_dir)
    python = options.pythons[0] if options.pythons else sys.executable
    with tempfile.TemporaryDirectory(prefix="mycelium-bench-") as scratch:
        work = Path(scratch)
        wheel_a = _build_ref(options.project_dir, target.commit, work)
        name_a = f"A: {target.ref} ({target.commit[:10]}, mycelium {wheel_a.version})"
        b_what = "--wheel " + wheel_b.path.name if options.wheel else "this working tree"
        name_b = f"B: {b_what} ({commit_b[:10] or 'no commit'}, mycelium {wheel_b.version})"
        log.info("A = %s", name_a)
        log.info("B = %s", name_b)
        builds = {
            "A": (_venv(work / "venv-a", python, wheel_a.path), Build(wheel_a, target.commit)),
            "B": (_venv(work / "venv-b", python, wheel_b.path), Build(wheel_b, commit_b)),
        }
        runs: dict[str, list[PerformanceReport]] = {"A": [], "B": []}
        flags = bench_flags(quick=options.quick, only=options.only)
        for round_no in range(1, options.rounds + 1):
            for side, (venv, which) in builds.items():
                log.info("round %d/%d: %s", round_no, options.rounds, side)
                runs[side].append(
                    _bench_once(
                        venv,
                        which,
                        work / f"{side}-{round_no}",
                        flags,
                        timeout=options.task_timeout,
                    )
                )
    merged_a = merge_reports(runs["A"])
    merged_b = merge_reports(runs["B"])
    out = contained(options.reports_root, wheel_b.version) / INTERLEAVED_DIR
    out.mkdir(parents=True, exist_ok=True)
    for side, report in (("A", merged_a), ("B", merged_b)):
        atomic_write(out / f"{side}.json", report.model_dump_json(indent=2).encode("utf-8"))
    columns = [Column(name_a, merged_a), Column(name_b, merged_b)]
    comparisons, refused = [], []
    try:
        compared = compare_reports(
            merged_a,
            merged_b,
            tolerance=options.tolerance,
            alpha=ALPHA,
            force=options.force,
            old_name=name_a,
            new_name=name_b,
        )
        comparisons.append(confirm_by_rounds(compared, per_round_ratios(runs["A"], runs["B"])))
    except FingerprintMismatchError as exc:
        refused.append(str(exc))
    cells = [_cell("A", merged_a), _cell("B", merged_b)]
    meta = (
        f"{options.rounds} round(s) of A then B on this machine; samples merged per build. "
        f"A = {name_a}; B = {name_b}"
    )
    matrix_path = out / MATRIX_NAME
    atomic_write(
        matrix_path,
        render_markdown(
            f"Benchmarks: A against B, interleaved (mycelium {wheel_b.version})",
            meta,
            columns=columns,
            cells=cells,
            comparisons=comparisons,
            refused=refused,
        ).encode("utf-8"),
    )
    svg_path = write_svg(out / SVG_NAME, columns, {}) if matplotlib_available() else None
    return BenchResult(
        version=wheel_b.version,
        cells=cells,
        columns=columns,
        comparisons=comparisons,
        refused=refused,
        matrix_path=matrix_path,
        svg_path=svg_path,
        svg_note="" if svg_path else MISSING,
        # The answer is about B: A past a threshold is history, not this build's failure.
        exit_code=overall_exit_code(cells[1:], comparisons, refused),
        builds=(name_a, name_b),
    )


def per_round_ratios(
    rounds_a: Sequence[PerformanceReport], rounds_b: Sequence[PerformanceReport]
) -> dict[str, list[float]]:
    """Each operation's ratio of medians (B / A) in every round that measured it on both."""
    ratios: dict[str, list[float]] = {}
    for a, b in zip(rounds_a, rounds_b, strict=True):
        ops_a = {op.name: op for op in a.operations}
        for op in b.operations:
            ratio = round_ratio(ops_a.get(op.name), op)
            if ratio is not None:
                ratios.setdefault(op.name, []).append(ratio)
    return ratios


def _cell(side: str, report: PerformanceReport) -> Cell:
    failing = tuple(op.name for op in report.operations if op.status in {Status.FAIL, Status.ERROR})
    measured = [op for op in report.operations if op.status is not Status.SKIP]
    return Cell(
        host="localhost",
        python=side,
        state=CellState.PASS if report.ok else CellState.FAILED,
        passed=sum(op.status is Status.PASS for op in measured),
        total=len(measured),
        message="" if report.ok else f"{len(failing)} operation(s) failed",
        failing=failing,
    )


def _run(command: Sequence[str], what: str, *, cwd: Path | None = None,
         timeout: float = SETUP_TIMEOUT_S) -> subprocess.CompletedProcess[str]:  # fmt: skip
    try:
        proc = subprocess.run(
            list(command), cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"{what}: took longer than {timeout:g} s") from None
    except OSError as exc:
        raise ReleaseError(f"{what}: {exc}") from None
    return proc


def _fail(what: str, proc: subprocess.CompletedProcess[str]) -> ReleaseError:
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-10:])
    return ReleaseError(f"{what} failed (exit status {proc.returncode}):\n{tail}")


def _build_ref(project_dir: Path, commit: str, work: Path) -> WheelInfo:
    """The wheel of ``commit``, built in a temporary worktree that is then removed."""
    tree = work / "tree-a"
    what = f"git worktree add {commit[:10]}"
    proc = _run(
        [
            "git",
            "-C",
            str(project_dir),
            "worktree",
            "add",
            "--detach",
            "--quiet",
            str(tree),
            commit,
        ],
        what,
    )
    if proc.returncode != 0:
        raise _fail(what, proc)
    try:
        wheel = build(tree, out_dir=work / "dist-a").wheel
        # The wheel lives in work/, outside the worktree about to be removed.
        return wheel_info(project_dir, wheel)
    finally:
        removed = _run(
            ["git", "-C", str(project_dir), "worktree", "remove", "--force", str(tree)],
            "git worktree remove",
        )
        if removed.returncode != 0:
            log.warning(
                "the temporary worktree %s could not be removed: %s", tree, removed.stderr.strip()
            )


def _venv(path: Path, python: str, wheel: Path) -> Path:
    """A virtualenv at ``path`` with ``wheel`` installed; uv when there is one, else venv/pip."""
    uv = shutil.which("uv")
    if uv:
        steps = [
            [uv, "venv", "--quiet", "--python", python, str(path)],
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",  # as pip does: a measured start never compiles
                "--python",
                str(path / "bin" / "python"),
                str(wheel),
            ],
        ]
    else:
        steps = [
            [python, "-m", "venv", str(path)],
            [
                str(path / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                str(wheel),
            ],
        ]
    for step in steps:
        what = f"installing {wheel.name}"
        proc = _run(step, what)
        if proc.returncode != 0:
            raise _fail(what, proc)
    script = path / "bin" / "mycelium-bench"
    if not script.is_file():
        raise UsageError(
            f"{wheel.name} has no mycelium-bench: --compare REF needs a REF that has the "
            "harness (compare against an older report with --compare OLD.json instead)"
        )
    return path


def _bench_once(
    venv: Path, build: Build, out: Path, flags: Sequence[str], *, timeout: float
) -> PerformanceReport:
    wheel = build.wheel
    out.mkdir(parents=True)
    report = out / "performance_report.json"
    run_id = uuid.uuid4().hex[:12]
    command = [
        str(venv / "bin" / "mycelium-bench"),
        "--report",
        str(report),
        "--profile-dir",
        str(out),
        "--host-alias",
        "localhost",
        "--run-id",
        run_id,
        "--wheel-sha256",
        wheel.sha256,
        "--expect-version",
        wheel.version,
        *flags,
    ]
    if build.commit:
        command += ["--git-commit", build.commit]
    what = f"mycelium-bench of {wheel.path.name}"
    proc = _run(command, what, timeout=timeout)
    if proc.returncode not in {0, 1}:
        raise _fail(what, proc)
    loaded = load_old_report(report)
    if loaded.origin.run_id != run_id or loaded.origin.wheel_sha256 != wheel.sha256:
        raise ReleaseError(f"{what}: the report does not carry this run's id and wheel checksum")
    return loaded


def _quantile(values: Sequence[float], q: int) -> float:
    if len(values) < 2:  # noqa: PLR2004 - quantiles need two values
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def merge_operation(ops: Sequence[Operation]) -> Operation:
    """One operation's rounds as one: every sample, the statistics of them all."""
    first = ops[0]
    samples = [s for op in ops for s in op.samples_s]
    if not samples:
        return first
    median = statistics.median(samples)
    mean = statistics.fmean(samples)
    stdev = statistics.stdev(samples) if len(samples) > 1 else 0.0
    q1, q3 = (_quantile(samples, 25), _quantile(samples, 75)) if len(samples) > 1 else (mean, mean)
    spread = 1.5 * (q3 - q1)
    outliers = sum(s < q1 - spread or s > q3 + spread for s in samples)
    relative = stdev / mean if mean > 0 else 0.0
    noisy = relative > _NOISY_RELATIVE_STDEV or any(op.noise and op.noise.noisy for op in ops)
    found, status = grade(first.name, median)
    return first.model_copy(
        update={
            "samples_s": samples[:10_000],
            "status": status,
            "grade": found,
            "mean_s": mean,
            "median_s": median,
            "p95_s": _quantile(samples, 95),
            "p99_s": _quantile(samples, 99),
            "min_s": min(samples),
            "max_s": max(samples),
            "stdev_s": stdev,
            "noise": Noise(
                relative_stdev=relative,
                outliers=outliers,
                noisy=noisy,
                warning=(
                    f"the standard deviation is {relative:.0%} of the mean across "
                    f"{len(ops)} round(s), {outliers} outlier(s)"
                )
                if noisy
                else None,
            ),
        }
    )


def merge_reports(reports: Sequence[PerformanceReport]) -> PerformanceReport:
    """The rounds of one build as one report (the first round's environment and order)."""
    first = reports[0]
    names = [op.name for op in first.operations]
    for report in reports[1:]:
        names += [op.name for op in report.operations if op.name not in names]
    operations = [
        merge_operation([op for r in reports for op in r.operations if op.name == name])
        for name in names
    ]
    return first.model_copy(
        update={
            "operations": operations,
            "finished_at": reports[-1].finished_at,
        }
    )
