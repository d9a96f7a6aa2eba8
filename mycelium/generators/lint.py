"""A security lint for Compose files: names each insecure setting, with its line.

It checks what the generator wrote and files people edit by hand: ports published on all
interfaces, literal passwords, images not pinned to an exact version, services without a
healthcheck, and privileged containers. Every message says how to fix the setting and
never repeats a password.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import yaml

from mycelium.config import yaml_document as bounded_yaml
from mycelium.errors import UserError

_SECRET_KEY: Final = re.compile(
    r"(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY)$", re.IGNORECASE
)
_REFERENCE: Final = re.compile(
    r"^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*(?:(?P<op>:?[-?+=])(?P<arg>[^}]*))?\})$"
)
_REQUIREPASS: Final = re.compile(r"--requirepass[\s=]+['\"]?(?P<value>[^\s'\"]+)")
_VERSION: Final = re.compile(r"^v?[0-9]+\.[0-9]+")
_UNSPECIFIED_HOSTS: Final = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - what we look for
# Lists whose every item grants the container something: an item the configuration does
# not generate is reported, not only a key.
_GRANTING_LISTS: Final = frozenset(
    {"volumes", "ports", "devices", "cap_add", "security_opt", "volumes_from", "tmpfs"}
)


class Rule(StrEnum):
    PORTS = "ports-on-all-interfaces"
    PASSWORD = "literal-password"  # noqa: S105 - a rule's name, not a password
    UNPINNED = "unpinned-image"
    HEALTHCHECK = "missing-healthcheck"
    PRIVILEGED = "privileged"
    HOST_MOUNT = "host-path-mount"
    UNEXPECTED = "not-from-configuration"


@dataclass(frozen=True)
class Finding:
    line: int
    service: str
    rule: Rule
    message: str
    file: str = ""

    def format(self) -> str:
        return f"{self.file}:{self.line}: {self.service}: {self.message} [{self.rule.value}]"


def lint_compose(
    text: str, file: str = "docker-compose.yml", expected: str | None = None
) -> tuple[Finding, ...]:
    """Every insecure setting in the Compose file ``text``, in line order.

    With ``expected`` (the file the configuration generates), every key, service or granting
    list item (a volume, a port, a capability...) that is not in it is reported too.

    Raises:
        UserError: ``text`` is not YAML, or not a Compose file with services.
    """
    try:
        root = bounded_yaml.compose(text)
        data = bounded_yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise UserError(f"{file}{where}: not valid YAML: {problem}") from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or root is None:
        raise UserError(f"{file}: not a Compose file: it has no 'services' mapping")
    lines = _Lines(root)
    findings: list[Finding] = []
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        for line, rule, message in _check_service(service, ("services", name), lines):
            findings.append(Finding(line, str(name), rule, message, file))
    if expected is not None:
        for extra in _unexpected(data, yaml.safe_load(expected), ()):
            owner = str(extra[1]) if extra[0] == "services" and len(extra) > 1 else str(extra[0])
            findings.append(
                Finding(
                    lines.of(*extra),
                    owner,
                    Rule.UNEXPECTED,
                    (
                        f"{_dotted(extra)} is not in what the configuration generates; remove "
                        "it, or run mycelium-generate --force to write the file again"
                    ),
                    file,
                )
            )
    return tuple(sorted(findings, key=lambda finding: finding.line))


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in path
    ).removeprefix(".")


def _unexpected(actual: Any, expected: Any, at: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Key paths (and granting list items) of ``actual`` that ``expected`` does not have."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        found: list[tuple[Any, ...]] = []
        for key, value in actual.items():
            if key not in expected:
                found.append((*at, key))
            else:
                found.extend(_unexpected(value, expected[key], (*at, key)))
        return found
    if isinstance(actual, list) and isinstance(expected, list) and at and at[-1] in _GRANTING_LISTS:
        known = [yaml.safe_dump(item) for item in expected]
        return [(*at, i) for i, item in enumerate(actual) if yaml.safe_dump(item) not in known]
    return []


def _check_service(
    service: dict[str, Any], at: tuple[Any, ...], lines: _Lines
) -> list[tuple[int, Rule, str]]:
    found: list[tuple[int, Rule, str]] = []
    for index, port in enumerate(_as_list(service.get("ports"))):
        if _on_all_interfaces(port):
            shown = (
                f"{port.get('published', '')}:{port.get('target', '')}"
                if isinstance(port, dict)
                else port
            )
            found.append(
                (
                    lines.of(*at, "ports", index),
                    Rule.PORTS,
                    (
                        f"port {str(shown)!r} is published on all interfaces; bind it to one "
                        'address ("127.0.0.1:HOST:CONTAINER", or host_ip: 127.0.0.1)'
                    ),
                )
            )
    for key, value, where in _environment(service.get("environment"), at):
        if _SECRET_KEY.search(key) and not key.upper().endswith("_FILE") and _literal(value):
            found.append(
                (
                    lines.of(*where),
                    Rule.PASSWORD,
                    (
                        f"{key} is set to a literal password; read it from .env instead "
                        f"({key}: ${{{key}}})"
                    ),
                )
            )
    command = service.get("command")
    joined = " ".join(map(str, command)) if isinstance(command, list) else str(command or "")
    match = _REQUIREPASS.search(joined)
    if match and not match["value"].startswith("$"):
        found.append(
            (
                lines.of(*at, "command"),
                Rule.PASSWORD,
                (
                    "command passes a literal password to --requirepass; read it from an "
                    "environment variable set from .env"
                ),
            )
        )
    found.extend(_host_mounts(service, at, lines))
    image = service.get("image")
    if isinstance(image, str) and not _pinned(image):
        found.append(
            (
                lines.of(*at, "image"),
                Rule.UNPINNED,
                (
                    f"image {image!r} is not pinned to an exact version; name one (redis:7.4.1) "
                    "or a digest (@sha256:...)"
                ),
            )
        )
    healthcheck = service.get("healthcheck")
    if not _has_healthcheck(healthcheck):
        found.append(
            (
                lines.of(*at),
                Rule.HEALTHCHECK,
                "has no healthcheck; add one so that depends_on can wait until it is ready",
            )
        )
    if service.get("privileged") in {True, "true", "True"}:
        found.append(
            (
                lines.of(*at, "privileged"),
                Rule.PRIVILEGED,
                (
                    "runs privileged (privileged: true); remove it and grant only the capabilities "
                    "it needs with cap_add"
                ),
            )
        )
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _on_all_interfaces(port: Any) -> bool:  # noqa: PLR0911 - one answer per port syntax
    if isinstance(port, int):
        return True  # a bare container port is published on a random port everywhere
    if isinstance(port, dict):
        host = port.get("host_ip")
        return host is None or str(host) in _UNSPECIFIED_HOSTS
    if not isinstance(port, str):
        return False
    spec = port.split("/", 1)[0]
    if "$" in spec:
        return False  # decided by a variable we cannot see
    if spec.startswith("["):
        host = spec[: spec.index("]") + 1] if "]" in spec else spec
        return host in _UNSPECIFIED_HOSTS
    parts = spec.split(":")
    if len(parts) < 3:  # noqa: PLR2004 - CONTAINER or HOST:CONTAINER, no address
        return True
    host = ":".join(parts[:-2])
    if host in _UNSPECIFIED_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _host_mounts(
    service: dict[str, Any], at: tuple[Any, ...], lines: _Lines
) -> list[tuple[int, Rule, str]]:
    return [
        (
            lines.of(*at, "volumes", index),
            Rule.HOST_MOUNT,
            (
                f"mounts the host path {source!r} into the container; use a named volume, "
                "or mount only the directory it needs, read-only"
            ),
        )
        for index, volume in enumerate(_as_list(service.get("volumes")))
        if (source := _host_source(volume)) is not None
    ]


def _host_source(volume: Any) -> str | None:
    """The host path a volume entry bind-mounts when it is absolute or under ``~``."""
    if isinstance(volume, dict):
        source = volume.get("source")
        if volume.get("type") != "bind" or not isinstance(source, str):
            return None
    elif isinstance(volume, str):
        source = volume.split(":", 1)[0]
    else:
        return None
    return source if source.startswith(("/", "~")) else None


def _environment(value: Any, at: tuple[Any, ...]) -> list[tuple[str, Any, tuple[Any, ...]]]:
    if isinstance(value, dict):
        return [(str(k), v, (*at, "environment", k)) for k, v in value.items()]
    pairs: list[tuple[str, Any, tuple[Any, ...]]] = []
    for index, item in enumerate(_as_list(value)):
        if isinstance(item, str) and "=" in item:
            key, _, item_value = item.partition("=")
            pairs.append((key, item_value, (*at, "environment", index)))
    return pairs


def _literal(value: Any) -> bool:
    """True when ``value`` spells a secret out rather than referring to a variable."""
    if value is None or value == "":
        return False
    match = _REFERENCE.match(str(value))
    if match is None:
        return True
    # ${VAR:-fallback} ships the fallback as the password when the variable is unset.
    return match["op"] in {"-", ":-", "=", ":="} and bool(match["arg"])


def _pinned(image: str) -> bool:
    if "$" in image or "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return False
    tag = name.rsplit(":", 1)[1]
    return bool(_VERSION.match(tag))


def _has_healthcheck(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if value.get("disable") in {True, "true"}:
        return False
    test = value.get("test")
    return test not in (["NONE"], "NONE")


class _Lines:
    """1-based line numbers of the nodes of a YAML document, by key path."""

    def __init__(self, root: yaml.Node) -> None:
        self._lines: dict[tuple[Any, ...], int] = {}
        self._walk(root, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self._lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value
                self._lines[(*path, name)] = key.start_mark.line + 1
                self._walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*path, index))

    def of(self, *path: Any) -> int:
        while path and path not in self._lines:
            path = path[:-1]
        return self._lines.get(path, 1)
