"""``invoke release VERSION``: one command that converges, and ships exactly what passed QA.

Each run reads the real state and does the next part:

1. not prepared: preflight, bump pyproject (and uv.lock's own entry), prepend the changelog
   section, commit, build wheel + sdist + SHA256SUMS from that commit reproducibly, ``twine
   check``, install into a fresh venv; then stop and say which QA and bench runs to do;
2. prepared: the QA and bench gates, on reports naming this wheel's sha256 and commit;
3. gates pass: annotated tag → ``git push --atomic`` → draft release → assets through its
   ``upload_url`` → list back, verify size and sha256 → publish; then read everything again.

Every step looks before it acts: the same tag on the same commit is kept, on another commit
stops; an existing draft is reused; an asset with the same sha256 is kept, another stops
unless ``--replace``. ``.git/mycelium-release.json`` records each step for ``rollback``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mycelium import exit_codes
from mycelium.errors import MyceliumError, ReleaseError, UsageError
from mycelium.release.dev.build import sha256_of
from mycelium.release.publish.artifacts import (
    Artifacts,
    artifacts_in,
    build_commit,
    project_info,
    try_install,
    twine_check,
)
from mycelium.release.publish.changelog import (
    build_section,
    has_section,
    prepend_section,
    web_url,
)
from mycelium.release.publish.commits import commits_since
from mycelium.release.publish.gates import Evidence, GateResult, bench_gate, qa_gate, skipped
from mycelium.release.publish.git import GitRepo
from mycelium.release.publish.github import (
    GitHubClient,
    GitHubError,
    ReleaseInfo,
    Secret,
    api_url,
    resolve_repo,
    resolve_token,
    scrub,
    web_url_of,
)
from mycelium.release.publish.journal import Entry, Journal
from mycelium.release.publish.notes import KnownIssue, NotesFacts, quick_start, render_notes
from mycelium.release.publish.plan import (
    RELEASE_SUBJECT,
    Outcome,
    Recorder,
    ReleaseOptions,
)
from mycelium.release.publish.versions import (
    ReleaseVersion,
    bump_warning,
    check_newer,
    last_release,
    project_version,
    set_project_version,
)
from mycelium.release.qa.layout import MATRIX_NAME, contained
from mycelium.release.rc.beta import fetch_triage

if TYPE_CHECKING:
    from collections.abc import Mapping

UPLOAD_ATTEMPTS: Final = 2
CHANGELOG: Final = "CHANGELOG.md"
PYPROJECT: Final = "pyproject.toml"
LOCKFILE: Final = "uv.lock"
_CONTENT_TYPES: Final = {
    ".whl": "application/zip",
    ".gz": "application/gzip",
    ".json": "application/json",
    ".md": "text/markdown",
}


class WaitingForGatesError(ReleaseError):
    """Prepared, but a gate has no passing evidence yet: run QA / bench on the wheel."""

    exit_code = exit_codes.RELEASE_WAITING

    def __init__(self, message: str, commands: tuple[str, ...]) -> None:
        super().__init__(message)
        self.commands = commands


@dataclass
class _Run:
    """One run's facts, gathered by the preflight and extended by each step."""

    options: ReleaseOptions
    version: ReleaseVersion
    tag: str
    repo: GitRepo
    rec: Recorder
    journal: Journal
    env: Mapping[str, str]
    head: str = ""
    last_tag: str | None = None
    token: Secret | None = None
    client: GitHubClient | None = None
    full_name: str = ""
    artifacts: Artifacts | None = None
    notes: str = ""  # the release body, rendered once the gates have run
    changes: str = ""  # the changelog section: the tag's message, the body's "What's new"
    repo_url: str = ""  # the repository's web address, from GitHub
    known_issues: tuple[KnownIssue, ...] = ()
    evidence: Evidence | None = None
    bench: GateResult | None = None
    beta_note: str = ""  # the open beta bugs accepted with --accept-open-bugs, for the notes
    blocked: MyceliumError | None = None  # --dry-run: the first thing that would have stopped

    @property
    def entry(self) -> Entry:
        return self.journal.entry(self.version.pep440, self.tag)

    def record(self, step: str, detail: str = "", **facts: object) -> None:
        self.journal.record(self.version.pep440, self.tag, step, detail, **facts)

    def stop(self, error: MyceliumError) -> None:
        """A real run stops here; a dry run notes it and goes on showing the plan."""
        if not self.rec.dry_run:
            raise error
        self.rec.left(str(error))
        if self.blocked is None:
            self.blocked = error


def run_release(options: ReleaseOptions) -> Outcome:
    """The whole converge; input errors raise before anything, step errors end the outcome."""
    env = dict(os.environ if options.env is None else options.env)
    version = ReleaseVersion.parse(options.version)
    tag = version.tag(options.tag_template)
    repo = GitRepo(options.project_dir, options.remote)
    rec = Recorder(dry_run=options.dry_run)
    run = _Run(
        options=options,
        version=version,
        tag=tag,
        repo=repo,
        rec=rec,
        journal=Journal.load(repo.git_dir, dry_run=options.dry_run),
        env=env,
    )
    try:
        try:
            _preflight(run)
            with tempfile.TemporaryDirectory(prefix="mycelium-dry-run-") as scratch:
                _prepare(run, Path(scratch))
                _gates(run)
                _publish(run)
        except WaitingForGatesError as exc:
            return _outcome(run, exc.exit_code, str(exc), next_commands=exc.commands)
        except MyceliumError as exc:
            message = scrub(str(exc), run.token)
            if not rec.lines or not rec.lines[-1].endswith(message):
                rec.left(message)
            return _outcome(run, exc.exit_code, message)
    finally:
        if run.client is not None:
            run.client.close()
    if run.blocked is not None:
        return _outcome(
            run, run.blocked.exit_code, f"dry run: the release would stop here: {run.blocked}"
        )
    if options.dry_run:
        return _outcome(run, exit_codes.OK, f"dry run: {tag} would be released; nothing written")
    state = "left as a draft" if options.draft else "published"
    return _outcome(run, exit_codes.OK, f"{tag} {state}", url=_release_url(run))


def _outcome(
    run: _Run,
    code: int,
    message: str,
    *,
    next_commands: tuple[str, ...] = (),
    url: str | None = None,
) -> Outcome:
    token = run.token
    return Outcome(
        lines=tuple(scrub(line, token) for line in run.rec.lines),
        exit_code=code,
        message=scrub(message, token),
        notes=scrub(run.notes or run.changes, token),  # before the gates: what changed
        next_commands=next_commands,
        planned=tuple(run.rec.planned),
        url=url,
    )


# -- preflight: read-only, every check before any write -------------------------------------


def _preflight(run: _Run) -> None:
    state = run.repo.state()
    run.head = state.head
    rec = run.rec
    if state.branch is None:
        run.stop(
            ReleaseError(
                f"HEAD is detached at {state.head[:7]}: check out the release branch "
                f"(git switch {run.options.branch})"
            )
        )
    elif state.branch != run.options.branch:
        run.stop(
            ReleaseError(
                f"on branch {state.branch}, not the release branch {run.options.branch}: "
                f"git switch {run.options.branch}, or pass --branch {state.branch}"
            )
        )
    if state.dirty:
        shown = ", ".join(state.dirty[:5]) + (" …" if len(state.dirty) > 5 else "")  # noqa: PLR2004
        run.stop(
            ReleaseError(f"the work tree has uncommitted changes ({shown}): commit or stash them")
        )
    if state.branch == run.options.branch and not state.dirty:
        rec.done(f"on {state.branch} at {state.head[:7]}, work tree clean")
    _check_tags(run)
    _check_version(run)
    _check_remote(run, run.options.branch)
    _check_github(run, state.remote_url)
    _check_beta(run)


def _check_tags(run: _Run) -> None:
    local = run.repo.local_tag(run.tag)
    remote = run.repo.remote_tag(run.tag)
    for where, sha in (("locally", local), (f"on {run.repo.remote}", remote)):
        if sha is not None and sha != run.head:
            raise ReleaseError(
                f"tag {run.tag} exists {where} on {sha[:7]}, not on HEAD {run.head[:7]}: "
                f"give a newer version, or undo it first (invoke rollback {run.version.semver})"
            )
    if local or remote:
        where = " and ".join(w for w, sha in (("local", local), ("remote", remote)) if sha)
        run.rec.done(f"tag {run.tag} already on HEAD ({where}): resuming")
    else:
        run.rec.done(f"tag {run.tag} absent locally and on {run.repo.remote}")


def _check_version(run: _Run) -> None:
    found = last_release(run.repo.root, run.options.tag_template)
    if found is not None and found[0] == run.tag:
        # Resuming on our own tag: the release before it is what the version must exceed.
        run.last_tag = None
        return
    run.last_tag = found[0] if found else None
    check_newer(run.version, found[1] if found else None)
    commits = commits_since(run.repo.root, run.last_tag)
    warning = bump_warning(
        run.version, found[1] if found else None, commits, unreleased=unreleased_version(run)
    )
    if warning and run.options.strict:
        raise UsageError(f"{warning} (--strict)")
    if warning:
        run.rec.warn(warning)
    since = f"the last release {run.last_tag}" if run.last_tag else "no release yet"
    run.rec.done(
        f"version {run.version.semver} (package {run.version.pep440}) is newer than {since}"
    )


def unreleased_version(run: _Run) -> ReleaseVersion | None:
    """pyproject's version, the base when nothing is released yet (None: unreadable)."""
    try:
        return ReleaseVersion.parse(project_version(run.repo.root / PYPROJECT))
    except (MyceliumError, OSError):
        return None


def _check_remote(run: _Run, branch: str) -> None:
    remote_sha = run.repo.remote_branch(branch)
    origin = run.repo.remote
    if remote_sha is None:
        run.stop(
            ReleaseError(
                f"{origin} has no branch {branch}: push it first (git push -u {origin} {branch})"
            )
        )
        return
    if remote_sha != run.head and not (
        run.repo.has_commit(remote_sha) and run.repo.is_ancestor(remote_sha, run.head)
    ):
        run.stop(
            ReleaseError(
                f"{origin}/{branch} is at {remote_sha[:7]}, which HEAD does not contain: "
                f"git pull --rebase {origin} {branch}, then run again"
            )
        )
        return
    ahead = "in sync with" if remote_sha == run.head else "ahead of"
    run.rec.done(f"{branch} is {ahead} {origin}/{branch}")


def _check_github(run: _Run, origin_url: str | None) -> None:
    run.token = resolve_token(run.env)
    try:
        run.full_name = resolve_repo(run.options.repo, run.env, origin_url)
    except UsageError as exc:
        run.stop(exc)
        return
    if run.token is None:
        run.stop(
            ReleaseError(
                f"no GitHub token: set GITHUB_TOKEN to a token that may push to {run.full_name}, "
                "or log in with `gh auth login`"
            )
        )
        return
    base = api_url(run.env)
    run.client = GitHubClient(run.full_name, run.token, base, backoff=run.options.backoff)
    try:
        access = run.client.probe()
    except GitHubError as exc:
        run.client = None
        run.stop(ReleaseError(f"{exc} (GITHUB_API_URL is {base}; is the token valid?)"))
        return
    if not access.can_push:
        run.stop(
            ReleaseError(
                f"the token from {run.token.source} may not push to {access.full_name}: "
                "give it the contents: write permission"
            )
        )
        return
    run.repo_url = access.html_url
    run.rec.done(f"GitHub {access.full_name}: token from {run.token.source} may push")


def _check_beta(run: _Run) -> None:
    """A final version waits for its RCs' open Critical/High beta bugs, or a reason."""
    if run.version.is_prerelease:
        return
    if run.client is None:
        run.rec.left("beta bugs of the release candidates: not read (no GitHub access)")
        return
    try:
        found = fetch_triage(run.client, run.version)
    except GitHubError as exc:
        run.stop(ReleaseError(f"cannot read the beta issues: {exc}"))
        return
    blockers = found.blockers
    if not blockers:
        run.rec.done(f"no open Critical/High beta bug of {run.version.semver}'s release candidates")
        return
    listed = ", ".join(f"#{i.number} ({i.severity}, {i.platform})" for i in blockers[:10])
    reason = run.options.accept_open_bugs
    if reason:
        run.rec.warn(f"released with {len(blockers)} open Critical/High beta bug(s): {listed}")
        run.known_issues = tuple(
            KnownIssue(i.number, i.title, i.severity, i.platform) for i in blockers
        )
        run.beta_note = (
            f"- released with {len(blockers)} open Critical/High beta bug(s) "
            f"({', '.join(f'#{i.number}' for i in blockers)}): {reason}"
        )
        return
    run.stop(
        ReleaseError(
            f"{len(blockers)} Critical/High beta bug(s) of the release candidates are open: "
            f"{listed}; fix them, or pass --accept-open-bugs REASON (it goes in the notes)"
        )
    )


# -- prepare: bump, changelog, commit, build, check, install ----------------------------------


def _prepare(run: _Run, scratch: Path) -> None:
    root = run.repo.root
    pyproject = root / PYPROJECT
    new_pyproject = set_project_version(pyproject, run.version)
    old_pyproject = pyproject.read_text(encoding="utf-8")
    changelog_path = root / CHANGELOG
    old_changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else ""
    if has_section(old_changelog, run.version):
        new_changelog = old_changelog
    else:
        section = build_section(
            root,
            run.version,
            since_ref=run.last_tag,
            today=run.options.today or datetime.now().astimezone().date(),
            remote_url=run.repo.remote_url(),
        )
        new_changelog = prepend_section(old_changelog, section)
    changes = {PYPROJECT: new_pyproject, CHANGELOG: new_changelog}
    lock = root / LOCKFILE
    if lock.is_file():
        name = project_info(new_pyproject).name
        changes[LOCKFILE] = _bump_lock(lock.read_text(encoding="utf-8"), name, run.version.pep440)
    changes = {
        path: text
        for path, text in changes.items()
        if text != ((root / path).read_text(encoding="utf-8") if (root / path).exists() else None)
    }
    if not changes:
        run.rec.done(f"{PYPROJECT} says {run.version.pep440}; {CHANGELOG} has its section")
    else:
        subject = RELEASE_SUBJECT.format(semver=run.version.semver)

        def commit() -> str:
            for path, text in changes.items():
                (root / path).write_text(text, encoding="utf-8")
            sha = run.repo.commit(sorted(changes), subject)
            run.record(
                "bump", subject, base_commit=run.head, bump_commit=sha, branch=run.options.branch
            )
            return sha

        was = _version_in(old_pyproject)
        made = run.rec.act(
            f"commit {subject!r} ({PYPROJECT} {was} → {run.version.pep440}; "
            f"{', '.join(sorted(changes))})",
            f"committed {subject!r} ({', '.join(sorted(changes))})",
            commit,
        )
        if made is not None:
            run.head = made
    run.changes = _section_body(new_changelog, run.version)
    dist = scratch / "dist" if run.rec.dry_run else root / "dist"
    _build(run, dist, changes if run.rec.dry_run else {})


def _version_in(pyproject_text: str) -> str:
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', pyproject_text)
    return match.group(1) if match else "?"


def _bump_lock(text: str, name: str, version: str) -> str:
    """uv.lock with the project's own entry at ``version`` (else ``uv run`` rewrites it)."""
    pattern = re.compile(
        rf'(\[\[package\]\]\nname = "{re.escape(name)}"\nversion = ")[^"]*("\nsource = '
        r'\{ (?:editable|virtual) = "\." \})'
    )
    return pattern.sub(rf"\g<1>{version}\g<2>", text, count=1)


def _section_body(changelog: str, version: ReleaseVersion) -> str:
    """The release notes: the changelog section of ``version``, without its heading."""
    names = {version.semver, version.pep440}
    out: list[str] = []
    inside = False
    for line in changelog.splitlines():
        if line.startswith("## "):
            if inside:
                break
            match = re.match(r"^##\s+\[?v?([^\]\s]+)\]?", line)
            inside = bool(match and match.group(1) in names)
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip("\n")


def _build(run: _Run, dist: Path, overrides: Mapping[str, str]) -> None:
    entry = run.journal.get(run.version.pep440)
    existing = artifacts_in(dist) if not run.rec.dry_run and dist.is_dir() else None
    if (
        existing is not None
        and entry is not None
        and entry.built_commit == run.head
        and entry.wheel_sha256 == existing.wheel_sha256
        and existing.version == run.version.pep440
    ):
        run.artifacts = existing
        run.rec.done(f"dist/{existing.wheel.name} built from {run.head[:7]} "
                     f"(sha256 {existing.wheel_sha256[:12]}…)")  # fmt: skip
    else:
        # Build the commit (a dry run: HEAD with the planned edits), never the work tree.
        artifacts = build_commit(run.repo, run.head, dist, overrides=overrides)
        if artifacts.version != run.version.pep440:
            raise ReleaseError(
                f"the build made {artifacts.wheel.name}, not version {run.version.pep440}: "
                f"is the version in {PYPROJECT} dynamic?"
            )
        if (
            entry is not None
            and entry.built_commit == run.head
            and entry.wheel_sha256
            and (entry.wheel_sha256 != artifacts.wheel_sha256)
        ):
            run.rec.warn(
                f"the rebuilt wheel's sha256 {artifacts.wheel_sha256[:12]}… differs from the "
                f"one built before ({entry.wheel_sha256[:12]}…): the build is not reproducible"
            )
        run.artifacts = artifacts
        where = "a scratch dist/ (dry run)" if run.rec.dry_run else f"dist/ from {run.head[:7]}"
        run.rec.done(f"built {artifacts.wheel.name} + sdist + SHA256SUMS in {where} "
                     f"(sha256 {artifacts.wheel_sha256[:12]}…)")  # fmt: skip
        if not run.rec.dry_run:
            run.record("build", artifacts.wheel.name, built_commit=run.head,
                       wheel_sha256=artifacts.wheel_sha256, checked=False)  # fmt: skip
    artifacts = run.artifacts
    entry = run.journal.get(run.version.pep440)
    if entry is not None and entry.checked and entry.wheel_sha256 == artifacts.wheel_sha256:
        run.rec.done("twine check and the test install passed for this wheel")
        return
    run.rec.done(twine_check(artifacts))
    project = project_info((run.repo.root / PYPROJECT).read_text(encoding="utf-8"))
    if run.rec.dry_run:
        project = project_info(overrides.get(PYPROJECT, "")) if PYPROJECT in overrides else project
    run.rec.done(f"installed in a fresh venv: {try_install(artifacts, project)}")
    if not run.rec.dry_run:
        run.record("checked", "twine check, test install", checked=True)


# -- gates ------------------------------------------------------------------------------------


def _gates(run: _Run) -> None:
    assert run.artifacts is not None  # noqa: S101 - _prepare sets it or raises
    artifacts = run.artifacts
    options = run.options
    reports_root = (
        options.reports if options.reports.is_absolute() else run.repo.root / options.reports
    )
    inventory = (
        options.inventory if options.inventory.is_absolute() else run.repo.root / options.inventory
    )
    evidence = Evidence(
        reports_dir=contained(reports_root, artifacts.version),
        wheel=artifacts.wheel,
        wheel_sha256=artifacts.wheel_sha256,
        commit=run.head,
        inventory=inventory,
    )
    qa = skipped("QA", options.skip_qa) if options.skip_qa else qa_gate(evidence)
    bench = skipped("bench", options.skip_bench) if options.skip_bench else bench_gate(evidence)
    commands: list[str] = []
    for gate in (qa, bench):
        run.rec.lines.extend(f"  {line}" for line in gate.lines)
        if gate.passed:
            run.rec.done(f"{gate.name} gate: {'skipped' if gate.skipped else 'passed'}")
        else:
            run.rec.left(f"{gate.name} gate: {len(gate.problems)} problem(s)")
            commands += [f"uv run {c}" for c in gate.commands]
    run.notes = _notes(run, qa, bench, evidence)
    run.evidence = evidence
    run.bench = bench
    if commands:
        commands.append(f"uv run invoke release {run.version.semver}")
        error = WaitingForGatesError(
            f"prepared {artifacts.wheel.name}; the release waits for the gates: run "
            + "; then ".join(commands),
            tuple(commands),
        )
        if run.rec.dry_run:
            run.stop(error)
        else:
            raise error


def _notes(run: _Run, qa: GateResult, bench: GateResult, evidence: Evidence) -> str:
    assert run.artifacts is not None  # noqa: S101 - set by _prepare
    gates = []
    for gate in (qa, bench):
        if gate.skipped:
            gates.append(f"- {gate.name} gate skipped: {gate.skipped}")
        elif gate.passed:
            count = sum(line.startswith("✔") for line in gate.lines)
            gates.append(f"- {gate.name} passed on this wheel ({count} reports)")
    if run.beta_note:
        gates.append(run.beta_note)
    gates.append(f"- wheel sha256 `{run.artifacts.wheel_sha256}`")
    del evidence
    pyproject = tomllib.loads(_pyproject_text(run))
    project = pyproject.get("project", {})
    return render_notes(
        NotesFacts(
            project=str(project.get("name", "")),
            version=run.version,
            tag=run.tag,
            day=run.options.today or datetime.now().astimezone().date(),
            changes=run.changes,
            repo_url=(
                run.repo_url
                or web_url(run.repo.remote_url())
                or (web_url_of(run.full_name, run.env) if run.full_name else "")
            ),
            wheel_name=run.artifacts.wheel.name,
            requires_python=str(project.get("requires-python", ">=3.11")),
            verification=gates,
            previous_tag=run.last_tag,
            known_issues=run.known_issues,
            quick_start=quick_start(pyproject, str(run.repo.root / PYPROJECT)),
        )
    )


# -- publish: tag, push, release, assets, verify, undraft -------------------------------------


def _publish(run: _Run) -> None:
    _tag(run)
    _push(run)
    if run.client is None:
        run.rec.left(f"create the draft release {run.tag}, upload and verify its assets, publish")
        return
    release = _draft(run)
    if release is None:
        for asset in _assets(run):
            run.rec.left(f"upload {asset.name} (dry run: not done)")
        run.rec.left("verify every asset's size and sha256; publish")
        return
    _upload(run, release)
    _verify(run, release)
    _undraft(run, release)
    if not run.rec.dry_run:
        _reverify(run)


def _tag(run: _Run) -> None:
    repo = run.repo
    if repo.local_tag(run.tag) == run.head:
        run.rec.done(f"tag {run.tag} on {run.head[:7]}")
        return
    if repo.remote_tag(run.tag) == run.head:
        run.rec.act(f"fetch tag {run.tag} from {repo.remote}", f"fetched tag {run.tag}",
                    lambda: repo.fetch_tag(run.tag))  # fmt: skip
        return
    kind = "signed" if run.options.sign else "annotated"
    message = f"Release {run.version.semver}\n\n{run.changes}"

    def create() -> None:
        repo.create_tag(run.tag, run.head, message, sign=run.options.sign)
        run.record("tag", f"{kind} {run.tag} on {run.head}")

    run.rec.act(f"create {kind} tag {run.tag} on {run.head[:7]}",
                f"created {kind} tag {run.tag} on {run.head[:7]}", create)  # fmt: skip


def _push(run: _Run) -> None:
    repo = run.repo
    branch = run.options.branch
    remote_branch = repo.remote_branch(branch)
    branch_there = remote_branch == run.head or (
        remote_branch is not None
        and repo.has_commit(remote_branch)
        and repo.is_ancestor(run.head, remote_branch)
    )
    if branch_there and repo.remote_tag(run.tag) == run.head:
        run.rec.done(f"{branch} and {run.tag} are on {repo.remote}")
        return

    def push() -> None:
        repo.push_atomic(branch, run.tag)
        run.record("push", f"{branch} and {run.tag}", pushed=True)

    run.rec.act(f"push {branch} and {run.tag} to {repo.remote} atomically",
                f"pushed {branch} and {run.tag} to {repo.remote} (--atomic)", push)  # fmt: skip


def _draft(run: _Run) -> ReleaseInfo | None:
    client = run.client
    assert client is not None  # noqa: S101 - checked by the caller
    found = client.releases_for(run.tag)
    if len(found) > 1:
        run.rec.warn(
            f"{len(found)} releases carry the tag {run.tag} (ids "
            f"{', '.join(str(r.id) for r in found)}): using {found[0].id}; delete the others"
        )
    if found:
        release = found[0]
        state = "draft" if release.draft else "published release"
        run.rec.done(f"{state} {run.tag} exists (id {release.id}): reusing it")
        if not run.rec.dry_run:
            run.record("release", f"id {release.id}", release_id=release.id)
        return release
    title = f"{project_info(_pyproject_text(run)).name} {run.version.semver}"

    def create() -> ReleaseInfo:
        try:
            release = client.create_release(
                run.tag, name=title, body=run.notes, prerelease=run.version.is_prerelease,
                target=run.head,
            )  # fmt: skip
        except GitHubError as exc:
            # The release may exist though the answer was lost: look before trying again.
            if not exc.transient:
                raise
            time.sleep(run.options.backoff)
            again = client.releases_for(run.tag)
            if not again:
                raise ReleaseError(
                    f"{exc}; run `invoke release {run.version.semver}` again to resume"
                ) from None
            release = again[0]
        run.record("release", f"draft id {release.id}", release_id=release.id)
        return release

    pre = " (prerelease)" if run.version.is_prerelease else ""
    return run.rec.act(f"create the draft release {run.tag}{pre}",
                       f"created the draft release {run.tag}{pre}", create)  # fmt: skip


def _pyproject_text(run: _Run) -> str:
    return (run.repo.root / PYPROJECT).read_text(encoding="utf-8")


def _assets(run: _Run) -> list[Path]:
    assert run.artifacts is not None  # noqa: S101 - set by _prepare
    artifacts = run.artifacts
    files = [artifacts.wheel, artifacts.sdist, artifacts.checksums]
    files += [p for p in run.options.extra_assets if p.name not in {f.name for f in files}]
    evidence = run.evidence
    if evidence is not None:
        matrix = evidence.reports_dir / MATRIX_NAME
        if matrix.is_file():
            files.append(matrix)
        elif not run.options.skip_qa:
            raise ReleaseError(f"{matrix} is missing: run invoke qa on dist/{artifacts.wheel.name}")
        reports = run.bench.reports if run.bench is not None else ()
        if len(reports) == 1:
            files.append(reports[0])
        else:
            staging = artifacts.wheel.parent / "performance"
            for report in reports:
                host, python = report.parent.parent.name, report.parent.name
                target = staging / f"performance_report-{host}-{python}.json"
                if not run.rec.dry_run:
                    staging.mkdir(exist_ok=True)
                    shutil.copyfile(report, target)
                files.append(target)
    return files


def _upload(run: _Run, release: ReleaseInfo) -> None:
    client = run.client
    assert client is not None  # noqa: S101 - checked by _publish
    remote = {a.name: a for a in client.list_assets(release.id)}
    for path in _assets(run):
        local_sha = sha256_of(path)
        asset = remote.get(path.name)
        if asset is not None and asset.state == "uploaded" and asset.size == path.stat().st_size:
            remote_sha = client.asset_sha256(release.id, asset)
            if remote_sha == local_sha:
                run.rec.done(f"{path.name} already uploaded (sha256 {local_sha[:12]}…)")
                continue
            if not run.options.replace:
                run.stop(
                    ReleaseError(
                        f"asset {path.name} on release {run.tag} differs from {path} (sha256 "
                        f"{remote_sha[:12]}… there, {local_sha[:12]}… here): pass --replace to "
                        f"overwrite it, or invoke rollback {run.version.semver}"
                    )
                )
                continue
        if asset is not None:
            why = "replace" if asset.state == "uploaded" else f"remove the broken ({asset.state})"
            run.rec.act(
                f"{why} {path.name} on the release",
                f"deleted the old {path.name}",
                functools.partial(client.delete_asset, release.id, asset),
            )
        run.rec.act(
            f"upload {path.name}",
            f"uploaded {path.name}",
            functools.partial(_upload_one, run, release, path),
        )


def _upload_one(run: _Run, release: ReleaseInfo, path: Path) -> None:
    """Upload ``path``; after a transient failure look at the release before trying again."""
    client = run.client
    assert client is not None  # noqa: S101 - checked by _publish
    suffix = path.suffix
    content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
    last: GitHubError | None = None
    for attempt in range(UPLOAD_ATTEMPTS):
        if attempt:
            time.sleep(run.options.backoff * attempt)
            for asset in client.list_assets(release.id):
                if asset.name != path.name:
                    continue
                if (
                    asset.state == "uploaded"
                    and asset.size == path.stat().st_size
                    and (client.asset_sha256(release.id, asset) == sha256_of(path))
                ):
                    run.record("asset", path.name)
                    return
                client.delete_asset(release.id, asset)  # a broken half of our own upload
        try:
            client.upload_asset(release.id, path, content_type)
        except GitHubError as exc:
            if not exc.transient:
                raise
            last = exc
            continue
        run.record("asset", path.name)
        return
    raise ReleaseError(
        f"step upload {path.name} failed {UPLOAD_ATTEMPTS} times ({last}); "
        f"run `invoke release {run.version.semver}` again to resume"
    )


def _verify(run: _Run, release: ReleaseInfo) -> None:
    client = run.client
    assert client is not None  # noqa: S101 - checked by _publish
    if run.rec.dry_run:
        run.rec.left("list the assets back and verify size and sha256 (dry run: not done)")
        return
    remote = {a.name: a for a in client.list_assets(release.id)}
    for path in _assets(run):
        asset = remote.get(path.name)
        if asset is None:
            raise ReleaseError(f"asset {path.name} is not on release {run.tag} after the upload")
        if asset.size != path.stat().st_size or client.asset_sha256(release.id, asset) != sha256_of(
            path
        ):
            raise ReleaseError(
                f"asset {path.name} on release {run.tag} does not match {path} (size or sha256); "
                f"run again with --replace"
            )
    run.rec.done(f"verified {len(remote)} assets on {run.tag}: size and sha256 match")


def _undraft(run: _Run, release: ReleaseInfo) -> None:
    client = run.client
    assert client is not None  # noqa: S101 - checked by _publish
    if run.options.draft:
        state = "a draft" if release.draft else "published already"
        run.rec.note(
            f"release {run.tag} is {state} (--draft): run again without --draft to publish"
        )
        return
    if not release.draft:
        run.rec.done(f"release {run.tag} is published")
        return

    def publish() -> None:
        client.update_release(release.id, name=release.name, body=run.notes, draft=False,
                              prerelease=run.version.is_prerelease)  # fmt: skip
        run.record("publish", f"id {release.id}", published=True)

    run.rec.act(f"publish release {run.tag}", f"published release {run.tag}", publish)


def _reverify(run: _Run) -> None:
    """Read everything again: the goal is reached, or the run says what is not."""
    repo = run.repo
    client = run.client
    assert client is not None  # noqa: S101 - checked by _publish
    problems = []
    if repo.local_tag(run.tag) != run.head:
        problems.append(f"local tag {run.tag} is not on {run.head[:7]}")
    if repo.remote_tag(run.tag) != run.head:
        problems.append(f"{repo.remote} has no tag {run.tag} on {run.head[:7]}")
    releases = client.releases_for(run.tag)
    if not releases:
        problems.append(f"no release {run.tag} on GitHub")
    else:
        release = releases[0]
        if release.draft != run.options.draft:
            problems.append(f"release {run.tag} is {'a draft' if release.draft else 'published'}")
        names = {a.name for a in release.assets if a.state == "uploaded"}
        missing = [p.name for p in _assets(run) if p.name not in names]
        if missing:
            problems.append(f"assets missing: {', '.join(missing)}")
    if problems:
        raise ReleaseError(f"after the run: {'; '.join(problems)}; run it again to converge")
    run.rec.done(f"re-read: tag, push, release and assets of {run.tag} are as they should be")


def _release_url(run: _Run) -> str | None:
    if run.client is None:
        return None
    found = run.client.releases_for(run.tag)
    return found[0].html_url if found else None


__all__ = ["WaitingForGatesError", "run_release"]
