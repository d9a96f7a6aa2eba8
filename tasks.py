"""Maintainer tasks. Each one reads its flags and calls one function in ``mycelium.release``.

Run ``uv run invoke --list`` for the list, ``uv run invoke --help TASK`` for a task's flags.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from mycelium.errors import MyceliumError
from mycelium.release import defaults

if TYPE_CHECKING:
    from invoke.context import Context

    from mycelium.release.remote.transport import SSHOptions

ROOT = Path(__file__).resolve().parent


@task(
    help={
        "unit": "run only tests/unit (no servers, no system tools)",
        "integration": "run only tests/integration",
        "keyword": "only tests whose names match this pytest -k expression",
        "no-install": "never install missing system tools; stop and print the command instead",
    }
)
def test(
    c: Context,
    unit: bool = False,
    integration: bool = False,
    keyword: str | None = None,
    no_install: bool = False,
) -> None:
    """Run the whole test suite, installing the system tools it needs first."""
    from mycelium.release.dev.testing import run_suite

    paths = ["tests/unit"] if unit else ["tests/integration"] if integration else ["tests"]
    try:
        code = run_suite(ROOT, paths=paths, keyword=keyword, install=not no_install)
    except MyceliumError as exc:
        raise Exit(f"invoke test: {exc}", code=exc.exit_code) from None
    if code != 0:
        raise Exit(code=code)


@task
def lint(c: Context) -> None:
    """Check style and types: ruff check, ruff format --check, mypy; actionlint on workflows."""
    from mycelium.release.rc.actionlint import lint_workflows

    for command in ("ruff check .", "ruff format --check .", "mypy"):
        c.run(command, echo=True, pty=False)
    print("actionlint .github/workflows")
    try:
        report = lint_workflows(ROOT)
    except MyceliumError as exc:
        raise Exit(f"invoke lint: actionlint: {exc}", code=exc.exit_code) from None
    if report.findings:
        raise Exit("\n".join(map(str, report.findings)), code=1)
    print(f"actionlint: {', '.join(report.files) or 'no workflow'}: no finding")


@task
def build(c: Context) -> None:
    """Build the wheel and sdist into dist/ and write dist/SHA256SUMS."""
    from mycelium.release.dev.build import build as build_dist

    try:
        result = build_dist(ROOT)
    except MyceliumError as exc:
        raise Exit(f"invoke build: {exc}", code=exc.exit_code) from None
    for path in (result.wheel, result.sdist, result.checksums):
        print(path.relative_to(ROOT))


# The flags `invoke qa` and `invoke bench` share: the same hosts, reached the same way.
FLEET_HELP = {
    "inventory": "inventory file (Ansible YAML); default inventory/hosts.yml",
    "forks": f"hosts to run at once (default: all selected, at most {defaults.MAX_FORKS})",
    "reports": "directory for reports/<version>/... (default reports)",
    "timeout": "seconds one step (a command, a file transfer) may take on a host before it "
    f"is killed (default {defaults.STEP_TIMEOUT_S:g})",
    "connect-timeout": "seconds to wait for a host to answer SSH "
    f"(default {defaults.CONNECT_TIMEOUT_S:g})",
    "accept-new-host-keys": "add unknown host keys to known_hosts (changed keys stay refused)",
    "keep": "leave each host's run directory in place (for debugging)",
    "verbose": "stream every command's output with a host prefix",
    "offline": "push a wheelhouse of every dependency: hosts install without an index",
}


@task(
    help={
        **FLEET_HELP,
        "hosts": "Ansible host pattern (all, group, a:b, a:&b, a:!b, ~regex); default localhost",
        "python": "interpreters to test instead of mycelium_pythons (comma list, repeatable)",
        "rerun-failed": "run again only the cells that did not pass in the last run",
        "junit": "also write JUnit XML here (one testcase per host x python x check)",
        "list-hosts": "only show which hosts the pattern selects",
        "wheel": "test this wheel instead of building one",
        "allow-missing": "an interpreter a host lacks is 'absent', not a failure",
    },
    iterable=["python"],
)
def qa(
    c: Context,
    hosts: str = "localhost",
    inventory: str = "inventory/hosts.yml",
    forks: int = 0,
    python: list[str] | None = None,
    rerun_failed: bool = False,
    junit: str | None = None,
    list_hosts: bool = False,
    timeout: float = defaults.STEP_TIMEOUT_S,
    connect_timeout: float = defaults.CONNECT_TIMEOUT_S,
    accept_new_host_keys: bool = False,
    wheel: str | None = None,
    reports: str = "reports",
    keep: bool = False,
    allow_missing: bool = False,
    verbose: bool = False,
    offline: bool = False,
) -> None:
    """Build the wheel, run the QA checklist on every selected host, print the matrix."""
    from mycelium.cli._app import setup_logging
    from mycelium.release.qa.command import QACommandOptions, run_qa_command, selected_hosts
    from mycelium.release.qa.progress import HostProgress
    from mycelium.release.qa.render import render_host_list, render_text

    setup_logging()
    pythons = tuple(name for value in python or () for name in _names(value))
    progress: HostProgress | None = None
    try:
        if list_hosts:
            print(render_host_list(selected_hosts(Path(inventory), hosts), pythons))
            return
        progress = HostProgress(verbose=verbose)
        result = run_qa_command(
            QACommandOptions(
                project_dir=ROOT,
                inventory=Path(inventory),
                playbook=ROOT / "playbooks" / "qa.yml",
                reports_root=Path(reports).resolve(),
                pattern=hosts,
                forks=forks or None,
                pythons=pythons,
                keep=keep,
                allow_missing=allow_missing,
                offline=offline,
                rerun_failed=rerun_failed,
                junit=Path(junit) if junit else None,
                wheel=Path(wheel) if wheel else None,
                task_timeout=timeout,
                ssh=_ssh(connect_timeout, accept_new_host_keys, step_timeout=timeout),
            ),
            progress,
        )
    except MyceliumError as exc:
        raise Exit(f"invoke qa: {exc}", code=exc.exit_code) from None
    finally:
        if progress is not None:
            progress.close()
    print(render_text(result.cells))
    print(f"\nwrote {_shown(result.matrix_path)} and {_shown(result.summary_path)}")
    if result.interrupted:
        raise Exit("invoke qa: interrupted", code=130)
    if result.exit_code:
        raise Exit(code=result.exit_code)


@task(
    help={
        "version": "the version to preview (default: the last release, bumped as the commits ask)",
        "since": "list the commits after this tag, branch or sha (default: the last release tag)",
    }
)
def changelog(c: Context, version: str | None = None, since: str | None = None) -> None:
    """Preview the next CHANGELOG.md section from the conventional commits; write nothing."""
    import sys
    from datetime import datetime

    from mycelium.release.publish.changelog import preview_changelog

    today = datetime.now().astimezone().date()  # the maintainer's own calendar day
    try:
        preview = preview_changelog(ROOT, version=version, since_ref=since, today=today)
    except MyceliumError as exc:
        raise Exit(f"invoke changelog: {exc}", code=exc.exit_code) from None
    print(preview.reason, file=sys.stderr)
    if preview.warning:
        print(f"warning: {preview.warning}", file=sys.stderr)
    print(preview.text, end="")


@task(
    help={
        "version": "the version to release: 1.0.0, 1.0.0-rc.1 (tag v1.0.0-rc.1, package 1.0.0rc1)",
        "dry-run": "build, check and test-install, probe GitHub read-only; print the plan and "
        "the notes; write nothing",
        "draft": "stop before publishing: the GitHub release stays a draft",
        "skip-qa": "release without the QA gate; the REASON goes in the release notes",
        "skip-bench": "release without the bench gate; the REASON goes in the release notes",
        "sign": "sign the tag (git tag -s) instead of annotating it",
        "replace": "overwrite a release asset whose sha256 differs from the local file",
        "repo": "OWNER/NAME on GitHub (default: GITHUB_REPOSITORY, else the origin remote)",
        "inventory": "the inventory whose mycelium_required hosts the QA gate insists on",
        "reports": "directory holding reports/<version>/... (default reports)",
        "strict": "a version bump smaller than the commits call for is an error",
        "branch": "the release branch (default main; a hotfix: release/1.2)",
        "accept-open-bugs": "release a final version although Critical/High beta bugs of its "
        "RCs are open; the REASON goes in the release notes",
    }
)
def release(
    c: Context,
    version: str,
    dry_run: bool = False,
    draft: bool = False,
    skip_qa: str | None = None,
    skip_bench: str | None = None,
    sign: bool = False,
    replace: bool = False,
    repo: str | None = None,
    inventory: str = "inventory/hosts.yml",
    reports: str = "reports",
    strict: bool = False,
    branch: str = "main",
    accept_open_bugs: str | None = None,
) -> None:
    """Release VERSION: prepare, pass the QA/bench gates, tag, push, publish on GitHub."""
    version = _version_given("release", version)
    from mycelium.cli._app import setup_logging
    from mycelium.release.publish.command import ReleaseOptions, render
    from mycelium.release.publish.command import release as run

    setup_logging()
    try:
        outcome = run(
            ReleaseOptions(
                project_dir=ROOT,
                version=version,
                dry_run=dry_run,
                draft=draft,
                skip_qa=skip_qa,
                skip_bench=skip_bench,
                sign=sign,
                replace=replace,
                repo=repo,
                inventory=Path(inventory),
                reports=Path(reports),
                strict=strict,
                branch=branch,
                accept_open_bugs=accept_open_bugs,
            )
        )
    except MyceliumError as exc:
        raise Exit(f"invoke release: {exc}", code=exc.exit_code) from None
    print(render(outcome, notes=dry_run), end="")
    if outcome.exit_code:
        raise Exit(f"invoke release: {outcome.message}", code=outcome.exit_code)
    print(outcome.message)


@task(
    help={
        "version": "the version whose release to undo",
        "force": "also delete a release that is already published",
        "repo": "OWNER/NAME on GitHub (default: GITHUB_REPOSITORY, else the origin remote)",
        "branch": "the release branch the bump commit is on (default main)",
    }
)
def rollback(
    c: Context, version: str, force: bool = False, repo: str | None = None, branch: str = "main"
) -> None:
    """Undo a release: delete the GitHub release and the tags, revert or reset the bump."""
    version = _version_given("rollback", version)
    from mycelium.cli._app import setup_logging
    from mycelium.release.publish.command import RollbackOptions, render
    from mycelium.release.publish.command import rollback as run

    setup_logging()
    try:
        outcome = run(
            RollbackOptions(
                project_dir=ROOT, version=version, force=force, repo=repo, branch=branch
            )
        )
    except MyceliumError as exc:
        raise Exit(f"invoke rollback: {exc}", code=exc.exit_code) from None
    print(render(outcome), end="")
    if outcome.exit_code:
        raise Exit(f"invoke rollback: {outcome.message}", code=outcome.exit_code)
    print(outcome.message)


@task(
    help={
        **FLEET_HELP,
        "hosts": "Ansible host pattern, as for invoke qa; default localhost",
        "python": "interpreters to measure instead of mycelium_pythons (comma list, repeatable)",
        "wheel": "measure this wheel instead of building one",
        "quick": "fewer samples per operation (a quick look, not figures to quote)",
        "only": "only these operations (comma list of names, as in performance_report.json)",
        "compare": "an earlier performance_report.json, or a git ref: then both builds run "
        "here, interleaved A B A B (A = the ref, B = this tree)",
        "tolerance": "a ratio within 1 ± this is 'same' (default 0.10)",
        "force": "compare reports from different environments anyway",
        "rounds": "--compare REF: rounds of A then B (default 3)",
    },
    iterable=["python"],
)
def bench(
    c: Context,
    hosts: str = "localhost",
    inventory: str = "inventory/hosts.yml",
    forks: int = 0,
    python: list[str] | None = None,
    wheel: str | None = None,
    reports: str = "reports",
    quick: bool = False,
    only: str = "",
    compare: str | None = None,
    tolerance: float = 0.10,
    force: bool = False,
    rounds: int = 3,
    timeout: float = defaults.STEP_TIMEOUT_S,
    connect_timeout: float = defaults.CONNECT_TIMEOUT_S,
    accept_new_host_keys: bool = False,
    keep: bool = False,
    verbose: bool = False,
    offline: bool = False,
) -> None:
    """Benchmark the wheel on every selected host (or two builds), print the table."""
    from mycelium.cli._app import setup_logging
    from mycelium.release.bench.command import BenchOptions, run_bench_command
    from mycelium.release.bench.render import render_text
    from mycelium.release.qa.progress import HostProgress

    setup_logging()
    pythons = tuple(name for value in python or () for name in _names(value))
    progress = HostProgress(verbose=verbose)
    try:
        result = run_bench_command(
            BenchOptions(
                project_dir=ROOT,
                inventory=Path(inventory),
                playbook=ROOT / "playbooks" / "bench.yml",
                reports_root=Path(reports).resolve(),
                pattern=hosts,
                forks=forks or None,
                pythons=pythons,
                wheel=Path(wheel) if wheel else None,
                quick=quick,
                only=_names(only),
                compare=compare,
                tolerance=tolerance,
                force=force,
                rounds=rounds,
                keep=keep,
                offline=offline,
                task_timeout=timeout,
                ssh=_ssh(connect_timeout, accept_new_host_keys, step_timeout=timeout),
            ),
            progress,
        )
    except MyceliumError as exc:
        raise Exit(f"invoke bench: {exc}", code=exc.exit_code) from None
    finally:
        progress.close()
    print(
        render_text(
            columns=result.columns,
            cells=result.cells,
            comparisons=result.comparisons,
            refused=result.refused,
        )
    )
    written = [_shown(result.matrix_path)] + ([_shown(result.svg_path)] if result.svg_path else [])
    print(f"\nwrote {' and '.join(written)}")
    if result.svg_note:
        print(result.svg_note)
    if result.interrupted:
        raise Exit("invoke bench: interrupted", code=130)
    if result.exit_code:
        raise Exit(code=result.exit_code)


@task(
    help={
        "mutants": "only these mutants of tests/mutants/ (comma list of names)",
        "jobs": "builds at once (default: one per core)",
        "whole-checklist": "run every category on every build, not only the promise's",
        "reports": "where <version>/mutation_report.{json,md} go (default reports)",
    }
)
def mutate(
    c: Context,
    mutants: str = "",
    jobs: int = 0,
    whole_checklist: bool = False,
    reports: str = "reports",
) -> None:
    """Run the QA checklist on mutated builds: each mutant must be caught by some check."""
    from mycelium.release.mutate.render import render_text
    from mycelium.release.mutate.run import MutateOptions, run_mutation

    names = tuple(n.strip() for n in mutants.split(",") if n.strip())
    options = MutateOptions(
        root=ROOT, names=names, jobs=jobs, reports=ROOT / reports, whole_checklist=whole_checklist
    )
    try:
        report = run_mutation(options, on_outcome=lambda o: print(f"  {o.name}: {o.state}"))
    except MyceliumError as exc:
        raise Exit(f"invoke mutate: {exc}", code=exc.exit_code) from None
    print(render_text(report), end="")
    for path in report.paths:
        print(_shown(path))
    if not report.ok:
        raise Exit("invoke mutate: the checklist missed a mutant or failed the healthy build", 1)


def _names(value: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in value.split(",") if n.strip())


@task(
    help={
        "version": "the release candidate: 0.2.0-rc.1 (reports/0.2.0rc1/rc_report.{json,md})",
        "only": "run only these checks (comma list; see the report for the names)",
        "skip": "leave these checks out (comma list); they are reported 'not run'",
        "publish": "all checks passed: cut the prerelease with invoke release, the report and "
        "the SBOM among its assets",
        "reports": "directory for reports/<version>/... (default reports)",
        "inventory": "the inventory whose mycelium_required hosts the QA gate insists on",
        "repo": "--publish: OWNER/NAME on GitHub (default: GITHUB_REPOSITORY, else origin)",
        "branch": "--publish: the release branch (default main)",
        "tests": "the test paths the coverage check runs (comma list; default tests, the "
        "whole suite)",
    }
)
def rc(
    c: Context,
    version: str,
    only: str = "",
    skip: str = "",
    publish: bool = False,
    reports: str = "reports",
    inventory: str = "inventory/hosts.yml",
    repo: str | None = None,
    branch: str = "main",
    tests: str = "tests",
) -> None:
    """Release candidate: run every checklist check, write rc_report.{json,md}."""
    version = _version_given("rc", version)
    from mycelium.release.publish.command import ReleaseOptions, render
    from mycelium.release.rc.publish import publish_candidate
    from mycelium.release.rc.runner import RCOptions, render_text, run_rc

    try:
        report = run_rc(
            RCOptions(
                project_dir=ROOT,
                version=version,
                reports=Path(reports),
                inventory=Path(inventory),
                only=_names(only),
                skip=_names(skip),
                test_paths=_names(tests) or ("tests",),
            )
        )
    except MyceliumError as exc:
        raise Exit(f"invoke rc: {exc}", code=exc.exit_code) from None
    print(render_text(report))
    print(f"\nwrote {_shown(report.json_path)} and {_shown(report.md_path)} ({report.seconds:g} s)")
    if not report.ok:
        raise Exit(code=1)
    if publish:
        options = ReleaseOptions(
            project_dir=ROOT, version=version, repo=repo, branch=branch,
            inventory=Path(inventory), reports=Path(reports),
        )  # fmt: skip
        try:
            outcome = publish_candidate(report, options)
        except MyceliumError as exc:
            raise Exit(f"invoke rc: {exc}", code=exc.exit_code) from None
        print(render(outcome), end="")
        if outcome.exit_code:
            raise Exit(f"invoke rc: {outcome.message}", code=outcome.exit_code)
        print(outcome.message)


@task
def licenses(c: Context) -> None:
    """Check every runtime dependency's license (from uv.lock) against the allowlist."""
    from mycelium.release.rc.licenses import check_licenses

    result = check_licenses(ROOT)
    print("\n".join(result.details))
    print(result.line)
    if result.status.value == "fail":
        raise Exit(code=1)


@task(help={"output": "where to write the SBOM (default dist/sbom.cdx.json)"})
def sbom(c: Context, output: str = "dist/sbom.cdx.json") -> None:
    """Write the CycloneDX SBOM of the runtime dependencies, from uv.lock, with licenses."""
    from mycelium.release.rc.sbom import write_sbom

    try:
        path = write_sbom(ROOT, Path(output).resolve())
    except MyceliumError as exc:
        raise Exit(f"invoke sbom: {exc}", code=exc.exit_code) from None
    print(f"wrote {_shown(path)}")


@task(help={"no-run": "check the marks and the links only; run no console block"})
def docs_check(c: Context, no_run: bool = False) -> None:
    """Run the docs' runnable console blocks in a sandbox; check every internal link."""
    from mycelium.release.rc.docs import check_docs

    result = check_docs(ROOT, run=not no_run)
    print("\n".join(d for d in result.details if not d.startswith("–")))
    print(result.line)
    if result.status.value == "fail":
        raise Exit(code=1)


@task(help={"check": "change nothing; exit 1 naming each command whose options drifted"})
def docs_commands(c: Context, check: bool = False) -> None:
    """Regenerate docs/COMMANDS.md's usage lines and option tables from the CLIs' parsers."""
    from mycelium.release.rc.commanddocs import DOC, sync_command_docs

    try:
        result = sync_command_docs(ROOT, check=check)
    except MyceliumError as exc:
        raise Exit(f"invoke docs-commands: {exc}", code=exc.exit_code) from None
    if result.problems:
        raise Exit("\n".join(result.problems), code=1)
    print(f"{DOC}: {'rewritten' if result.changed else 'up to date'}")


@task(
    help={
        "version": "a release candidate (its issues) or a final version (all its RCs' issues)",
        "json": "print JSON instead of the tables",
        "repo": "OWNER/NAME on GitHub (default: GITHUB_REPOSITORY, else the origin remote)",
    }
)
def beta(c: Context, version: str, json: bool = False, repo: str | None = None) -> None:
    """Triage the beta feedback issues of VERSION by severity and platform."""
    version = _version_given("beta", version)
    import json as json_module
    import os

    from mycelium.release.rc.beta import as_json, render_table
    from mycelium.release.rc.beta_command import beta_triage

    try:
        result = beta_triage(ROOT, version, repo=repo, env=os.environ)
    except MyceliumError as exc:
        raise Exit(f"invoke beta: {exc}", code=exc.exit_code) from None
    if json:
        print(json_module.dumps(as_json(result), indent=2))
    else:
        print(render_table(result))


def _ssh(connect_timeout: float, accept_new_host_keys: bool, *, step_timeout: float) -> SSHOptions:
    """How hosts are reached; one step's timeout bounds its file transfers too."""
    from mycelium.release.remote.transport import SSHOptions

    return SSHOptions(
        connect_timeout=connect_timeout,
        accept_new_host_keys=accept_new_host_keys,
        transfer_timeout=step_timeout,
    )


def _version_given(task_name: str, version: str) -> str:
    """A positional VERSION takes the next word, even ``--help``: say how to ask for help."""
    if version.startswith("-"):
        raise Exit(
            f"invoke {task_name}: {version!r} is not a version; give it first "
            f"(`invoke {task_name} 1.0.0 ...`); help: `invoke --help {task_name}`",
            code=2,
        )
    return version


def _shown(path: Path) -> str:
    from mycelium.fileio import shown_path

    return shown_path(path, ROOT)


ns = Collection(
    test,
    lint,
    build,
    qa,
    bench,
    mutate,
    changelog,
    release,
    rollback,
    rc,
    licenses,
    sbom,
    docs_check,
    docs_commands,
    beta,
)
