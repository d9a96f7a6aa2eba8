"""Release versions: the two spellings, what is refused, tags, bumps, pyproject."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mycelium.errors import ReleaseError, UsageError
from mycelium.release.publish.commits import parse_commit
from mycelium.release.publish.versions import (
    ReleaseVersion,
    bump_kind,
    bump_warning,
    check_newer,
    next_version,
    set_project_version,
    tag_template,
    tag_version,
)

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("text", "pep440", "semver", "pre"),
    [
        ("1.0.0", "1.0.0", "1.0.0", False),
        ("v1.0.0", "1.0.0", "1.0.0", False),
        ("1.0.0-rc.1", "1.0.0rc1", "1.0.0-rc.1", True),
        ("1.0.0rc1", "1.0.0rc1", "1.0.0-rc.1", True),
        ("v1.0.0-rc.1", "1.0.0rc1", "1.0.0-rc.1", True),
        ("2.1.0-alpha.3", "2.1.0a3", "2.1.0-alpha.3", True),
        ("2.1.0b2", "2.1.0b2", "2.1.0-beta.2", True),
        ("10.20.30", "10.20.30", "10.20.30", False),
    ],
)
def test_a_version_is_read_in_either_spelling(
    text: str, pep440: str, semver: str, pre: bool
) -> None:
    version = ReleaseVersion.parse(text)
    assert (version.pep440, version.semver, version.is_prerelease) == (pep440, semver, pre)


@pytest.mark.parametrize(
    "text", ["1.0", "v1.0.0.0", "1", "garbage", "", "v", "1.0.0.post1", "1.0.0.dev2", "1.0.0+local",
             "1!1.0.0", "vv1.0.0", "1.0.0 rc1x"],
)  # fmt: skip
def test_anything_but_three_numbers_and_a_prerelease_is_one_line_naming_the_value(
    text: str,
) -> None:
    with pytest.raises(UsageError) as caught:
        ReleaseVersion.parse(text)
    message = str(caught.value)
    assert message == (
        f"version {text!r} is not a release version: give MAJOR.MINOR.PATCH with an optional "
        "pre-release, e.g. 1.0.0 or 1.0.0-rc.1"
    )
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_the_tag_follows_the_template() -> None:
    version = ReleaseVersion.parse("1.0.0rc1")
    assert version.tag() == "v1.0.0-rc.1"
    assert version.tag("release-{pep440}") == "release-1.0.0rc1"
    assert version.tag("{semver}") == "1.0.0-rc.1"


@pytest.mark.parametrize("template", ["v{version}", "v", "{semver}-{pep440}", "v{semver"])
def test_a_template_without_exactly_one_version_field_is_refused(template: str) -> None:
    with pytest.raises(UsageError, match="must contain exactly one of"):
        ReleaseVersion.parse("1.0.0").tag(template)


def test_both_rc_spellings_of_a_tag_name_the_same_release() -> None:
    assert (
        tag_version("v1.0.0-rc.1") == tag_version("v1.0.0rc1") == ReleaseVersion.parse("1.0.0rc1")
    )
    assert tag_version("release-1.0.0-rc.1", "release-{pep440}") == ReleaseVersion.parse("1.0.0rc1")


@pytest.mark.parametrize("tag", ["1.0.0", "vv1.0.0", "v1.0", "latest", "v1.0.0-foo", "x1.0.0"])
def test_a_tag_outside_the_template_names_no_release(tag: str) -> None:
    assert tag_version(tag) is None


def test_versions_compare_as_versions_not_strings() -> None:
    order = ["1.0.0a1", "1.0.0b1", "1.0.0rc1", "1.0.0rc2", "1.0.0", "1.9.0", "1.10.0"]
    parsed = [ReleaseVersion.parse(v) for v in order]
    shuffled = [parsed[i] for i in (6, 0, 3, 1, 5, 2, 4)]
    assert sorted(shuffled) == parsed


def test_a_version_not_above_the_last_release_is_refused() -> None:
    last = ReleaseVersion.parse("1.2.0")
    with pytest.raises(UsageError) as caught:
        check_newer(ReleaseVersion.parse("1.1.9"), last)
    assert str(caught.value) == (
        "version 1.1.9 is not greater than the last release 1.2.0: give a version above 1.2.0"
    )
    with pytest.raises(UsageError):
        check_newer(ReleaseVersion.parse("1.2.0"), last)
    with pytest.raises(UsageError):
        check_newer(ReleaseVersion.parse("1.2.0rc1"), last)
    check_newer(ReleaseVersion.parse("1.2.1-rc.1"), last)
    check_newer(ReleaseVersion.parse("0.0.1"), None)


def _commits(*subjects: str, body: str = "") -> list:  # type: ignore[type-arg]
    return [parse_commit(f"{i:040x}", s, body, "A") for i, s in enumerate(subjects)]


def test_the_bump_the_commits_call_for() -> None:
    assert bump_kind(_commits("fix: a", "docs: b")) == "patch"
    assert bump_kind(_commits("fix: a", "feat(x): b")) == "minor"
    assert bump_kind(_commits("feat!: a")) == "major"
    assert bump_kind(_commits("fix: a", body="BREAKING CHANGE: gone")) == "major"
    assert bump_kind([]) == "patch"


def test_a_smaller_bump_than_the_commits_call_for_is_a_warning() -> None:
    last = ReleaseVersion.parse("1.4.2")
    breaking = _commits("fix: a", "refactor(api)!: drop v1")
    warning = bump_warning(ReleaseVersion.parse("1.4.3"), last, breaking)
    assert warning == (
        "version 1.4.3 is a patch bump from 1.4.2, but the commits since call for a major "
        "bump (1 breaking change): give 2.0.0 or release anyway"
    )
    features = _commits("feat: a", "feat: b", "fix: c")
    assert bump_warning(ReleaseVersion.parse("1.4.3"), last, features) == (
        "version 1.4.3 is a patch bump from 1.4.2, but the commits since call for a minor "
        "bump (2 features): give 1.5.0 or release anyway"
    )
    assert bump_warning(ReleaseVersion.parse("2.0.0"), last, breaking) is None
    assert bump_warning(ReleaseVersion.parse("1.5.0"), last, features) is None
    assert bump_warning(ReleaseVersion.parse("1.4.3"), None, breaking) is None


def test_with_no_release_yet_a_version_below_pyprojects_is_a_warning() -> None:
    unreleased = ReleaseVersion.parse("0.1.0")
    commits = _commits("feat: a")

    assert bump_warning(ReleaseVersion.parse("0.0.1"), None, commits, unreleased=unreleased) == (
        "version 0.0.1 is below pyproject's 0.1.0 (no release yet): the package version would "
        "go backwards; give 0.1.0 or newer, or release anyway"
    )
    for fine in ("0.1.0", "0.2.0", "1.0.0-rc.1"):
        assert (
            bump_warning(ReleaseVersion.parse(fine), None, commits, unreleased=unreleased) is None
        )


def test_before_one_a_breaking_change_needs_a_minor_bump_only() -> None:
    last = ReleaseVersion.parse("0.3.1")
    breaking = _commits("feat!: new api")
    assert bump_warning(ReleaseVersion.parse("0.4.0"), last, breaking) is None
    assert "call for a minor bump" in (
        bump_warning(ReleaseVersion.parse("0.3.2"), last, breaking) or ""
    )


def test_a_prerelease_becoming_final_is_not_a_bump() -> None:
    last = ReleaseVersion.parse("1.0.0rc2")
    assert bump_warning(ReleaseVersion.parse("1.0.0"), last, _commits("feat!: x")) is None
    assert next_version(last, "major") == ReleaseVersion.parse("1.0.0")


def test_next_version() -> None:
    base = ReleaseVersion.parse("1.4.2")
    assert next_version(base, "patch").semver == "1.4.3"
    assert next_version(base, "minor").semver == "1.5.0"
    assert next_version(base, "major").semver == "2.0.0"


PYPROJECT = """\
# The project's metadata.
[project]
name = "demo"   # the distribution name
version = "0.1.0"  # bumped by invoke release
description = 'single quotes stay'
dependencies = [
    "a>=1",  # why a
    "b",
]

[tool.other]
version = "9.9.9"
"""


def test_setting_the_version_keeps_every_other_byte(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT, encoding="utf-8")
    text = set_project_version(path, ReleaseVersion.parse("1.0.0-rc.1"))
    assert text == PYPROJECT.replace('version = "0.1.0"', 'version = "1.0.0rc1"')
    assert path.read_text(encoding="utf-8") == PYPROJECT  # nothing written


def test_a_pyproject_without_a_static_version_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\ndynamic = ["version"]\n', encoding="utf-8")
    with pytest.raises(
        ReleaseError, match=r"pyproject.toml: \[project\] has no version \(the version is dynamic"
    ):
        set_project_version(path, ReleaseVersion.parse("1.0.0"))
    path.write_text("[tool.x]\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"no \[project\] table"):
        set_project_version(path, ReleaseVersion.parse("1.0.0"))
    path.write_text("[project\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="not valid TOML"):
        set_project_version(path, ReleaseVersion.parse("1.0.0"))


def test_the_tag_template_comes_from_pyproject(tmp_path: Path) -> None:
    assert tag_template(tmp_path) == "v{semver}"  # no pyproject.toml
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\nversion = "1.0.0"\n', encoding="utf-8")
    assert tag_template(tmp_path) == "v{semver}"
    path.write_text(
        '[project]\nname = "x"\n\n[tool.mycelium.release]\ntag-template = "x-{pep440}"\n',
        encoding="utf-8",
    )
    assert tag_template(tmp_path) == "x-{pep440}"
    path.write_text('[tool.mycelium.release]\ntag-template = "latest"\n', encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        tag_template(tmp_path)
    assert str(caught.value) == (
        f"{path}: [tool.mycelium.release] tag template 'latest' must contain exactly one of "
        "{semver} or {pep440}, e.g. 'v{semver}'"
    )
