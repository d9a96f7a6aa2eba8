"""A small project to release: its own pyproject, a real git repository with a bare local
``origin``, an inventory, and the QA / bench reports the gates read.

The reports are written with the real schemas (``QAReport``, ``QASummary``,
``PerformanceReport``) and name the wheel and commit they vouch for, as ``invoke qa`` and
``invoke bench`` write them.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from mycelium.bench.report import PerformanceReport
from mycelium.qa.report import QAReport
from mycelium.release.publish.plan import ReleaseOptions, RollbackOptions
from mycelium.release.qa.cells import Cell, CellState
from mycelium.release.qa.summary import QASummary, write_summary

if TYPE_CHECKING:
    from pathlib import Path

REPO = "acme/widget"
TOKEN = "ghp_TESTtoken0123456789abcdefSECRET"  # the tests grep every output for it
TODAY = date(2026, 3, 1)

PYPROJECT = """\
[project]
name = "widget"
version = "0.1.0"  # bumped by invoke release
description = "A widget to release."
readme = "README.md"
requires-python = ">=3.11"
license = "MIT"

[project.scripts]
widget = "widget:main"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

MODULE = """\
import sys
from importlib.metadata import version


def main() -> None:
    if "--version" in sys.argv:
        print(f"widget {version('widget')}")
"""

INVENTORY = """\
all:
  hosts:
    localhost:
      ansible_connection: local
      mycelium_pythons: [python3]
      mycelium_required: true
"""

CHANGELOG = """\
# Changelog

## [Unreleased]

### Fixes

- a hand-written note.
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


@dataclass(frozen=True)
class Project:
    root: Path
    origin: Path

    def head(self) -> str:
        return git(self.root, "rev-parse", "HEAD")

    def remote_refs(self) -> str:
        return git(self.origin, "for-each-ref", "--format=%(objectname) %(refname)")

    def local_refs(self) -> str:
        return git(self.root, "for-each-ref", "--format=%(objectname) %(refname)")

    def pyproject_version(self, rev: str = "HEAD") -> str:
        text = git(self.root, "show", f"{rev}:pyproject.toml")
        return text.split('version = "')[1].split('"')[0]

    def commit(self, message: str, name: str = "notes.txt") -> str:
        path = self.root / name
        path.write_text(path.read_text() + message + "\n" if path.exists() else message + "\n")
        git(self.root, "add", name)
        git(self.root, "commit", "-qm", message)
        return self.head()

    def push(self) -> None:
        git(self.root, "push", "-q", "origin", "main")

    def state(self) -> dict[str, str]:
        """Everything a run could change in the clone and its origin."""
        files = sorted(p for p in self.root.rglob("*") if p.is_file() and ".git" not in p.parts)
        digest = hashlib.sha256()
        for p in files:
            digest.update(str(p.relative_to(self.root)).encode() + p.read_bytes())
        journal = self.root / ".git" / "mycelium-release.json"
        return {
            "local": self.local_refs(),
            "remote": self.remote_refs(),
            "status": git(self.root, "status", "--porcelain", "--ignored"),
            "files": digest.hexdigest(),
            "journal": journal.read_text() if journal.exists() else "",
        }


def make_project(tmp: Path) -> Project:
    root = tmp / "widget"
    origin = tmp / "origin.git"
    (root / "widget").mkdir(parents=True)
    (root / "inventory").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "widget" / "__init__.py").write_text(MODULE)
    (root / "README.md").write_text("# widget\n\nA widget to release.\n")
    (root / "CHANGELOG.md").write_text(CHANGELOG)
    (root / "inventory" / "hosts.yml").write_text(INVENTORY)
    (root / ".gitignore").write_text("dist/\nreports/\n")
    git(tmp, "init", "-q", "--bare", "-b", "main", str(origin))
    git(root.parent, "init", "-q", "-b", "main", str(root))
    git(root, "config", "user.name", "Ada Lovelace")
    git(root, "config", "user.email", "ada@example.com")
    git(root, "add", ".")
    git(root, "commit", "-qm", "feat: the first widget")
    git(root, "remote", "add", "origin", str(origin))
    project = Project(root, origin)
    project.commit("fix(core): widgets no longer wobble")
    project.push()
    return project


def release_options(project: Project, version: str, api_url: str, token: str | None,
                    **overrides: Any) -> ReleaseOptions:  # fmt: skip
    env = {"GITHUB_API_URL": api_url, "PATH": _path()}
    if token is not None:
        env["GITHUB_TOKEN"] = token
    values: dict[str, Any] = {
        "project_dir": project.root,
        "version": version,
        "repo": REPO,
        "env": env,
        "today": TODAY,
        "backoff": 0.01,
    }
    values.update(overrides)
    return ReleaseOptions(**values)


def rollback_options(project: Project, version: str, api_url: str, token: str,
                     **overrides: Any) -> RollbackOptions:  # fmt: skip
    env = {"GITHUB_API_URL": api_url, "GITHUB_TOKEN": token, "PATH": _path()}
    values: dict[str, Any] = {
        "project_dir": project.root,
        "version": version,
        "repo": REPO,
        "env": env,
        "backoff": 0.01,
    }
    values.update(overrides)
    return RollbackOptions(**values)


def _path() -> str:
    import os

    return os.environ.get("PATH", "")


def write_reports(
    project: Project,
    version: str,
    wheel: Path,
    *,
    qa_status: str = "pass",
    sha256: str | None = None,
    commit: str | None = None,
    qa: bool = True,
    bench: bool = True,
    bench_status: str = "pass",
) -> str:
    """reports/<version>/localhost/python3/{qa,performance}_report.json + summary + matrix."""
    sha = sha256 or hashlib.sha256(wheel.read_bytes()).hexdigest()
    head = commit or project.head()
    cell_dir = project.root / "reports" / version / "localhost" / "python3"
    cell_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    origin = {"run_id": "run1", "wheel_sha256": sha, "git_commit": head}
    if qa:
        failed = qa_status != "pass"
        report = QAReport.model_validate({
            "host_alias": "localhost", "origin": origin, "mycelium_version": version,
            "platform": {"os": "Linux", "os_version": "6", "distro": "debian",
                         "python_version": "3.11.7", "architecture": "x86_64", "wsl": False},
            "started_at": now, "finished_at": now,
            "results": [
                {"test": "install", "category": "installation", "status": "pass", "duration": 0.1},
                {"test": "wizard", "category": "wizard", "status": qa_status, "duration": 0.1},
            ],
            "summary": {"total": 2, "passed": 1 if failed else 2, "failed": int(failed),
                        "skipped": 0, "errors": 0, "pass_rate": 0.5 if failed else 1.0},
        })  # fmt: skip
        (cell_dir / "qa_report.json").write_text(report.model_dump_json(indent=2))
        state = CellState.FAILED if failed else CellState.PASS
        cells = [Cell("localhost", "python3", state, passed=2 - failed, total=2, required=True)]
        summary = QASummary.build(
            cells, version=version, run_id="run1", git_commit=head, wheel_sha256=sha,
            pattern="all", inventory="inventory/hosts.yml", interrupted=False,
            exit_code=2 if failed else 0,
        )  # fmt: skip
        write_summary(project.root / "reports" / version / "qa_summary.json", summary)
        (project.root / "reports" / version / "qa_matrix.md").write_text(
            "| host | python3 |\n| --- | --- |\n| localhost | pass |\n"
        )
    if bench:
        perf = PerformanceReport.model_validate({
            "host_alias": "localhost", "origin": origin, "mycelium_version": version,
            "started_at": now, "finished_at": now, "tool": "mycelium.bench (perf_counter)",
            "fingerprint": {"cpu_model": "cpu", "cpu_count": 2,
                            "python_implementation": "CPython", "python_version": "3.11.7",
                            "python_build": "main", "platform": "Linux", "machine": "x86_64",
                            "load_average": None, "cpu_governor": None, "turbo": None},
            "operations": [{"name": "config_validation", "label": "Configuration validation",
                            "kind": "call", "status": bench_status}],
        })  # fmt: skip
        (cell_dir / "performance_report.json").write_text(perf.model_dump_json(indent=2))
    return sha
