"""Reconciliation after a split brain: what each side wrote while both took writes.

During a split (two regions taking writes: :func:`drsim.model.detectors.split_windows`)
each side acknowledges writes the other cannot see. At failback the two sides merge
(``failover.reconciliation``), before the usual catch-up:

- Every record between the two still in flight is applied at once — a write neither
  policy discards is never left behind by the failback's copy.
- A password or profile (a versioned item: user × kind) written on both sides during
  the split is a **conflict**. ``last_writer_wins``: the side whose last write of it was
  acknowledged later wins (versions are numbered in acknowledgement order, so its value
  is the newest); ``primary_wins``: the old primary's side wins. Both regions hold the
  winner's last value; the loser's records are dropped, not applied.
- Sign-ups, sign-outs (revocations) and disables cannot conflict: they merge (union).

Each record of a write acknowledged during a split is flagged in the ``split`` column of
the writes table: 1 written in a split without conflict, 2 a conflict's winning side
(kept), 3 its losing side (lost by reconciliation).
"""

from __future__ import annotations

import numpy as np

from drsim.model.directory import view
from drsim.model.operations import KIND_CRED, KIND_PROFILE

SPLIT, KEPT, LOST = 1, 2, 3


def split_rows(log, windows: list[tuple[float, float]], since: float, until: float,
               p: int, s: int) -> np.ndarray:
    """Rows of writes acknowledged by ``p`` or ``s`` in a split window within
    ``[since, until)``."""
    time = view(log.time_s)
    origin = view(log.origin)
    inside = np.zeros(len(time), dtype=np.bool_)
    for a, b in windows:
        lo, hi = max(a, since), min(b, until)
        if lo < hi:
            inside |= (time >= lo) & (time < hi)
    return np.flatnonzero(inside & ((origin == p) | (origin == s)))


def conflict_flags(log, rows: np.ndarray, p: int, policy: str) -> np.ndarray:
    """The ``split`` flag of each row: SPLIT, or KEPT / LOST for a conflict's sides."""
    user = view(log.user)[rows]
    kind = view(log.kind)[rows].astype(np.int64)
    origin = view(log.origin)[rows].astype(np.int64)
    write_id = view(log.write_id)[rows]
    flags = np.full(len(rows), SPLIT, dtype=np.int8)
    versioned = (kind == KIND_CRED) | (kind == KIND_PROFILE)
    if not versioned.any():
        return flags
    item = user * 8 + kind
    at = np.flatnonzero(versioned)
    items, index = np.unique(item[at], return_inverse=True)
    from_p = np.zeros(len(items), dtype=np.bool_)
    from_other = np.zeros(len(items), dtype=np.bool_)
    from_p[index[origin[at] == p]] = True
    from_other[index[origin[at] != p]] = True
    conflict = from_p & from_other
    if policy == "primary_wins":
        winner = np.full(len(items), p, dtype=np.int64)
    else:  # last_writer_wins: the origin of each item's latest write
        order = at[np.lexsort((write_id[at], index))]  # by item, then by write id
        last = np.r_[np.flatnonzero(np.diff(item[order]) != 0), len(order) - 1]
        winner = origin[order[last]]
    mine = conflict[index]
    won = origin[at] == winner[index]
    flags[at[mine & won]] = KEPT
    flags[at[mine & ~won]] = LOST
    return flags


def reconcile(log, t: float, p: int, s: int, windows: list[tuple[float, float]],
              since: float, policy: str) -> None:
    """Merge what ``p`` and ``s`` wrote during the split windows in ``[since, t)``."""
    rows = split_rows(log, windows, since, t, p, s)
    flags = conflict_flags(log, rows, p, policy)
    for row, flag in zip(rows.tolist(), flags.tolist(), strict=True):
        log.split_flags[row] = flag
    for row in rows[flags == LOST].tolist():
        log.pending.pop(row, None)
    lost = np.array([r for r, f in log.split_flags.items() if f == LOST], dtype=np.int64)
    _deliver(log, t, p, s, lost)
    _settle(log, rows[flags == KEPT], lost, t, p, s)


def _deliver(log, t: float, p: int, s: int, lost: np.ndarray) -> None:
    """Everything between the two not applied yet — in flight, or due after the run's end
    (a throughput cap's backlog) — of a replicated kind applies now, except what the
    reconciliation lost."""
    origin, target = view(log.origin), view(log.target)
    rows = np.flatnonzero((((origin == p) & (target == s)) | ((origin == s) & (target == p)))
                          & np.isnan(view(log.applied_s)) & (view(log.lost) == 0)
                          & log.ships[view(log.kind)] & (view(log.time_s) < t))
    for row in np.setdiff1d(rows, lost).tolist():  # in row order: a user's in order
        log.deliver(t, row)


def _settle(log, kept: np.ndarray, lost: np.ndarray, t: float, p: int, s: int) -> None:
    """Both regions hold each conflict's surviving value: the newest version of it that
    reconciliation did not lose (the winner's last, or a write after the split), and a
    newer version the losing side wrote is gone, so the newest acknowledged one is that."""
    d = log.directory
    user, kind, value = view(log.user), view(log.kind), view(log.value)
    items = set(zip(user[kept].tolist(), kind[kept].tolist(), strict=True))
    if not items:
        return
    candidates = np.flatnonzero(np.isin(user, [u for u, _ in items]) & (view(log.time_s) < t)
                                & (view(log.lost) == 0))
    candidates = np.setdiff1d(candidates, lost)
    surviving: dict[tuple[int, int], float] = {}
    for u, k, v in zip(user[candidates].tolist(), kind[candidates].tolist(),
                       value[candidates].tolist(), strict=True):
        if (u, k) in items:
            surviving[(u, k)] = max(surviving.get((u, k), v), v)
    for (u, k), v in surviving.items():
        column, newest = ((d.cred, d.newest_cred) if k == KIND_CRED
                          else (d.profile, d.newest_profile))
        column[p][u] = column[s][u] = int(v)
        if newest[u] > v:
            newest[u] = int(v)
            if k == KIND_PROFILE:
                log.profile_acks.keep(u, int(v))
