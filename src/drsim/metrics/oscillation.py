"""Failovers, failbacks and their oscillation: how often the authority moved, and what each
move cost in promotion time (``events`` level table; ``failover.max_failovers_per_hour``
and ``failover.failback.min_healthy`` are the hysteresis that bounds them).

The writes each promotion put at risk are the RPO metrics (:mod:`drsim.metrics.rpo`:
``rpo_writes`` summed over every promotion of the run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def oscillation_metrics(events: pd.DataFrame, duration_s: float) -> dict[str, float]:
    """Counts of failovers, failbacks and failover → failback pairs, and read-only time.

    Args:
        events: the ``events`` table (``promotion_start``, ``writable``, ``failback`` rows).
        duration_s: the run's length; a promotion unfinished at the end counts until then.

    Returns:
        ``failovers`` (promotions started, peers' fencing included), ``failbacks``,
        ``oscillations`` (failbacks that follow a failover: one per round trip) and
        ``promotion_read_only_s`` (summed time from each promotion's start until the
        promoted region takes writes).
    """
    if events is None or len(events) == 0:
        return {"failovers": 0.0, "failbacks": 0.0, "oscillations": 0.0,
                "promotion_read_only_s": 0.0}
    ordered = events.sort_values("time_s", kind="stable")
    kinds = ordered["kind"].astype(str).to_numpy()
    times = ordered["time_s"].to_numpy(dtype=np.float64)
    regions = ordered["region"].astype(str).to_numpy()
    details = ordered["detail"].astype(str).to_numpy()
    failovers = failbacks = oscillations = 0
    read_only = 0.0
    open_failover = False
    for i, kind in enumerate(kinds):
        if kind == "promotion_start":
            failovers += 1
            open_failover = True
            if details[i] != "fenced":
                later = np.flatnonzero((kinds[i:] == "writable") & (regions[i:] == regions[i]))
                end = times[i + later[0]] if len(later) else duration_s
                read_only += float(end - times[i])
        elif kind == "failback":
            failbacks += 1
            oscillations += int(open_failover)
            open_failover = False
    return {"failovers": float(failovers), "failbacks": float(failbacks),
            "oscillations": float(oscillations), "promotion_read_only_s": read_only}
