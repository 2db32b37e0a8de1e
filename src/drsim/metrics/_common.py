"""Shared selections over the record tables: who is legitimate, which rows are sign-ins.

Every metric module selects rows the same way; the helpers here return numpy
boolean masks so that metrics stay vectorised over millions of request rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from drsim.records import SIGN_IN_OPERATIONS

FAILED_OPERATION_OPERATIONS: tuple[str, ...] = (
    "sign_up",
    "profile_update",
    "password_change",
    "refresh",
    "sign_out",
)
"""Operations counted by the failed-operations metric (MODEL.md metric 2)."""

NAN = float("nan")


def legit_mask(requests: pd.DataFrame) -> np.ndarray:
    """Rows made by legitimate users (``attacker`` is False)."""
    return ~requests["attacker"].to_numpy(dtype=bool)


def attacker_mask(requests: pd.DataFrame) -> np.ndarray:
    """Rows made by attackers."""
    return requests["attacker"].to_numpy(dtype=bool)


def op_mask(requests: pd.DataFrame, operations: str | Iterable[str]) -> np.ndarray:
    """Rows whose ``op`` is one of ``operations``."""
    if isinstance(operations, str):
        operations = (operations,)
    return requests["op"].isin(list(operations)).to_numpy(dtype=bool)


def outcome_mask(requests: pd.DataFrame, outcomes: str | Iterable[str]) -> np.ndarray:
    """Rows whose ``outcome`` is one of ``outcomes``."""
    if isinstance(outcomes, str):
        outcomes = (outcomes,)
    return requests["outcome"].isin(list(outcomes)).to_numpy(dtype=bool)


def ok_mask(requests: pd.DataFrame) -> np.ndarray:
    """Rows that ended ``ok``."""
    return outcome_mask(requests, "ok")


def legit_sign_in_mask(requests: pd.DataFrame) -> np.ndarray:
    """Legitimate sign-in attempts (password and federated; retries included)."""
    return legit_mask(requests) & op_mask(requests, SIGN_IN_OPERATIONS)


def time_mask(requests: pd.DataFrame, start_s: float, end_s: float) -> np.ndarray:
    """Rows with ``start_s ≤ time_s < end_s`` (all False when the window is undefined)."""
    if not (is_number(start_s) and is_number(end_s)):
        return np.zeros(len(requests), dtype=bool)
    t = requests["time_s"].to_numpy(dtype=np.float64)
    return (t >= start_s) & (t < end_s)


def n_distinct(values: pd.Series | np.ndarray) -> int:
    """Number of distinct values (hash based, O(n))."""
    return int(pd.unique(np.asarray(values)).size)


def is_number(value: Any) -> bool:
    """True for a finite-or-infinite real number that is not NaN/None."""
    if value is None:
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def as_seconds(value: Any) -> float:
    """A meta value in seconds as float; None/missing become NaN."""
    return float(value) if is_number(value) else NAN


def categories_of(series: pd.Series) -> list[str]:
    """The category list of a categorical column (the observed values otherwise)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories]
    return sorted(str(v) for v in pd.unique(series.to_numpy()))


def count_by(values: pd.Series, names: Iterable[str], mask: np.ndarray) -> dict[str, int]:
    """Counts of ``values[mask]`` for each name in ``names`` (0 for absent names).

    Categorical columns are counted on their integer codes (no string conversion).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()[mask]
        categories = [str(c) for c in values.cat.categories]
        counts = np.bincount(codes[codes >= 0].astype(np.int64), minlength=len(categories))
        found = dict(zip(categories, (int(c) for c in counts), strict=True))
    else:
        counted = pd.Series(values.to_numpy()[mask]).value_counts()
        found = {str(k): int(v) for k, v in counted.items()}
    return {name: found.get(name, 0) for name in names}


def min_sample(q: float) -> int:
    """The fewest observations a q-quantile needs: ⌈1 / (1 − q)⌉, so that the share
    1 − q above it holds at least one of them (a median 2, a p90 10, a p99 100). Below
    it the quantile is NaN, with the reason in the run's notes, never the largest value
    in disguise ("p99 27 min" from a single stale read)."""
    return math.ceil(round(1.0 / (1.0 - q), 9))


def quantile_or_nan(values: np.ndarray, q: float) -> float:
    """The q-quantile (numpy's linear interpolation) of ``values``, NaN when there are
    fewer than :func:`min_sample` of them."""
    return float(np.percentile(values, 100.0 * q)) if len(values) >= min_sample(q) else NAN


def per_bin_quantiles(bins: np.ndarray, values: np.ndarray, n_bins: int,
                      qs: Iterable[float]) -> np.ndarray:
    """Quantiles ``qs`` of ``values`` in each of ``n_bins`` bins (numpy's linear
    interpolation): one row per quantile, NaN for an empty bin."""
    qs = list(qs)
    out = np.full((len(qs), n_bins), np.nan)
    order = np.lexsort((values, bins))
    bins, values = bins[order], values[order]
    starts = np.searchsorted(bins, np.arange(n_bins))
    ends = np.searchsorted(bins, np.arange(n_bins), side="right")
    for b in np.flatnonzero(ends > starts).tolist():
        out[:, b] = np.quantile(values[starts[b]:ends[b]], qs)
    return out


def one_row_per_write(writes: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Mask keeping the first of the ``rows`` of each ``write_id`` (the writes table has one
    row per write and other region)."""
    ids = writes["write_id"].to_numpy(dtype=np.int64)
    _, first = np.unique(ids[rows], return_index=True)
    keep = np.zeros(len(writes), dtype=bool)
    keep[np.flatnonzero(rows)[first]] = True
    return keep
