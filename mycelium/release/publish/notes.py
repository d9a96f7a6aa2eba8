"""The GitHub release body: the seed's release-notes template, filled from the release's facts.

The changelog section stays the record of what changed (and the annotated tag's message);
the body wraps it for people arriving at the release page: how to install this very wheel,
a quick start, what it needs, what is known to be wrong, and how it was verified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final

from mycelium.errors import UsageError
from mycelium.release.publish.changelog import GROUPS
from mycelium.release.qa.render import MAX_SHOWN, markdown_cell, plain

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

    import jinja2

    from mycelium.release.publish.versions import ReleaseVersion

TEMPLATE: Final = "release_notes.md.j2"
MAX_QUICK_START: Final = 8
MAX_LINE: Final = 120
GROUP_TITLES: Final = frozenset(title for title, _ in GROUPS)
# GitHub refuses a release body over 125,000 characters; the changes give way first.
MAX_BODY: Final = 120_000
MAX_KNOWN: Final = 50  # known issues listed; the issue tracker has the rest
MAX_VERIFICATION: Final = 20
MAX_CONTRIBUTORS: Final = 10_000  # characters of the thank-you line
MAX_LABEL: Final = 40  # characters of an issue's severity or platform
CUT: Final = "\n\n… (the rest is in the changelog)"
_CONTRIBUTORS: Final = re.compile(r"(?ms)^### Contributors\n+(?P<names>.*?)(?=^#{1,3} |\Z)")
# Only a plain web address may become a link target: printable ASCII without space, quote,
# bracket, parenthesis or backslash (fullmatch: a trailing newline does not slip through).
_WEB: Final = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&+,;=%-]+")
# GitHub turns bare addresses into links; an escaped ``:`` or ``.`` keeps them text.
_AUTOLINK: Final = re.compile(r"(?i)(?<=[a-z]):(?=//)|(?<=\bwww)\.")


@dataclass(frozen=True)
class KnownIssue:
    number: int
    title: str
    severity: str
    platform: str


@dataclass(frozen=True)
class NotesFacts:
    project: str  # the distribution's name, as in the release title
    version: ReleaseVersion
    tag: str
    day: date
    changes: str  # the changelog section, without its heading
    repo_url: str  # https://github.com/OWNER/NAME (or the Enterprise host)
    wheel_name: str
    requires_python: str
    verification: Sequence[str]
    previous_tag: str | None = None
    known_issues: Sequence[KnownIssue] = ()
    quick_start: Sequence[str] = ()


def quick_start(pyproject: Mapping[str, Any], path: str = "pyproject.toml") -> tuple[str, ...]:
    """The Quick start commands: ``[tool.mycelium.release] quick-start``, checked.

    Without the setting, each console script's ``--help``. A value that is not a short list
    of one-line commands is a ``UsageError`` naming the file and the field.
    """
    tool = pyproject.get("tool", {})
    mycelium = tool.get("mycelium", {}) if isinstance(tool, dict) else {}
    release = mycelium.get("release", {}) if isinstance(mycelium, dict) else {}
    value = release.get("quick-start") if isinstance(release, dict) else None
    if value is None:
        project = pyproject.get("project", {})
        scripts = project.get("scripts", {}) if isinstance(project, dict) else {}
        return tuple(f"{name} --help" for name in list(scripts)[:MAX_QUICK_START])
    fine = (
        isinstance(value, list)
        and len(value) <= MAX_QUICK_START
        and all(
            isinstance(line, str) and 0 < len(line) <= MAX_LINE and line.isprintable()
            and "`" not in line
            for line in value
        )
    )  # fmt: skip
    if not fine:
        raise UsageError(
            f"{path}: [tool.mycelium.release] quick-start must be a list of at most "
            f"{MAX_QUICK_START} one-line commands (each at most {MAX_LINE} printable "
            'characters, no backtick), such as ["mycelium-onboarding"]'
        )
    return tuple(value)


def split_contributors(changes: str) -> tuple[str, str]:
    """The changes without their ``### Contributors`` part, and the names it lists."""
    match = _CONTRIBUTORS.search(changes)
    if match is None:
        return changes.strip("\n"), ""
    rest = (changes[: match.start()] + changes[match.end() :]).strip("\n")
    return rest, " ".join(match.group("names").split())


def counts_of(changes: str) -> dict[str, int]:
    """Entries per group heading of a changelog section (its hand-written parts aside)."""
    counts: dict[str, int] = {}
    group: str | None = None
    for line in changes.splitlines():
        if line.startswith("### "):
            title = line[4:].strip()
            group = title if title in GROUP_TITLES else None
        elif group is not None and line.startswith("- "):
            counts[group] = counts.get(group, 0) + 1
    return counts


def overview(facts: NotesFacts) -> str:
    """One sentence: what kind of release, and how much changed since which."""
    kind = "A release candidate" if facts.version.is_prerelease else "A release"
    name = facts.project
    counted = [f"{title.lower()} {n}" for title, n in counts_of(facts.changes).items()]
    since = f" since {facts.previous_tag}" if facts.previous_tag else ""
    if not facts.previous_tag and not counted:
        return f"{kind} of {name}, the first one."
    if not counted:
        return f"{kind} of {name} with no listed change{since}."
    return f"{kind} of {name}. Changes{since}: {', '.join(counted)}."


def python_needed(requires_python: str) -> str:
    """``>=3.11`` as a person says it ("3.11 or newer"); anything else as written, inert."""
    match = re.fullmatch(r"\s*>=\s*(\d+(?:\.\d+)*)\s*", requires_python)
    return f"{match.group(1)} or newer" if match else f"`{requires_python.replace('`', '')}`"


def _inert(text: object, limit: int = MAX_SHOWN) -> str:
    """Outside text as Markdown that shows it: no markup, no link, not even a bare address."""
    return _AUTOLINK.sub(lambda m: "\\" + m.group(), markdown_cell(plain(text, limit)))


def code_span(text: object, limit: int = MAX_SHOWN) -> str:
    """Outside text shown verbatim in a code span: no markup, link, address or @mention.

    GitHub notifies whoever an ``@name`` in a release body names, and escaping cannot stop
    that; a code span can. Its fence is one backtick longer than any run inside.
    """
    value = plain(text, limit)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {value} {fence}"


def _known(facts: NotesFacts) -> list[str]:
    # Titles are typed by people outside the project: shown, never followed or notified.
    lines = [
        f"- #{i.number} {code_span(i.title)} ({_inert(i.severity, MAX_LABEL)}, "
        f"{_inert(i.platform, MAX_LABEL)})"
        for i in facts.known_issues[:MAX_KNOWN]
    ]
    more = len(facts.known_issues) - MAX_KNOWN
    return [*lines, f"- … and {more} more, in the issue tracker"] if more > 0 else lines


@cache
def _template() -> jinja2.Template:
    import jinja2  # noqa: PLC0415 - only a release renders notes

    source = files("mycelium.release.publish").joinpath("templates", TEMPLATE)
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - Markdown, not HTML; values are made inert by the caller
    )
    return env.from_string(source.read_text(encoding="utf-8"))


def render_notes(facts: NotesFacts) -> str:
    """The release body, in the seed's shape, within GitHub's length limit."""
    changes, contributors = split_contributors(facts.changes)
    if len(contributors) > MAX_CONTRIBUTORS:
        contributors = contributors[:MAX_CONTRIBUTORS].rsplit(",", 1)[0] + " and more"
    text = _render(facts, changes, contributors)
    overflow = len(text) - MAX_BODY
    if overflow > 0:  # the changes give way; the changelog keeps them all
        kept = changes[: max(len(changes) - overflow - len(CUT), 0)].rsplit("\n", 1)[0]
        text = _render(facts, kept + CUT, contributors)
    return text


def _render(facts: NotesFacts, changes: str, contributors: str) -> str:
    repo = facts.repo_url.rstrip("/") if _WEB.fullmatch(facts.repo_url) else ""
    tag = facts.tag
    base = f"{repo}/blob/{tag}" if repo else ""
    text = _template().render(
        project=_inert(facts.project),
        semver=facts.version.semver,
        quick_start=list(facts.quick_start),
        prerelease=facts.version.is_prerelease,
        date=facts.day.isoformat(),
        overview=overview(replace(facts, project=_inert(facts.project))),
        changes=changes or "No listed change.",
        wheel_url=(
            f"{repo}/releases/download/{tag}/{facts.wheel_name}" if repo else facts.wheel_name
        ),
        docs_url=f"{base}/docs" if base else "docs",
        changelog_url=f"{base}/CHANGELOG.md" if base else "CHANGELOG.md",
        issues_url=f"{repo}/issues" if repo else "",
        requires_python=python_needed(facts.requires_python),
        known_issues=_known(facts),
        verification=[plain(line) for line in facts.verification[:MAX_VERIFICATION]],
        contributors=contributors,
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
