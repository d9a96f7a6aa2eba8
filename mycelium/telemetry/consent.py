"""Whether telemetry is on, and which source decided it: a pure function of its inputs.

Precedence, first match wins:

1. ``DO_NOT_TRACK`` set (to anything but empty, ``0`` or ``false``): off.
2. ``MYCELIUM_TELEMETRY``: ``0``/``false``/``no``/``off`` is off, ``1``/``true``/``yes``/``on``
   is on; any other value is off (a typo never opts anyone in).
3. In CI (``CI`` set, or a known CI's variable), the configuration cannot opt in: only the
   variable above does.
4. ``telemetry.enabled`` in the user's own configuration (the user file or
   ``$MYCELIUM_CONFIG``; never a project's ``mycelium.yaml``, which comes with a clone).
5. Otherwise off.

Nothing here prompts: there is no question to answer, in a terminal or out of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

DO_NOT_TRACK: Final = "DO_NOT_TRACK"
ENV_VAR: Final = "MYCELIUM_TELEMETRY"
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"", "0", "false", "no", "off"})
# The variables CI services set (GitHub Actions, GitLab, Buildkite, CircleCI, Jenkins,
# Travis, Azure Pipelines, TeamCity, Bitbucket).
CI_VARIABLES: Final = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "JENKINS_URL",
    "TRAVIS",
    "TF_BUILD",
    "TEAMCITY_VERSION",
    "BITBUCKET_BUILD_NUMBER",
)


class Source(StrEnum):
    """What decided, as ``mycelium-telemetry status`` names it."""

    DO_NOT_TRACK = "DO_NOT_TRACK"
    ENVIRONMENT = "MYCELIUM_TELEMETRY"
    CI = "CI"
    CONFIGURATION = "configuration"
    DEFAULT = "default"


@dataclass(frozen=True)
class Consent:
    enabled: bool
    source: Source
    detail: str  # one sentence for people: why, and how to change it

    @property
    def state(self) -> str:
        return "on" if self.enabled else "off"


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def in_ci(environ: Mapping[str, str]) -> str | None:
    """The CI variable that is set (to something other than empty or false), if any."""
    for name in CI_VARIABLES:
        value = environ.get(name)
        if value is not None and _flag(value) is not False:
            return name
    return None


def _on(source: Source, detail: str) -> Consent:
    return Consent(enabled=True, source=source, detail=detail)


def _off(source: Source, detail: str) -> Consent:
    return Consent(enabled=False, source=source, detail=detail)


def decide(  # noqa: PLR0911 - one return per rule of the precedence
    environ: Mapping[str, str], configured: bool | None, config_file: str = "the configuration"
) -> Consent:
    """The effective consent from the environment and ``telemetry.enabled`` (``None``: unset)."""
    dnt = environ.get(DO_NOT_TRACK)
    if dnt is not None and _flag(dnt) is not False:
        return _off(Source.DO_NOT_TRACK, "DO_NOT_TRACK is set: nothing is sent")
    raw = environ.get(ENV_VAR)
    if raw is not None and raw != "":
        flag = _flag(raw)
        if flag is True:
            return _on(Source.ENVIRONMENT, f"{ENV_VAR}={raw} opts in")
        if flag is False:
            return _off(Source.ENVIRONMENT, f"{ENV_VAR}={raw} opts out")
        return _off(
            Source.ENVIRONMENT,
            f"{ENV_VAR} is not 1 or 0, so it counts as off; set {ENV_VAR}=1 to opt in",
        )
    ci = in_ci(environ)
    if ci is not None:
        return _off(
            Source.CI, f"{ci} is set: in CI only {ENV_VAR}=1 opts in, not the configuration"
        )
    if configured is True:
        return _on(Source.CONFIGURATION, f"telemetry.enabled is true in {config_file}")
    if configured is False:
        return _off(Source.CONFIGURATION, f"telemetry.enabled is false in {config_file}")
    return _off(Source.DEFAULT, "off unless you opt in: `mycelium-telemetry enable`")
