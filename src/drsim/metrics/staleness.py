"""Stale profile reads: a replica served an older version than one already acknowledged (MODEL.md 3).

A read is stale when the serving region's version of the user's profile is
older than the newest version acknowledged anywhere at that instant; its
staleness age is now − acknowledgement time of the oldest version it missed
(the model records both on the request row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, legit_mask, ok_mask, op_mask, quantile_or_nan


def stale_read_metrics(requests: pd.DataFrame) -> dict[str, float]:
    """Stale profile reads among the legitimate, successful profile reads.

    Args:
        requests: the ``requests`` table.

    Returns:
        ``stale_reads`` (count), ``profile_reads_ok`` (successful reads, the
        denominator), ``stale_read_fraction`` (stale / successful reads; NaN when
        there was no successful read), and ``staleness_p50_s``,
        ``staleness_p99_s``, ``staleness_max_s`` — quantiles of the staleness age
        of stale reads (seconds; numpy's linear interpolation; a quantile needs
        :func:`~drsim.metrics._common.min_sample` stale reads — 2 for the median,
        100 for p99 — and is NaN below; the maximum is the largest observed, NaN
        when no read was stale).
    """
    reads = legit_mask(requests) & op_mask(requests, "profile_read") & ok_mask(requests)
    stale = reads & requests["stale"].to_numpy(dtype=bool)
    n_reads = int(np.count_nonzero(reads))
    n_stale = int(np.count_nonzero(stale))
    out = {
        "stale_reads": float(n_stale),
        "profile_reads_ok": float(n_reads),
        "stale_read_fraction": n_stale / n_reads if n_reads else NAN,
    }
    ages = requests["staleness_s"].to_numpy(dtype=np.float64)[stale]
    ages = ages[~np.isnan(ages)]
    out.update(
        staleness_p50_s=quantile_or_nan(ages, 0.50),
        staleness_p99_s=quantile_or_nan(ages, 0.99),
        staleness_max_s=float(ages.max()) if ages.size else NAN,
    )
    return out
