"""The GitHub side of a release, through PyGithub only.

The API's base URL comes from ``GITHUB_API_URL`` (GitHub Enterprise, the test double), the
repository from ``--repo``, ``GITHUB_REPOSITORY`` or the ``origin`` URL, the token from
``GITHUB_TOKEN`` or ``gh auth token``. The token lives in a :class:`Secret` that never
prints itself; every message this module raises passes :func:`scrub` first.

Reads, updates and deletes that fail with a rate limit or a 5xx answer are retried by the
HTTP layer with backoff, a bounded number of times. Creating a release and uploading an
asset are not idempotent, so they are not retried blindly: the caller reads the state again
and decides (see ``release.py``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import requests
from github import Auth, Github, GithubException, GithubRetry

from mycelium.errors import ReleaseError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from github.GitRelease import GitRelease
    from github.GitReleaseAsset import GitReleaseAsset
    from github.Repository import Repository
    from urllib3.util.retry import Retry

DEFAULT_API_URL: Final = "https://api.github.com"
HTTP_RETRIES: Final = 4
BACKOFF_S: Final = 0.5
MAX_RATE_LIMIT_WAIT_S: Final = 120.0
TIMEOUT_S: Final = 60
GH_TIMEOUT_S: Final = 10.0
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
_REPO_NAME: Final = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
# https://host/o/n(.git), ssh://git@host[:port]/o/n(.git), git@host:o/n(.git); never a local path.
_URL_REPO: Final = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://[^/\s]+/|[^@/\s]+@[^:/\s]+:)"
    r"(?:.*/)?([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


class Secret:
    """A token that never shows itself in a repr, a log line or an f-string."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(from {self.source})"

    __str__ = __repr__


def scrub(text: str, secret: Secret | None) -> str:
    """``text`` with the token replaced by ``***`` (a last line of defence)."""
    if secret is None or not secret.reveal():
        return text
    return text.replace(secret.reveal(), "***")


def resolve_token(env: Mapping[str, str]) -> Secret | None:
    """``GITHUB_TOKEN``, else what ``gh auth token`` prints when ``gh`` is installed."""
    value = env.get("GITHUB_TOKEN", "").strip()
    if value:
        return Secret(value, "GITHUB_TOKEN")
    gh = shutil.which("gh")
    if gh is None:
        return None
    try:
        proc = subprocess.run(
            [gh, "auth", "token"], capture_output=True, text=True, timeout=GH_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = proc.stdout.strip()
    return Secret(value, "gh auth token") if proc.returncode == 0 and value else None


def repo_from_url(url: str | None) -> str | None:
    """``owner/name`` from an https or ssh remote URL (GitHub or GitHub Enterprise)."""
    if not url:
        return None
    match = _URL_REPO.search(url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


def resolve_repo(flag: str | None, env: Mapping[str, str], origin_url: str | None) -> str:
    """``--repo``, else ``GITHUB_REPOSITORY``, else the origin URL; one error naming all three."""
    for value, where in ((flag, "--repo"), (env.get("GITHUB_REPOSITORY"), "GITHUB_REPOSITORY")):
        if value:
            if not _REPO_NAME.match(value):
                raise UsageError(f"{where} {value[:80]!r}: not OWNER/NAME")
            return value
    found = repo_from_url(origin_url)
    if found:
        return found
    raise UsageError(
        "no GitHub repository: pass --repo OWNER/NAME, set GITHUB_REPOSITORY, or add an origin "
        "remote whose URL names it"
    )


def api_url(env: Mapping[str, str]) -> str:
    return (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def web_url_of(full_name: str, env: Mapping[str, str]) -> str:
    """The repository's web address where GitHub could not be asked (a dry run, no token).

    ``GITHUB_SERVER_URL`` when set (as in GitHub Actions); else github.com for the public
    API, and an Enterprise host's API URL without its ``/api/v3``.
    """
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    if not server:
        api = api_url(env)
        server = "https://github.com" if api == DEFAULT_API_URL else api.removesuffix("/api/v3")
    return f"{server}/{full_name}"


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    full_name: str
    html_url: str
    can_push: bool


@dataclass(frozen=True)
class AssetInfo:
    id: int
    name: str
    size: int
    state: str  # "uploaded" once complete; "starter" for a broken upload
    digest: str | None  # "sha256:<hex>" where the server computes it
    url: str


@dataclass(frozen=True)
class ReleaseInfo:
    id: int
    tag: str
    draft: bool
    prerelease: bool
    name: str
    body: str
    html_url: str
    target: str
    assets: tuple[AssetInfo, ...]


@dataclass(frozen=True)
class IssueInfo:
    number: int
    title: str
    state: str  # "open" or "closed"
    labels: tuple[str, ...]
    body: str
    html_url: str


class GitHubError(ReleaseError):
    """GitHub answered with an error, or could not be reached; ``status`` 0 when unreached."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        return self.status in {0, 429} or self.status >= 500  # noqa: PLR2004 - HTTP


class GitHubClient:
    """One repository on one GitHub (or GitHub Enterprise) API; methods return frozen data."""

    def __init__(
        self,
        full_name: str,
        token: Secret,
        base_url: str = DEFAULT_API_URL,
        *,
        retries: int = HTTP_RETRIES,
        backoff: float = BACKOFF_S,
    ) -> None:
        self.full_name = full_name
        self.base_url = base_url
        self._token = token
        # GitHub asks clients to pace writes; a loopback API (a double, a proxy) does not.
        pace = not _is_loopback(base_url)
        retry: Retry = GithubRetry(
            total=retries,
            backoff_factor=backoff,
            allowed_methods=_IDEMPOTENT,
            status_forcelist=[429, *range(500, 600)],
            max_rate_limit_wait=MAX_RATE_LIMIT_WAIT_S,
            raise_on_status=False,
        )
        self._gh = Github(
            auth=Auth.Token(token.reveal()),
            base_url=base_url,
            timeout=TIMEOUT_S,
            retry=retry,
            per_page=100,
            seconds_between_requests=None if not pace else 0.25,
            seconds_between_writes=None if not pace else 1.0,
        )
        self._repo: Repository | None = None
        self._releases: dict[int, GitRelease] = {}

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except GithubException as exc:
            raise GitHubError(
                scrub(f"{what}: GitHub answered {exc.status} ({_message(exc)})", self._token),
                status=exc.status,
            ) from None
        except (requests.RequestException, OSError) as exc:
            raise GitHubError(
                scrub(f"{what}: cannot reach {self.base_url} ({type(exc).__name__})", self._token)
            ) from None

    def _repository(self) -> Repository:
        if self._repo is None:
            self._repo = self._call(
                f"read repository {self.full_name}", lambda: self._gh.get_repo(self.full_name)
            )
        assert self._repo is not None  # noqa: S101 - set just above
        return self._repo

    def probe(self) -> Access:
        """A read-only call that proves the token works and says whether it may push."""
        repo = self._repository()
        permissions = self._call("read permissions", lambda: repo.permissions)
        return Access(
            full_name=repo.full_name,
            html_url=repo.html_url,
            can_push=bool(permissions and (permissions.push or permissions.admin)),
        )

    def _info(self, release: GitRelease) -> ReleaseInfo:
        self._releases[release.id] = release
        return ReleaseInfo(
            id=release.id,
            tag=release.tag_name,
            draft=release.draft,
            prerelease=release.prerelease,
            name=release.name or "",
            body=release.body or "",
            html_url=release.html_url,
            target=release.target_commitish or "",
            assets=(),
        )

    def releases_for(self, tag: str) -> list[ReleaseInfo]:
        """Every release (drafts too, which GitHub never finds by tag) whose tag is ``tag``."""
        repo = self._repository()
        found = self._call(
            f"list the releases of {self.full_name}",
            lambda: [r for r in repo.get_releases() if r.tag_name == tag],
        )
        return sorted((self._with_assets(self._info(r)) for r in found), key=lambda r: r.id)

    def _with_assets(self, info: ReleaseInfo) -> ReleaseInfo:
        return ReleaseInfo(**{**info.__dict__, "assets": tuple(self.list_assets(info.id))})

    def _release(self, release_id: int) -> GitRelease:
        if release_id not in self._releases:
            repo = self._repository()
            self._releases[release_id] = self._call(
                f"read release {release_id}", lambda: repo.get_release(release_id)
            )
        return self._releases[release_id]

    def create_release(
        self, tag: str, *, name: str, body: str, prerelease: bool, target: str
    ) -> ReleaseInfo:
        repo = self._repository()
        release = self._call(
            f"create the draft release {tag}",
            lambda: repo.create_git_release(
                tag, name=name, message=body, draft=True, prerelease=prerelease,
                target_commitish=target,
            ),
        )  # fmt: skip
        return self._info(release)

    def update_release(
        self, release_id: int, *, name: str, body: str, draft: bool, prerelease: bool
    ) -> ReleaseInfo:
        release = self._release(release_id)
        updated = self._call(
            f"{'update' if draft else 'publish'} release {release.tag_name}",
            lambda: release.update_release(name, body, draft=draft, prerelease=prerelease),
        )
        return self._info(updated)

    def delete_release(self, release_id: int) -> None:
        release = self._release(release_id)
        self._call(f"delete release {release.tag_name}", release.delete_release)
        self._releases.pop(release_id, None)

    def list_assets(self, release_id: int) -> list[AssetInfo]:
        release = self._release(release_id)
        assets = self._call(
            f"list the assets of release {release.tag_name}", lambda: list(release.get_assets())
        )
        return [_asset(a) for a in assets]

    def upload_asset(self, release_id: int, path: Path, content_type: str) -> AssetInfo:
        release = self._release(release_id)
        asset = self._call(
            f"upload {path.name}",
            lambda: release.upload_asset(str(path), content_type=content_type, name=path.name),
        )
        return _asset(asset)

    def delete_asset(self, release_id: int, asset: AssetInfo) -> None:
        release = self._release(release_id)

        def delete() -> None:
            for candidate in release.get_assets():
                if candidate.id == asset.id:
                    candidate.delete_asset()

        self._call(f"delete asset {asset.name}", delete)

    def asset_sha256(self, release_id: int, asset: AssetInfo) -> str:
        """The asset's sha256: the server's digest when it gives one, else by downloading."""
        if asset.digest and asset.digest.startswith("sha256:"):
            return asset.digest.removeprefix("sha256:")
        release = self._release(release_id)

        def download() -> str:
            digest = hashlib.sha256()
            for candidate in release.get_assets():
                if candidate.id == asset.id:
                    _, _, chunks = candidate.download_asset(chunk_size=1 << 16)
                    for chunk in chunks:
                        digest.update(chunk)
            return digest.hexdigest()

        return str(self._call(f"download {asset.name}", download))

    def list_issues(self, label: str, *, state: str = "all") -> list[IssueInfo]:
        """The issues (not pull requests) carrying ``label``, newest first."""
        repo = self._repository()

        def fetch() -> list[IssueInfo]:
            return [
                IssueInfo(
                    number=issue.number,
                    title=issue.title or "",
                    state=issue.state,
                    labels=tuple(lab.name for lab in issue.labels),
                    body=issue.body or "",
                    html_url=issue.html_url,
                )
                for issue in repo.get_issues(state=state, labels=[label])
                # A pull request is an issue too; its page is /pull/N. (Reading
                # issue.pull_request would cost PyGithub one more request per issue.)
                if "/pull/" not in issue.html_url
            ]

        return list(self._call(f"list the {label!r} issues of {self.full_name}", fetch))

    def close(self) -> None:
        self._gh.close()


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = exc.message or str(data.get("message") or "") or "no message"
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = errors[0].get("code")
        field = errors[0].get("field")
        message += f": {field} {code}" if field else f": {code}"
    return message[:300]


def _asset(asset: GitReleaseAsset) -> AssetInfo:
    return AssetInfo(
        id=asset.id,
        name=asset.name,
        size=asset.size,
        state=asset.state,
        digest=asset.digest,
        url=asset.url,
    )
