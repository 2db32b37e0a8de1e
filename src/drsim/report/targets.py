"""Targets: the bar a design must clear, e.g. ``failed_logins<1000,rto_s<300``.

A reviewer states what is acceptable — fewer than 1,000 failed sign-ins per
outage, an RTO under 5 minutes — and the report lists the settings (sweep
points, designs, or the run itself) that meet it. Each condition is
``METRIC OP VALUE`` with ``OP`` one of ``<``, ``<=``, ``>``, ``>=``; the value
is a number in the metric's base unit, or a quantity with a unit that fits the
metric (``rto_s<5m``, ``cost_per_month_usd<=$10000``, ``availability>99.5%``).

A setting **meets** a condition when its mean does, and meets it **with 95 %
confidence** when its whole confidence interval does (the upper bound for
``<``/``<=``, the lower bound for ``>``/``>=``).
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drsim.report.errors import ReportError
from drsim.report.formatting import ci_bounds, fmt_value, metric_kind, number

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}

_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(<=|>=|<|>)\s*(\S.*?)\s*$")


@dataclass(frozen=True)
class Target:
    """One condition: ``metric op value`` (value in the metric's base unit)."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {fmt_value(self.value, metric_kind(self.metric))}"

    def holds(self, x: float | None) -> bool:
        """True when ``x`` satisfies the condition (False for a missing value)."""
        return x is not None and OPERATORS[self.op](x, self.value)

    def check(self, entry: Mapping[str, Any] | None) -> tuple[bool, bool]:
        """``(meets on the mean, meets with 95 % confidence)`` for an estimate
        ``{"mean", "ci95"}``."""
        if not entry:
            return False, False
        mean = number(entry.get("mean"))
        lo, hi = ci_bounds(entry)
        bound = hi if self.op in ("<", "<=") else lo
        if bound is None:
            bound = mean
        return self.holds(mean), self.holds(mean) and self.holds(bound)


def _value(metric: str, text: str) -> float:
    from drsim.scenario import units

    kind = metric_kind(metric)
    try:
        return float(text)
    except ValueError:
        pass
    parsers = {
        "s": units.parse_duration,
        "usd": units.parse_money,
        "pct": units.parse_percent,
        "count": units.parse_count,
    }
    try:
        return float(parsers[kind](text))
    except (units.UnitError, ValueError, TypeError):
        raise ReportError(
            f"--target {metric}: expected a number or a {_KIND_WORDS[kind]}, got {text!r}"
        ) from None


_KIND_WORDS = {
    "s": "duration such as '5m' or '300s'",
    "usd": "US dollar amount such as '$10000'",
    "pct": "percentage such as '99.5%'",
    "count": "count such as '1000' or '1k'",
}


def parse_targets(text: str | None) -> list[Target]:
    """Parse ``--target "failed_logins<1000,rto_s<300"`` (conditions separated by commas).

    Raises:
        ReportError: A condition that is not ``METRIC OP VALUE`` or a bad value.
    """
    if text is None or not text.strip():
        return []
    targets = []
    for raw in text.split(","):
        if not raw.strip():
            raise ReportError(f"--target {text!r}: empty condition between commas")
        match = _CONDITION.match(raw)
        if match is None:
            raise ReportError(
                f"--target {raw.strip()!r}: expected METRIC<VALUE (or <=, >, >=), "
                "such as 'failed_logins<1000' or 'rto_s<5m'"
            )
        metric, op, value = match.groups()
        targets.append(Target(metric, op, _value(metric, value)))
    return targets


def check_metrics(targets: Iterable[Target], available: Iterable[str]) -> None:
    """Every target must name a metric the output has.

    Raises:
        ReportError: ``--target rto: unknown metric 'rto' (did you mean 'rto_s'?)``.
    """
    names = sorted(set(available))
    for target in targets:
        if target.metric not in names:
            close = difflib.get_close_matches(target.metric, names, n=3)
            hint = (f" (did you mean {', '.join(repr(c) for c in close)}?)" if close
                    else f" (metrics: {', '.join(names[:12])}{', …' if len(names) > 12 else ''})")
            raise ReportError(f"--target {target.metric}: unknown metric "
                              f"{target.metric!r}{hint}")


def evaluate(targets: Iterable[Target],
             estimates: Mapping[str, Mapping[str, Any]]) -> tuple[bool, bool]:
    """Whether a setting's estimates meet every target: ``(on the means, with 95 % confidence)``."""
    mean_ok = confident = True
    for target in targets:
        a, b = target.check(estimates.get(target.metric))
        mean_ok &= a
        confident &= b
    return mean_ok, confident


def describe(targets: Iterable[Target]) -> str:
    """``failed_logins < 1,000 and rto_s < 5 min``."""
    return " and ".join(str(t) for t in targets)
