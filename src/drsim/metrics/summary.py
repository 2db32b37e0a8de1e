"""Replications → estimates: mean and Student-t 95 % confidence interval per metric.

Every metric is reported as the mean over independent replications with a
95 % Student-t interval, plus the per-replication values. Design comparisons
use paired differences (common random numbers make the pairs positively
correlated, so the paired interval is much narrower than two separate ones).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def _finite_or_none(x: float | None) -> float | None:
    """JSON-safe number: NaN, ±inf and None become None."""
    return None if x is None or not math.isfinite(x) else float(x)


def mean_ci(values: Iterable[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the non-NaN values.

    Args:
        values: per-replication values (NaN values are ignored).
        confidence: confidence level.

    Returns:
        ``(mean, lo, hi)``; all NaN when no value is left; ``lo = hi = mean``
        with one value or zero spread.
    """
    x = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size == 1:
        return mean, mean, mean
    sd = float(x.std(ddof=1))
    if sd == 0.0 or not math.isfinite(sd):
        return mean, mean, mean
    half = _t_quantile(0.5 + confidence / 2, x.size - 1) * sd / math.sqrt(x.size)
    return mean, mean - half, mean + half


def mean_ci_rows(
    values: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`mean_ci` of every row of a 2-D array at once, with the same numbers bit for bit.

    Each row is one sample (say one sweep point's replications of one metric)
    with the NaN values already left out, so every row has the same number of
    values. numpy sums each contiguous row the way it sums a 1-D array, so the
    means and spreads are exactly those :func:`mean_ci` computes row by row.

    Args:
        values: ``(rows, n)`` array of non-NaN values, ``n ≥ 1``.
        confidence: confidence level.

    Returns:
        ``(mean, lo, hi)``, one array of length ``rows`` each; ``lo = hi = mean``
        where ``n`` is 1 or a row has zero or non-finite spread.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    n = x.shape[1]
    with np.errstate(invalid="ignore", over="ignore"):
        mean = x.mean(axis=1)
        if n == 1:
            return mean, mean.copy(), mean.copy()
        sd = x.std(axis=1, ddof=1)
        half = _t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
        spread = np.isfinite(sd) & (sd != 0.0)
        lo = np.where(spread, mean - half, mean)
        hi = np.where(spread, mean + half, mean)
    return mean, lo, hi


@functools.lru_cache(maxsize=256)
def _t_quantile(p: float, dof: int) -> float:
    """Student-t quantile (cached: a sweep's tables ask for the same few thousands of times)."""
    return float(stats.t.ppf(p, dof))


def summarise(per_replication: Sequence[dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Mean, 95 % CI and per-replication values of every metric.

    Args:
        per_replication: one :func:`~drsim.metrics.compute_metrics` dict per replication.

    Returns:
        ``{metric: {"mean": x, "ci95": [lo, hi], "per_replication": [...]}}`` over
        the union of metric names, in first-seen order. NaN values (and metrics
        missing from a replication) are ignored for mean and CI and kept as
        ``None`` in ``per_replication``; a metric NaN in every replication has
        ``mean`` None and ``ci95`` [None, None]. JSON-ready.
    """
    names: dict[str, None] = {}
    for rep in per_replication:
        names.update(dict.fromkeys(rep))
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        values = [float(rep.get(name, math.nan)) for rep in per_replication]
        mean, lo, hi = mean_ci(values)
        out[name] = {
            "mean": _finite_or_none(mean),
            "ci95": [_finite_or_none(lo), _finite_or_none(hi)],
            "per_replication": [_finite_or_none(v) for v in values],
        }
    return out


def paired_difference(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """Paired difference ``a − b`` of one metric over replications with the same seeds.

    Args:
        a: per-replication values of design A.
        b: per-replication values of design B (same length, same seeds).

    Returns:
        ``{"mean": mean(a−b), "ci95": [lo, hi], "n": pairs used,
        "per_replication": [a_i − b_i or None], "significant": CI excludes 0}``.
        Pairs where either value is NaN/None are left out.
    """
    if len(a) != len(b):
        raise ValueError(f"paired_difference needs equally long lists, got {len(a)} and {len(b)}")
    x = np.asarray([math.nan if v is None else v for v in a], dtype=np.float64)
    y = np.asarray([math.nan if v is None else v for v in b], dtype=np.float64)
    d = x - y
    mean, lo, hi = mean_ci(d)
    n = int(np.count_nonzero(~np.isnan(d)))
    return {
        "mean": _finite_or_none(mean),
        "ci95": [_finite_or_none(lo), _finite_or_none(hi)],
        "n": n,
        "per_replication": [_finite_or_none(v) for v in d],
        "significant": bool(n > 0 and not math.isnan(lo) and (lo > 0 or hi < 0)),
    }
