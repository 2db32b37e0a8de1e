"""Stale profile reads: a replica served an older version than one already acknowledged (MODEL.md 3).

A read is stale when the serving region's version of the user's profile is
older than the newest version acknowledged anywhere at that instant; its
staleness age is now − acknowledgement time of the oldest version it missed
(the model records both on the request row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, legit_mask, ok_mask, op_mask


def stale_read_metrics(requests: pd.DataFrame) -> dict[str, float]:
    """Stale profile reads among the legitimate, successful profile reads.

    Args:
        requests: the ``requests`` table.

    Returns:
        ``stale_reads`` (count), ``profile_reads_ok`` (successful reads, the
        denominator), ``stale_read_fraction`` (stale / successful reads; NaN when
        there was no successful read), and ``staleness_p50_s``,
        ``staleness_p99_s``, ``staleness_max_s`` — quantiles of the staleness age
        of stale reads (seconds; numpy's linear interpolation; NaN when no read
        was stale).
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
    if ages.size:
        p50, p99 = np.percentile(ages, [50.0, 99.0])
        out.update(
            staleness_p50_s=float(p50),
            staleness_p99_s=float(p99),
            staleness_max_s=float(ages.max()),
        )
    else:
        out.update(staleness_p50_s=NAN, staleness_p99_s=NAN, staleness_max_s=NAN)
    return out
