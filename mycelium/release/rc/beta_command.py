"""``invoke beta VERSION`` as one function: find the repository and token, read, triage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mycelium.errors import UsageError
from mycelium.release.publish.git import GitRepo
from mycelium.release.publish.github import GitHubClient, api_url, resolve_repo, resolve_token
from mycelium.release.publish.versions import ReleaseVersion
from mycelium.release.rc.beta import BetaTriage, fetch_triage

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


def beta_triage(
    project_dir: Path, version: str, *, repo: str | None, env: Mapping[str, str]
) -> BetaTriage:
    """Raises UsageError (bad version, no repository, no token) or GitHubError."""
    parsed = ReleaseVersion.parse(version)
    origin = GitRepo(project_dir).state().remote_url
    full_name = resolve_repo(repo, env, origin)
    token = resolve_token(env)
    if token is None:
        raise UsageError(f"no GitHub token: set GITHUB_TOKEN to a token that may read {full_name}")
    client = GitHubClient(full_name, token, api_url(env))
    try:
        return fetch_triage(client, parsed)
    finally:
        client.close()
