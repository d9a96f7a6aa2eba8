"""A local double of the GitHub REST endpoints PyGithub calls for a release.

A ``ThreadingHTTPServer`` on 127.0.0.1, in memory, shaped like GitHub Enterprise: the API
under ``/api/v3``, uploads under ``/api/uploads`` on the same host (PyGithub follows the
release's ``upload_url``). It behaves as GitHub does where a release tool can go wrong:
drafts are not found by tag, two drafts may carry one tag, an asset name is unique per
release, a failed upload may leave a ``starter`` asset behind. Faults are injected per kind
of request (``fail_next``); ``snapshot()`` and ``writes`` show what a run changed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API = "/api/v3"
UPLOADS = "/api/uploads"


@dataclass
class Fault:
    status: int
    remaining: int
    leave_partial: bool = False


@dataclass
class DoubleState:
    token: str
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    releases: dict[int, dict[str, Any]] = field(default_factory=dict)
    assets: dict[int, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[int, bytes] = field(default_factory=dict)
    next_id: int = 1000
    faults: dict[str, Fault] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    auth_seen: list[str] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)


class GitHubDouble:
    def __init__(self, token: str, repo: str = "acme/widget", *, push: bool = True) -> None:
        self.state = DoubleState(token=token)
        self.lock = threading.Lock()
        self.add_repo(repo, push=push)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    def start(self) -> GitHubDouble:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def add_repo(self, full_name: str, *, push: bool = True) -> None:
        self.state.repos[full_name] = {"push": push}

    def fail_next(self, kind: str, count: int, status: int = 500, *, partial: bool = False) -> None:
        """The next ``count`` requests of ``kind`` (upload, create_release, list_releases,
        get_repo, publish, list_assets) answer ``status``; a partial upload leaves a
        ``starter`` asset behind, as an interrupted upload does on GitHub."""
        self.state.faults[kind] = Fault(status, count, partial)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {
                    "releases": self.state.releases,
                    "assets": self.state.assets,
                    "blobs": {
                        k: hashlib.sha256(v).hexdigest() for k, v in self.state.blobs.items()
                    },
                }
            )

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.state.requests if m != "GET"]

    def add_issue(
        self,
        title: str,
        body: str,
        labels: list[str],
        *,
        state: str = "open",
        repo: str = "acme/widget",
        pull_request: bool = False,
    ) -> int:
        """An issue as an issue form files it (``body`` in ``### Field`` sections)."""
        with self.lock:
            number = len(self.state.issues) + 1
            self.state.issues.append({
                "number": number, "title": title, "body": body, "labels": labels,
                "state": state, "repo": repo, "pull_request": pull_request,
            })  # fmt: skip
            return number

    def releases_for(self, tag: str) -> list[dict[str, Any]]:
        return [r for r in self.state.releases.values() if r["tag_name"] == tag]

    def assets_of(self, release_id: int) -> list[dict[str, Any]]:
        return [a for a in self.state.assets.values() if a["release_id"] == release_id]

    def blob(self, asset_id: int) -> bytes:
        return self.state.blobs[asset_id]


def _handler(double: GitHubDouble) -> type[BaseHTTPRequestHandler]:  # noqa: C901 - one router
    state = double.state
    base = "http://127.0.0.1:{port}"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # quiet
            return

        # -- plumbing ---------------------------------------------------------------------

        def _send(
            self, status: int, body: Any = None, headers: dict[str, str] | None = None
        ) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _fault(self, kind: str) -> Fault | None:
            fault = state.faults.get(kind)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            state.auth_seen.append(header)
            return header in {f"token {state.token}", f"Bearer {state.token}"}

        def _origin(self) -> str:
            return base.format(port=double.port)

        def _release_json(self, rel: dict[str, Any]) -> dict[str, Any]:
            origin = self._origin()
            repo = rel["repo"]
            rid = rel["id"]
            return {
                "id": rid,
                "url": f"{origin}{API}/repos/{repo}/releases/{rid}",
                "html_url": f"https://github.example/{repo}/releases/tag/{rel['tag_name']}",
                "assets_url": f"{origin}{API}/repos/{repo}/releases/{rid}/assets",
                "upload_url": (
                    f"{origin}{UPLOADS}/repos/{repo}/releases/{rid}/assets{{?name,label}}"
                ),
                "tag_name": rel["tag_name"],
                "target_commitish": rel["target_commitish"],
                "name": rel["name"],
                "body": rel["body"],
                "draft": rel["draft"],
                "prerelease": rel["prerelease"],
                "created_at": "2026-01-01T00:00:00Z",
                "published_at": None if rel["draft"] else "2026-01-01T00:00:00Z",
                "assets": [self._asset_json(a) for a in double.assets_of(rid)],
                "author": {"login": "releaser", "id": 1},
            }

        def _asset_json(self, asset: dict[str, Any]) -> dict[str, Any]:
            origin = self._origin()
            return {
                "id": asset["id"],
                "url": f"{origin}{API}/repos/{asset['repo']}/releases/assets/{asset['id']}",
                "browser_download_url": f"https://github.example/download/{asset['name']}",
                "name": asset["name"],
                "label": asset.get("label") or "",
                "state": asset["state"],
                "content_type": asset["content_type"],
                "size": asset["size"],
                "digest": asset["digest"],
                "download_count": 0,
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            }

        # -- routing ----------------------------------------------------------------------

        def _route(self, method: str) -> None:
            split = urlsplit(self.path)
            path = split.path
            query = parse_qs(split.query)
            with double.lock:
                state.requests.append((method, path))
                if not self._authorised():
                    self._send(401, {"message": "Bad credentials"})
                    return
                self._dispatch(method, path, query)

        def _dispatch(self, method: str, path: str, query: dict[str, list[str]]) -> None:  # noqa: C901, PLR0911, PLR0912, PLR0915 - one router
            m = re.fullmatch(rf"{UPLOADS}/repos/([^/]+/[^/]+)/releases/(\d+)/assets", path)
            if m and method == "POST":
                self._upload(m.group(1), int(m.group(2)), query)
                return
            m = re.fullmatch(rf"{API}/repos/([^/]+/[^/]+)(/.*)?", path)
            if not m or m.group(1) not in state.repos:
                self._send(404, {"message": "Not Found"})
                return
            repo, rest = m.group(1), m.group(2) or ""
            if rest == "" and method == "GET":
                if fault := self._fault("get_repo"):
                    self._send(fault.status, {"message": "Server Error"})
                    return
                push = state.repos[repo]["push"]
                owner, name = repo.split("/")
                self._send(200, {
                    "id": 1, "name": name, "full_name": repo,
                    "owner": {"login": owner, "id": 2},
                    "html_url": f"https://github.example/{repo}",
                    "url": f"{self._origin()}{API}/repos/{repo}",
                    "default_branch": "main",
                    "permissions": {"admin": False, "push": push, "pull": True},
                })  # fmt: skip
                return
            if rest == "/issues" and method == "GET":
                self._issues(repo, query)
                return
            if rest == "/releases" and method == "GET":
                if fault := self._fault("list_releases"):
                    self._send(fault.status, {"message": "Server Error"})
                    return
                page = int(query.get("page", ["1"])[0])
                per = int(query.get("per_page", ["30"])[0])
                items = sorted(
                    (r for r in state.releases.values() if r["repo"] == repo),
                    key=lambda r: -r["id"],
                )
                chunk = items[(page - 1) * per : page * per]
                self._send(200, [self._release_json(r) for r in chunk])
                return
            if rest == "/releases" and method == "POST":
                if fault := self._fault("create_release"):
                    self._send(fault.status, {"message": "Server Error"})
                    return
                data = json.loads(self._body() or b"{}")
                tag = data["tag_name"]
                if any(
                    r["tag_name"] == tag and not r["draft"] and r["repo"] == repo
                    for r in state.releases.values()
                ):
                    error = {"field": "tag_name", "code": "already_exists"}
                    self._send(422, {"message": "Validation Failed", "errors": [error]})
                    return
                state.next_id += 1
                rel = {
                    "id": state.next_id, "repo": repo, "tag_name": tag,
                    "target_commitish": data.get("target_commitish", "main"),
                    "name": data.get("name", tag), "body": data.get("body", ""),
                    "draft": bool(data.get("draft")), "prerelease": bool(data.get("prerelease")),
                }  # fmt: skip
                state.releases[rel["id"]] = rel
                self._send(201, self._release_json(rel))
                return
            m2 = re.fullmatch(r"/releases/tags/(.+)", rest)
            if m2 and method == "GET":
                found = [
                    r for r in state.releases.values()
                    if r["repo"] == repo and r["tag_name"] == m2.group(1) and not r["draft"]
                ]  # fmt: skip
                if not found:
                    self._send(404, {"message": "Not Found"})
                    return
                self._send(200, self._release_json(found[0]))
                return
            m2 = re.fullmatch(r"/releases/assets/(\d+)", rest)
            if m2:
                aid = int(m2.group(1))
                asset = state.assets.get(aid)
                if asset is None:
                    self._send(404, {"message": "Not Found"})
                    return
                if method == "DELETE":
                    del state.assets[aid]
                    state.blobs.pop(aid, None)
                    self._send(204)
                    return
                if method == "GET" and "octet-stream" in self.headers.get("Accept", ""):
                    data = state.blobs[aid]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self._send(200, self._asset_json(asset))
                return
            m2 = re.fullmatch(r"/releases/(\d+)(/assets)?", rest)
            if m2:
                rid = int(m2.group(1))
                found_rel = state.releases.get(rid)
                if found_rel is None:
                    self._send(404, {"message": "Not Found"})
                    return
                if m2.group(2) and method == "GET":
                    if fault := self._fault("list_assets"):
                        self._send(fault.status, {"message": "Server Error"})
                        return
                    page = int(query.get("page", ["1"])[0])
                    per = int(query.get("per_page", ["30"])[0])
                    items = sorted(double.assets_of(rid), key=lambda a: a["id"])
                    chunk = items[(page - 1) * per : page * per]
                    self._send(200, [self._asset_json(a) for a in chunk])
                    return
                if method == "GET":
                    self._send(200, self._release_json(found_rel))
                    return
                if method == "PATCH":
                    if fault := self._fault("publish"):
                        self._send(fault.status, {"message": "Server Error"})
                        return
                    data = json.loads(self._body() or b"{}")
                    for key in ("name", "body", "draft", "prerelease", "tag_name"):
                        if key in data:
                            found_rel[key] = data[key]
                    self._send(200, self._release_json(found_rel))
                    return
                if method == "DELETE":
                    for asset in double.assets_of(rid):
                        del state.assets[asset["id"]]
                        state.blobs.pop(asset["id"], None)
                    del state.releases[rid]
                    self._send(204)
                    return
            self._send(404, {"message": "Not Found"})

        def _issues(self, repo: str, query: dict[str, list[str]]) -> None:
            # GitHub: state=open by default, labels= a comma list that must all be present,
            # pull requests are issues too (with a pull_request key), newest first.
            wanted_state = query.get("state", ["open"])[0]
            labels = [x for x in query.get("labels", [""])[0].split(",") if x]
            items = [
                i for i in reversed(state.issues)
                if i["repo"] == repo
                and (wanted_state == "all" or i["state"] == wanted_state)
                and all(label in i["labels"] for label in labels)
            ]  # fmt: skip
            page = int(query.get("page", ["1"])[0])
            per = int(query.get("per_page", ["30"])[0])
            origin = self._origin()
            out = []
            for issue in items[(page - 1) * per : page * per]:
                number = issue["number"]
                data = {
                    "id": 5000 + number, "number": number, "title": issue["title"],
                    "body": issue["body"], "state": issue["state"],
                    "labels": [{"name": n, "id": k} for k, n in enumerate(issue["labels"])],
                    "html_url": f"https://github.example/{repo}/"
                    + ("pull" if issue["pull_request"] else "issues") + f"/{number}",
                    "url": f"{origin}{API}/repos/{repo}/issues/{number}",
                    "user": {"login": "tester", "id": 3},
                }  # fmt: skip
                if issue["pull_request"]:
                    data["pull_request"] = {"url": f"{origin}{API}/repos/{repo}/pulls/{number}"}
                out.append(data)
            self._send(200, out)

        def _upload(self, repo: str, rid: int, query: dict[str, list[str]]) -> None:
            data = self._body()
            if rid not in state.releases:
                self._send(404, {"message": "Not Found"})
                return
            name = query.get("name", [""])[0]
            fault = self._fault("upload")
            if fault is not None:
                if fault.leave_partial:
                    self._store(repo, rid, name, data[: len(data) // 2], "starter")
                self._send(fault.status, {"message": "Server Error"})
                return
            if any(a["name"] == name for a in double.assets_of(rid)):
                self._send(422, {"message": "Validation Failed",
                                 "errors": [{"resource": "ReleaseAsset", "code": "already_exists",
                                             "field": "name"}]})  # fmt: skip
                return
            asset = self._store(repo, rid, name, data, "uploaded")
            self._send(201, self._asset_json(asset))

        def _store(
            self, repo: str, rid: int, name: str, data: bytes, status: str
        ) -> dict[str, Any]:
            state.next_id += 1
            asset: dict[str, Any] = {
                "id": state.next_id, "repo": repo, "release_id": rid, "name": name,
                "state": status, "size": len(data),
                "content_type": self.headers.get("Content-Type", "application/octet-stream"),
                "digest": f"sha256:{hashlib.sha256(data).hexdigest()}",
            }  # fmt: skip
            state.assets[state.next_id] = asset
            state.blobs[state.next_id] = data
            return asset

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def do_DELETE(self) -> None:
            self._route("DELETE")

    return Handler
