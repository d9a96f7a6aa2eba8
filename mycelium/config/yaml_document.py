"""YAML text to plain data, keeping the line of every key for error messages.

Every YAML file or value a user hands us is read here, within bounds: its size, its
nesting depth, its number of aliases, its number of values (counted while composing, so a
million plain values cost no more than the limit's count) and its number of values once
aliases are expanded.
A "billion laughs" document (aliases of aliases) is a few hundred bytes that expand to
billions of values; it is refused after composing its few nodes, before anything walks
or builds the expanded tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from mycelium.config.limits import LIMITS, Limits
from mycelium.errors import ConfigError

FieldPath = tuple[str | int, ...]

MERGE_TAG: Final = "tag:yaml.org,2002:merge"


class YamlLimitError(yaml.MarkedYAMLError):
    """The document is beyond one of the ``Limits``; ``problem`` says which and how far."""


class BoundedSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses documents beyond ``limits`` before building them."""

    def __init__(self, stream: str, limits: Limits = LIMITS) -> None:
        if len(stream) > limits.max_chars:
            raise YamlLimitError(
                problem=(
                    f"the file is {len(stream):,} characters, more than the limit of "
                    f"{limits.max_chars:,}; a configuration is a few kilobytes"
                )
            )
        super().__init__(stream)
        self.limits = limits
        self._depth = 0
        self._aliases = 0
        self._values = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # The composer recurses once per level: refuse deep nesting before Python's own
        # recursion limit turns it into a RecursionError.
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise YamlLimitError(
                    problem=f"more than {self.limits.max_aliases:,} aliases (*name)",
                    problem_mark=self._here(),
                )
        else:
            # Counted as each node is composed: a million plain values stop here at the
            # limit's count, before the rest is parsed or any tree is walked.
            self._values += 1
            if self._values > self.limits.max_values:
                raise YamlLimitError(
                    problem=(
                        f"more than {self.limits.max_values:,} values (keys, items and scalars)"
                    ),
                    problem_mark=self._here(),
                )
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                raise YamlLimitError(
                    problem=f"nested more than {self.limits.max_depth} levels deep",
                    problem_mark=self._here(),
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _here(self) -> yaml.Mark:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        mark: yaml.Mark = event.start_mark
        return mark

    def compose_document(self) -> yaml.Node | None:
        node: yaml.Node | None = super().compose_document()
        if node is not None:
            _check_expansion(node, self.limits)
        return node


def _check_expansion(root: yaml.Node, limits: Limits) -> None:
    """Refuse ``root`` when expanding its aliases would exceed the limits, or loop.

    Shared nodes are counted once per use, as a reader of the expanded data sees them, but
    each is visited once (memoised, iteratively), so the check itself is linear.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children = _children(node)
        if not children_done:
            if key in in_progress:
                raise YamlLimitError(
                    problem="an alias refers to the collection that contains it",
                    problem_mark=node.start_mark,
                )
            in_progress.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in in_progress:
                    raise YamlLimitError(
                        problem="an alias refers to the collection that contains it",
                        problem_mark=child.start_mark,
                    )
                if id(child) not in size:
                    stack.append((child, False))
            continue
        in_progress.discard(key)
        size[key] = 1 + sum(size[id(child)] for child in children)
        depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
        if size[key] > limits.max_values:
            raise YamlLimitError(
                problem=(
                    f"more than {limits.max_values:,} values once its aliases (*name) are expanded"
                ),
                problem_mark=node.start_mark,
            )
        if depth[key] > limits.max_depth:
            raise YamlLimitError(
                problem=(
                    f"nested more than {limits.max_depth} levels deep once its aliases "
                    "(*name) are expanded"
                ),
                problem_mark=node.start_mark,
            )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def compose(text: str, limits: Limits = LIMITS) -> yaml.Node | None:
    """The node tree of ``text`` (``yaml.compose``), within ``limits``.

    Raises:
        yaml.YAMLError: ``text`` is not YAML, or is beyond ``limits`` (``YamlLimitError``).
    """
    loader = BoundedSafeLoader(text, limits)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def safe_load(text: str, limits: Limits = LIMITS) -> Any:
    """``yaml.safe_load`` within ``limits``; the one way to read YAML a user wrote.

    Raises:
        yaml.YAMLError: ``text`` is not YAML, or is beyond ``limits`` (``YamlLimitError``).
    """
    loader = BoundedSafeLoader(text, limits)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


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


def parse_yaml(text: str, source: str, limits: Limits = LIMITS) -> YamlDocument:
    """Parse one YAML document safely; a syntax error names the file, line and column."""
    try:
        loader = BoundedSafeLoader(text, limits)
    except YamlLimitError as exc:
        raise ConfigError(_limit_problem(exc, source)) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError(_reader_problem(exc, text, source)) from None
    lines: dict[FieldPath, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            # Before constructing: construction flattens merge keys (<<) into the mapping.
            _collect_key_lines(node, (), lines, source)
        data = loader.construct_document(node) if node is not None else None
    except YamlLimitError as exc:
        raise ConfigError(_limit_problem(exc, source)) from None
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
    return YamlDocument(data=data, key_lines=lines)


def _limit_problem(exc: YamlLimitError, source: str) -> str:
    mark = exc.problem_mark
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    return f"{where}: refused: {exc.problem}; nothing was read, simplify the file"


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
        merged: list[yaml.Node] = []
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                if merged:
                    # PyYAML merges both, the later silently winning: as ambiguous as any
                    # key given twice.
                    dotted = ".".join(_clip(str(p)) for p in (*path, "<<"))
                    raise ConfigError(
                        f"{source}:{key_node.start_mark.line + 1}: {dotted}: the key appears "
                        "twice; keep one of them, or merge several mappings with <<: [*a, *b]"
                    )
                merged.append(value_node)
                continue
            key = _key_text(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = ".".join(_clip(str(p)) for p in (*path, key))
                raise ConfigError(
                    f"{source}:{line}: {dotted}: the key appears twice; keep one of them"
                )
            seen.add(key)
            lines[(*path, key)] = line
            _collect_key_lines(value_node, (*path, key), lines, source)
        _collect_merged_lines(merged, path, lines, seen, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _collect_key_lines(item, (*path, index), lines, source)


def _collect_merged_lines(
    merged: list[yaml.Node],
    path: FieldPath,
    lines: dict[FieldPath, int],
    seen: set[str],
    source: str,
) -> None:
    # `<<: *base` (or `<<: [*a, *b]`) supplies the keys the mapping does not spell out
    # itself; a key given both ways is an override, not a duplicate. Earlier merges win.
    sources: list[yaml.Node] = []
    for value in merged:
        sources.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
    for mapping in sources:
        if not isinstance(mapping, yaml.MappingNode):
            continue  # the constructor reports a merge of something that is not a mapping
        inner: dict[FieldPath, int] = {}
        _collect_key_lines(mapping, path, inner, source)
        for sub_path, line in inner.items():
            if str(sub_path[len(path)]) not in seen:
                lines.setdefault(sub_path, line)
        seen.update(str(sub_path[len(path)]) for sub_path in inner)


def _key_text(key_node: yaml.Node) -> str:
    if isinstance(key_node, yaml.ScalarNode):
        return str(key_node.value)
    # A list or mapping as a key: the constructor refuses it; give it a short name here.
    kind = "mapping" if isinstance(key_node, yaml.MappingNode) else "list"
    return f"<a {kind} at line {key_node.start_mark.line + 1}>"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
