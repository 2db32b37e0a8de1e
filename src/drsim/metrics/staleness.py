"""Stale profile reads: a replica served an older version than one already acknowledged (MODEL.md 3).

A read is stale when the serving region's version of the user's profile is
older than the newest version acknowledged anywhere at that instant; its
staleness age is now − acknowledgement time of the oldest version it missed
(the model records both on the request row).
"""

from __future__ import annotations

from collections.abc import Mapping

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


STALE_CAUSES = ("replication_lag", "lost_at_promotion", "failback_backlog", "other")
"""Why a replica served an old profile version (:func:`stale_read_cause_of`)."""

AGE_QUANTILES: dict[str, float] = {"p50": 0.50, "p90": 0.90, "p99": 0.99}
"""Quantiles of the staleness age reported per cause (``staleness_p90_s.<cause>``)."""


TRANSITION_CAUSES = ("lost_at_promotion", "failback_backlog")
"""Causes of stale reads that only a failover or a failback makes."""


def staleness_origin_words(mean: Mapping[str, float | None]) -> str:
    """Where a run's stale reads came from, in one sentence, whatever the count.

    Args:
        mean: metric name → its mean over replications (``stale_reads`` and
            ``stale_reads.<cause>``; a missing cause counts 0).
    """
    def count(name: str) -> float:
        return float(mean.get(name) or 0.0)

    total = count("stale_reads")
    if total == 0:
        return "No stale profile read: not from replication lag, nor from a transition."
    lag = count("stale_reads.replication_lag")
    transitions = sum(count(f"stale_reads.{cause}") for cause in TRANSITION_CAUSES)
    if lag == 0:
        return ("Every stale read came from a transition (lost at promotion, failback "
                "backlog), none from replication lag in normal operation.")
    return (f"{100 * lag / total:.0f} % of stale reads came from replication lag in normal "
            f"operation, {100 * transitions / total:.0f} % from transitions (lost at "
            "promotion, failback backlog).")


def stale_read_cause_of(requests: pd.DataFrame, writes: pd.DataFrame,
                        events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cause of every stale read: what happened to the first write the reader missed.

    For a stale read of user u at region r at t, the write missed first is the earliest
    profile write of u acknowledged by t whose record to r had not applied by t. It was
    ``lost_at_promotion`` when that record was discarded at a promotion (the RPO);
    ``failback_backlog`` when it was acknowledged before region r failed back and the
    read came after the failback (the reverse backlog of ``catch_up: replicate``); else
    ``replication_lag`` (in flight, or applied later); ``other`` when no such record
    exists (a design that does not replicate profiles, or a copy that replaced the
    replica).

    Args:
        requests: the ``requests`` table.
        writes: the ``writes`` table.
        events: the ``events`` table (its ``failback`` rows); None: no failback.

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
        lost = first["lost"].to_numpy(dtype=bool)
        backlog = ~lost & _failed_back_between(first, events)
        cause[at] = np.where(lost, "lost_at_promotion",
                             np.where(backlog, "failback_backlog", "replication_lag"))
    ages = requests["staleness_s"].to_numpy(dtype=np.float64)[reads]
    return pd.DataFrame({"read": stale["read"].to_numpy(), "cause": cause, "staleness_s": ages})


def stale_read_causes(requests: pd.DataFrame, writes: pd.DataFrame,
                      events: pd.DataFrame | None = None) -> dict[str, float]:
    """Stale profile reads by cause (:func:`stale_read_cause_of`), and the staleness age
    of each cause's reads.

    Args:
        requests: the ``requests`` table.
        writes: the ``writes`` table.
        events: the ``events`` table (its ``failback`` rows); None: no failback.

    Returns:
        ``stale_reads.<cause>`` for every cause of :data:`STALE_CAUSES`, and
        ``staleness_<q>_s.<cause>`` for every quantile of :data:`AGE_QUANTILES`: the
        staleness age of that cause's stale reads (numpy's linear interpolation), NaN
        with fewer than :func:`~drsim.metrics._common.min_sample` of them (the run's
        notes say so). Lag ages show how far behind a replica runs; lost-at-promotion
        ages grow with the time since the promotion, until failback or for good.
    """
    causes = stale_read_cause_of(requests, writes, events)
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


def _failed_back_between(first: pd.DataFrame, events: pd.DataFrame | None) -> np.ndarray:
    """For each missed write (``target``, ``ack``, read at ``t``): did ``target`` fail back
    after the write's acknowledgement and by the read?"""
    out = np.zeros(len(first), dtype=bool)
    if events is None or not len(first):
        return out
    failbacks = events[events["kind"].astype(str) == "failback"]
    targets = first["target"].to_numpy()
    for region, rows in failbacks.groupby(failbacks["region"].astype(str)):
        times = np.sort(rows["time_s"].to_numpy(dtype=np.float64))
        mine = targets == region
        t = first["t"].to_numpy(dtype=np.float64)[mine]
        latest = np.searchsorted(times, t, side="right") - 1  # the last failback by the read
        ack = first["ack"].to_numpy(dtype=np.float64)[mine]
        out[mine] = (latest >= 0) & (ack < times[np.maximum(latest, 0)])
    return out
