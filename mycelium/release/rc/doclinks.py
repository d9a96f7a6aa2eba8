"""Every link inside the repository's Markdown resolves: the file exists, the anchor too.

Links to other sites are not fetched (no network in a release check); ``mailto:`` is left
alone. Anchors follow GitHub's rule: the heading lower-cased, punctuation but ``-`` and
``_`` dropped, spaces made ``-``, and a repeated heading numbered ``-1``, ``-2``...
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

if TYPE_CHECKING:
    from pathlib import Path

_INLINE: Final = re.compile(
    r"(?<!\!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
)
_IMAGE: Final = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE: Final = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HTML_ANCHOR: Final = re.compile(r"""<a\s[^>]*(?:name|id)=["']([^"']+)["']""")
_CODE_SPAN: Final = re.compile(r"(`+)(?:(?!\1).)+?\1")
_FENCE: Final = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING: Final = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_EXTERNAL: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    out = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if match:
            mark = match.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence):
                fence = None
            continue
        if fence is None:
            out.append((number, line))
    return out


def slug(heading: str) -> str:
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    for _, line in prose_lines(text):
        heading = _HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            seen = counts.get(base, 0)
            found.add(base if seen == 0 else f"{base}-{seen}")
            counts[base] = seen + 1
        found.update(_HTML_ANCHOR.findall(line))
    return found


def links(text: str) -> list[tuple[int, str]]:
    out = []
    for number, line in prose_lines(text):
        bare = _CODE_SPAN.sub("", line)
        out += [(number, target) for target in _INLINE.findall(bare)]
        out += [(number, target) for target in _IMAGE.findall(bare)]
        reference = _REFERENCE.match(bare)
        if reference:
            out.append((number, reference.group(1)))
    return out


def broken_links(files: list[Path], root: Path) -> tuple[list[str], int]:
    """(one line per broken link, links checked) over ``files`` inside ``root``."""
    problems: list[str] = []
    checked = 0
    cache: dict[Path, set[str]] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(root)
        for number, target in links(text):
            if _EXTERNAL.match(target):
                continue
            checked += 1
            file_part, _, fragment = target.partition("#")
            file_part = unquote(file_part)
            destination = (path.parent / file_part).resolve() if file_part else path.resolve()
            if not destination.is_relative_to(root.resolve()):
                problems.append(f"✘ {shown}:{number}: {target} leaves the repository")
                continue
            if not destination.exists():
                problems.append(f"✘ {shown}:{number}: {target}: no such file")
                continue
            if fragment and destination.suffix == ".md":
                if destination not in cache:
                    cache[destination] = anchors(destination.read_text(encoding="utf-8"))
                if unquote(fragment).lower() not in cache[destination]:
                    problems.append(
                        f"✘ {shown}:{number}: {target}: no heading #{fragment} in "
                        f"{destination.relative_to(root.resolve())}"
                    )
    return problems, checked
