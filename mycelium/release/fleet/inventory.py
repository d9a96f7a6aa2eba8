"""Ansible's YAML inventory format, read with Ansible's semantics.

Groups nest through ``children``; every group is below ``all``; a host outside any other
group is in ``ungrouped``. A host's variables are merged as Ansible does with its default
``hash_behaviour=replace``: ``all``, then its groups from the shallowest to the deepest
(ties by ``ansible_group_priority``, then by name), then the host's own variables.

Everything is keyed by the inventory alias, never by the address it connects to.

Container hosts (``ansible_connection: community.docker.docker``, or Ansible's short
``docker``) share the machine's kernel, so ``mycelium_required`` makes one required only
when it is set on the host itself or on a group of container hosts only: a
``mycelium_required`` meant for the real machines never makes a container stand in for one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from mycelium.config.yaml_document import safe_load
from mycelium.errors import InventoryError
from mycelium.release.fleet.hostvars import (
    DEFAULT_PYTHONS,
    HostVars,
    is_interpreter,
    is_safe_component,
    parse_hostvars,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

log = logging.getLogger("mycelium")

# Docker's own rule for container names; users as `docker exec --user` takes them.
CONTAINER_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
CONTAINER_USER: Final = re.compile(
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$"
)
GROUP_KEYS: Final = frozenset({"hosts", "children", "vars"})
CONTAINER_CONNECTIONS: Final = frozenset({"community.docker.docker", "docker"})
CONNECTIONS: Final = frozenset({"local", "ssh", "paramiko", "smart", *CONTAINER_CONNECTIONS})


@dataclass
class Group:
    name: str
    vars: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)  # direct members, in file order
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Host:
    """One inventory alias with its merged variables."""

    name: str
    vars: Mapping[str, Any]
    groups: tuple[str, ...]
    settings: HostVars = field(default_factory=HostVars)
    # A container host's mycelium_required comes from itself or a group of containers only.
    required_for_container: bool = False

    @property
    def address(self) -> str:
        return str(self.vars.get("ansible_host", self.name))

    @property
    def port(self) -> int:
        return int(self.vars.get("ansible_port", 22))

    @property
    def user(self) -> str | None:
        user = self.vars.get("ansible_user")
        return str(user) if user is not None else None

    @property
    def key_file(self) -> Path | None:
        key = self.vars.get("ansible_ssh_private_key_file")
        return Path(str(key)).expanduser() if key else None

    @property
    def is_local(self) -> bool:
        return self.vars.get("ansible_connection") == "local"

    @property
    def is_container(self) -> bool:
        return self.vars.get("ansible_connection") in CONTAINER_CONNECTIONS

    @property
    def image(self) -> str | None:
        """``mycelium_image``: start a fresh container of it for the run (container hosts)."""
        return self.settings.mycelium_image

    @property
    def pythons(self) -> tuple[str, ...]:
        if self.settings.mycelium_pythons:
            return self.settings.mycelium_pythons
        interpreter = self.vars.get("ansible_python_interpreter")
        if interpreter and "{{" not in str(interpreter):
            return (str(interpreter),)
        return DEFAULT_PYTHONS

    @property
    def required(self) -> bool:
        if self.is_container and not self.required_for_container:
            return False
        return self.settings.mycelium_required

    @property
    def accept_new_host_keys(self) -> bool:
        return self.settings.mycelium_accept_new_host_keys

    def endpoint(self) -> tuple[str, int, str | None]:
        return (self.address, self.port, self.user)


@dataclass(frozen=True)
class Inventory:
    path: Path
    groups: Mapping[str, Group]
    hosts: Mapping[str, Host]  # in the order the file first names them

    def describe(self) -> str:
        groups = ", ".join(g for g in self.groups if g not in {"all", "ungrouped"}) or "none"
        hosts = ", ".join(self.hosts) or "none"
        return f"groups: {groups}; hosts: {hosts}"


def load_inventory(path: Path) -> Inventory:
    """Read and check an inventory file; every problem names the file, host and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(f"{path}: no such inventory file; see inventory/hosts.yml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{path}: cannot be read: {exc}") from None
    try:
        data = safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InventoryError(f"{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: invalid YAML: {exc}") from None
    return parse_inventory(data, path)


def parse_inventory(data: Any, path: Path) -> Inventory:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: the top level must be a mapping of groups (all:, ...)")
    builder = _Builder(path)
    builder.groups["all"] = Group("all")
    for name, body in data.items():
        builder.add_group(str(name), body, parent=None if name == "all" else "all")
    return builder.finish()


class _Builder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.groups: dict[str, Group] = {}
        self.host_vars: dict[str, dict[str, Any]] = {}

    def add_group(self, name: str, body: Any, parent: str | None) -> None:
        group = self.groups.setdefault(name, Group(name))
        if parent is not None and parent not in group.parents:
            group.parents.append(parent)
            self.groups[parent].children.append(name)
        if body is None:
            return
        group_vars, hosts, children = self._sections(name, body)
        group.vars.update(group_vars)
        for host, host_vars in hosts.items():
            self.add_host(str(host), host_vars, name)
        for child, child_body in children.items():
            if str(child) == name or str(child) == "all":
                raise InventoryError(f"{self.path}: group {name}: cannot contain group {child}")
            self.add_group(str(child), child_body, parent=name)

    def _sections(self, name: str, body: Any) -> tuple[dict[Any, Any], ...]:
        """A group's vars, hosts and children, each checked to be a mapping."""
        where = f"{self.path}: group {name}"
        if not isinstance(body, dict):
            raise InventoryError(f"{where}: must be a mapping with hosts:, children: or vars:")
        unknown = sorted(set(body) - GROUP_KEYS)
        if unknown:
            raise InventoryError(
                f"{where}: unknown key {', '.join(map(str, unknown))}; "
                "a group has only hosts:, children: and vars: (a host goes under hosts:)"
            )
        hints = {
            "vars": "vars must be a mapping",
            "hosts": "hosts must be a mapping of host: vars (a list is the INI style; "
            "write `hosts: {web1: {}}`)",
            "children": "children must be a mapping of groups",
        }
        sections = []
        for key, hint in hints.items():
            value = body.get(key) or {}
            if not isinstance(value, dict):
                raise InventoryError(f"{where}: {hint}")
            sections.append(value)
        return tuple(sections)

    def add_host(self, host: str, host_vars: Any, group: str) -> None:
        if "[" in host and ":" in host:
            raise InventoryError(
                f"{self.path}: host {host}: host ranges are not supported; list each host"
            )
        if not is_safe_component(host):
            # The alias names this host's directory under reports/: it must stay one name.
            raise InventoryError(
                f"{self.path}: host {host!r}: not a valid host alias; use letters, digits and "
                ". _ - @ : only (at most 128, not '.' or '..'), and put an address in "
                "ansible_host"
            )
        if host_vars is None:
            host_vars = {}
        if not isinstance(host_vars, dict):
            raise InventoryError(f"{self.path}: host {host}: its variables must be a mapping")
        self.host_vars.setdefault(host, {}).update(host_vars)
        members = self.groups[group].hosts
        if host not in members:
            members.append(host)

    def finish(self) -> Inventory:
        self._check_cycles()
        in_named_group = {
            h for g in self.groups.values() if g.name not in {"all", "ungrouped"} for h in g.hosts
        }
        all_group = self.groups["all"]
        ungrouped = self.groups.setdefault("ungrouped", Group("ungrouped"))
        if "ungrouped" not in all_group.children:
            ungrouped.parents.append("all")
            all_group.children.append("ungrouped")
        for host in list(all_group.hosts):
            if host not in in_named_group and host not in ungrouped.hosts:
                ungrouped.hosts.append(host)
        # As in Ansible, hosts written directly under `all` belong to `ungrouped` (or to the
        # named groups that also list them), not to `all` itself.
        all_group.hosts = []
        depth = {name: self._depth(name) for name in self.groups}
        priority = {name: self._priority(name) for name in self.groups}
        merged_of: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for name in self.host_vars:
            member_of = self._groups_of(name)
            ordered = sorted(member_of, key=lambda g: (depth[g], priority[g], g))
            merged: dict[str, Any] = {}
            for group in ordered:
                # The priority orders groups; Ansible does not expose it as a host variable.
                merged.update(
                    (k, v)
                    for k, v in self.groups[group].vars.items()
                    if k != "ansible_group_priority"
                )
            merged.update(self.host_vars[name])
            merged_of[name] = (merged, ordered)
        containers = {
            name
            for name, (merged, _) in merged_of.items()
            if merged.get("ansible_connection") in CONTAINER_CONNECTIONS
        }
        hosts: dict[str, Host] = {}
        for name, (merged, ordered) in merged_of.items():
            settings = parse_hostvars(self.path, name, merged)
            hosts[name] = Host(
                name=name,
                vars=merged,
                groups=tuple(ordered),
                settings=settings,
                required_for_container=self._required_by_containers(name, ordered, containers),
            )
            _check_host(self.path, hosts[name])
        _warn_on_shared_endpoints(hosts)
        return Inventory(path=self.path, groups=dict(self.groups), hosts=hosts)

    def _required_by_containers(self, host: str, ordered: list[str], containers: set[str]) -> bool:
        """Whether the ``mycelium_required`` that wins for ``host`` is set on the host itself
        or on a group whose every host is a container."""
        if "mycelium_required" in self.host_vars[host]:
            return True
        for group in reversed(ordered):
            if "mycelium_required" in self.groups[group].vars:
                members = self._members(group)
                return bool(members) and members <= containers
        return False

    def _members(self, group: str) -> set[str]:
        found: set[str] = set()
        stack, seen = [group], set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            found.update(self.groups[name].hosts)
            stack.extend(self.groups[name].children)
        if group == "all":
            found |= set(self.host_vars)
        return found

    def _priority(self, group: str) -> int:
        value = self.groups[group].vars.get("ansible_group_priority", 1)
        if isinstance(value, bool) or not isinstance(value, int | str):
            value = "?"
        try:
            return int(value)
        except ValueError:
            raise InventoryError(
                f"{self.path}: group {group}: ansible_group_priority: {str(value)[:40]!r} is not "
                "a whole number; use 1 (the default) or higher to win over sibling groups"
            ) from None

    def _groups_of(self, host: str) -> set[str]:
        direct = {g.name for g in self.groups.values() if host in g.hosts}
        found = set(direct) | {"all"}
        stack = list(direct)
        while stack:
            for parent in self.groups[stack.pop()].parents:
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found

    def _depth(self, name: str, seen: frozenset[str] = frozenset()) -> int:
        parents = self.groups[name].parents
        if not parents:
            return 0
        return 1 + max(self._depth(p, seen | {name}) for p in parents)

    def _check_cycles(self) -> None:
        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in trail:
                loop = " -> ".join((*trail[trail.index(name) :], name))
                raise InventoryError(f"{self.path}: group {name}: children form a loop: {loop}")
            for child in self.groups[name].children:
                visit(child, (*trail, name))

        visit("all", ())


def _check_host(path: Path, host: Host) -> None:
    where = f"{path}: host {host.name}"
    port = host.vars.get("ansible_port", 22)
    try:
        port_number = int(port)
    except (TypeError, ValueError):
        raise InventoryError(
            f"{where}: ansible_port: {port!r} is not a number; use 1–65535"
        ) from None
    if isinstance(port, bool) or not 1 <= port_number <= 65535:  # noqa: PLR2004
        raise InventoryError(f"{where}: ansible_port: {port!r} is not a valid port; use 1–65535")
    connection = host.vars.get("ansible_connection", "ssh")
    if connection not in CONNECTIONS:
        raise InventoryError(
            f"{where}: ansible_connection: {str(connection)[:60]!r} is not supported; use "
            "local, ssh or community.docker.docker"
        )
    if host.is_container:
        _check_container(where, host)
    elif host.image is not None:
        raise InventoryError(
            f"{where}: mycelium_image: only container hosts start an image; add "
            "`ansible_connection: community.docker.docker` or remove mycelium_image"
        )
    unsafe = [p for p in host.pythons if not is_interpreter(p)]
    if unsafe:
        raise InventoryError(
            f"{where}: ansible_python_interpreter: {unsafe[0]!r} is not an interpreter name or "
            "path (its last part becomes a directory of reports/)"
        )
    key = host.key_file
    if key is not None and not host.is_local and not key.is_file():
        raise InventoryError(
            f"{where}: ansible_ssh_private_key_file: {key} does not exist; "
            "fix the path or remove the setting"
        )


def _check_container(where: str, host: Host) -> None:
    """The container's name is an argument of Docker's API: one plain Docker name."""
    name = host.vars.get("ansible_host", host.name)
    if not isinstance(name, str) or not CONTAINER_NAME.match(name):
        raise InventoryError(
            f"{where}: ansible_host: {str(name)[:60]!r} is not a container name (letters, "
            "digits and _ . - only, as `docker ps` shows it)"
        )
    user = host.vars.get("ansible_user")
    if user is not None and not CONTAINER_USER.match(str(user)):
        raise InventoryError(
            f"{where}: ansible_user: {str(user)[:60]!r} is not a user name or uid[:gid] for "
            "`docker exec --user`"
        )


def _warn_on_shared_endpoints(hosts: Mapping[str, Host]) -> None:
    seen: dict[tuple[str, int, str | None], str] = {}
    for host in hosts.values():
        if host.is_local or host.image is not None:  # a fresh container per run is its own
            continue
        other = seen.setdefault(host.endpoint(), host.name)
        if other != host.name:
            address, port, user = host.endpoint()
            log.warning(
                "warning: inventory hosts %s and %s both connect to %s@%s:%d; "
                "they stay two rows of the matrix",
                other,
                host.name,
                user or "(default user)",
                address,
                port,
            )
