"""Confidence intervals that respect the metric: its kind from its name, its interval from its kind.

A metric's name says what it measures (``compute_metrics``: ``_s`` seconds,
``_usd`` US dollars, fractions in 0..1, plain names counts), and so which values
are possible: a count is never below 0, a share never outside [0, 1]. A
Student-t interval knows none of that — on rare counts it reaches below zero —
and it covers poorly when the replications are skewed. :func:`metric_kind`
reads the kind from the name (one rule, by pattern, so new names such as
``incident.1.rto_s`` are classified too); :func:`interval_rows` computes the
95 % interval of that kind for many samples at once. Per kind:

========  ==========================  ==============================================
kind      ``interval`` (method name)  what it is
========  ==========================  ==============================================
count     ``poisson-exact+student-t`` the hull of the Student-t interval and the
                                      exact Poisson (Garwood) interval of the total,
                                      widened by the over-dispersion s²/mean when
                                      that exceeds 1 (then at the Student-t tail
                                      level); divided by n, never below 0
share     ``wilson+student-t``        the hull of the Student-t interval clipped to
                                      [0, 1] and a Wilson score interval with the
                                      effective sample size mean·(1−mean)/(s²/n)
yes_no    ``wilson+student-t``        a yes/no outcome per replication
                                      (``*_converged``, ``*_recovered``): Wilson
                                      with n = replications
duration  ``lognormal-cox+student-t`` the hull of the Student-t interval and Cox's
                                      interval for a log-normal mean; with a zero
                                      value, 2 replications, or logs varying
                                      more than s² = 2.25: ``student-t-clipped``
money,    ``student-t-clipped``       Student-t, never below 0
ratio
other     ``student-t``               mean ± t(0.975, n−1)·s/√n
========  ==========================  ==============================================

A form only applies to values in its range (counts, durations, money and
ratios ≥ 0, shares in [0, 1]); a sample outside it gets the plain Student-t
interval, and so does a sample with a non-finite value (a point interval at
its mean, as :func:`drsim.metrics.summarise` then reports None). One value
gives a point interval (method ``none``). Zero spread gives a zero-width
interval (method ``constant``: a value the design fixes), except for the forms
that know better: a count 0 in every replication (a rare event: five zeros
still allow a mean of up to 3.69 / 5) and a yes/no outcome (Wilson).
docs/model.md ("Intervals") gives the reasons and the measured coverage.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np
from scipy import stats

KINDS = ("count", "share", "yes_no", "duration", "money", "ratio", "other")
"""The metric kinds :func:`metric_kind` returns."""

SHARE_WORDS = frozenset({"share", "fraction", "availability"})
"""A name with one of these words is a share (0..1)."""

YES_NO_WORDS = frozenset({"converged", "recovered", "state"})
"""A name ending in one of these words is a yes/no outcome per replication (1 or 0): a share."""

SIGNED_WORDS = frozenset({"delta", "diff", "difference", "change", "net"})
"""A name with one of these words may be negative: plain Student-t."""

_WORD = re.compile(r"[._]")


def metric_kind(name: str) -> str:
    """The kind of a metric, read from its name.

    The rules apply to the name's stem (:func:`metric_stem`: ``staleness_p90_s.other``
    is a duration, ``users_failed_share.home.eu-west-1`` a share), first match wins:
    ends in ``_s`` → ``duration`` (``rto_s``,
    ``incident.1.rto_s``, ``rto_90_s``); ends in ``_usd`` → ``money``; ends in
    ``converged`` / ``recovered`` / ``state`` → ``yes_no`` (1 or 0 per replication); has a
    word ``share``, ``fraction`` or ``availability`` → ``share``; has the word ``per`` →
    ``ratio`` (``lockout_extra_guesses_per_account``); has a word ``delta``,
    ``diff``, ``difference``, ``change`` or ``net`` → ``other``; anything else
    is a ``count`` (drsim's convention: plain names are counts, including
    ``failed_logins.<cause>``). Words are separated by ``_`` and ``.``.

    Args:
        name: Metric name as :func:`~drsim.metrics.compute_metrics` reports it.

    Returns:
        One of :data:`KINDS`.
    """
    name = metric_stem(name)
    if name.endswith("_s"):
        return "duration"
    if name.endswith("_usd"):
        return "money"
    words = _WORD.split(name.lower())
    if words[-1] in YES_NO_WORDS:
        return "yes_no"
    if SHARE_WORDS.intersection(words):
        return "share"
    if "per" in words:
        return "ratio"
    if SIGNED_WORDS.intersection(words):
        return "other"
    return "count"


def metric_stem(name: str) -> str:
    """The metric a name is of, without its incident prefix and its member suffix:
    ``incident.1.staleness_p90_s.replication_lag`` → ``staleness_p90_s``. A member (a
    cause, region, client kind …) names a part, not the unit, so a region or client kind
    whose name happens to end in ``_s`` or hold ``share`` never changes the kind."""
    words = name.split(".")
    if len(words) > 2 and words[0] == "incident":
        words = words[2:]
    return words[0]


class Rows:
    """One batch of samples (rows of a 2-D array) and the statistics every form needs.

    Attributes:
        x: ``(rows, n)`` values, ``n ≥ 2``.
        n: Values per row.
        mean: Row means.
        sd: Row standard deviations (``ddof=1``).
        finite: Rows with a finite spread (no ±inf or NaN value).
        lo, hi: Student-t interval (a point at the mean where the spread is 0 or not finite).
        t: Student-t quantile for ``n − 1`` degrees of freedom.
        z: Normal quantile.
        alpha: ``1 − confidence``.
    """

    def __init__(self, x: np.ndarray, confidence: float) -> None:
        self.x = x
        self.n = x.shape[1]
        self.alpha = 1.0 - confidence
        self.t = _t_quantile(0.5 + confidence / 2, self.n - 1)
        self.z = _z_quantile(0.5 + confidence / 2)
        self.mean = x.mean(axis=1)
        self.sd = x.std(axis=1, ddof=1)
        self.finite = np.isfinite(self.sd)
        half = self.t * self.sd / np.sqrt(self.n)
        spread = self.finite & (self.sd != 0.0)
        self.lo = np.where(spread, self.mean - half, self.mean)
        self.hi = np.where(spread, self.mean + half, self.mean)

    def within(self, low: float, high: float = np.inf) -> np.ndarray:
        """Rows with a finite spread whose values all lie in ``[low, high]``."""
        return self.finite & (self.x.min(axis=1) >= low) & (self.x.max(axis=1) <= high)


Interval = tuple[np.ndarray, np.ndarray, np.ndarray]
"""``(lo, hi, method)`` arrays, one entry per row."""


def interval_rows(values: np.ndarray, kind: str, confidence: float = 0.95) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean and confidence interval of every row of a 2-D array, by the form of ``kind``.

    Args:
        values: ``(rows, n)`` array of non-NaN values, ``n ≥ 1`` (C-contiguous
            float64 keeps the means bit-identical to those of 1-D arrays).
        kind: One of :data:`KINDS` (see :func:`metric_kind`).
        confidence: Confidence level.

    Returns:
        ``(mean, lo, hi, method)``: arrays of length ``rows``; ``method`` holds
        the name of the interval each row got (see the module docstring).
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if x.shape[1] == 1:
            mean = x.mean(axis=1)
            return mean, mean.copy(), mean.copy(), np.full(len(mean), "none", dtype=object)
        rows = Rows(x, confidence)
        lo, hi, method = FORMS[kind](rows)
    return rows.mean, lo, hi, method


def _student_t(rows: Rows) -> Interval:
    """Mean ± t·s/√n: for signed quantities (and values outside a kind's range)."""
    return rows.lo, rows.hi, np.full(len(rows.mean), "student-t", dtype=object)


def _student_t_clipped(rows: Rows) -> Interval:
    """Student-t with the lower end raised to 0 where every value is ≥ 0."""
    ok = rows.within(0.0)
    lo = np.where(ok, np.maximum(rows.lo, 0.0), rows.lo)
    return lo, rows.hi, np.where(ok, "student-t-clipped", "student-t").astype(object)


def _count(rows: Rows) -> Interval:
    """Hull of Student-t and the over-dispersion-scaled exact Poisson interval, ≥ 0.

    The exact (Garwood) interval for a Poisson total T is
    ``[Γ⁻¹(α/2; T), Γ⁻¹(1−α/2; T+1)]``. Counts that vary more than Poisson
    (variance φ·mean, φ = s²/mean > 1) are treated as φ × Poisson(T/φ): the
    interval of T/φ events, scaled by φ, with the tail probability α/2
    replaced by that of the Student-t quantile, 1 − Φ(t), since φ is estimated
    from the n values as the Student-t spread is. Divided by n, it is the
    interval of the mean; the hull with Student-t keeps the coverage where
    either alone falls short (rare counts: Student-t; skewed counts: Poisson).
    """
    ok = rows.within(0.0) & ~_constant_nonzero(rows)
    total = rows.x.sum(axis=1)
    # over-dispersed: s² above the mean, beyond rounding (s² = mean is Poisson)
    over = ok & (rows.sd**2 > rows.mean * (1.0 + 1e-9))
    phi = np.where(over, rows.sd**2 / np.where(over, rows.mean, 1.0), 1.0)
    tail = np.where(over, _normal_tail(rows.t), rows.alpha / 2)
    events = np.where(ok, total / phi, 0.0)
    p_lo = np.where(events > 0, stats.gamma.ppf(tail, np.where(events > 0, events, 1.0)), 0.0)
    p_hi = stats.gamma.isf(tail, events + 1.0)  # not ppf(1 − tail): 1 − 1e-37 rounds to 1
    lo = np.where(ok, np.maximum(np.minimum(rows.lo, phi * p_lo / rows.n), 0.0), rows.lo)
    hi = np.where(ok, np.maximum(rows.hi, phi * p_hi / rows.n), rows.hi)
    return lo, hi, _method(rows, ok, "poisson-exact+student-t")


def _constant_nonzero(rows: Rows) -> np.ndarray:
    """Rows whose values are all the same and not 0: a quantity the design fixes (targeted
    accounts, the population's cost), not a rare count — a point interval. (Five equal
    draws of a count with any real spread are too unlikely to mean otherwise.)"""
    return rows.finite & (rows.sd == 0.0) & (rows.mean != 0.0)


def _method(rows: Rows, ok: np.ndarray, name: str) -> np.ndarray:
    """The method name of each row: ``name`` where the form applied, ``constant`` for rows
    with one repeated value the form leaves as a point, else ``student-t``."""
    return np.where(ok, name, np.where(rows.finite & (rows.sd == 0.0), "constant",
                                       "student-t")).astype(object)


def _yes_no(rows: Rows) -> Interval:
    """:func:`_share` of a yes/no outcome per replication: Wilson over the replications."""
    return _share(rows, yes_no=True)


def _share(rows: Rows, yes_no: bool = False) -> Interval:
    """Hull of Student-t clipped to [0, 1] and a Wilson score interval.

    Wilson's interval for a proportion p̂ out of m trials is
    ``(p̂ + q²/2m ± q·√(p̂(1−p̂)/m + q²/4m²)) / (1 + q²/m)``: asymmetric, inside
    [0, 1], wider towards the middle. For shares m is the effective sample
    size p̂(1−p̂)/(s²/n) (the m trials whose binomial spread equals the
    replications') and q the Student-t quantile; for a yes/no outcome per
    replication m = n and q the normal quantile — the binomial interval, which
    does not shrink to a point when every replication gives the same answer.
    A share equal in every replication (all sign-ins failed: 0) is a point.
    """
    ok = rows.within(0.0, 1.0)
    x, p = rows.x, rows.mean
    binary = ok & yes_no & np.all((x == 0.0) | (x == 1.0), axis=1)
    var = rows.sd**2
    spread = var > 0
    m = np.where(binary, rows.n, p * (1 - p) * rows.n / np.where(spread, var, 1.0))
    q = np.where(binary, rows.z, rows.t)
    centre = p + q * q / (2 * m)
    half = q * np.sqrt(p * (1 - p) / m + q * q / (4 * m * m))
    w_lo, w_hi = (centre - half) / (1 + q * q / m), (centre + half) / (1 + q * q / m)
    wilson = ok & (binary | spread)
    lo = np.where(ok, np.clip(rows.lo, 0.0, 1.0), rows.lo)
    hi = np.where(ok, np.clip(rows.hi, 0.0, 1.0), rows.hi)
    lo = np.where(wilson, np.clip(np.minimum(lo, w_lo), 0.0, 1.0), lo)
    hi = np.where(wilson, np.clip(np.maximum(hi, w_hi), 0.0, 1.0), hi)
    return lo, hi, _method(rows, ok & (binary | spread), "wilson+student-t")


COX_MIN_REPLICATIONS = 3
"""Cox's interval needs at least this many replications: with 2 (1 degree of freedom)
its s⁴ term puts the upper limit some 1,000× above the mean half the time."""

COX_MAX_LOG_VARIANCE = 2.25
"""Cox's interval applies where the logs' variance s² is at most this (a log-normal σ of
1.5): beyond, a value near 0 (a uniform or exponential duration) or a σ the replications
cannot pin down makes its upper limit run to 10⁴ – 10¹² × the mean."""


def _duration(rows: Rows) -> Interval:
    """Hull of Student-t and Cox's log-normal interval where every value is > 0.

    Cox's interval for the mean of a log-normal sample, with y = ln x of mean
    ȳ and variance s²: ``exp(ȳ + s²/2 ± t·√(s²/n + s⁴/(2(n−1))))`` —
    right-skewed like the durations. A zero value leaves no logarithm: then
    Student-t clipped at 0, as with fewer than :data:`COX_MIN_REPLICATIONS`
    replications, a log variance above :data:`COX_MAX_LOG_VARIANCE`, or where Cox's
    upper limit overflows.
    """
    lo, hi, method = _student_t_clipped(rows)
    positive = rows.within(np.finfo(np.float64).tiny)
    logs = np.log(np.where(positive[:, None], rows.x, 1.0))
    s2 = logs.var(axis=1, ddof=1)
    centre = logs.mean(axis=1) + s2 / 2
    half = rows.t * np.sqrt(s2 / rows.n + s2 * s2 / (2 * (rows.n - 1)))
    cox_lo, cox_hi = np.exp(centre - half), np.exp(centre + half)
    # Cox's limit overflows only for absurd spreads (values 10³⁰⁰ apart): Student-t there
    cox = (positive & (rows.sd > 0) & np.isfinite(cox_hi) & (s2 <= COX_MAX_LOG_VARIANCE)
           & (rows.n >= COX_MIN_REPLICATIONS))
    lo = np.where(cox, np.minimum(lo, cox_lo), lo)
    hi = np.where(cox, np.maximum(hi, cox_hi), hi)
    return lo, hi, np.where(cox | (positive & (rows.sd == 0)), "lognormal-cox+student-t",
                            method).astype(object)


FORMS: dict[str, Callable[[Rows], Interval]] = {
    "count": _count,
    "share": _share,
    "yes_no": _yes_no,
    "duration": _duration,
    "money": _student_t_clipped,
    "ratio": _student_t_clipped,
    "other": _student_t,
}
"""The interval form of each metric kind."""


@functools.lru_cache(maxsize=256)
def _t_quantile(p: float, dof: int) -> float:
    """Student-t quantile (cached: a sweep's tables ask for the same few thousands of times)."""
    return float(stats.t.ppf(p, dof))


@functools.lru_cache(maxsize=256)
def _normal_tail(q: float) -> float:
    """Upper tail probability of the standard normal beyond ``q`` (cached)."""
    return float(stats.norm.sf(q))


@functools.lru_cache(maxsize=16)
def _z_quantile(p: float) -> float:
    """Standard normal quantile (cached)."""
    return float(stats.norm.ppf(p))
