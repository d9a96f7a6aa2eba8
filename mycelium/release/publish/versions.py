"""Release versions: parse the argument, name its tag, find the last release, bump pyproject.

``packaging.version`` parses; pyproject gets the PEP 440 form (``1.0.0rc1``), the tag a
template (default ``v{semver}``: ``v1.0.0-rc.1``). ``v1.0.0-rc.1`` and ``v1.0.0rc1`` name
the same release. Tags are compared as versions, never as strings.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import tomlkit
import tomlkit.items
from packaging.version import InvalidVersion, Version
from tomlkit.exceptions import ParseError

from mycelium.errors import ReleaseError, UsageError
from mycelium.release.publish.commits import git

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from mycelium.release.publish.commits import Commit

DEFAULT_TAG_TEMPLATE = "v{semver}"
BumpKind = Literal["major", "minor", "patch"]

_FIX = "give MAJOR.MINOR.PATCH with an optional pre-release, e.g. 1.0.0 or 1.0.0-rc.1"
_SEMVER_PRE = {"a": "alpha", "b": "beta", "rc": "rc"}
_TEMPLATE_FIELDS = frozenset({"semver", "pep440"})
_BUMP_ORDER: dict[BumpKind, int] = {"patch": 0, "minor": 1, "major": 2}


@dataclass(frozen=True)
class ReleaseVersion:
    """One release's version in the two spellings it needs."""

    pep440: str
    semver: str
    is_prerelease: bool

    @classmethod
    def parse(cls, text: str) -> ReleaseVersion:
        """Accept ``1.0.0``, ``1.0.0-rc.1``, ``1.0.0rc1``, ``v1.0.0``; refuse anything else.

        Raises:
            UsageError: one line naming the value and the form to give.
        """
        version = _parse_or_none(text)
        if version is None:
            raise UsageError(f"version {text!r} is not a release version: {_FIX}")
        return version

    @property
    def key(self) -> Version:
        """The value versions are compared by."""
        return Version(self.pep440)

    @property
    def release(self) -> tuple[int, int, int]:
        major, minor, patch = self.key.release
        return (major, minor, patch)

    def tag(self, template: str = DEFAULT_TAG_TEMPLATE) -> str:
        """The tag name for this version: ``template`` with ``{semver}`` or ``{pep440}``."""
        check_template(template)
        return template.format(semver=self.semver, pep440=self.pep440)

    def __lt__(self, other: ReleaseVersion) -> bool:
        return self.key < other.key

    def __le__(self, other: ReleaseVersion) -> bool:
        return self.key <= other.key

    def __gt__(self, other: ReleaseVersion) -> bool:
        return self.key > other.key

    def __ge__(self, other: ReleaseVersion) -> bool:
        return self.key >= other.key

    def __str__(self) -> str:
        return self.semver


def _parse_or_none(text: str) -> ReleaseVersion | None:
    raw = text.strip()
    if raw[:1] in {"v", "V"}:
        raw = raw[1:]
    # packaging also reads `1.0`, `1.0.0.0`, epochs, post, dev and local versions: a release
    # here is exactly three numbers, optionally a pre-release, so that it has a semver form.
    if not raw or not raw[0].isdigit():
        return None
    try:
        version = Version(raw)
    except InvalidVersion:
        return None
    if (
        len(version.release) != 3  # noqa: PLR2004 - MAJOR.MINOR.PATCH
        or version.epoch
        or version.post is not None
        or version.dev is not None
        or version.local is not None
    ):
        return None
    release = ".".join(str(n) for n in version.release)
    if version.pre is None:
        return ReleaseVersion(pep440=release, semver=release, is_prerelease=False)
    label, number = version.pre
    return ReleaseVersion(
        pep440=str(version),
        semver=f"{release}-{_SEMVER_PRE[label]}.{number}",
        is_prerelease=True,
    )


def check_template(template: str) -> None:
    """A tag template names ``{semver}`` or ``{pep440}`` once, and no other field."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:
        fields = ["?"]
    if len(fields) != 1 or fields[0] not in _TEMPLATE_FIELDS:
        raise UsageError(
            f"tag template {template!r} must contain exactly one of {{semver}} or {{pep440}}, "
            "e.g. 'v{semver}'"
        )


def tag_template(project_dir: Path) -> str:
    """The project's tag template: ``[tool.mycelium.release] tag-template`` in pyproject.toml.

    ``v{semver}`` when the project does not set one (or has no pyproject.toml).
    """
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file():
        return DEFAULT_TAG_TEMPLATE
    tool = _load(pyproject).get("tool", {})
    release = tool.get("mycelium", {}).get("release", {}) if isinstance(tool, dict) else {}
    value = release.get("tag-template", DEFAULT_TAG_TEMPLATE) if isinstance(release, dict) else None
    if not isinstance(value, str):
        raise UsageError(
            f"{pyproject}: [tool.mycelium.release] tag-template must be a string such as "
            "'v{semver}'"
        )
    try:
        check_template(value)
    except UsageError as exc:
        raise UsageError(f"{pyproject}: [tool.mycelium.release] {exc}") from None
    return str(value)


def tag_version(tag: str, template: str = DEFAULT_TAG_TEMPLATE) -> ReleaseVersion | None:
    """The release a tag names under ``template``, or None when it names none.

    The version part is read in either spelling: ``v1.0.0-rc.1`` and ``v1.0.0rc1`` are the
    same release.
    """
    check_template(template)
    field = next(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)
    prefix, suffix = template.split("{" + field + "}")
    if not tag.startswith(prefix) or not tag.endswith(suffix):
        return None
    middle = tag[len(prefix) : len(tag) - len(suffix)] if suffix else tag[len(prefix) :]
    if middle[:1] in {"v", "V"} and prefix.endswith(("v", "V")):
        return None  # `vv1.0.0` is not a release tag
    return _parse_or_none(middle)


def last_release(
    repo_dir: Path, template: str = DEFAULT_TAG_TEMPLATE
) -> tuple[str, ReleaseVersion] | None:
    """The greatest release tag reachable from HEAD, compared as versions.

    A tag on a branch HEAD does not contain is ignored. When two tags name the same release
    (``v1.0.0-rc.1`` and ``v1.0.0rc1``), the one spelled as ``template`` spells it wins.
    """
    check_template(template)
    try:
        git(repo_dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except ReleaseError:
        raise ReleaseError(
            f"{repo_dir} has no commit at HEAD: commit something before releasing"
        ) from None
    best: tuple[Version, bool, str, ReleaseVersion] | None = None
    for name in git(repo_dir, "tag", "--merged", "HEAD").splitlines():
        tag = name.strip()
        version = tag_version(tag, template) if tag else None
        if version is None:
            continue
        candidate = (version.key, tag == version.tag(template), tag, version)
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    return None if best is None else (best[2], best[3])


def check_newer(new: ReleaseVersion, last: ReleaseVersion | None) -> None:
    """Refuse a version that is not greater than the last release."""
    if last is not None and not new > last:
        raise UsageError(
            f"version {new.semver} is not greater than the last release {last.semver}: "
            f"give a version above {last.semver}"
        )


def bump_kind(commits: Sequence[Commit]) -> BumpKind:
    """What the commits call for: major for a breaking change, minor for a feature."""
    if any(c.breaking for c in commits):
        return "major"
    if any(c.type == "feat" for c in commits):
        return "minor"
    return "patch"


def bump_of(new: ReleaseVersion, last: ReleaseVersion) -> BumpKind | None:
    """The kind of bump from ``last`` to ``new`` (None: same MAJOR.MINOR.PATCH, e.g. rc → final)."""
    if new.release[0] != last.release[0]:
        return "major"
    if new.release[1] != last.release[1]:
        return "minor"
    if new.release[2] != last.release[2]:
        return "patch"
    return None


def required_bump(kind: BumpKind, base: ReleaseVersion) -> BumpKind:
    """Before 1.0.0 a breaking change needs only a minor bump (semver: 0.y.z may change)."""
    return "minor" if kind == "major" and base.release[0] == 0 else kind


def bump_warning(
    new: ReleaseVersion,
    last: ReleaseVersion | None,
    commits: Sequence[Commit],
    *,
    unreleased: ReleaseVersion | None = None,
) -> str | None:
    """A sentence when ``new`` is a smaller bump than the commits since ``last`` call for.

    With no release yet, pyproject's version (``unreleased``) is the base: releasing it as
    it is, or above, is fine; below it the package version would go backwards.
    """
    if last is None:
        if unreleased is not None and new < unreleased:
            return (
                f"version {new.semver} is below pyproject's {unreleased.semver} (no release "
                f"yet): the package version would go backwards; give {unreleased.semver} or "
                "newer, or release anyway"
            )
        return None
    done = bump_of(new, last)
    if done is None:
        return None
    wanted = required_bump(bump_kind(commits), last)
    if _BUMP_ORDER[done] >= _BUMP_ORDER[wanted]:
        return None
    breaking = sum(1 for c in commits if c.breaking)
    features = sum(1 for c in commits if c.type == "feat")
    why = (
        f"{breaking} breaking change{'s' * (breaking != 1)}"
        if wanted == "major" or (wanted == "minor" and breaking)
        else f"{features} feature{'s' * (features != 1)}"
    )
    return (
        f"version {new.semver} is a {done} bump from {last.semver}, but the commits since "
        f"call for a {wanted} bump ({why}): give {next_version(last, wanted).semver} or "
        "release anyway"
    )


def next_version(base: ReleaseVersion, kind: BumpKind) -> ReleaseVersion:
    """``base`` bumped by ``kind`` (a pre-release of the same numbers is finalised first)."""
    major, minor, patch = base.release
    if base.is_prerelease:
        # 1.0.0rc2 + patch is 1.0.0 itself: the pre-release was on its way to it.
        return ReleaseVersion.parse(f"{major}.{minor}.{patch}")
    if kind == "major":
        return ReleaseVersion.parse(f"{major + 1}.0.0")
    if kind == "minor":
        return ReleaseVersion.parse(f"{major}.{minor + 1}.0")
    return ReleaseVersion.parse(f"{major}.{minor}.{patch + 1}")


def project_version(pyproject: Path) -> str:
    """``[project] version`` of a pyproject.toml, as written."""
    table = _project_table(pyproject, _load(pyproject))
    return str(table["version"])


def set_project_version(pyproject: Path, version: ReleaseVersion) -> str:
    """pyproject.toml's text with ``[project] version`` set to the PEP 440 form.

    tomlkit keeps every other byte: comments, order, quoting, a comment after the value.
    Nothing is written; the caller writes the text it returns.
    """
    document = _load(pyproject)
    table = _project_table(pyproject, document)
    old = table["version"]
    new = tomlkit.string(version.pep440)
    if isinstance(old, tomlkit.items.Item):
        new.trivia.indent = old.trivia.indent
        new.trivia.comment_ws = old.trivia.comment_ws
        new.trivia.comment = old.trivia.comment
        new.trivia.trail = old.trivia.trail
    table["version"] = new
    return tomlkit.dumps(document)


def _load(pyproject: Path) -> tomlkit.TOMLDocument:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReleaseError(f"{pyproject}: cannot read it ({exc.strerror})") from None
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise ReleaseError(f"{pyproject}: not valid TOML ({exc}); fix the file") from None


def _project_table(pyproject: Path, document: tomlkit.TOMLDocument) -> tomlkit.items.Table:
    project = document.get("project")
    if not isinstance(project, tomlkit.items.Table):
        raise ReleaseError(f"{pyproject}: no [project] table; add one with name and version")
    if "version" not in project:
        dynamic = project.get("dynamic") or []
        hint = (
            "the version is dynamic: set it in the file your build backend reads, or make it static"
            if "version" in dynamic
            else 'add version = "0.1.0" under [project]'
        )
        raise ReleaseError(f"{pyproject}: [project] has no version ({hint})")
    return project
