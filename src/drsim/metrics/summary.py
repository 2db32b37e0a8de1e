"""Replications → estimates: mean and 95 % confidence interval per metric.

Every metric is reported as the mean over independent replications with a
95 % confidence interval that respects the metric's kind (counts never below
0, shares within [0, 1], skewed durations right-skewed; see
:mod:`drsim.metrics.confidence`), plus the per-replication values. Design
comparisons use paired differences with a Student-t interval (common random
numbers make the pairs positively correlated, so the paired interval is much
narrower than two separate ones).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from drsim.metrics.confidence import interval_rows, metric_kind

CONFIDENCE = 0.95


def _finite_or_none(x: float | None) -> float | None:
    """JSON-safe number: NaN, ±inf and None become None."""
    return None if x is None or not math.isfinite(x) else float(x)


def estimate(
    values: Iterable[float | None], kind: str = "other", confidence: float = CONFIDENCE
) -> tuple[float, float, float, str]:
    """Mean, confidence interval and interval method of the non-NaN values.

    Args:
        values: per-replication values (NaN and None values are ignored).
        kind: metric kind (:func:`~drsim.metrics.confidence.metric_kind`);
            ``"other"`` is the plain Student-t interval.
        confidence: confidence level.

    Returns:
        ``(mean, lo, hi, method)``; NaN and ``"none"`` when no value is left;
        ``lo = hi = mean`` with one value (method ``"none"``).
    """
    x = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan, "none"
    mean, lo, hi, method = interval_rows(x[None, :], kind, confidence)
    return float(mean[0]), float(lo[0]), float(hi[0]), str(method[0])


def mean_ci(
    values: Iterable[float | None], confidence: float = CONFIDENCE, *, kind: str = "other"
) -> tuple[float, float, float]:
    """Mean and confidence interval of the non-NaN values (:func:`estimate` without the method).

    Args:
        values: per-replication values (NaN values are ignored).
        confidence: confidence level.
        kind: metric kind; the default ``"other"`` is the plain Student-t interval.

    Returns:
        ``(mean, lo, hi)``; all NaN when no value is left; ``lo = hi = mean``
        with one value, or with zero spread (except for the count and 0/1
        share forms, see :mod:`drsim.metrics.confidence`).
    """
    mean, lo, hi, _ = estimate(values, kind, confidence)
    return mean, lo, hi


def mean_ci_rows(
    values: np.ndarray, confidence: float = CONFIDENCE, *, kind: str = "other"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`mean_ci` of every row of a 2-D array at once, with the same numbers bit for bit.

    Each row is one sample (say one sweep point's replications of one metric)
    with the NaN values already left out, so every row has the same number of
    values. Both forms run the same vectorised code
    (:func:`~drsim.metrics.confidence.interval_rows`; :func:`mean_ci` on a
    one-row array), and numpy sums each contiguous row the way it sums a 1-D
    array, so the numbers are exactly those :func:`mean_ci` computes row by row.

    Args:
        values: ``(rows, n)`` array of non-NaN values, ``n ≥ 1``.
        confidence: confidence level.
        kind: metric kind of every row.

    Returns:
        ``(mean, lo, hi)``, one array of length ``rows`` each.
    """
    mean, lo, hi, _ = interval_rows(values, kind, confidence)
    return mean, lo, hi


def summarise(per_replication: Sequence[dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Mean, 95 % CI and per-replication values of every metric.

    Each metric's interval is the form of its kind
    (:func:`~drsim.metrics.confidence.metric_kind` of its name).

    Args:
        per_replication: one :func:`~drsim.metrics.compute_metrics` dict per replication.

    Returns:
        ``{metric: {"mean": x, "ci95": [lo, hi], "interval": method,
        "per_replication": [...]}}`` over the union of metric names, in
        first-seen order; ``interval`` names the method (e.g.
        ``"poisson-exact+student-t"``; ``"none"`` for fewer than two values).
        NaN values (and metrics missing from a replication) are ignored for
        mean and CI and kept as
        ``None`` in ``per_replication``; a metric NaN in every replication has
        ``mean`` None and ``ci95`` [None, None]. JSON-ready.
    """
    names: dict[str, None] = {}
    for rep in per_replication:
        names.update(dict.fromkeys(rep))
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        values = [float(rep.get(name, math.nan)) for rep in per_replication]
        mean, lo, hi, method = estimate(values, metric_kind(name))
        out[name] = {
            "mean": _finite_or_none(mean),
            "ci95": [_finite_or_none(lo), _finite_or_none(hi)],
            "interval": method,
            "per_replication": [_finite_or_none(v) for v in values],
        }
    return out


def paired_difference(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """Paired difference ``a − b`` of one metric over replications with the same seeds.

    The interval is Student-t whatever the metric's kind: a difference is
    signed, so there is no range to respect, and with 5–10 pairs a percentile
    bootstrap covers less than Student-t does (measured on skewed pairs, a
    common log-normal factor σ = 0.8 with design B 20 % slower: 76 % against
    87 % with 5 pairs, 84 % against 89 % with 10; docs/model.md, "Intervals").

    Args:
        a: per-replication values of design A.
        b: per-replication values of design B (same length, same seeds).

    Returns:
        ``{"mean": mean(a−b), "ci95": [lo, hi], "interval": "student-t", "n": pairs used,
        "per_replication": [a_i − b_i or None], "significant": CI excludes 0}``.
        Pairs where either value is NaN/None are left out.
    """
    if len(a) != len(b):
        raise ValueError(f"paired_difference needs equally long lists, got {len(a)} and {len(b)}")
    x = np.asarray([math.nan if v is None else v for v in a], dtype=np.float64)
    y = np.asarray([math.nan if v is None else v for v in b], dtype=np.float64)
    d = x - y
    mean, lo, hi, method = estimate(d, "other")
    n = int(np.count_nonzero(~np.isnan(d)))
    return {
        "mean": _finite_or_none(mean),
        "ci95": [_finite_or_none(lo), _finite_or_none(hi)],
        "interval": method,
        "n": n,
        "per_replication": [_finite_or_none(v) for v in d],
        "significant": bool(n > 0 and not math.isnan(lo) and (lo > 0 or hi < 0)),
    }
