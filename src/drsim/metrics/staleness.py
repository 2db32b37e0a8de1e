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


STALE_CAUSES = ("replication_lag", "lost_at_promotion", "other")
"""Why a replica served an old profile version (:func:`stale_read_cause_of`)."""

AGE_QUANTILES: dict[str, float] = {"p50": 0.50, "p90": 0.90, "p99": 0.99}
"""Quantiles of the staleness age reported per cause (``staleness_p90_s.<cause>``)."""


def stale_read_cause_of(requests: pd.DataFrame, writes: pd.DataFrame) -> pd.DataFrame:
    """The cause of every stale read: what happened to the first write the reader missed.

    For a stale read of user u at region r at t, the write missed first is the earliest
    profile write of u acknowledged by t whose record to r had not applied by t. It was
    ``lost_at_promotion`` when that record was discarded at a promotion (the RPO), else
    ``replication_lag`` (in flight, or applied later); ``other`` when no such record
    exists (a design that does not replicate profiles, or a copy that replaced the
    replica).

    Returns:
        One row per legitimate, successful, stale profile read: ``read`` (its row
        position in ``requests``), ``cause`` (one of :data:`STALE_CAUSES`) and
        ``staleness_s``.
    """
    reads = (legit_mask(requests) & op_mask(requests, "profile_read") & ok_mask(requests)
             & requests["stale"].to_numpy(dtype=bool))
    stale = pd.DataFrame({"read": np.flatnonzero(reads),
                          "user": requests["user"].to_numpy()[reads],
                          "target": requests["region"].take(np.flatnonzero(reads))
                          .astype(str).to_numpy(),
                          "t": requests["time_s"].to_numpy()[reads]})
    cause = np.full(len(stale), "other", dtype=object)
    if len(stale):
        profile = writes[writes["kind"].astype(str) == "profile"]
        candidates = stale.merge(
            pd.DataFrame({"user": profile["user"].to_numpy(),
                          "target": profile["target"].astype(str).to_numpy(),
                          "ack": profile["time_s"].to_numpy(),
                          "applied": profile["applied_s"].to_numpy(),
                          "lost": profile["lost"].to_numpy(dtype=bool)}),
            on=["user", "target"])
        missed = candidates[(candidates["ack"] <= candidates["t"])
                            & ~(candidates["applied"] <= candidates["t"])]
        first = missed.sort_values(["read", "ack"]).drop_duplicates("read")
        at = np.searchsorted(stale["read"].to_numpy(), first["read"].to_numpy())
        cause[at] = np.where(first["lost"].to_numpy(dtype=bool),
                             "lost_at_promotion", "replication_lag")
    ages = requests["staleness_s"].to_numpy(dtype=np.float64)[reads]
    return pd.DataFrame({"read": stale["read"].to_numpy(), "cause": cause, "staleness_s": ages})


def stale_read_causes(requests: pd.DataFrame, writes: pd.DataFrame,
                      causes: pd.DataFrame | None = None) -> dict[str, float]:
    """Stale profile reads by cause (:func:`stale_read_cause_of`), and the staleness age
    of each cause's reads.

    Args:
        requests: the ``requests`` table.
        writes: the ``writes`` table.
        causes: :func:`stale_read_cause_of` of the two, when already computed.

    Returns:
        ``stale_reads.<cause>`` for every cause of :data:`STALE_CAUSES`, and
        ``staleness_<q>_s.<cause>`` for every quantile of :data:`AGE_QUANTILES`: the
        staleness age of that cause's stale reads (numpy's linear interpolation), NaN
        with fewer than :func:`~drsim.metrics._common.min_sample` of them (the run's
        notes say so). Lag ages show how far behind a replica runs; lost-at-promotion
        ages grow with the time since the promotion, until failback or for good.
    """
    if causes is None:
        causes = stale_read_cause_of(requests, writes)
    label = causes["cause"].to_numpy()
    ages = causes["staleness_s"].to_numpy(dtype=np.float64)
    out: dict[str, float] = {}
    for cause in STALE_CAUSES:
        out[f"stale_reads.{cause}"] = float(np.count_nonzero(label == cause))
    for cause in STALE_CAUSES:
        of = ages[(label == cause) & ~np.isnan(ages)]
        for key, q in AGE_QUANTILES.items():
            out[f"staleness_{key}_s.{cause}"] = quantile_or_nan(of, q)
    return out
