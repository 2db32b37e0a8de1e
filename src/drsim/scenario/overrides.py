"""Command-line overrides: ``--set dns.ttl=30s`` changes one key for one run.

A sweep or a quick what-if ("the same design with a 20 s TTL") should not need
a new file. An override names a key path with dots (list entries by number,
``faults.0.duration=10m``) and a value written as in YAML (``30s``, ``[a, b]``,
``{kind: idp_outage, start: 1h, duration: 10m}``). The value goes through the
same validation as the file; errors name the override instead of a file:
``--set dns.ttl=sixty: dns.ttl: expected a duration …``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from drsim.scenario.errors import KeyPath, Problem, ScenarioError, describe_value, dotted
from drsim.scenario.yamlsource import SourceMap, read_yaml


def override_label(text: str) -> str:
    """How an override is named in error messages: ``--set dns.ttl=sixty``."""
    return f"--set {text}"


def parse_override(text: str) -> tuple[KeyPath, Any]:
    """Split ``KEY=VALUE`` into a key path and a YAML value.

    Raises:
        ScenarioError: no ``=``, an empty key part, or a value that is not YAML.
    """
    label = override_label(text)
    if "=" not in text:
        raise ScenarioError.single(
            label, 0, "", f"expected KEY=VALUE such as dns.ttl=30s, got {text!r}"
        )
    key, _, value_text = text.partition("=")
    parts = key.strip().split(".")
    if any(not part.strip() for part in parts):
        raise ScenarioError.single(
            label,
            0,
            "",
            f"expected a dotted key such as dns.ttl or faults.0.duration, got {key.strip()!r}",
        )
    path: KeyPath = tuple(
        int(p) if re.fullmatch(r"[0-9]+", p.strip()) else p.strip() for p in parts
    )
    try:
        value, _ = read_yaml(value_text, label, root_path=path)
    except ScenarioError as exc:
        raise ScenarioError(
            Problem(label, 0, p.key_path or dotted(path), p.message) for p in exc.problems
        ) from None
    return path, value


def apply_overrides(data: dict[str, Any], source_map: SourceMap, overrides: Sequence[str]) -> None:
    """Apply ``KEY=VALUE`` overrides in order, in place, recording them in the source map.

    Raises:
        ScenarioError: every override that cannot be applied (collected, not just the first).
    """
    problems: list[Problem] = []
    for text in overrides:
        try:
            path, value = parse_override(text)
            _set(data, source_map, path, value, override_label(text))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)


def _set(
    data: dict[str, Any], source_map: SourceMap, path: KeyPath, value: Any, label: str
) -> None:
    if path[0] == "extends":
        raise ScenarioError.single(
            label, 0, "extends", "extends cannot be overridden; write a scenario that extends it"
        )
    node: Any = data
    actual: list[str | int] = []
    for depth, elem in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, dict):
            key = str(elem)
            actual.append(key)
            if last:
                node[key] = value
                break
            child = node.get(key)
            if child is None:
                if isinstance(path[depth + 1], int):
                    raise ScenarioError.single(
                        label,
                        0,
                        tuple(actual),
                        f"not set in the scenario, so it has no entry {path[depth + 1]}; "
                        f"give the whole list, e.g. --set '{dotted(tuple(actual))}=[...]'",
                    )
                child = node[key] = {}
            node = child
        elif isinstance(node, list):
            here = dotted(tuple(actual))
            if not isinstance(elem, int):
                raise ScenarioError.single(
                    label, 0, tuple(actual), f"is a list; name an entry by number, e.g. {here}.0"
                )
            if not 0 <= elem <= len(node) or (elem == len(node) and not last):
                entries = "entry" if len(node) == 1 else "entries"
                raise ScenarioError.single(
                    label,
                    0,
                    (*actual, elem),
                    f"index {elem} is out of range: {here} has {len(node)} {entries}",
                )
            actual.append(elem)
            if last:
                if elem == len(node):
                    node.append(value)
                else:
                    node[elem] = value
                break
            node = node[elem]
        else:
            raise ScenarioError.single(
                label,
                0,
                tuple(actual),
                f"is {describe_value(node)}, not a section with keys; "
                f"set {dotted(tuple(actual))}=... instead",
            )
    where = tuple(actual)
    source_map.drop_under(where)
    source_map.set(where, (label, 0))
