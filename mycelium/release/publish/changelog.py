"""The changelog section of a release, built from conventional commits, and CHANGELOG.md.

Groups, in order: breaking changes, features, fixes, performance, documentation,
refactoring, tests, chores, other (never dropped). A commit appears once: a breaking
``feat`` is listed under breaking changes only. Each line links to its commit on the
repository's web host when the remote names one (GitHub or GitHub Enterprise).

CHANGELOG.md: the new ``## [X.Y.Z] - date`` section goes right below ``## [Unreleased]``;
what was written by hand under ``## [Unreleased]`` moves into the new section as its
"Highlights" (headings one level down) and ``## [Unreleased]`` is left empty. Every byte
above ``## [Unreleased]`` and below it from the first older section on is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mycelium.errors import ReleaseError
from mycelium.release.publish.commits import Commit, commits_since, git
from mycelium.release.publish.versions import (
    ReleaseVersion,
    bump_kind,
    bump_warning,
    last_release,
    next_version,
    project_version,
    required_bump,
    tag_template,
)
from mycelium.release.qa.render import markdown_cell

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date
    from pathlib import Path

__all__ = [
    "GROUPS",
    "ChangelogPreview",
    "Commit",
    "Section",
    "build_section",
    "commits_since",
    "group_of",
    "has_section",
    "prepend_section",
    "preview_changelog",
    "release_section_text",
    "render_section",
    "web_url",
]

BREAKING = "Breaking changes"
OTHER = "Other"
HIGHLIGHTS = "Highlights"
# Group title → the commit types it collects, in the order the section lists them.
GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    (BREAKING, frozenset()),
    ("Features", frozenset({"feat"})),
    ("Fixes", frozenset({"fix"})),
    ("Performance", frozenset({"perf"})),
    ("Documentation", frozenset({"docs"})),
    ("Refactoring", frozenset({"refactor"})),
    ("Tests", frozenset({"test"})),
    ("Chores", frozenset({"chore", "build", "ci", "style"})),
    (OTHER, frozenset()),
)
_GROUP_OF_TYPE = {kind: title for title, kinds in GROUPS for kind in kinds}

_H2 = re.compile(r"^## ")
_UNRELEASED = re.compile(r"^##\s+\[?unreleased\]?\s*$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_SUBHEADING = re.compile(r"^(#{3,5}) ")
_SCP_REMOTE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^\s]+)$")
_BACKTICKS = re.compile("`+")


@dataclass(frozen=True)
class Section:
    """One release's changelog section: its Markdown and what it counts."""

    version: str
    date: str
    markdown: str
    counts: Mapping[str, int] = field(default_factory=dict)
    contributors: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        return f"## [{self.version}] - {self.date}"

    @property
    def body(self) -> str:
        """The Markdown below the heading: the release notes' text."""
        return self.markdown.split("\n", 1)[1].lstrip("\n") if "\n" in self.markdown else ""


def group_of(commit: Commit) -> str:
    """The group title a commit is listed under."""
    if commit.breaking:
        return BREAKING
    if commit.type is None:
        return OTHER
    return _GROUP_OF_TYPE.get(commit.type, OTHER)


def web_url(remote_url: str | None) -> str | None:
    """The repository's web address from a git remote URL, or None when it names none.

    ``https://host/o/r.git``, ``ssh://git@host[:port]/o/r.git`` and ``git@host:o/r.git``
    all give ``https://host/o/r`` (GitHub and GitHub Enterprise alike); credentials in the
    URL are dropped; a local path gives None.
    """
    if not remote_url:
        return None
    url = remote_url.strip()
    scp = _SCP_REMOTE.match(url) if "://" not in url else None
    if scp is not None:
        scheme, host, path = "https", scp.group("host"), scp.group("path")
    else:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https", "ssh", "git", "git+ssh", "ssh+git"}:
            return None
        host = parts.hostname or ""
        keep_port = parts.scheme in {"http", "https"} and parts.port is not None
        host = f"{host}:{parts.port}" if keep_port else host
        scheme = "http" if parts.scheme == "http" else "https"
        path = parts.path
    segments = [s for s in path.strip("/").split("/") if s]
    if not host or len(segments) != 2:  # noqa: PLR2004 - owner/name, as GitHub has it
        return None
    owner, name = segments
    name = name.removesuffix(".git")
    if not owner or not name:
        return None
    return f"{scheme}://{host}/{owner}/{name}"


def _text(value: str) -> str:
    """Commit text made inert as Markdown outside code spans: ``<`` cannot open an HTML tag
    (``<!--`` or ``<details>`` would hide the rest of the release notes on GitHub), ``[``
    cannot open a link or an image, and a backslash cannot undo either escape."""
    runs = list(_BACKTICKS.finditer(value))
    out: list[str] = []
    pos = index = 0
    while index < len(runs):
        opener = runs[index]
        # As CommonMark reads a code span: the next run of exactly as many backticks.
        closer = next(
            (j for j in range(index + 1, len(runs)) if len(runs[j][0]) == len(opener[0])), None
        )
        if closer is None:
            index += 1  # a lone run is literal text, not a code span
            continue
        out += [_inert(value[pos : opener.start()]), value[opener.start() : runs[closer].end()]]
        pos, index = runs[closer].end(), closer + 1
    return "".join([*out, _inert(value[pos:])])


def _inert(text: str) -> str:
    for char in "\\<[]":
        text = text.replace(char, "\\" + char)
    return text


def _entry(commit: Commit, repo_url: str | None) -> str:
    short = commit.sha[:7]
    link = f"([{short}]({repo_url}/commit/{commit.sha}))" if repo_url else f"(`{short}`)"
    description = _text(commit.description)
    if commit.type is not None and commit.scope:
        line = f"- **{_text(commit.scope)}:** {description} {link}"
    else:
        line = f"- {description} {link}"
    note = commit.breaking_note
    if commit.breaking and note and note != commit.description:
        line += "\n  " + _text(note)
    return line


def contributors_of(commits: Iterable[Commit]) -> tuple[str, ...]:
    """Authors' names, each once, sorted as a person reads them; never an address."""
    names = {c.author for c in commits if c.author}
    return tuple(sorted(names, key=lambda n: (n.casefold(), n)))


def build_section_from(
    commits: Sequence[Commit],
    version: ReleaseVersion,
    *,
    today: date,
    remote_url: str | None,
) -> Section:
    """The section for ``commits`` (newest first), without reading git."""
    repo_url = web_url(remote_url)
    grouped: dict[str, list[Commit]] = {title: [] for title, _ in GROUPS}
    for commit in commits:
        grouped[group_of(commit)].append(commit)
    day = today.isoformat()
    lines = [f"## [{version.semver}] - {day}", ""]
    counts: dict[str, int] = {}
    for title, members in grouped.items():
        if not members:
            continue
        counts[title] = len(members)
        lines += [f"### {title}", "", *(_entry(c, repo_url) for c in members), ""]
    if not counts:
        lines += ["No changes.", ""]
    contributors = contributors_of(commits)
    if contributors:
        # Anyone can set their git name: shown, never a link or a tag.
        lines += ["### Contributors", "", ", ".join(map(markdown_cell, contributors)), ""]
    return Section(
        version=version.semver,
        date=day,
        markdown="\n".join(lines),
        counts=counts,
        contributors=contributors,
    )


def build_section(
    repo_dir: Path,
    version: ReleaseVersion,
    *,
    since_ref: str | None,
    today: date,
    remote_url: str | None,
) -> Section:
    """The section for the commits of ``since_ref..HEAD`` (all of HEAD's when None)."""
    return build_section_from(
        commits_since(repo_dir, since_ref), version, today=today, remote_url=remote_url
    )


# CHANGELOG.md


@dataclass(frozen=True)
class _Layout:
    """Where the parts of a CHANGELOG.md are, as character offsets into its text."""

    insert_at: int  # where the new section goes
    unreleased: tuple[int, int] | None  # heading end, body end of ## [Unreleased]
    headings: tuple[str, ...]  # every ## heading line


def _layout(text: str) -> _Layout:
    offset = 0
    in_fence = False
    first_h2: int | None = None
    unreleased_start: int | None = None
    unreleased: tuple[int, int] | None = None
    headings: list[str] = []
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if _FENCE.match(bare):
            in_fence = not in_fence
        elif not in_fence and _H2.match(bare):
            headings.append(bare)
            if unreleased_start is not None and unreleased is None:
                unreleased = (unreleased_start, offset)
            if first_h2 is None:
                first_h2 = offset
            if unreleased is None and unreleased_start is None and _UNRELEASED.match(bare):
                unreleased_start = offset + len(line)
        offset += len(line)
    if unreleased_start is not None and unreleased is None:
        unreleased = (unreleased_start, len(text))
    insert_at = first_h2 if first_h2 is not None else len(text)
    return _Layout(insert_at=insert_at, unreleased=unreleased, headings=tuple(headings))


def has_section(changelog_text: str, version: ReleaseVersion) -> bool:
    """Whether CHANGELOG.md already has a ``## [X.Y.Z]`` section for this version."""
    names = {version.semver, version.pep440}
    for heading in _layout(changelog_text).headings:
        match = re.match(r"^##\s+\[?v?([^\]\s]+)\]?", heading)
        if match and match.group(1) in names:
            return True
    return False


def _highlights(changelog_text: str) -> str:
    layout = _layout(changelog_text)
    if layout.unreleased is None:
        return ""
    start, end = layout.unreleased
    body = changelog_text[start:end].strip("\n")
    if not body.strip():
        return ""
    out: list[str] = []
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        out.append(line if in_fence else _SUBHEADING.sub(r"#\1 ", line))
    return "\n".join(out)


def render_section(section: Section, highlights: str = "") -> str:
    """The section's Markdown, with the hand-written highlights first when there are any."""
    if not highlights.strip():
        return section.markdown
    head, _, rest = section.markdown.partition("\n")
    return f"{head}\n\n### {HIGHLIGHTS}\n\n{highlights.strip(chr(10))}\n\n{rest.lstrip(chr(10))}"


def release_section_text(changelog_text: str, section: Section) -> str:
    """The text ``prepend_section`` would insert: the section and the Unreleased notes."""
    return render_section(section, _highlights(changelog_text))


def prepend_section(changelog_text: str, section: Section) -> str:
    """CHANGELOG.md's text with ``section`` in place; older sections byte for byte.

    Raises:
        ReleaseError: the changelog already has a section for this version.
    """
    version = ReleaseVersion.parse(section.version)
    if has_section(changelog_text, version):
        raise ReleaseError(
            f"CHANGELOG.md already has a section for {section.version}: remove it, or "
            "release another version"
        )
    layout = _layout(changelog_text)
    new = release_section_text(changelog_text, section).rstrip("\n") + "\n"
    if layout.unreleased is not None:
        start, end = layout.unreleased
        return (
            changelog_text[:start]
            + "\n"
            + new
            + ("\n" if end < len(changelog_text) else "")
            + (changelog_text[end:])
        )
    before, after = changelog_text[: layout.insert_at], changelog_text[layout.insert_at :]
    if before and not before.endswith("\n"):
        before += "\n"
    if before and not before.endswith("\n\n"):
        before += "\n"
    return before + new + ("\n" if after else "") + after


# `invoke changelog`


@dataclass(frozen=True)
class ChangelogPreview:
    """What ``invoke changelog`` shows: the next section and how its version was chosen."""

    version: ReleaseVersion
    since_ref: str | None
    reason: str
    warning: str | None
    section: Section
    text: str


def origin_url(repo_dir: Path) -> str | None:
    """The ``origin`` remote's URL, or None when there is no such remote."""
    try:
        return git(repo_dir, "remote", "get-url", "origin").strip() or None
    except ReleaseError:
        return None


def preview_changelog(
    repo_dir: Path,
    *,
    version: str | None,
    since_ref: str | None,
    today: date,
    template: str | None = None,
) -> ChangelogPreview:
    """The next changelog section, changing nothing.

    ``since_ref`` defaults to the last release tag reachable from HEAD (the whole history
    when there is none); ``version`` to that release bumped as the commits call for (no
    release yet: pyproject's version, bumped). ``template`` defaults to the project's own
    (``[tool.mycelium.release] tag-template``, else ``v{semver}``).
    """
    last = last_release(repo_dir, template or tag_template(repo_dir))
    since = since_ref if since_ref is not None else (last[0] if last else None)
    commits = commits_since(repo_dir, since)
    since_text = f"since {since}" if since else "in the whole history"
    if version is not None:
        chosen = ReleaseVersion.parse(version)
        reason = f"version {chosen.semver} (given); {len(commits)} commits {since_text}"
    else:
        base = last[1] if last else _pyproject_base(repo_dir)
        kind = required_bump(bump_kind(commits), base)
        chosen = next_version(base, kind)
        origin = f"the last release {last[0]}" if last else f"pyproject's {base.pep440}"
        reason = (
            f"version {chosen.semver}: {len(commits)} commits {since_text} call for a {kind} "
            f"bump from {origin}"
        )
    warning = bump_warning(
        chosen, last[1] if last else None, commits, unreleased=_pyproject_base(repo_dir)
    )
    section = build_section_from(commits, chosen, today=today, remote_url=origin_url(repo_dir))
    changelog = repo_dir / "CHANGELOG.md"
    existing = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    return ChangelogPreview(
        version=chosen,
        since_ref=since,
        reason=reason,
        warning=warning,
        section=section,
        text=release_section_text(existing, section),
    )


def _pyproject_base(repo_dir: Path) -> ReleaseVersion:
    pyproject = repo_dir / "pyproject.toml"
    if not pyproject.is_file():
        return ReleaseVersion.parse("0.0.0")
    return ReleaseVersion.parse(project_version(pyproject))
