"""The ``mycelium-generate`` use case: read what is there, plan, apply (or only review), lint.

One call, one frozen result; the command line only parses, calls this and prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mycelium.errors import UserError
from mycelium.fileio import describe, read_regular_file
from mycelium.generators.compose import DockerComposeGenerator
from mycelium.generators.envfile import SecretsGenerator
from mycelium.generators.lint import Finding, lint_compose
from mycelium.generators.plan import GITIGNORE, Plan, Target, build_plan
from mycelium.generators.writer import FileChange, apply, read_text, review

if TYPE_CHECKING:
    from pathlib import Path

    from mycelium.config.models import MyceliumConfig


@dataclass(frozen=True)
class GenerateResult:
    """What one run planned, what it did to each file, and the lint of the Compose file."""

    plan: Plan
    changes: tuple[FileChange, ...]
    written: bool
    findings: tuple[Finding, ...]


def generate(
    config: MyceliumConfig,
    output_dir: Path,
    *,
    only: Target | None = None,
    force: bool = False,
    dry_run: bool = False,
    review_only: bool = False,
    rotate_secrets: bool = False,
) -> GenerateResult:
    """Plan the files for ``config`` under ``output_dir`` and write them.

    ``dry_run`` and ``review_only`` write nothing; ``review_only`` (for ``--diff``) also
    never refuses, so edited files show up as conflicts in the changes.

    Raises:
        GenerationConflictError: a file was edited since it was generated, and not ``force``.
        UserError: a file cannot be read or written.
    """
    plan = build_plan(
        config,
        output_dir,
        only=only,
        existing_env=read_text(output_dir / SecretsGenerator.file_name),
        existing_gitignore=read_text(output_dir / GITIGNORE),
        rotate_secrets=rotate_secrets,
    )
    if review_only:
        return GenerateResult(plan, review(plan, force=force), written=False, findings=())
    outcome = apply(plan, force=force, dry_run=dry_run)
    findings = tuple(
        finding
        for planned in plan.files
        if planned.name == DockerComposeGenerator.file_name
        for finding in lint_compose(planned.text, str(output_dir / planned.name))
    )
    return GenerateResult(plan, outcome.changes, outcome.written, findings)


def check_compose(
    path: Path, shown: str, config: MyceliumConfig | None = None
) -> tuple[Finding, ...]:
    """The insecure settings of the Compose file at ``path``, reported as ``shown``.

    With ``config``, the file is also compared with what that configuration generates:
    anything it adds (a service, a key, a mount) is a finding.

    Raises:
        UserError: there is no such file, or it is not a Compose file.
    """
    text = _read_compose(path)
    if text is None:
        raise UserError(
            f"--check {path}: no such file; run `mycelium-generate` first, or name a Compose file"
        )
    expected = DockerComposeGenerator().render(config) if config is not None else None
    return lint_compose(text, shown, expected)


def _read_compose(path: Path) -> str | None:
    # Read as safely as a configuration (a FIFO, a device or a huge file is refused before
    # it is read); every error names the flag, since the path came from it.
    fix = "give --check the path of a Compose file"
    try:
        raw = read_regular_file(path)
    except OSError as exc:
        raise UserError(f"--check {path}: {describe(exc)}; {fix}") from None
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"--check {path}: not UTF-8 text (byte {exc.start}); {fix}") from None


__all__ = ["GenerateResult", "Target", "check_compose", "generate"]
