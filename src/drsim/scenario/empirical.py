"""Empirical distributions from measured data: ``{distribution: empirical, file: lag.csv}``.

When a team has measured its replication lag (or its operators' paging times),
the scenario should use the measurements rather than a fitted curve. The CSV
file is read once, at load time, and its values are inlined as ``samples`` so
that the resolved scenario — the one written into every run's manifest — is
self-contained. The file has a header; the first column whose name ends in
``_s`` (seconds) or ``_ms`` (milliseconds) is read; blank lines and lines
starting with ``#`` are skipped.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drsim.scenario.errors import KeyPath, Problem, ScenarioError, dotted
from drsim.scenario.yamlsource import SourceMap

MAX_REPORTED = 5
"""Bad CSV values reported per file before giving up."""


def inline_empirical_files(
    data: Any, source_map: SourceMap, base_dir: Callable[[str], Path]
) -> None:
    """Replace every empirical ``file:`` in ``data`` (in place) by its ``samples``.

    Args:
        data: The scenario document.
        source_map: Where each key was written (to find the file a ``file:`` key is in).
        base_dir: Directory that relative CSV paths are resolved against, given the label
            of the scenario file (or override) that named the CSV.

    Raises:
        ScenarioError: unreadable files, missing columns, values that are not durations.
    """
    problems: list[Problem] = []
    for path, node in list(_empirical_nodes(data, ())):
        file_label, line = source_map.locate((*path, "file"))
        written = node["file"]
        csv_path = base_dir(file_label) / written
        csv_label = _csv_label(file_label, line, written)
        key = dotted((*path, "file"))
        try:
            text = csv_path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(csv_label, 0, key, "expected a UTF-8 text (CSV) file"))
            continue
        except OSError as exc:
            reason = exc.strerror or str(exc)
            problems.append(
                Problem(file_label, line, key, f"cannot read CSV file {written!r}: {reason}")
            )
            continue
        samples, found = read_samples(text, csv_label, key)
        if found:
            problems.extend(found)
            continue
        del node["file"]
        node["samples"] = samples
    if problems:
        raise ScenarioError(problems)


def _csv_label(file_label: str, line: int, written: str) -> str:
    if line > 0 and not os.path.isabs(written):
        return os.path.normpath(os.path.join(os.path.dirname(file_label), written))
    return written


def _empirical_nodes(node: Any, path: KeyPath):
    if isinstance(node, dict):
        if (
            node.get("distribution") == "empirical"
            and isinstance(node.get("file"), str)
            and node.get("samples") is None
        ):
            yield path, node
            return
        for key, value in node.items():
            yield from _empirical_nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _empirical_nodes(value, (*path, index))


def read_samples(text: str, label: str, key: str) -> tuple[list[str], list[Problem]]:
    """Read the duration column of a CSV text.

    Returns:
        The samples as duration strings (``'0.25s'``, ``'12.5ms'``) and the problems
        found (each naming the CSV file and line); samples are empty when there are problems.
    """
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    header_line = 0
    column = -1
    unit = "s"
    samples: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header, header_line = [cell.strip() for cell in row], line
                for index, name in enumerate(header):
                    if name.endswith("_ms") or name.endswith("_s"):
                        column, unit = index, "ms" if name.endswith("_ms") else "s"
                        break
                if column < 0:
                    found = ", ".join(repr(name) for name in header)
                    problems.append(
                        Problem(
                            label,
                            line,
                            key,
                            "expected a header with a column named like 'lag_s' (seconds) or "
                            f"'lag_ms' (milliseconds), got columns {found}",
                        )
                    )
                    return [], problems
                continue
            cell = row[column].strip() if column < len(row) else ""
            try:
                number = float(cell)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or number < 0:
                problems.append(
                    Problem(
                        label,
                        line,
                        key,
                        f"expected a number ≥ 0 of {'milli' if unit == 'ms' else ''}seconds "
                        f"in column {header[column]!r}, got {cell!r}",
                    )
                )
                if len(problems) >= MAX_REPORTED:
                    break
                continue
            samples.append(f"{number!r}{unit}")
    except csv.Error as exc:
        problems.append(Problem(label, reader.line_num, key, f"unreadable CSV: {exc}"))
    if header is None and not problems:
        problems.append(Problem(label, 1, key, "expected a header and samples, the file is empty"))
    elif not samples and not problems:
        problems.append(Problem(label, header_line, key, "expected samples below the header"))
    return ([] if problems else samples), problems
