"""Upgrade configuration data written by older releases to the current schema.

Each step takes the plain data of schema N and returns schema N+1; ``migrate`` chains them.
Schema 1 (mycelium 0.0.x) named the PostgreSQL section ``postgresql``, the project
``project.name``, the deployment directory ``deployment.directory`` and the methods
``docker`` / ``native``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mycelium.config.models import CURRENT_SCHEMA_VERSION

if TYPE_CHECKING:
    from collections.abc import Callable

Data = dict[str, Any]

_V1_METHODS = {"docker": "docker-compose", "native": "justfile"}


def _v1_to_v2(data: Data) -> Data:
    out = dict(data)
    project = out.pop("project", None)
    if isinstance(project, dict) and "name" in project:
        out.setdefault("project_name", project["name"])
    services = out.get("services")
    if isinstance(services, dict) and "postgresql" in services:
        services = dict(services)
        services.setdefault("postgres", services.pop("postgresql"))
        out["services"] = services
    deployment = out.get("deployment")
    if isinstance(deployment, dict):
        deployment = dict(deployment)
        if "directory" in deployment:
            deployment.setdefault("output_dir", deployment.pop("directory"))
        method = deployment.get("method")
        if isinstance(method, str) and method in _V1_METHODS:
            deployment["method"] = _V1_METHODS[method]
        out["deployment"] = deployment
    out["schema_version"] = 2
    return out


STEPS: dict[int, Callable[[Data], Data]] = {1: _v1_to_v2}
OLDEST_SUPPORTED = min(STEPS)


def migrate(data: Data, from_version: int) -> Data:
    """``data`` at ``from_version``, upgraded step by step to the current schema."""
    version = from_version
    while version < CURRENT_SCHEMA_VERSION:
        data = STEPS[version](data)
        version += 1
    return data
