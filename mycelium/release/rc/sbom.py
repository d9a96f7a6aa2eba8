"""A CycloneDX SBOM of the runtime dependencies, from the lock, with their licenses.

``uv export --format cyclonedx1.5`` writes the components and the dependency graph from
``uv.lock`` (hashes and URLs included); the licenses the :mod:`.licenses` check found are
added to each component (uv does not read them), and the document is validated against the
CycloneDX 1.5 JSON schema before it is written.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from mycelium.errors import UserError
from mycelium.release.rc.licenses import dependency_licenses
from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, failed, passed

if TYPE_CHECKING:
    from pathlib import Path

NAME: Final = "sbom"
SBOM_NAME: Final = "sbom.cdx.json"
EXPORT_TIMEOUT_S: Final = 120.0


def build_sbom(project_dir: Path, version: str | None = None) -> dict[str, Any]:
    """The SBOM as a dict; ``version`` (the candidate's) replaces the project's own.

    Raises:
        UserError: uv is missing or refuses, or the result is not valid CycloneDX 1.5.
    """
    uv = tool("uv")
    if uv is None:
        raise UserError("uv is not installed: the SBOM is exported from uv.lock by uv")
    run = run_tool(
        [uv, "export", "--format", "cyclonedx1.5", "--no-dev", "--frozen", "--preview",
         "--quiet"],
        cwd=project_dir,
        timeout=EXPORT_TIMEOUT_S,
    )  # fmt: skip
    if not run.ok:
        raise UserError(f"uv export --format cyclonedx1.5 failed: {run.tail(5)}")
    try:
        bom: dict[str, Any] = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise UserError("uv export --format cyclonedx1.5 printed no JSON") from None
    licenses = {(r.name, r.version): r.expression for r in dependency_licenses(project_dir)}
    for component in bom.get("components", []):
        key = (str(component.get("name", "")).lower(), str(component.get("version", "")))
        expression = licenses.get(key)
        if expression:
            component["licenses"] = [{"expression": expression}]
    if version is not None:
        bom.setdefault("metadata", {}).setdefault("component", {})["version"] = version
    _validate(bom)
    return bom


def _validate(bom: dict[str, Any]) -> None:
    from cyclonedx.schema import SchemaVersion  # noqa: PLC0415 - heavy, needed only here
    from cyclonedx.validation.json import JsonStrictValidator  # noqa: PLC0415 - same

    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(json.dumps(bom))
    if error is not None:
        raise UserError(f"the SBOM is not valid CycloneDX 1.5: {str(error)[:300]}")


def write_sbom(project_dir: Path, target: Path, version: str | None = None) -> Path:
    bom = build_sbom(project_dir, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(bom, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return target


def check_sbom(project_dir: Path, target: Path, version: str | None = None) -> CheckResult:
    """The ``sbom`` check: the SBOM is written, valid, and every component has a license."""
    try:
        bom = build_sbom(project_dir, version)
    except UserError as exc:
        return failed(NAME, str(exc))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(bom, indent=2) + "\n", encoding="utf-8")
    components = bom.get("components", [])
    bare = [str(c.get("name")) for c in components if not c.get("licenses")]
    if bare:
        return failed(NAME, f"components without a license: {', '.join(bare)}", str(target))
    return passed(
        NAME,
        f"CycloneDX 1.5, {len(components)} components with licenses: {target.name}",
        str(target),
        components=len(components),
    )
