"""YAML text to plain data, keeping the line of every key for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from mycelium.errors import ConfigError

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    key_lines: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int | None:
        """The 1-based line of the deepest key of ``path`` that the file spells out."""
        for end in range(len(path), 0, -1):
            line = self.key_lines.get(path[:end])
            if line is not None:
                return line
        return None


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse one YAML document safely; a syntax error names the file, line and column."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise ConfigError(_reader_problem(exc, text, source)) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:
        raise ConfigError(_reader_problem(exc, text, source)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = exc.problem or exc.context or "cannot be parsed"
        raise ConfigError(
            f"{where}: invalid YAML: {problem}",
            ("fix the syntax at that line (indentation, a missing ':' or an unclosed quote)",),
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    lines: dict[FieldPath, int] = {}
    if node is not None:
        _collect_key_lines(node, (), lines, source)
    return YamlDocument(data=data, key_lines=lines)


def _reader_problem(exc: yaml.reader.ReaderError, text: str, source: str) -> str:
    line = text.count("\n", 0, max(exc.position, 0)) + 1
    return (
        f"{source}:{line}: invalid YAML: the control character U+{exc.character:04X} is not "
        "allowed in YAML; remove it"
    )


def _collect_key_lines(
    node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], source: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = ".".join(str(p) for p in (*path, key))
                raise ConfigError(
                    f"{source}:{line}: {dotted}: the key appears twice; keep one of them"
                )
            seen.add(key)
            lines[(*path, key)] = line
            _collect_key_lines(value_node, (*path, key), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _collect_key_lines(item, (*path, index), lines, source)
