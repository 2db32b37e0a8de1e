"""Reading scenario YAML while remembering where every key was written.

A scenario error must point at a line, so the loader cannot use
``yaml.safe_load`` (which forgets positions). Instead the document is
*composed* with the safe loader into nodes, and the plain Python data is built
from the nodes here, recording for every key path the file and line it came
from (a :class:`SourceMap`). Only YAML's standard types are accepted; a
duplicate key, a recursive alias or an unknown tag is an error, not a
surprise.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from drsim.scenario.errors import KeyPath, Problem, ScenarioError, dotted

Location = tuple[str, int]
"""Where something was written: (file label, 1-based line; 0 = no line)."""

MAX_VALUES = 200_000
"""Refuse documents that expand to more values than this (alias bombs)."""

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class SourceMap:
    """Key path → where it was written; lookups fall back to the nearest ancestor."""

    def __init__(self, entries: dict[KeyPath, Location] | None = None) -> None:
        self.entries: dict[KeyPath, Location] = dict(entries or {})

    def set(self, path: KeyPath, where: Location) -> None:
        """Record where ``path`` was written."""
        self.entries[path] = where

    def locate(self, path: KeyPath) -> Location:
        """Where ``path`` (or its nearest recorded ancestor) was written."""
        for end in range(len(path), -1, -1):
            where = self.entries.get(path[:end])
            if where is not None:
                return where
        return ("<scenario>", 0)

    def drop_under(self, path: KeyPath) -> None:
        """Forget ``path`` and everything below it (the value was replaced)."""
        n = len(path)
        for key in [k for k in self.entries if k[:n] == path]:
            del self.entries[key]

    def copy(self) -> SourceMap:
        """An independent copy."""
        return SourceMap(self.entries)


def read_yaml(text: str, file: str, *, root_path: KeyPath = ()) -> tuple[Any, SourceMap]:
    """Parse one YAML document with the safe loader, keeping positions.

    Args:
        text: The YAML text.
        file: Label used in error messages (a path, or ``--set KEY=VALUE``).
        root_path: Key path the document's root is placed at (for overrides).

    Returns:
        The data (dicts, lists, scalars) and the source map of its key paths.
        An empty document gives ``None``.

    Raises:
        ScenarioError: YAML syntax errors, duplicate keys, unsupported tags.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, file)]) from None
    except yaml.YAMLError as exc:  # ReaderError: characters YAML does not allow
        line = _line_of_position(text, getattr(exc, "position", None))
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise ScenarioError.single(file, line, root_path, f"unreadable YAML: {reason}") from None
    except RecursionError:
        raise ScenarioError.single(
            file, 1, root_path, "YAML nested too deeply to be a scenario"
        ) from None
    source_map = SourceMap()
    if node is None:
        return None, source_map
    builder = _Builder(file, source_map)
    source_map.set(root_path, (file, node.start_mark.line + 1))
    try:
        data = builder.build(node, root_path)
    except RecursionError:
        raise ScenarioError.single(
            file, node.start_mark.line + 1, root_path, "YAML nested too deeply to be a scenario"
        ) from None
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, source_map


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 0
    what = exc.problem or "invalid YAML"
    if exc.context:
        what = f"{exc.context}, {what}"
    return Problem(file, line, "", f"YAML syntax error: {what}")


def _tag(tag: str) -> str:
    return repr(tag.replace("tag:yaml.org,2002:", "!!"))


def _short(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"


def _line_of_position(text: str, position: int | None) -> int:
    if position is None:
        return 0
    return text.count("\n", 0, max(0, position)) + 1


class _Builder:
    """Turns composed nodes into plain data, filling the source map."""

    def __init__(self, file: str, source_map: SourceMap) -> None:
        self.file = file
        self.source_map = source_map
        self.constructor = SafeConstructor()
        self.problems: list[Problem] = []
        self.values = 0
        self.active: set[int] = set()

    def line(self, node: Node) -> int:
        return node.start_mark.line + 1

    def fail(self, node: Node, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.file, self.line(node), dotted(path), message))

    def build(self, node: Node, path: KeyPath) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            if self.values == MAX_VALUES + 1:
                self.fail(node, path, f"document too large (more than {MAX_VALUES} values)")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.fail(node, path, "recursive YAML alias (a value that contains itself)")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self.sequence(node, path)
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        self.fail(node, path, f"unsupported YAML node {type(node).__name__}")
        return None

    def scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        if node.tag in _NUMBER_TAGS and ":" in node.value:
            # YAML 1.1 reads 14:00 as the base-60 number 840; YAML 1.2 (and people) read
            # text: keep it, so that a duration's error can say what was probably meant.
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            reason = reason.replace("tag:yaml.org,2002:", "!!")
            self.fail(node, path, f"unsupported YAML value {_short(node.value)}: {reason}")
        except (ValueError, OverflowError, TypeError) as exc:
            self.fail(node, path, f"unreadable value {_short(node.value)}: {_short(str(exc))}")
        return None

    def sequence(self, node: SequenceNode, path: KeyPath) -> list[Any]:
        if node.tag != _SEQ_TAG:
            self.fail(node, path, f"unsupported YAML tag {_tag(node.tag)} (write a plain list)")
        items = []
        for index, item in enumerate(node.value):
            item_path = (*path, index)
            self.source_map.set(item_path, (self.file, self.line(item)))
            items.append(self.build(item, item_path))
        return items

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        if node.tag != _MAP_TAG:
            self.fail(node, path, f"unsupported YAML tag {_tag(node.tag)} (write a plain mapping)")
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, path, "a key must be plain text, not a list or mapping")
                continue
            key = str(key_node.value)
            key_path = (*path, key)
            if key in first_line:
                self.fail(
                    key_node,
                    key_path,
                    f"duplicate key {key!r} (first written on line {first_line[key]})",
                )
                continue
            first_line[key] = self.line(key_node)
            self.source_map.set(key_path, (self.file, self.line(key_node)))
            result[key] = self.build(value_node, key_path)
        for merge_node in merges:
            self.merge_into(result, merge_node, path)
        return result

    def merge_into(self, result: dict[str, Any], merge_node: Node, path: KeyPath) -> None:
        """YAML merge keys (``<<: *defaults``): explicit keys win, earlier merges win."""
        sources = merge_node.value if isinstance(merge_node, SequenceNode) else [merge_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.fail(source, path, "'<<' merges mappings only (write <<: *anchor)")
                continue
            original, self.source_map = self.source_map, SourceMap()
            try:
                merged = self.build(source, path)
            finally:
                built, self.source_map = self.source_map, original
            if not isinstance(merged, dict):
                continue
            for key, value in merged.items():
                if key in result:
                    continue
                result[key] = value
                prefix = (*path, key)
                for key_path, where in built.entries.items():
                    if key_path[: len(prefix)] == prefix:
                        self.source_map.set(key_path, where)
