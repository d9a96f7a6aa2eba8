"""CR-10.2: the Compose files generated for a matrix of configurations pass both lints.

Our own security lint (``mycelium-generate --check``'s rules, with the expected file) must
find nothing but the exposure a configuration asked for on purpose; compose-lint must find
nothing of high or critical severity, and each medium finding must be one accepted below
with its reason.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Final

from mycelium.config import MyceliumConfig
from mycelium.generators.lint import Rule, lint_compose
from mycelium.generators.plan import Target, build_plan
from mycelium.generators.writer import apply
from mycelium.release.rc.proc import run_tool, tool
from mycelium.release.rc.result import CheckResult, failed, passed

NAME: Final = "compose-security"
ALL: Final = {"temporal": {"enabled": True}}
MATRIX: Final[dict[str, dict[str, Any]]] = {
    "defaults": {},
    "redis-alone": {"services": {"postgres": {"enabled": False}}},
    "postgres-alone": {
        "services": {"redis": {"enabled": False}, "taskqueue": {"backend": "postgres"}}
    },
    "all-together": {"services": ALL},
    "custom-ports": {
        "project_name": "custom",
        "services": {"redis": {"port": 16380}, "postgres": {"port": 15433}},
    },
    "all-interfaces": {"deployment": {"bind_address": "0.0.0.0"}},  # noqa: S104 - on purpose
    "ipv6-loopback": {"deployment": {"bind_address": "::1"}},
}
# compose-lint findings of medium severity we accept, and why.
ACCEPTED_MEDIUM: Final = {
    "CL-0019": "images are pinned to exact version tags from the configuration; a digest would "
    "need a registry lookup at generation time",
}
# Only where the configuration publishes on all interfaces on purpose (our lint says so too).
ACCEPTED_WHEN_EXPOSED: Final = {"CL-0005": "deployment.bind_address 0.0.0.0 was asked for"}
EXPOSED: Final = frozenset({"all-interfaces"})
TIMEOUT_S: Final = 120.0


def _lint_one(name: str, compose: Path, linter: str | None) -> list[str]:
    problems = []
    text = compose.read_text(encoding="utf-8")
    exposed = name in EXPOSED
    for finding in lint_compose(text, f"{name}/docker-compose.yml", expected=text):
        if exposed and finding.rule is Rule.PORTS:
            continue
        problems.append(f"✘ our lint: {finding.format()}")
    if linter is None:
        return [*problems, "✘ compose-lint is not installed: run `uv sync` (dev group)"]
    run = run_tool(
        [linter, "check", "--format", "json", "docker-compose.yml"],
        cwd=compose.parent,
        timeout=TIMEOUT_S,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return [*problems, f"✘ {name}: compose-lint printed no report: {run.tail(3)}"]
    problems += [f"✘ {name}: compose-lint error {e}" for e in report.get("errors", [])]
    accepted = {**ACCEPTED_MEDIUM, **(ACCEPTED_WHEN_EXPOSED if exposed else {})}
    for finding in report.get("findings", []):
        severity = finding.get("severity")
        rule = finding.get("rule_id")
        if severity in {"high", "critical"} or (severity == "medium" and rule not in accepted):
            problems.append(
                f"✘ {name}: compose-lint {rule} ({severity}): {finding.get('message', '')}"[:300]
            )
    return problems


def check_compose_security(matrix: dict[str, dict[str, Any]] | None = None) -> CheckResult:
    configurations = MATRIX if matrix is None else matrix
    linter = tool("compose-lint")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mycelium-rc-compose-") as tmp:
        for name, data in configurations.items():
            config = MyceliumConfig.model_validate(data)
            out = Path(tmp) / name
            apply(build_plan(config, out, only=Target.COMPOSE))
            problems += _lint_one(name, out / "docker-compose.yml", linter)
    accepted = "; ".join(
        f"{k}: {v}" for k, v in {**ACCEPTED_MEDIUM, **ACCEPTED_WHEN_EXPOSED}.items()
    )
    if problems:
        return failed(NAME, f"{len(problems)} finding(s) in the generated Compose files", *problems)
    return passed(
        NAME,
        f"{len(configurations)} configurations: our lint clean, compose-lint no high finding",
        f"– accepted medium findings: {accepted}",
        configurations=len(configurations),
    )
