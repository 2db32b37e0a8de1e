"""The terminal text of ``drsim compare``: what differs, and each metric per design, in 100 columns.

Layout, top to bottom: what was compared; the design legend (when names are
long, designs are headed ``A``, ``B``, … and the legend names them); every
design setting that differs (and a warning line when the workload differs);
the mean [95 % CI] of each metric per design; the paired difference of each
later design against the baseline. Rows that are zero or undefined in every
design are hidden unless ``show_all``. A table wider than :data:`WIDTH` is
split into column groups, each repeating the metric column.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from drsim.report.formatting import metric_kind, number, terminal_value

WIDTH = 100
"""Columns the text fits in."""

NAME_MAX = 24
"""Longest design name used as a column header; longer names are lettered (``A``, ``B`` …)."""

METRIC_MAX = 36
"""Widest metric label; longer ones are shortened in the middle."""

VALUE_MAX = 28
"""Widest setting value shown; the full value is in compare.json."""


def _shorten(text: str, width: int) -> str:
    """``text`` if it fits, else its start and end around ``…``."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def design_headers(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Column headers for the designs and the legend lines that explain them.

    Names up to :data:`NAME_MAX` characters head their columns as they are;
    otherwise every design gets a letter and the legend gives its name.
    """
    if all(len(n) <= NAME_MAX for n in names):
        return list(names), []
    letters = [chr(ord("A") + i) if i < 26 else f"D{i + 1}" for i in range(len(names))]
    legend = [f"  {letter} = {name}" + (" (baseline)" if i == 0 else "")
              for i, (letter, name) in enumerate(zip(letters, names, strict=True))]
    return letters, ["Designs:", *legend]


def _estimate(entry: Mapping[str, Any] | None, kind: str, signed: bool = False) -> str:
    entry = entry or {}

    def fmt(x: Any) -> str:
        text = terminal_value(x, kind)
        return "+" + text if signed and number(x) is not None and number(x) > 0 else text

    lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
    if lo is None or hi is None:
        return fmt(entry.get("mean"))
    return f"{fmt(entry.get('mean'))} [{fmt(lo)}, {fmt(hi)}]"


def _is_nothing(entry: Mapping[str, Any] | None) -> bool:
    mean = number((entry or {}).get("mean"))
    return mean is None or mean == 0


def visible_metrics(data: Mapping[str, Any], show_all: bool = False) -> tuple[list[str], int]:
    """The metrics to show, and how many were hidden for being zero or undefined everywhere."""
    designs = data["designs"]
    names = list(designs[0]["metrics"]) if designs else []
    if show_all:
        return names, 0
    shown = [m for m in names
             if not all(_is_nothing(d["metrics"].get(m)) for d in designs)
             or not all(_is_nothing(diff["metrics"].get(m)) for diff in data["differences"])]
    return shown, len(names) - len(shown)


def metric_rows(metrics: Sequence[str]) -> list[tuple[str, str | None]]:
    """Row labels and their metric: a breakdown row reads ``  · region_down`` under its total,
    under a heading row (metric None) naming a breakdown that has no total, or in full."""
    rows: list[tuple[str, str | None]] = []
    group = ""
    for metric in metrics:
        parent, _, part = metric.rpartition(".")
        if parent and parent == group:
            rows.append((_shorten(f"  · {part}", METRIC_MAX), metric))
            continue
        group = parent or metric
        if parent and parent not in metrics:
            rows.append((_shorten(parent, METRIC_MAX), None))
            rows.append((_shorten(f"  · {part}", METRIC_MAX), metric))
        else:
            rows.append((_shorten(metric, METRIC_MAX), metric))
    return rows


def _column_groups(widths: Sequence[int]) -> list[list[int]]:
    """Split value columns ``1 …`` into groups that fit :data:`WIDTH` beside column 0."""
    groups: list[list[int]] = [[]]
    used = widths[0]
    for column in range(1, len(widths)):
        if groups[-1] and used + 2 + widths[column] > WIDTH:
            groups.append([])
            used = widths[0]
        groups[-1].append(column)
        used += 2 + widths[column]
    return groups


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """A table (first row the header) in :data:`WIDTH` columns, split into column groups."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines: list[str] = []
    for group in _column_groups(widths):
        if lines:
            lines.append("")
        columns = [0, *group]
        for n, row in enumerate(rows):
            cells = [row[c].ljust(widths[c]) if c == 0 else row[c].rjust(widths[c])
                     for c in columns]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * widths[c] for c in columns))
    return lines


def settings_lines(data: Mapping[str, Any], headers: Sequence[str]) -> list[str]:
    """Every design setting that differs, one per line, and a warning line for the workload."""
    settings = data.get("settings")
    if settings is None:
        return []
    names = [d["name"] for d in data["designs"]]
    design = [s for s in settings if s["kind"] == "design"]
    lines = ["Design settings that differ:" if design else
             "The designs differ in no design setting."]
    key_width = min(max((len(s["key"]) for s in design), default=0), 40)
    for entry in design:
        values = "   ".join(f"{h}: {_shorten(str(entry['values'].get(n, '')), VALUE_MAX)}"
                           for h, n in zip(headers, names, strict=True))
        lines += textwrap.wrap(f"{_shorten(entry['key'], 40).ljust(key_width)}   {values}",
                               WIDTH, initial_indent="  ",
                               subsequent_indent=" " * (key_width + 5))
    workload = [s["key"] for s in settings if s["kind"] == "workload"]
    if workload:
        lines += textwrap.wrap(
            "warning: the workloads differ too (" + ", ".join(workload) + "): each difference "
            "below mixes design and workload; --same-workload FILE runs every design on one "
            "workload", WIDTH, subsequent_indent="  ")
    elif data.get("same_workload"):
        lines.append(f"Every design ran on the workload of {data['same_workload']}.")
    return lines


def _metric_tables(data: Mapping[str, Any], headers: Sequence[str],
                   metrics: Sequence[str]) -> list[str]:
    designs, diffs = data["designs"], data["differences"]
    labelled = metric_rows(metrics)
    rows = [["metric", *headers]]
    rows += [[label] + [_estimate(d["metrics"].get(m), metric_kind(m)) if m else ""
                        for d in designs] for label, m in labelled]
    lines = ["Mean [95 % CI] per design", "", *table_lines(rows)]
    if diffs:
        lettered = headers[0] != designs[0]["name"]
        diff_rows = [["metric", *(f"Δ {h} − {headers[0]}" if lettered else f"Δ {h}"
                                  for h in headers[1:])]]
        diff_rows += [[label] + [_estimate(diff["metrics"].get(m), metric_kind(m), signed=True)
                                 if m else "" for diff in diffs] for label, m in labelled]
        lines += ["", *textwrap.wrap(f"Paired difference against the baseline "
                                     f"{designs[0]['name']} (same replications), mean [95 % CI]",
                                     WIDTH), "", *table_lines(diff_rows)]
    return lines


def comparison_text(data: Mapping[str, Any], show_all: bool = False) -> str:
    """The readable text of a comparison's JSON object (``compare.json``), in 100 columns.

    Args:
        data: The comparison as :meth:`~drsim.experiment.compare.Comparison.to_json` gives it.
        show_all: Also show metrics that are zero or undefined in every design.
    """
    designs = data["designs"]
    headers, legend = design_headers([d["name"] for d in designs])
    metrics, hidden = visible_metrics(data, show_all)
    lines = textwrap.wrap(
        f"Comparison of {len(designs)} designs, {data['replications']} replications each, "
        + ("common random numbers (replication r of every design sees the same users, "
           "arrivals and attacks)" if data.get("common_random_numbers", True)
           else "different seeds (no common random numbers)"), WIDTH)
    lines += ["", *legend, *([""] if legend else []), *settings_lines(data, headers), ""]
    lines += _metric_tables(data, headers, metrics)
    if hidden:
        lines += ["", f"{hidden} metrics are zero or undefined in every design and are not "
                  "shown (--all shows them)."]
    for failure in data.get("failures", []):
        first = (failure["error"] or "").splitlines()[0] if failure["error"] else ""
        lines.append(_shorten(f"failed: {failure['design']} replication "
                              f"{failure['replication']}: {first}", WIDTH))
    return "\n".join(lines)
