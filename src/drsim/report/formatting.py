"""Numbers for people: how drsim writes counts, durations, shares and money.

The one module for number formatting (the report layer is the lowest that
needs it; the CLI imports it from here). Two styles:

* the report's (:func:`fmt_value` and friends), so that a reading, a table
  cell and a chart label say the same thing: ``1,240``, ``2.5 min``,
  ``99.20 %``, ``$11,782``; ``–`` for a value that is undefined (NaN / None);
* the terminal's (:func:`terminal_value`), fixed decimals that line up in the
  columns of ``drsim run`` and ``drsim compare``: ``26,743.4``, ``2.50 h``,
  ``$11,741.20``; chart annotations use it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from drsim.metrics.confidence import metric_kind as kind_of_metric

DASH = "–"

WRITTEN_AS = {"share": "pct", "yes_no": "pct", "duration": "s", "money": "usd"}
"""How each metric kind (:func:`drsim.metrics.confidence.metric_kind`) is written; other
kinds are counts."""


def number(value: Any) -> float | None:
    """``value`` as a finite-or-infinite float, or None for None/NaN/non-numbers."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def metric_kind(metric: str) -> str:
    """How a metric is written: ``count``, ``s`` (seconds), ``pct`` (fraction) or ``usd``;
    from the metric's kind, the one rule its interval follows too."""
    return WRITTEN_AS.get(kind_of_metric(metric), "count")


def fmt_count(x: float) -> str:
    """``1,240`` for whole numbers, ``12.3`` / ``0.34`` otherwise."""
    if float(x).is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:,.1f}"
    return f"{x:.2g}" if abs(x) < 1 else f"{x:.1f}"


def fmt_seconds(x: float) -> str:
    """A duration in seconds for people: ``250 ms``, ``45.2 s``, ``2.5 min``, ``1.25 h``."""
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0 s"
    if abs(x) < 1:
        return f"{x * 1000:.0f} ms"
    if abs(x) < 120:
        return f"{_trim(f'{x:.1f}')} s"
    if abs(x) < 7200:
        return f"{_trim(f'{x / 60:.1f}')} min"
    if abs(x) < 3 * 86400:
        return f"{_trim(f'{x / 3600:.2f}')} h"
    return f"{_trim(f'{x / 86400:.1f}')} d"


def terminal_value(value: Any, kind: str) -> str:
    """A value for a terminal: ``1,240``, ``2.5 min``, ``99.20 %``, ``$4,500.00``; ``–`` for none."""
    x = number(value)
    if x is None:
        return DASH
    if math.isinf(x):
        return "∞"
    if kind == "pct":
        return f"{100 * x:.2f} %"
    if kind == "usd":
        return f"${x:,.2f}"
    if kind == "s":
        if x == 0:
            return "0 s"
        if abs(x) < 1:
            return f"{x * 1000:.0f} ms"
        if abs(x) < 120:
            return f"{x:.1f} s"
        if abs(x) < 7200:
            return f"{x / 60:.1f} min"
        return f"{x / 3600:.2f} h"
    if float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def _trim(text: str) -> str:
    """``30.0`` → ``30``, ``1.50`` → ``1.5``."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_value(value: Any, kind: str) -> str:
    """A value of the given kind (``count``, ``s``, ``pct``, ``usd``); ``–`` when undefined."""
    x = number(value)
    if x is None:
        return DASH
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x < 0:
        return "−" + fmt_value(-x, kind)
    if kind == "pct":
        if 0 < 100 * x < 0.01:
            return f"{100 * x:.1g} %"
        return f"{100 * x:.2f} %"
    if kind == "usd":
        return f"${x:,.0f}" if abs(x) >= 100 else f"${x:,.2f}"
    if kind == "s":
        return fmt_seconds(x)
    return fmt_count(x)


def fmt_signed(value: Any, kind: str) -> str:
    """A difference: ``+1,240``, ``−3.5 min``; ``±0`` for zero."""
    x = number(value)
    if x is None:
        return DASH
    if x == 0:
        return "±0"
    text = fmt_value(abs(x), kind)
    return ("+" if x > 0 else "−") + text


def ci_bounds(entry: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
    """The (low, high) of an estimate's ``ci95`` (None when absent)."""
    if not entry:
        return None, None
    lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
    return number(lo), number(hi)


def fmt_ci(entry: Mapping[str, Any] | None, kind: str, signed: bool = False,
           prefix: str = "95 % CI ") -> str:
    """``95 % CI 1,180–1,300`` (``−623 to −333`` when a bound is negative or signed); empty
    when the interval is missing or has no width."""
    lo, hi = ci_bounds(entry)
    if lo is None or hi is None or lo == hi:
        return ""
    f = fmt_signed if signed else fmt_value
    sep = " to " if signed or lo < 0 else "–"
    return f"{prefix}{f(lo, kind)}{sep}{f(hi, kind)}"


def fmt_estimate(entry: Mapping[str, Any] | None, kind: str, signed: bool = False,
                 compact: bool = False) -> str:
    """``1,240 (95 % CI 1,180–1,300)``, or just the mean when there is no interval.

    ``compact`` drops the words: ``1,240 (1,180–1,300)`` (for tables whose header says it).
    """
    if not entry:
        return DASH
    f = fmt_signed if signed else fmt_value
    mean = f(entry.get("mean"), kind)
    ci = fmt_ci(entry, kind, signed, prefix="" if compact else "95 % CI ")
    return f"{mean} ({ci})" if ci else mean


def fmt_share(part: float, whole: float) -> str:
    """``70 %`` (``<1 %`` for a small non-zero share, ``–`` when whole is 0)."""
    if not whole:
        return DASH
    share = 100.0 * part / whole
    if 0 < share < 1:
        return "<1 %"
    if 99 < share < 100:
        return ">99 %"
    return f"{share:.0f} %"


def plural(n: float, word: str, words: str | None = None) -> str:
    """``1 replication`` / ``3 replications``."""
    return word if n == 1 else (words or word + "s")


def humanize(name: str) -> str:
    """``region_down`` → ``region down``."""
    return name.replace("_", " ")
