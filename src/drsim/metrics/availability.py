"""Availability: the share of legitimate sign-ins that succeeded, and its timeline (MODEL.md 9).

Availability here is a tally ratio (successful sign-in attempts / sign-in
attempts, retries included), over the whole run and over the first fault's
window. The per-minute timeline per region and outcome is what the charts and
``timeline.csv`` show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import (
    NAN,
    attacker_mask,
    legit_mask,
    legit_sign_in_mask,
    ok_mask,
    time_mask,
)
from drsim.metrics.facts import RunFacts
from drsim.records import RunRecords


def availability_metrics(requests: pd.DataFrame, facts: RunFacts) -> dict[str, float]:
    """Success fraction of legitimate sign-ins.

    Args:
        requests: the ``requests`` table.
        facts: the incident timeline (fault window).

    Returns:
        ``availability`` (ok / legitimate sign-in attempts over the run; NaN
        without sign-ins), ``availability_during_fault`` (the same within
        ``[fault_start, fault_end)``; NaN without a fault or without sign-ins in
        it), and the traffic totals ``requests_total`` (legitimate request
        attempts), ``attack_requests_total`` (attacker rows) and
        ``sign_ins_total`` (legitimate sign-in attempts).
    """
    sign_in = legit_sign_in_mask(requests)
    ok = ok_mask(requests)
    n = int(np.count_nonzero(sign_in))
    in_fault = sign_in & time_mask(requests, facts.fault_start_s, facts.fault_end_s)
    n_fault = int(np.count_nonzero(in_fault))
    return {
        "availability": np.count_nonzero(sign_in & ok) / n if n else NAN,
        "availability_during_fault": np.count_nonzero(in_fault & ok) / n_fault if n_fault else NAN,
        "requests_total": float(np.count_nonzero(legit_mask(requests))),
        "attack_requests_total": float(np.count_nonzero(attacker_mask(requests))),
        "sign_ins_total": float(n),
    }


def _minute_of(time_s: np.ndarray, bucket_s: float) -> np.ndarray:
    start_s = np.floor(time_s / bucket_s) * bucket_s
    minute = start_s / 60.0
    if float(bucket_s) % 60.0 == 0.0:
        return minute.astype(np.int64)
    return minute


def timeline(
    records: RunRecords, bucket_s: float = 60.0, include_attackers: bool = False
) -> pd.DataFrame:
    """Request counts per time bucket, region and outcome, in long format.

    Args:
        records: the run's record tables.
        bucket_s: bucket length (s).
        include_attackers: count attacker rows too (default: legitimate only).

    Returns:
        Columns ``minute`` (bucket start in minutes; integer when ``bucket_s`` is
        a whole number of minutes), ``region``, ``outcome``, ``count``; only
        non-zero counts, sorted by minute, region, outcome.
    """
    req = records.requests
    rows = np.ones(len(req), dtype=bool) if include_attackers else legit_mask(req)
    frame = req.loc[rows, ["region", "outcome"]].reset_index(drop=True)
    frame.insert(0, "minute", _minute_of(req["time_s"].to_numpy(dtype=np.float64)[rows], bucket_s))
    counts = frame.groupby(["minute", "region", "outcome"], observed=True, sort=True).size()
    out = counts.rename("count").reset_index()
    out["count"] = out["count"].astype(np.int64)
    return out


def signin_success_by_minute(records: RunRecords, bucket_s: float = 60.0) -> pd.DataFrame:
    """Success rate of legitimate sign-ins per minute and region (for the chart).

    Sign-ins that reached no region (``"none"``) are left out: they belong to
    no region's line.

    Args:
        records: the run's record tables.
        bucket_s: bucket length (s).

    Returns:
        A DataFrame indexed by ``minute`` with one column per region observed;
        values are ok / attempts in (0..1), NaN where a region had no sign-in in
        that minute.
    """
    req = records.requests
    rows = legit_sign_in_mask(req) & (req["region"] != "none").to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "minute": _minute_of(req["time_s"].to_numpy(dtype=np.float64)[rows], bucket_s),
            "region": req["region"][rows].astype(str).to_numpy(),
            "ok": ok_mask(req)[rows].astype(np.float64),
        }
    )
    rate = frame.groupby(["minute", "region"], sort=True)["ok"].mean().unstack("region")
    if isinstance(req["region"].dtype, pd.CategoricalDtype):  # scenario order, not alphabetical
        order = [str(c) for c in req["region"].cat.categories]
        rate = rate[[c for c in order if c in rate.columns]]
    rate.columns.name = "region"
    rate.index.name = "minute"
    return rate
