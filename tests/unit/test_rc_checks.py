"""Each release-candidate check, on small fixtures, and each shown to fail on a planted defect."""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from email.message import Message
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from mycelium.errors import UsageError
from mycelium.release.rc import audit, bandit, docblocks, doclinks, licenses, package, privacy
from mycelium.release.rc.docs import check_docs
from mycelium.release.rc.lockfile import runtime_packages
from mycelium.release.rc.result import CheckStatus
from mycelium.release.rc.runner import CHECKS, selected
from mycelium.release.rc.secrets import scan

if TYPE_CHECKING:
    from pathlib import Path

LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "1.0.0"
source = { editable = "." }
dependencies = [
    { name = "good" },
    { name = "db", extra = ["binary"] },
    { name = "oldpy", marker = "python_full_version < '3.0'" },
]

[package.optional-dependencies]
dev = [{ name = "devtool" }]

[[package]]
name = "good"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "leaf" }]

[[package]]
name = "leaf"
version = "0.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "db"
version = "3.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
binary = [{ name = "db-binary" }]

[[package]]
name = "db-binary"
version = "3.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "oldpy"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "devtool"
version = "9.9"
source = { registry = "https://pypi.org/simple" }
"""

POLICY = """\
[project]
name = "app"
version = "1.0.0"

[tool.mycelium.licenses]
allow = ["MIT", "BSD-3-Clause", "Apache-2.0", "LicenseRef-BSD"]

[tool.mycelium.licenses.exceptions]
db = "LGPL, used unmodified as a separate library"
db-binary = "same as db"

[tool.mycelium.licenses.declared]
oldpy = { license = "MIT", reason = "read from its wheel" }
"""


def metadata(version: str, **fields: str | list[str]) -> Message:
    message = Message()
    message["Metadata-Version"] = "2.4"
    message["Version"] = version
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            message[key.replace("_", "-")] = item
    return message


INSTALLED = {
    "good": metadata("2.0", License_Expression="mit"),  # PEP 639, lower case on purpose
    "leaf": metadata("0.1", Classifier=["License :: OSI Approved :: BSD License"]),
    "db": metadata("3.0", License_Expression="LGPL-3.0-only"),
    "db-binary": metadata("3.0", License_Expression="LGPL-3.0-only"),
}


def project(tmp_path: Path, policy: str = POLICY) -> Path:
    (tmp_path / "uv.lock").write_text(LOCK)
    (tmp_path / "pyproject.toml").write_text(policy)
    return tmp_path


def test_the_lock_gives_runtime_packages_with_extras_and_markers_but_no_dev(tmp_path: Path) -> None:
    packages = {p.name: p for p in runtime_packages(project(tmp_path) / "uv.lock", "app")}
    assert set(packages) == {"good", "leaf", "db", "db-binary", "oldpy"}
    assert packages["good"].applies_here
    assert not packages["oldpy"].applies_here


def test_licenses_pass_from_pep639_classifiers_exceptions_and_declarations(tmp_path: Path) -> None:
    result = licenses.check_licenses(project(tmp_path), INSTALLED.get)
    assert result.status is CheckStatus.PASS, result.details
    assert "✔ good 2.0: MIT [License-Expression] allowed" in result.details
    assert "✔ leaf 0.1: LicenseRef-BSD [classifiers] allowed" in result.details
    assert result.figures["exceptions"] == 2


def test_a_dependency_with_a_disallowed_license_fails(tmp_path: Path) -> None:
    installed = {**INSTALLED, "leaf": metadata("0.1", License_Expression="GPL-3.0-only")}
    result = licenses.check_licenses(project(tmp_path), installed.get)
    assert result.status is CheckStatus.FAIL
    assert result.summary == "1 of 5 runtime dependencies not allowed: leaf"
    assert any("GPL-3.0-only is not in the allowlist" in d for d in result.details)


def test_an_unknown_license_a_wrong_version_and_a_missing_package_fail(tmp_path: Path) -> None:
    installed = {**INSTALLED, "leaf": metadata("0.1"), "good": metadata("1.9", License="MIT")}
    del installed["db"]
    result = licenses.check_licenses(project(tmp_path), installed.get)
    assert result.status is CheckStatus.FAIL
    text = "\n".join(result.details)
    assert "leaf 0.1: unknown [none] license unknown" in text
    assert "good 2.0: unknown [none] installed 1.9, locked 2.0: run `uv sync`" in text
    assert "db 3.0: unknown [none] not installed: run `uv sync`" in text


def test_an_exception_without_a_reason_is_one_line_naming_the_field(tmp_path: Path) -> None:
    bad = POLICY.replace('db = "LGPL, used unmodified as a separate library"', 'db = ""')
    result = licenses.check_licenses(project(tmp_path, bad), INSTALLED.get)
    assert result.status is CheckStatus.FAIL
    assert result.summary.endswith(
        "[tool.mycelium.licenses].exceptions.db: give the reason as a non-empty string"
    )


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("MIT", True),
        ("Apache-2.0 OR GPL-3.0-only", True),
        ("Apache-2.0 AND GPL-3.0-only", False),
        ("(MIT OR GPL-2.0-only) AND BSD-3-Clause", True),
        ("GPL-2.0-only WITH Classpath-exception-2.0", False),
        ("Apache-2.0 WITH LLVM-exception", True),
        ("MIT OR", False),
        ("((MIT)", False),
        ("", False),
    ],
)
def test_spdx_expressions_are_evaluated_not_matched_as_text(expression: str, ok: bool) -> None:
    allow = frozenset({"mit", "apache-2.0", "bsd-3-clause"})
    assert licenses.allowed(expression, allow) is ok


def test_license_fields_are_read_in_pep639_order() -> None:
    both = metadata("1", License_Expression="Apache-2.0", License="GPL", Classifier=[
        "License :: OSI Approved :: MIT License"])  # fmt: skip
    assert licenses.license_of(both) == ("Apache-2.0", "License-Expression")
    prose = metadata("1", License="Copyright (c) someone\nall rights", Classifier=[
        "License :: OSI Approved :: MIT License"])  # fmt: skip
    assert licenses.license_of(prose) == ("MIT", "classifiers")


# -- bandit ---------------------------------------------------------------------------------

BASELINE = """\
[policy]
B101 = "asserts narrow types"

[[accepted]]
test = "B105"
file = "pkg/a.py"
line = 'PASS = "pass"'
reason = "a status word"
"""


def test_bandit_finds_a_planted_finding_and_accepts_the_baseline(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        'PASS = "pass"\n\n\ndef f(x: int) -> None:\n    assert x\n'
    )
    (tmp_path / bandit.BASELINE).write_text(BASELINE)
    clean = bandit.check_bandit(tmp_path, "pkg")
    assert clean.status is CheckStatus.PASS, clean.details
    assert clean.figures == {"findings": 2, "accepted": 2, "new": 0}
    (tmp_path / "pkg" / "b.py").write_text("def g(s: str) -> object:\n    return eval(s)\n")
    planted = bandit.check_bandit(tmp_path, "pkg")
    assert planted.status is CheckStatus.FAIL
    assert any(d.startswith("✘ pkg/b.py:2: B307") for d in planted.details), planted.details


def test_a_stale_baseline_entry_fails() -> None:
    baseline = bandit.Baseline({}, (("B105", "pkg/a.py", 'PASS = "pass"', "why"),))
    new, stale, accepted = bandit.judge([], baseline)
    assert (new, accepted) == ([], 0)
    assert stale == [
        (
            "✘ bandit-baseline.toml: [[accepted]] B105 pkg/a.py 'PASS = \"pass\"' matches no "
            "finding: remove it"
        )
    ]


def test_a_baseline_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    (tmp_path / bandit.BASELINE).write_text(BASELINE.replace('reason = "a status word"', ""))
    (tmp_path / "pkg").mkdir()
    result = bandit.check_bandit(tmp_path, "pkg")
    assert result.status is CheckStatus.FAIL
    assert result.summary.endswith("[[accepted]] #1: needs test, file, line and reason")


# -- secrets --------------------------------------------------------------------------------

FAKE_TOKEN = "gh" + "p_" + "A1b2C3d4" * 5  # built here so that this file holds no token


def test_a_token_in_a_wheel_and_a_shipped_env_file_are_found() -> None:
    members = [
        ("wheel", "pkg/config.py", f"TOKEN = '{FAKE_TOKEN}'\n".encode()),
        ("sdist", "app-1.0/.env", b"REDIS_PASSWORD=x\n"),
        ("repo", "tests/data/.env", b"A=1\n"),  # a test fixture in the repository
        ("repo", "tests/test_x.py", f"'{FAKE_TOKEN}'  # rc: allow-secret\n".encode()),
        ("repo", "docs/.env.example", b"A=\n"),
        ("wheel", "pkg/blob.bin", b"\0" + FAKE_TOKEN.encode()),
    ]
    hits, files, allowed = scan(iter(members), fixtures=("tests/",))
    assert [h.format() for h in hits] == [
        "✘ wheel:pkg/config.py:1: GitHub token",
        "✘ sdist:app-1.0/.env: a .env file (secrets) is tracked or shipped",
    ]
    assert (files, allowed) == (6, 1)


def test_a_private_key_is_found() -> None:
    key = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nabc\n"
    hits, _, _ = scan(iter([("repo", "deploy/id", key.encode())]))
    assert [h.kind for h in hits] == ["private key"]


# -- pip-audit ------------------------------------------------------------------------------


def test_pip_audit_that_could_not_ask_is_not_run_never_clean() -> None:
    # What pip-audit prints here (exit 0, "No known vulnerabilities found") when its
    # vulnerability service is out of reach: every package skipped.
    report = {"dependencies": [
        {"name": "a", "skip_reason": "Dependency not found on PyPI and could not be audited: a"},
        {"name": "b", "skip_reason": "Dependency not found on PyPI and could not be audited: b"},
    ]}  # fmt: skip
    result = audit.judge(report, "pypi")
    assert result.status is CheckStatus.NOT_RUN
    assert result.summary.startswith("2 of 2 packages could not be audited against pypi")
    assert result.summary.endswith("none audited")


def test_pip_audit_vulnerabilities_fail_and_a_full_audit_passes() -> None:
    vulnerable = {"dependencies": [
        {"name": "a", "version": "1", "vulns": [{"id": "PYSEC-1", "fix_versions": ["1.1"]}]},
        {"name": "b", "version": "2", "vulns": []},
    ]}  # fmt: skip
    result = audit.judge(vulnerable, "osv")
    assert result.status is CheckStatus.FAIL
    assert result.details == ("✘ a 1: PYSEC-1 (fixed in 1.1)",)
    clean = audit.judge({"dependencies": [{"name": "b", "version": "2", "vulns": []}]}, "osv")
    assert clean.status is CheckStatus.PASS


# -- package --------------------------------------------------------------------------------


def dist(tmp_path: Path, *, templates: bool = True, padding: int = 0) -> tuple[Path, Path, Path]:
    wheel = tmp_path / "app-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("app/__init__.py", "")
        if templates:
            for name in package.TEMPLATES:
                archive.writestr(name, "x")
        if padding:
            archive.writestr("app/big.bin", bytes(padding), compress_type=zipfile.ZIP_STORED)
    sdist = tmp_path / "app-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz"):
        pass
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(
        "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in (wheel, sdist))
    )
    return wheel, sdist, sums


def test_the_package_files_pass_size_templates_and_checksums(tmp_path: Path) -> None:
    problems, good = package.inspect(*dist(tmp_path))
    assert problems == []
    assert "✔ SHA256SUMS verifies" in good


def test_an_oversized_wheel_fails(tmp_path: Path) -> None:
    problems, _ = package.inspect(*dist(tmp_path, padding=3000), max_bytes=2000)
    assert len(problems) == 1
    assert problems[0].startswith("✘ app-1.0-py3-none-any.whl is 0.0 MB, over the 0.0 MB limit")


def test_missing_templates_and_a_wrong_checksum_fail(tmp_path: Path) -> None:
    wheel, sdist, sums = dist(tmp_path, templates=False)
    sdist.write_bytes(sdist.read_bytes() + b"changed")
    problems, _ = package.inspect(wheel, sdist, sums)
    assert any("lacks the templates" in p for p in problems)
    assert "✘ SHA256SUMS: app-1.0.tar.gz does not match its sha256" in problems


# -- docs -----------------------------------------------------------------------------------


def docs_tree(tmp_path: Path, readme: str) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(readme)
    (tmp_path / "docs" / "GUIDE.md").write_text("# Guide\n\n## Set it up\n\n## Set it up\n")
    return tmp_path


RUNNABLE = """\
# App

See [the guide](docs/GUIDE.md#set-it-up-1) and [setup](docs/GUIDE.md#set-it-up).

<!-- rc: run -->
```console
$ echo hello; echo "$HOME" | grep -c mycelium-docs
hello
1
$ printf 'a\\nb\\nc\\n'
a
...
c
$ uv run true
```

<!-- rc: skip installs software -->
```console
$ pip install app
```
"""


def test_runnable_blocks_run_in_a_sandbox_and_links_resolve(tmp_path: Path) -> None:
    result = check_docs(docs_tree(tmp_path, RUNNABLE))
    assert result.status is CheckStatus.PASS, result.details
    assert result.figures == {"blocks_run": 1, "blocks_skipped": 1, "links": 2}


def test_the_summary_says_whether_the_blocks_ran_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mycelium.release.rc import docs

    tree = docs_tree(tmp_path, RUNNABLE)
    monkeypatch.setattr(docs, "network_isolated", lambda: False)
    assert "1 console blocks run (network NOT isolated: no unshare -rn here)" in (
        check_docs(tree).summary
    )
    monkeypatch.setattr(docs, "network_isolated", lambda: True)
    assert "1 console blocks run (no network: unshare -rn)" in check_docs(tree).summary


def test_a_console_block_whose_output_changed_fails_with_a_diff(tmp_path: Path) -> None:
    result = check_docs(docs_tree(tmp_path, RUNNABLE.replace("hello\n1", "hullo\n1")))
    assert result.status is CheckStatus.FAIL
    (problem,) = [d for d in result.details if d.startswith("✘")]
    assert problem.startswith('✘ README.md:6: `echo hello; echo "$HOME" | grep -c mycelium-docs`')
    assert "-hullo" in problem
    assert "+hello" in problem


def test_a_broken_link_a_missing_anchor_and_an_unmarked_block_fail(tmp_path: Path) -> None:
    readme = (
        "# App\n\n[gone](docs/GONE.md) [anchor](docs/GUIDE.md#nowhere) [out](../../etc/passwd)"
        " `[code](not/a/link.md)` [web](https://example.com/x)\n\n```console\n$ ls\n```\n"
    )
    result = check_docs(docs_tree(tmp_path, readme))
    assert result.status is CheckStatus.FAIL
    assert [d for d in result.details if d.startswith("✘")] == [
        (
            "✘ README.md:5: console block without a mark: put <!-- rc: run --> or "
            "<!-- rc: skip REASON --> on the line before it"
        ),
        "✘ README.md:3: docs/GONE.md: no such file",
        "✘ README.md:3: docs/GUIDE.md#nowhere: no heading #nowhere in docs/GUIDE.md",
        "✘ README.md:3: ../../etc/passwd leaves the repository",
    ]


def test_a_command_that_fails_without_shown_output_fails(tmp_path: Path) -> None:
    block = docblocks.parse_blocks("<!-- rc: run -->\n```console\n$ exit 3\n```\n", "X.md")[0]
    assert docblocks.run_block(block, tmp_path) == ["✘ X.md:2: `exit 3` exited 3: "]


def test_uv_in_the_sandbox_is_offline_on_the_accounts_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pwd
    from pathlib import Path

    monkeypatch.delenv("UV_CACHE_DIR", raising=False)
    env = docblocks.sandbox_env(tmp_path / "sandbox", tmp_path)
    account_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert env["UV_CACHE_DIR"] == str(account_home / ".cache" / "uv")  # not the moved HOME's
    assert (env["UV_OFFLINE"], env["UV_PYTHON_DOWNLOADS"]) == ("1", "never")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "ci-cache"))
    assert docblocks.sandbox_env(tmp_path, tmp_path)["UV_CACHE_DIR"] == str(tmp_path / "ci-cache")


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Release candidates: `invoke rc VERSION`", "release-candidates-invoke-rc-version"),
        ("What's new?", "whats-new"),
        ("[Link](x.md) and more", "link-and-more"),
        ("Ünïcode words", "ünïcode-words"),
    ],
)
def test_anchors_follow_github(heading: str, anchor: str) -> None:
    assert doclinks.slug(heading) == anchor


# -- privacy, selection ---------------------------------------------------------------------


def test_privacy_is_not_run_until_the_telemetry_module_exists(tmp_path: Path) -> None:
    result = privacy.check_privacy(tmp_path)
    assert result.status is CheckStatus.NOT_RUN
    assert result.summary == "no telemetry module yet (mycelium/telemetry/ does not exist)"


def test_privacy_names_each_field_and_value_the_page_leaves_out() -> None:
    schema = SimpleNamespace(
        Event=SimpleNamespace(model_fields={"event": 1, "os_family": 2}),
        ALLOWLISTS={"platform": ("linux", "macos")},
    )
    page = "| `event` | what happened |\n| `os_family` | `linux` |\n"
    assert privacy.compare(schema, page) == [
        "✘ docs/PRIVACY.md does not name `macos`, an allowed value of platform"
    ]


def test_only_and_skip_select_checks_and_refuse_unknown_names() -> None:
    assert selected(("licenses", "docs"), ()) == ("licenses", "docs")
    assert "tests" not in selected((), ("tests",))
    assert len(selected((), ())) == len(CHECKS)
    with pytest.raises(UsageError, match=r"^--only: unknown check '\.\./x'; the checks are "):
        selected(("../x",), ())
    with pytest.raises(UsageError, match="leave no check to run"):
        selected(("docs",), ("docs",))
