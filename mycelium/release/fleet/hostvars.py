"""The ``mycelium_*`` host variables: our own inventory vocabulary, validated by pydantic.

Ansible ignores variables it does not know, so a typo there would silently mean "default";
ours are checked: an unknown ``mycelium_*`` name or a value of the wrong type is an error
naming the inventory file, the host and the variable. Booleans read as Ansible reads them
(``true``/``false``/``yes``/``no``/``1``/``0``), never ``bool("false") is True``.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from mycelium.errors import InventoryError
from mycelium.qa.report import HOST_ALIAS_PATTERN

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

PREFIX: Final = "mycelium_"
DEFAULT_PYTHONS: Final = ("python3",)
# Host aliases and interpreter labels become path components (reports/<v>/<host>/<python>/):
# letters, digits and . _ - @ + : only, never "." or "..", never a leading "-"; the same
# rule the report schema applies to the alias a host reports.
_COMPONENT: Final = re.compile(HOST_ALIAS_PATTERN)
# Interpreters and work directories reach the host's shell: plain path characters only.
_PATH: Final = re.compile(r"^[A-Za-z0-9._/+~-]{1,256}$")
# A Docker image reference (registry/name:tag or @sha256:...) and a network name: what
# the Docker API takes, nothing a shell or a path could read differently.
_IMAGE: Final = re.compile(r"^[a-z0-9][a-z0-9._/:@-]{0,254}$", re.IGNORECASE)
_NETWORK: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_TRUE: Final = frozenset({"true", "yes", "on", "1", "y"})
_FALSE: Final = frozenset({"false", "no", "off", "0", "n"})


def is_safe_component(name: str) -> bool:
    return bool(_COMPONENT.match(name))


def python_label(python: str) -> str:
    """The directory name of an interpreter's reports: ``/usr/bin/python3.12`` → ``python3.12``."""
    return posixpath.basename(python.rstrip("/"))


def is_interpreter(value: object) -> bool:
    """A name or path the host's shell takes as one word, whose last part names a directory."""
    return (
        isinstance(value, str)
        and bool(_PATH.match(value))
        and is_safe_component(python_label(value))
    )


def _ansible_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if isinstance(value, int) and not isinstance(value, bool) and value in {0, 1}:
        return bool(value)
    return value


AnsibleBool = StrictBool  # after _ansible_bool turned "no" into False


class HostVars(BaseModel):
    """Every ``mycelium_*`` variable an inventory may set for a host or a group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mycelium_pythons: tuple[str, ...] | None = None
    mycelium_required: AnsibleBool = False
    mycelium_accept_new_host_keys: AnsibleBool = False
    mycelium_keep: AnsibleBool = False
    mycelium_workdir: str | None = None
    mycelium_env: dict[str, str] = Field(default_factory=dict)
    mycelium_qa_args: str = ""
    mycelium_bench_args: str = ""  # extra arguments for mycelium-bench (playbooks/bench.yml)
    mycelium_image: str | None = None  # container hosts: a fresh container of it per run
    mycelium_network: str = "none"  # container hosts with mycelium_image: the Docker network

    @field_validator("mycelium_required", "mycelium_accept_new_host_keys", "mycelium_keep",
                     mode="before")  # fmt: skip
    @classmethod
    def _bools(cls, value: Any) -> Any:
        return _ansible_bool(value)

    @field_validator("mycelium_pythons", mode="before")
    @classmethod
    def _pythons(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            raise ValueError(
                "must be a list of interpreter names, for example [python3.11, python3.12]"
            )
        for item in value:
            if not is_interpreter(item):
                raise ValueError(
                    f"{str(item)[:60]!r} is not an interpreter name or path (letters, digits and "
                    ". _ - + ~ / only; its last part becomes a directory of reports/)"
                )
        return tuple(value)

    @field_validator("mycelium_workdir")
    @classmethod
    def _workdir(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if (
            not value.startswith("/")
            or posixpath.normpath(value) != value.rstrip("/")
            or value.rstrip("/") in {"", "/"}
            or not _PATH.match(value)
        ):
            raise ValueError(
                "must be an absolute, normalised directory below / of plain path characters "
                "(for example /tmp/mycelium-qa)"
            )
        return value

    @field_validator("mycelium_image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None and (not _IMAGE.match(value) or ".." in value or "//" in value):
            raise ValueError(
                f"{value[:60]!r} is not a Docker image reference; write it as `docker pull` "
                "takes it, for example ubuntu:24.04"
            )
        return value

    @field_validator("mycelium_network")
    @classmethod
    def _network(cls, value: str) -> str:
        if not _NETWORK.match(value):
            raise ValueError(
                f"{value[:60]!r} is not a Docker network name; use none (the default), bridge "
                "or the name of a network from `docker network ls`"
            )
        return value


def parse_hostvars(path: Path, host: str, variables: Mapping[str, Any]) -> HostVars:
    """The host's ``mycelium_*`` variables, or ``InventoryError`` naming file, host and variable."""
    ours = {k: v for k, v in variables.items() if str(k).startswith(PREFIX)}
    try:
        return HostVars.model_validate(ours)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "mycelium_*"
        if first["type"] == "extra_forbidden":
            known = ", ".join(sorted(HostVars.model_fields))
            raise InventoryError(
                f"{path}: host {host}: {name}: unknown variable; the mycelium_* variables are "
                f"{known}"
            ) from None
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "bool_type":
            message = f"{first['input']!r} is not a boolean; use true or false"
        raise InventoryError(f"{path}: host {host}: {name}: {message}") from None
