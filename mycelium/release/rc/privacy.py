"""CR-10.4: the telemetry event schema and docs/PRIVACY.md say the same thing.

Until the telemetry module exists the check is "not run", never a pass. When it exists:
every field of ``mycelium.telemetry.schema.Event`` and every allowed value of its closed
lists is named in docs/PRIVACY.md (as ``code``), and, where the schema renders its own
privacy table (``privacy_table()``), that table is in the page as written.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any, Final

from mycelium.release.rc.result import CheckResult, failed, not_run, passed

if TYPE_CHECKING:
    from pathlib import Path

NAME: Final = "privacy"
SCHEMA_MODULE: Final = "mycelium.telemetry.schema"


def compare(schema: Any, privacy_md: str) -> list[str]:
    """One line per thing the schema has and the page does not say."""
    problems = []
    event = getattr(schema, "Event", None)
    fields = tuple(getattr(event, "model_fields", {}) or ())
    if not fields:
        return [f"✘ {SCHEMA_MODULE} has no pydantic Event model to compare"]
    problems += [
        f"✘ docs/PRIVACY.md does not name the event field `{name}`"
        for name in fields
        if f"`{name}`" not in privacy_md
    ]
    for label, values in (getattr(schema, "ALLOWLISTS", None) or {}).items():
        problems += [
            f"✘ docs/PRIVACY.md does not name `{value}`, an allowed value of {label}"
            for value in values
            if f"`{value}`" not in privacy_md
        ]
    table = getattr(schema, "privacy_table", None)
    if callable(table):
        text = str(table()).strip()
        if text and text not in privacy_md:
            problems.append("✘ docs/PRIVACY.md's table differs from privacy_table(): regenerate it")
    return problems


def check_privacy(project_dir: Path) -> CheckResult:
    if not (project_dir / "mycelium" / "telemetry").is_dir():
        return not_run(NAME, "no telemetry module yet (mycelium/telemetry/ does not exist)")
    page = project_dir / "docs" / "PRIVACY.md"
    if not page.is_file():
        return failed(NAME, "mycelium/telemetry/ exists but docs/PRIVACY.md does not: write it")
    if importlib.util.find_spec(SCHEMA_MODULE) is None:
        return failed(NAME, f"{SCHEMA_MODULE} is missing: the event schema has one home")
    schema = importlib.import_module(SCHEMA_MODULE)
    problems = compare(schema, page.read_text(encoding="utf-8"))
    if problems:
        return failed(NAME, f"{len(problems)} difference(s) between the schema and PRIVACY.md",
                      *problems)  # fmt: skip
    return passed(NAME, "every event field and allowed value is described in docs/PRIVACY.md")
