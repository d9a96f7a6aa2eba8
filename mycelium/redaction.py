"""The one place secrets are taken out of what Mycelium shows.

Every URL, mapping and ``.env`` text that reaches a terminal, a log line or a report passes
through one of these functions first. They never raise: a value too malformed to parse is
masked whole rather than shown, because a parse error is exactly when a password ends up
where a host or a port was expected.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final
from urllib.parse import parse_qsl

MASK: Final = "***"
# A name containing one of these words holds a secret (REDIS_PASSWORD, api_key, authToken).
SECRET_WORDS: Final = ("password", "passwd", "pwd", "secret", "token", "key", "credential")
# Short echoes of user input in messages: enough to recognise it, never a flood.
ECHO_LIMIT: Final = 80

_URL: Final = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+")
# In free text "key" alone is too common a word ("unknown key: x"): only its secret compounds.
_KEYWORD: Final = re.compile(
    r"(?i)\b([a-z0-9_.-]*(?:password|passwd|pwd|secret|token|credential|api_?key|private_?key"
    r"|access_?key)[a-z0-9_.-]*[\"']?\s*[:=]\s*)"
    r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s\"',;&}]+)"
)
_ENV_HEAD: Final = re.compile(r"^(?P<head>\s*(?:export\s+)?(?P<key>[^\s=#][^\s=]*)\s*=\s*)")


def is_secret_name(name: object) -> bool:
    """True when a key, field or variable name says it holds a secret."""
    lowered = str(name).lower()
    return any(word in lowered for word in SECRET_WORDS)


def redact_url(url: str) -> str:
    """``url`` with the password of its user part and secret query values replaced by ``***``.

    A user part without ``:`` is masked whole: redis-py and others read it as a password.

    Handles the ``key=value`` conninfo form of PostgreSQL too. A password holding ``#``,
    ``?`` or ``/`` unencoded still counts as the user part: everything before the last
    ``@`` of the authority is masked.
    """
    if "://" not in url:
        return _KEYWORD.sub(rf"\g<1>{MASK}", url)
    scheme, _, rest = url.partition("://")
    user_part, at, after = rest.rpartition("@")
    if at:
        user, colon, _ = user_part.partition(":")
        if "/" in user:
            # The '@' sits in the path or query, not in the authority: mask to be safe.
            return f"{scheme}://{MASK}@{_redact_query(after)}"
        # `redis://SECRET@host`: some clients read a lone user part as the password.
        rest = f"{user}:{MASK}@{after}" if colon else f"{MASK}@{after}"
    return f"{scheme}://{_redact_query(rest)}"


def _redact_query(text: str) -> str:
    head, question, query = text.partition("?")
    if not question:
        return text
    query, hash_, fragment = query.partition("#")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False)
    except ValueError:
        return f"{head}?{MASK}"
    if any(is_secret_name(name) for name, _ in pairs):
        query = "&".join(
            f"{name}={MASK}" if is_secret_name(name) else part
            for part, (name, _) in zip(query.split("&"), pairs, strict=False)
        )
    return f"{head}?{query}{hash_}{fragment}"


def redact_text(text: str) -> str:
    """Free text (an error message, a log line) with URL passwords and ``key=value`` secrets
    masked."""
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    return _KEYWORD.sub(rf"\g<1>{MASK}", text)


def redact_mapping(value: object, *, _secret: bool = False) -> object:
    """A copy of ``value`` (mappings, lists, strings) safe to show.

    The value under any key that names a secret becomes ``***``; strings elsewhere pass
    :func:`redact_text`, so a URL with a password inside a list is masked too.
    """
    if _secret and value not in (None, ""):
        return MASK
    if isinstance(value, dict):
        return {k: redact_mapping(v, _secret=is_secret_name(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_mapping(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]


def redact_env_text(text: str, public: tuple[str, ...] = ()) -> str:
    """``.env`` text with each value replaced by ``<secret sha256:…>``, safe to print.

    Read as Compose reads it: any key (dotted, with dashes), ``export``, and quoted values
    that span lines, which become one masked line. A commented-out assignment
    (``#KEY=value``) is masked as if live; other comments pass :func:`redact_text`; blank
    lines and the keys in ``public`` stay as written; any other line is masked whole.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        stripped = line.strip()
        if not stripped:
            out.append(line)
            continue
        if stripped.startswith("#"):
            out.append(_redact_env_comment(line, public))
            continue
        end = "\n" if line.endswith("\n") else ""
        match = _ENV_HEAD.match(line)
        if match is None:
            out.append(f"<unreadable line sha256:{fingerprint(line.rstrip())}>{end}")
            continue
        value = line[match.end() :].rstrip("\r\n")
        quote = value[:1]
        if quote in {'"', "'"} and not _closes(value[1:], quote):
            # A quoted value runs on until its closing quote, however many lines that takes.
            while i < len(lines):
                value += "\n" + lines[i].rstrip("\r\n")
                end = "\n" if lines[i].endswith("\n") else ""
                i += 1
                if _closes(lines[i - 1], quote):
                    break
        if match["key"] in public:
            out.append(f"{match['head']}{value}{end}")
        else:
            out.append(f"{match['head']}<secret sha256:{fingerprint(value)}>{end}")
    return "".join(out)


def _redact_env_comment(line: str, public: tuple[str, ...]) -> str:
    # A commented-out assignment (`#POSTGRES_PASSWORD=old`) is an old secret: its value is
    # masked like a live one. Any other comment still passes the free-text redaction.
    hash_at = line.index("#")
    body = line[hash_at + 1 :]
    match = _ENV_HEAD.match(body)
    if match is None or match["key"] in public:
        return redact_text(line)
    end = "\n" if line.endswith("\n") else ""
    value = body[match.end() :].rstrip("\r\n")
    return f"{line[: hash_at + 1]}{match['head']}<secret sha256:{fingerprint(value)}>{end}"


def _closes(text: str, quote: str) -> bool:
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return True
    return False


def truncate(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` as echoed in a message: whole when short, else its start and its length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def quoted(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` quoted for a message (as ``repr``), cut to its start when long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"
