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

Comparisons are exact: the target is the decimal as written, converted to
the base unit without rounding (``rto_s>=1.1h`` is 3960 s, not the float
3960.0000000000005; ``availability>=99.9%`` is 999/1000), and the value is the
decimal the results show (the shortest decimal that reads back as the same
float, as in ``summary.json``). A ratio of counts exactly at the threshold —
999 good sign-ins of 1000 against ``availability>=99.9%`` — therefore meets
``>=`` and not ``>``: a ratio of counts below 10¹³ never rounds onto a
different written threshold of a few digits. What is exact is the comparison
of the value as reported; a mean over replications carries its own rounding.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from drsim.report.errors import ReportError
from drsim.report.formatting import ci_bounds, fmt_value, metric_kind, number

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}

_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(<=|>=|<|>)\s*(\S.*?)\s*$")


def as_written(x: float) -> Fraction | None:
    """The exact decimal a float is written as (``repr``): ``0.999`` → 999/1000; None if infinite."""
    return Fraction(repr(float(x))) if math.isfinite(x) else None


@dataclass(frozen=True)
class Target:
    """One condition: ``metric op value`` (value in the metric's base unit).

    Attributes:
        metric: The metric's name.
        op: ``<``, ``<=``, ``>`` or ``>=``.
        value: The threshold as a float (for display).
        exact: The threshold exactly as written (None: ``value`` written as a decimal).
    """

    metric: str
    op: str
    value: float
    exact: Fraction | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {fmt_value(self.value, metric_kind(self.metric))}"

    @property
    def threshold(self) -> Fraction | None:
        """The exact threshold (None when infinite)."""
        return self.exact if self.exact is not None else as_written(self.value)

    def holds(self, x: float | None) -> bool:
        """True when ``x`` satisfies the condition (False for a missing value).

        Exact: ``x`` as the decimal it is written as against the threshold as
        written (see the module docstring); infinities compare as floats.
        """
        if x is None:
            return False
        value, threshold = as_written(x), self.threshold
        if value is None or threshold is None:
            return OPERATORS[self.op](x, self.value)
        return OPERATORS[self.op](value, threshold)

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


def _value(metric: str, text: str) -> tuple[float, Fraction | None]:
    """The threshold as ``(float, exact)``; ``exact`` None for an infinite one."""
    from drsim.scenario import units

    kind = metric_kind(metric)
    try:
        number = Decimal(text)
    except InvalidOperation:
        pass
    else:
        return float(number), Fraction(number) if number.is_finite() else None
    parsers = {
        "s": units.parse_duration,
        "usd": units.parse_money,
        "pct": units.parse_percent,
        "count": units.parse_count,
    }
    exact_kinds = {"s": "duration", "usd": "money", "pct": "percent", "count": "count"}
    try:
        value = float(parsers[kind](text))
        return value, units.parse_exact(text, exact_kinds[kind])
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
        metric, op, text = match.groups()
        value, exact = _value(metric, text)
        targets.append(Target(metric, op, value, exact))
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
