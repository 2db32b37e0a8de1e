"""Interval algebra over many keys at once (vectorised sweep line).

Lock intervals, exposure windows and the like are sets of ``[start, end)``
intervals per key (an account). These helpers merge them and sweep them with
numpy sorting and cumulative sums, never looping over keys in Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def merge_intervals(
    keys: np.ndarray, start_s: np.ndarray, end_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of ``[start, end)`` intervals per key; touching intervals are joined.

    Args:
        keys: integer key of each interval (e.g. a combined account/scope code).
        start_s: interval starts (s).
        end_s: interval ends (s); intervals with ``end ≤ start`` are dropped.

    Returns:
        ``(keys, start_s, end_s)`` of the disjoint, maximal intervals, sorted by
        key then start.
    """
    keys = np.asarray(keys, dtype=np.int64)
    start_s = np.asarray(start_s, dtype=np.float64)
    end_s = np.asarray(end_s, dtype=np.float64)
    keep = end_s > start_s
    keys, start_s, end_s = keys[keep], start_s[keep], end_s[keep]
    if keys.size == 0:
        return keys, start_s, end_s
    order = np.lexsort((start_s, keys))
    keys, start_s, end_s = keys[order], start_s[order], end_s[order]
    reach = pd.Series(end_s).groupby(keys).cummax().to_numpy()
    new_key = np.ones(keys.size, dtype=bool)
    new_key[1:] = keys[1:] != keys[:-1]
    begins = new_key.copy()
    begins[1:] |= start_s[1:] > reach[:-1]
    # The running maximum at a merged interval's last row is its end: earlier
    # intervals of the same key all ended before this one started.
    last = np.append(begins[1:], True)
    return keys[begins], start_s[begins], reach[last]


def true_runs(
    keys: np.ndarray, times_s: np.ndarray, condition: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of consecutive rows where ``condition`` holds, as intervals.

    The rows are sweep-line states sorted by key then time: row ``i`` describes
    ``[times_s[i], times_s[i+1])``. The last row of every key must have
    ``condition`` False (its state is "after everything ended").

    Returns:
        ``(keys, start_s, end_s)`` of the runs.
    """
    c = np.asarray(condition, dtype=bool)
    if c.size == 0:
        empty = np.array([], dtype=np.float64)
        return np.array([], dtype=np.int64), empty, empty
    prev = np.zeros_like(c)
    prev[1:] = c[:-1]
    starts = np.flatnonzero(c & ~prev)
    ends = np.flatnonzero(~c & prev)
    return keys[starts], times_s[starts], times_s[ends]
