"""The validation vocabulary: a case, its checks, estimates with confidence intervals, tolerances.

A **case** is one experimental setup taken from a source (a closed form of
MODEL.md, a paper, a measurement, a vendor statement). Running it yields
**checks**: one expected value computed by the validation code itself — from
the formula or the source's published numbers, never from a drsim run — and
drsim's value as an :class:`Estimate` (mean and 95 % confidence interval over
replications, or over independent trials pooled across replications), judged
by a stated :class:`Tolerance`.

Statistical tolerances use the *99.9 %* interval, not the 95 % one shown in
the table: the validation set has a few dozen checks, and at 95 % one or two
of them would fail by chance alone (a Bonferroni-style correction for ~50
checks at a 5 % family-wise error). Tolerances from a source are stated with
their reason (e.g. "≈ 2 %" is read as 2 ± 0.5 percentage points, the rounding
of a number given to one digit). No tolerance is chosen after seeing drsim's
value.
"""

from __future__ import annotations

import math
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
"""Confidence of the intervals shown in the report."""
VERDICT_CONFIDENCE = 0.999
"""Confidence of the intervals that decide a statistical verdict (see the module docstring)."""


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """drsim's value of one check: a point estimate with two confidence intervals.

    Attributes:
        mean: The estimate (unit of the check).
        ci95: 95 % confidence interval (shown in the report).
        ci999: 99.9 % confidence interval (used by statistical tolerances).
        basis: What the interval is computed over, e.g. ``"20 reps"`` or
            ``"40 000 reads"``.
    """

    mean: float
    ci95: tuple[float, float]
    ci999: tuple[float, float]
    basis: str

    @classmethod
    def over_replications(cls, values: Sequence[float]) -> Estimate:
        """Mean of per-replication values with Student-t intervals (replications are i.i.d.).

        A NaN value (a metric undefined in some replication) makes the estimate NaN,
        so the check fails instead of silently averaging fewer replications.
        """
        x = np.asarray(values, dtype=np.float64)
        n = x.size
        if n == 0 or np.isnan(x).any():
            nan = (math.nan, math.nan)
            return cls(math.nan, nan, nan, f"{n} reps, {int(np.isnan(x).sum())} undefined")
        mean = float(x.mean())
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        intervals = []
        for level in (CONFIDENCE, VERDICT_CONFIDENCE):
            if n > 1 and sd > 0:
                half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
            else:
                half = 0.0
            intervals.append((mean - half, mean + half))
        return cls(mean, intervals[0], intervals[1], f"{n} reps")

    @classmethod
    def proportion(cls, successes: int, trials: int, what: str = "trials") -> Estimate:
        """A proportion of independent Bernoulli trials pooled over replications (Wilson intervals)."""
        if trials <= 0:
            nan = (math.nan, math.nan)
            return cls(math.nan, nan, nan, f"0 {what}")
        p = successes / trials
        return cls(
            p,
            wilson(successes, trials, CONFIDENCE),
            wilson(successes, trials, VERDICT_CONFIDENCE),
            f"{thousands(trials)} {what}",
        )

    @classmethod
    def exact(cls, value: float, basis: str) -> Estimate:
        """A value without sampling error (deterministic, or a worst case over replications)."""
        return cls(float(value), (float(value),) * 2, (float(value),) * 2, basis)


def thousands(n: int | float) -> str:
    """``40000`` → ``"40 000"`` (a space between thousands, as in the report's prose)."""
    return f"{int(n):,}".replace(",", " ")


def wilson(successes: int, trials: int, level: float) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# --------------------------------------------------------------------------- tolerances


@dataclass(frozen=True)
class Tolerance:
    """How far drsim's estimate may be from the expected value.

    Kinds:
        ``statistical`` — the expected value lies in the 99.9 % interval widened
        by ``slack`` on each side (``slack`` is a stated model-discretisation
        term, 0 unless the case says why);
        ``absolute`` — ``|estimate − expected| ≤ slack``, a bound stated from
        the source;
        ``exact`` — equal up to floating-point rounding (deterministic cases);
        ``at_least`` / ``at_most`` — a one-sided bound: the 99.9 % interval
        (widened by ``slack``) reaches the expected bound from the right side.
    """

    kind: str
    slack: float = 0.0
    reason: str = ""

    def passes(self, estimate: Estimate, expected: float) -> bool:
        """The verdict for one check."""
        if math.isnan(estimate.mean):
            return False
        lo, hi = estimate.ci999
        if self.kind == "statistical":
            return lo - self.slack <= expected <= hi + self.slack
        if self.kind == "absolute":
            return abs(estimate.mean - expected) <= self.slack + 1e-12
        if self.kind == "exact":
            return math.isclose(estimate.mean, expected, rel_tol=1e-9, abs_tol=1e-9)
        if self.kind == "at_least":
            return hi + self.slack >= expected
        if self.kind == "at_most":
            return lo - self.slack <= expected
        raise ValueError(f"unknown tolerance kind {self.kind!r}")


def statistical(slack: float = 0.0, reason: str = "") -> Tolerance:
    """Expected value inside drsim's 99.9 % interval (± ``slack``, stated by the case)."""
    return Tolerance("statistical", slack, reason)


def absolute(slack: float, reason: str) -> Tolerance:
    """``|drsim − expected| ≤ slack``, the bound stated from the source."""
    return Tolerance("absolute", slack, reason)


def exact(reason: str = "deterministic") -> Tolerance:
    """Equal (deterministic case)."""
    return Tolerance("exact", 0.0, reason)


def at_least(slack: float = 0.0, reason: str = "") -> Tolerance:
    """drsim's value is not significantly below the expected bound."""
    return Tolerance("at_least", slack, reason)


def at_most(slack: float = 0.0, reason: str = "") -> Tolerance:
    """drsim's value is not significantly above the expected bound."""
    return Tolerance("at_most", slack, reason)


# --------------------------------------------------------------------------- checks and cases

UNITS = ("%", "s", "count", "ratio", "pp")


@dataclass
class Check:
    """One row of the validation table.

    Attributes:
        name: What is compared, e.g. ``"d = 2 s"``.
        expected: The expected value, computed by the validation code.
        estimate: drsim's value.
        tolerance: The verdict rule.
        unit: ``"%"`` (a fraction shown as a percentage), ``"s"``, ``"count"``
            or ``"ratio"``.
        expected_text: How to show the expected value when a plain number is
            not enough (e.g. ``"≥ 90 %"``).
        measured_by: ``"drsim"``, or what else produced the value (a check of
            the source's transcription runs no simulation).
    """

    name: str
    expected: float
    estimate: Estimate
    tolerance: Tolerance
    unit: str = "ratio"
    expected_text: str = ""
    measured_by: str = "drsim"

    @property
    def passed(self) -> bool:
        return self.tolerance.passes(self.estimate, self.expected)


@dataclass
class Outcome:
    """What running one case produced."""

    checks: list[Check] = field(default_factory=list)
    setup: str = ""  # markdown: the case's setup with the numbers used
    notes: list[str] = field(default_factory=list)  # markdown: results, failures, diagnosis


@dataclass(frozen=True)
class Case:
    """A validation case: a setup from a source and the code that runs it.

    Attributes:
        number: Position in the report, e.g. ``"1.2"``.
        slug: Short stable id, e.g. ``"stale-exponential"``.
        family: The case family (one module per family).
        title: What is validated.
        source: Where the expected value comes from.
        run: ``run(quick) -> Outcome``; ``quick`` selects the small sizes.
        known_failure: Why the case is expected to fail today (a model bug
            reported to the lead), or ``None``.
    """

    number: str
    slug: str
    family: str
    title: str
    source: str
    run: Callable[[bool], Outcome]
    known_failure: str | None = None


@dataclass
class CaseResult:
    """A case and what running it gave (an exception is a failed case, not a crash)."""

    case: Case
    outcome: Outcome
    error: str | None = None
    wall_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.outcome.checks) and all(
            c.passed for c in self.outcome.checks
        )


def run_case(case: Case, quick: bool) -> CaseResult:
    """Run one case; an exception becomes a failed result with its traceback."""
    import time

    started = time.perf_counter()
    try:
        outcome = case.run(quick)
        error = None
    except Exception as exc:  # a broken case is reported, never crashes the run
        outcome = Outcome()
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
    return CaseResult(case, outcome, error, time.perf_counter() - started)


def case_seed(slug: str) -> int:
    """A fixed root seed per case (stable across Python versions and runs)."""
    return zlib.crc32(slug.encode("utf-8")) % 100_000


def rng_for(slug: str, *extra: int) -> np.random.Generator:
    """A numpy generator for the validation code's own draws (never drsim's streams)."""
    return np.random.default_rng([case_seed(slug), 7919, *extra])
