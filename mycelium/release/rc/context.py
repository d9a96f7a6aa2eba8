"""What every check of one ``invoke rc`` run shares: the tree, the version, one build."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mycelium.release.dev.build import BuildResult, build

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from mycelium.release.publish.versions import ReleaseVersion


@dataclass
class RCContext:
    """The project under check, the candidate's version, and a scratch directory.

    ``dist()`` builds the wheel and sdist once, into the scratch directory (never the
    project's ``dist/``), for the checks that look inside them.
    """

    project_dir: Path
    version: ReleaseVersion
    reports_dir: Path  # reports/<version>
    scratch: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _built: BuildResult | None = None

    def dist(self) -> BuildResult:
        if self._built is None:
            self._built = build(self.project_dir, self.scratch / "dist")
        return self._built
