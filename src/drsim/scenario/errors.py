"""Errors for people: what is wrong with a scenario, and where.

A DR reviewer edits YAML by hand; when a scenario is wrong the answer must
name the file, the line and the key, and say what was expected and what was
found — never a traceback. Every problem the loader finds becomes a
:class:`Problem`; all problems of one load travel together in a
:class:`ScenarioError`, whose text is one line per problem::

    scenarios/x.yaml:27: dns.ttl: expected a duration such as '250ms', ... got 'sixty'

A line of 0 means "no line" (a ``--set`` override, a missing file) and is
left out of the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

KeyPath = tuple[str | int, ...]
"""A key path into the scenario document: ``("faults", 0, "duration")``."""


def dotted(path: KeyPath) -> str:
    """Render a key path the way people write it: ``faults.0.duration``."""
    return ".".join(str(part) for part in path)


class Problem(NamedTuple):
    """One thing wrong with a scenario.

    Attributes:
        file: The file (or ``--set KEY=VALUE`` override) the problem is in.
        line: 1-based line in that file; 0 when there is no line.
        key_path: Dotted key path such as ``dns.ttl``; ``""`` for the whole document.
        message: What was expected and what was found.
    """

    file: str
    line: int
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        text = (
            f"{where}: {self.key_path}: {self.message}"
            if self.key_path
            else f"{where}: {self.message}"
        )
        return _one_line(text)


class ScenarioError(Exception):
    """A scenario that cannot be loaded; carries every :class:`Problem` found.

    ``str(error)`` is one ``FILE:LINE: key.path: message`` line per problem.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = _unique(problems)
        if not self.problems:
            raise ValueError("a ScenarioError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, line: int, key_path: KeyPath | str, message: str) -> ScenarioError:
        """An error made of one problem (``key_path`` as a tuple or dotted text)."""
        path = key_path if isinstance(key_path, str) else dotted(key_path)
        return cls([Problem(file, line, path, message)])


def _one_line(text: str) -> str:
    """Keep a problem on one line, whatever characters the file or value contained."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    result: list[Problem] = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result


def describe_value(value: object) -> str:
    """How a found value is quoted in a message: ``'sixty'``, ``5``, ``a list``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:60]) + "…"
    if isinstance(value, int | float):
        return repr(value)
    return f"a {type(value).__name__} ({value!s})"


def quote_all(values: Sequence[object]) -> str:
    """``['a', 'b', 'c']`` → ``"'a', 'b', 'c'"``."""
    return ", ".join(repr(v) for v in values)
