"""``invoke rc VERSION --publish``: cut the prerelease through ``invoke release``.

Only a release candidate (a pre-release version) whose report has no failed check is
published; the RC report (JSON and Markdown) and the SBOM go up with the wheel.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mycelium.errors import UsageError
from mycelium.release.publish.command import release
from mycelium.release.publish.versions import ReleaseVersion

if TYPE_CHECKING:
    from mycelium.release.publish.plan import Outcome, ReleaseOptions
    from mycelium.release.rc.runner import RCReport


def publish_candidate(report: RCReport, options: ReleaseOptions) -> Outcome:
    """Raises UsageError for a final version or a report with a failed check."""
    version = ReleaseVersion.parse(options.version)
    if not version.is_prerelease:
        raise UsageError(
            f"--publish cuts release candidates only; {version.semver} is final: "
            f"use invoke release {version.semver}"
        )
    if not report.ok:
        names = ", ".join(c.name for c in report.failed)
        raise UsageError(f"not published: the report has failed checks ({names})")
    assets = [report.json_path, report.md_path]
    if report.sbom_path is not None:
        assets.append(report.sbom_path)
    return release(replace(options, extra_assets=tuple(assets)))
