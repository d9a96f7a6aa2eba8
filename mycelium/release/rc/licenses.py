"""CR-10.3: the license of every runtime dependency, against the allowlist in pyproject.toml.

The packages and versions come from ``uv.lock`` (:mod:`.lockfile`); each one's license from
its installed metadata, in this order: the PEP 639 ``License-Expression`` field, a ``License``
field that is itself an SPDX expression, then the ``License ::`` classifiers. A package
whose license cannot be found is a failure, as is one whose installed version is not the
locked one. ``[tool.mycelium.licenses]`` holds the policy::

    allow = ["MIT", "BSD-3-Clause", ...]          # SPDX ids any dependency may use
    [tool.mycelium.licenses.exceptions]           # a package allowed despite its license
    psycopg = "why it is fine"
    [tool.mycelium.licenses.declared]             # not installed here (a platform marker)
    async-timeout = { license = "Apache-2.0", reason = "read from its wheel's METADATA" }
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.utils import canonicalize_name

from mycelium.errors import UserError
from mycelium.release.rc.lockfile import LockedPackage, runtime_packages
from mycelium.release.rc.result import CheckResult, failed, passed

if TYPE_CHECKING:
    from collections.abc import Callable
    from email.message import Message
    from pathlib import Path

NAME: Final = "licenses"
# The license classifiers people still use, as SPDX ids. "BSD License" does not say which
# BSD: it becomes LicenseRef-BSD, which the allowlist names on purpose.
CLASSIFIERS: Final = {
    "MIT License": "MIT",
    "BSD License": "LicenseRef-BSD",
    "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC",
    "Python Software Foundation License": "PSF-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
}
_TOKEN: Final = re.compile(r"\(|\)|[A-Za-z0-9.+:-]+")


@dataclass(frozen=True)
class Policy:
    allow: frozenset[str]  # lower-cased SPDX ids
    exceptions: dict[str, str]  # package → reason
    declared: dict[str, tuple[str, str]]  # package → (expression, reason)


@dataclass(frozen=True)
class PackageLicense:
    name: str
    version: str
    expression: str | None  # SPDX, None when unknown
    source: str  # "License-Expression", "License", "classifiers", "declared", "none"
    verdict: str  # "allowed", "exception: <reason>", or the problem

    @property
    def ok(self) -> bool:
        return self.verdict == "allowed" or self.verdict.startswith("exception")


def load_policy(pyproject: Path) -> Policy:
    """``[tool.mycelium.licenses]``; every exception and declaration needs its reason.

    Raises:
        UserError: naming the field and the fix.
    """
    where = f"{pyproject}: [tool.mycelium.licenses]"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{pyproject}: cannot be read ({exc})") from None
    table = data.get("tool", {}).get("mycelium", {}).get("licenses")
    if not isinstance(table, dict):
        raise UserError(f"{where} is missing: add `allow = [...]` with the SPDX ids allowed")
    allow = table.get("allow")
    if not isinstance(allow, list) or not all(isinstance(a, str) and a for a in allow):
        raise UserError(f"{where}.allow must be a list of SPDX ids")
    exceptions: dict[str, str] = {}
    for name, reason in (table.get("exceptions") or {}).items():
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(f"{where}.exceptions.{name}: give the reason as a non-empty string")
        exceptions[canonicalize_name(name)] = reason.strip()
    declared: dict[str, tuple[str, str]] = {}
    for name, entry in (table.get("declared") or {}).items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry[k].strip() for k in ("license", "reason")
        ):
            raise UserError(
                f"{where}.declared.{name}: write "
                '{ license = "SPDX", reason = "where it was read" }'
            )
        declared[canonicalize_name(name)] = (entry["license"].strip(), entry["reason"].strip())
    return Policy(frozenset(a.lower() for a in allow), exceptions, declared)


def license_of(metadata: Message) -> tuple[str | None, str]:
    """The SPDX expression a distribution's metadata declares, and the field it came from."""
    expression = metadata.get("License-Expression")
    if expression and expression.strip():
        try:
            return canonicalize_license_expression(expression.strip()), "License-Expression"
        except InvalidLicenseExpression:
            return expression.strip(), "License-Expression"
    text = (metadata.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 100:  # noqa: PLR2004 - a name, not a text
        try:
            return canonicalize_license_expression(text), "License"
        except InvalidLicenseExpression:
            pass
    found = []
    for classifier in metadata.get_all("Classifier") or []:
        parts = [p.strip() for p in str(classifier).split("::")]
        if parts[0] == "License" and parts[-1] in CLASSIFIERS:
            found.append(CLASSIFIERS[parts[-1]])
    if found:
        return " OR ".join(dict.fromkeys(found)), "classifiers"
    return None, "none"


def allowed(expression: str, allow: frozenset[str]) -> bool:  # noqa: C901 - one small parser
    """Evaluate an SPDX expression: OR needs one side allowed, AND both; WITH keeps the id."""
    tokens = _TOKEN.findall(expression)
    position = 0

    def peek() -> str:
        return tokens[position].upper() if position < len(tokens) else ""

    def primary() -> bool:
        nonlocal position
        if peek() == "(":
            position += 1
            value = disjunction()
            if peek() != ")":
                raise ValueError(expression)
            position += 1
            return value
        if position >= len(tokens) or peek() in {"AND", "OR", "WITH", ")"}:
            raise ValueError(expression)
        token = tokens[position].removesuffix("+").lower()
        position += 1
        if peek() == "WITH":
            position += 2  # the exception widens what is allowed; the id decides
        return token in allow

    def conjunction() -> bool:
        nonlocal position
        value = primary()
        while peek() == "AND":
            position += 1
            value = primary() and value
        return value

    def disjunction() -> bool:
        nonlocal position
        value = conjunction()
        while peek() == "OR":
            position += 1
            value = conjunction() or value
        return value

    try:
        result = disjunction()
    except (ValueError, IndexError):
        return False
    return result and position == len(tokens)


def _installed(name: str) -> Message | None:
    try:
        return importlib.metadata.metadata(name)  # type: ignore[return-value]
    except importlib.metadata.PackageNotFoundError:
        return None


def judge(  # noqa: PLR0911 - one verdict per kind of evidence
    package: LockedPackage, policy: Policy, lookup: Callable[[str], Message | None]
) -> PackageLicense:
    """One package's license and the policy's word on it."""
    metadata = lookup(package.name)
    if metadata is None:
        if package.name in policy.declared:
            expression, reason = policy.declared[package.name]
            source = f"declared ({reason})"
        elif not package.applies_here:
            return PackageLicense(
                package.name, package.version, None, "none",
                f"not installed here ({'; '.join(package.markers)}) and not declared: add it to "
                "[tool.mycelium.licenses.declared] with the license its METADATA says",
            )  # fmt: skip
        else:
            return PackageLicense(
                package.name, package.version, None, "none", "not installed: run `uv sync`"
            )
    else:
        installed = str(metadata.get("Version") or "")
        if installed != package.version:
            return PackageLicense(
                package.name, package.version, None, "none",
                f"installed {installed or '?'}, locked {package.version}: run `uv sync`",
            )  # fmt: skip
        found, source = license_of(metadata)
        if found is None:
            return PackageLicense(
                package.name, package.version, None, source,
                "license unknown (no License-Expression, License or classifier): find it and "
                "add an exception with the reason",
            )  # fmt: skip
        expression = found
    if allowed(expression, policy.allow):
        return PackageLicense(package.name, package.version, expression, source, "allowed")
    if package.name in policy.exceptions:
        reason = policy.exceptions[package.name]
        return PackageLicense(
            package.name, package.version, expression, source, f"exception: {reason}"
        )
    return PackageLicense(
        package.name, package.version, expression, source,
        f"{expression} is not in the allowlist: replace the dependency, or add an exception "
        "with the reason",
    )  # fmt: skip


def dependency_licenses(
    project_dir: Path, lookup: Callable[[str], Message | None] = _installed
) -> tuple[PackageLicense, ...]:
    pyproject = project_dir / "pyproject.toml"
    policy = load_policy(pyproject)
    name = str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"])
    packages = runtime_packages(project_dir / "uv.lock", name)
    return tuple(judge(p, policy, lookup) for p in packages)


def check_licenses(
    project_dir: Path, lookup: Callable[[str], Message | None] = _installed
) -> CheckResult:
    """The ``licenses`` check: every runtime dependency's license allowed, or excepted."""
    try:
        results = dependency_licenses(project_dir, lookup)
    except UserError as exc:
        return failed(NAME, str(exc))
    lines = [render_line(r) for r in results]
    bad = [r for r in results if not r.ok]
    excepted = sum(r.verdict.startswith("exception") for r in results)
    figures: dict[str, Any] = {"packages": len(results), "exceptions": excepted}
    if bad:
        return failed(
            NAME,
            f"{len(bad)} of {len(results)} runtime dependencies not allowed: "
            + ", ".join(r.name for r in bad),
            *lines,
            **figures,
        )
    return passed(
        NAME,
        f"{len(results)} runtime dependencies allowed ({excepted} by a recorded exception)",
        *lines,
        **figures,
    )


def render_line(result: PackageLicense) -> str:
    mark = "✔" if result.ok else "✘"
    shown = result.expression or "unknown"
    return f"{mark} {result.name} {result.version}: {shown} [{result.source}] {result.verdict}"
