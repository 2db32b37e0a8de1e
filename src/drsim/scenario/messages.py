"""From pydantic's validation errors to messages a DR reviewer can act on.

Pydantic reports an error at a *location* that includes internal union tags
(``('replication', 'lag', 'lognormal', 'p99')``) and words its messages for
programmers (``Input should be greater than 0``, with the value already
converted to seconds). Here each error is mapped back to the key path the
person wrote, to the line it was written on, and to a sentence in the
scenario's own units: ``dns.ttl: expected more than 0s, got '0s'``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from drsim.scenario import units
from drsim.scenario.errors import KeyPath, Problem, describe_value, dotted, quote_all
from drsim.scenario.fields import DISCRIMINATORS, allowed_keys, resolve, union_tags
from drsim.scenario.schema import NAME_PATTERN
from drsim.scenario.yamlsource import SourceMap

_FORMATTERS: dict[str, Callable[[float], str]] = {
    "duration": units.format_duration,
    "duration or 'forever'": units.format_duration,
    "rate": units.format_rate,
    "percentage": units.format_percent,
    "US dollars": units.format_money,
}

_BOUND_WORDS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}

_TYPE_WORDS = {
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "dict_type": "a mapping (key: value lines)",
    "tuple_type": "a list",
    "list_type": "a list",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}

_MISSING = object()


def did_you_mean(word: object, choices: list[str]) -> str:
    """``"; did you mean 'ttl'?"`` when ``word`` is close to one of ``choices``, else ``""``."""
    if not isinstance(word, str) or not choices:
        return ""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def value_at(data: Any, path: KeyPath) -> Any:
    """The document's value at ``path``, or a private sentinel when absent."""
    node = data
    for elem in path:
        if isinstance(node, dict) and isinstance(elem, str) and elem in node:
            node = node[elem]
        elif isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node):
            node = node[elem]
        else:
            return _MISSING
    return node


def _looks_like_tag(elem: object) -> bool:
    return isinstance(elem, str) and any(c in elem for c in "[]()'")


def document_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """Map a pydantic error location to the key path written in the document.

    Union tags (``'lognormal'``, ``"literal['all']"``, ``'function-before[…]'``) are
    dropped; once the location reaches a scalar the person wrote, the rest of the
    location is pydantic's business and is cut off.
    """
    path: list[str | int] = []
    node = data
    present = True
    for elem in loc:
        if present and isinstance(node, dict):
            if isinstance(elem, str) and elem in node:
                path.append(elem)
                node = node[elem]
            elif _looks_like_tag(elem) or any(node.get(d) == elem for d in DISCRIMINATORS):
                continue
            else:
                path.append(elem)
                present = False
        elif present and isinstance(node, list):
            if isinstance(elem, int) and 0 <= elem < len(node):
                path.append(elem)
                node = node[elem]
        elif present:
            break
        elif isinstance(elem, int) or (isinstance(elem, str) and not _looks_like_tag(elem)):
            path.append(elem)
    return tuple(path)


def _expected_values(text: str) -> list[str]:
    return re.findall(r"'((?:[^'\\]|\\.)*)'", text)


def _format_bound(bound: object, unit: str | None) -> str:
    if isinstance(bound, int | float) and not isinstance(bound, bool):
        formatter = _FORMATTERS.get(unit or "")
        if formatter is not None:
            try:
                return formatter(float(bound))
            except (ValueError, OverflowError):
                pass
        if isinstance(bound, float) and bound.is_integer():
            return str(int(bound))
    return str(bound)


def _first_sentence(text: str | None) -> str:
    if not text:
        return ""
    return text.split(". ")[0].rstrip(".")


def humanize(error: dict[str, Any], path: KeyPath, data: Any) -> tuple[KeyPath, str]:
    """One pydantic error → (key path, message) in the scenario's words and units."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    written = value_at(data, path)
    got = describe_value(error.get("input") if written is _MISSING else written)
    if kind == "missing":
        spot = resolve(path, data)
        about = _first_sentence(spot.field.description if spot.field else None)
        return path, "required key is missing" + (f" ({about})" if about else "")
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        allowed = allowed_keys(path[:-1], data)
        hint = did_you_mean(key, allowed)
        if not hint and allowed:
            hint = f" (allowed here: {', '.join(allowed)})"
        return path, f"unknown key {key!r}{hint}"
    if kind in ("value_error", "assertion_error"):
        message = re.sub(r"^(Value error|Assertion failed), ", "", error["msg"])
        return path, message
    if kind == "literal_error":
        expected = _expected_values(str(ctx.get("expected", "")))
        if len(expected) == 1:
            return path, f"expected {expected[0]!r}, got {got}"
        hint = did_you_mean(written, expected) if written is not _MISSING else ""
        return path, f"expected one of {quote_all(expected)}, got {got}{hint}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(ctx.get("discriminator", "")).strip("'\"")
        tags = union_tags(resolve(path, data).annotation) if path else None
        choices = list(tags[1]) if tags else _expected_values(str(ctx.get("expected_tags", "")))
        if kind == "union_tag_invalid":
            tag = ctx.get("tag")
            return (*path, key), (
                f"expected one of {quote_all(choices)}, got {tag!r}{did_you_mean(tag, choices)}"
            )
        if isinstance(written, dict):
            return path, f"missing required key {key!r}: one of {quote_all(choices)}"
        return path, f"expected a mapping with {key}: one of {quote_all(choices)}, got {got}"
    if kind in _BOUND_WORDS:
        name, words = _BOUND_WORDS[kind]
        unit = resolve(path, data).unit
        return path, f"expected {words} {_format_bound(ctx.get(name), unit)}, got {got}"
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        words = "at least" if kind == "too_short" else "at most"
        noun = "entry" if limit == 1 else "entries"
        actual = ctx.get("actual_length")
        return path, f"expected {words} {limit} {noun}, got {actual}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == NAME_PATTERN:
            return path, (
                "expected a name of lowercase letters, digits, '.', '_' and '-' that starts "
                f"with a letter or digit, got {got}"
            )
        return path, f"expected text matching {ctx.get('pattern')}, got {got}"
    if kind in _TYPE_WORDS:
        return path, f"expected {_TYPE_WORDS[kind]}, got {got}"
    message = str(error.get("msg", "invalid value"))
    message = re.sub(r"^Input should be ", "expected ", message)
    return path, f"{message}, got {got}"


def problems_from_validation(
    exc: ValidationError, data: Any, source_map: SourceMap
) -> list[Problem]:
    """Every error of a failed ``Scenario.model_validate(data)``, located and worded."""
    located: list[tuple[KeyPath, dict[str, Any]]] = []
    for error in exc.errors(include_url=False):
        located.append((document_path(tuple(error["loc"]), data), dict(error)))

    def has_others(path: KeyPath, this: dict[str, Any], *, below_only: bool) -> bool:
        n = len(path)
        return any(
            other[:n] == path and (len(other) > n or not below_only) and err is not this
            for other, err in located
        )

    messages: dict[KeyPath, list[str]] = {}
    for path, error in located:
        # A tuple that lost items to errors also reports "too short": say the cause only.
        if error["type"] == "too_short" and has_others(path, error, below_only=True):
            continue
        # A union "'all' or a list" given a list with bad items: the literal branch is noise.
        if error["type"] == "literal_error" and isinstance(value_at(data, path), list | dict):
            if has_others(path, error, below_only=False):
                continue
        where, message = humanize(error, path, data)
        bucket = messages.setdefault(where, [])
        if message not in bucket:
            bucket.append(message)
    problems = []
    for path, texts in messages.items():
        file, line = source_map.locate(path)
        problems.append(Problem(file, line, dotted(path), "; or ".join(texts)))
    return sorted(problems, key=lambda p: (p.file, p.line))
