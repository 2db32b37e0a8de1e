"""Split brain: time with two regions taking writes, and what reconciliation kept and lost.

Reported only under ``failover.detector`` heartbeat or arbiter (the health-check
controller and the arbiter demote the primary before they promote, so they never have
two writers; the keys show that). Inputs: the
``writers`` events (the regions taking writes — writable and not down — whenever that
set changes) and the writes table's ``split`` column (:mod:`drsim.model.reconcile`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import one_row_per_write
from drsim.metrics.incident_metrics import incident_key
from drsim.metrics.incidents import Incident

KEPT, LOST = 2, 3


def split_windows_from_events(events: pd.DataFrame, duration_s: float) -> list[tuple[float, float]]:
    """The ``[start, end)`` intervals with two or more writers, from the ``writers`` events
    (the last one open until ``duration_s``)."""
    rows = events.loc[events["kind"].astype(str) == "writers"].sort_values("time_s", kind="stable")
    times = rows["time_s"].to_numpy(dtype=np.float64)
    writers = rows["value"].to_numpy(dtype=np.float64)
    windows: list[tuple[float, float]] = []
    start = None
    for t, n in zip(times.tolist(), writers.tolist(), strict=True):
        if n >= 2 and start is None:
            start = t
        elif n < 2 and start is not None:
            windows.append((start, t))
            start = None
    if start is not None and start < duration_s:
        windows.append((start, duration_s))
    return windows


def split_brain_metrics(events: pd.DataFrame, writes: pd.DataFrame,
                        duration_s: float) -> dict[str, float]:
    """``split_brain_s`` (total time with two writers), ``split_brain_recovered`` (1 when no
    split is still open at the run's end, 0 when the last one is: censored, its conflicts
    not reconciled), ``split_brains`` (such windows),
    ``split_brain_max_s`` (the longest), ``split_writes`` (distinct writes acknowledged
    then), ``conflicting_writes`` (those of a password or profile both sides wrote in the
    split, reconciled at failback), ``conflicting_users``, ``reconciled_writes_kept`` and
    ``reconciled_writes_lost`` (the conflicting writes on the winning and the losing side)."""
    windows = split_windows_from_events(events, duration_s)
    lengths = [b - a for a, b in windows]
    split = writes["split"].to_numpy(dtype=np.int8) if "split" in writes.columns \
        else np.zeros(len(writes), dtype=np.int8)
    conflicting = one_row_per_write(writes, split >= KEPT)
    users = writes["user"].to_numpy(dtype=np.int64)[conflicting]
    last = events.loc[events["kind"].astype(str) == "writers"].sort_values("time_s",
                                                                          kind="stable")
    still_open = bool(len(last)) and float(last["value"].iloc[-1]) >= 2
    return {
        "split_brain_s": float(sum(lengths)),
        "split_brain_recovered": 0.0 if still_open else 1.0,
        "split_brains": float(len(windows)),
        "split_brain_max_s": float(max(lengths, default=0.0)),
        "split_writes": float(np.count_nonzero(one_row_per_write(writes, split > 0))),
        "conflicting_writes": float(np.count_nonzero(conflicting)),
        "conflicting_users": float(np.unique(users).size),
        "reconciled_writes_kept": float(np.count_nonzero(one_row_per_write(writes, split == KEPT))),
        "reconciled_writes_lost": float(np.count_nonzero(one_row_per_write(writes, split == LOST))),
    }


def split_brain_by_incident(events: pd.DataFrame, found: list[Incident],
                            duration_s: float) -> dict[str, float]:
    """``incident.<n>.split_brain_s``: the time with two writers within each incident's
    observation span (from its first fault to the next incident's start)."""
    windows = split_windows_from_events(events, duration_s)
    out = {}
    for incident in found:
        lo, hi = incident.start_s, incident.observe_end_s
        overlap = sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in windows)
        out[incident_key(incident.number, "split_brain_s")] = float(overlap)
    return out
