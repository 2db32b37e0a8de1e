"""RPO: acknowledged writes the promoted region did not have, and failback conflicts (MODEL.md 7).

The ``writes`` table marks three things per (write, target region) row:

- ``stuck`` — at promotion, the write had been acknowledged by the old primary
  but not applied at the region being promoted: the writes *at risk* at
  promotion, which is MODEL.md's RPO;
- ``lost`` — the write was discarded for good (``unreplicated_writes: lost``,
  or nothing left to reconcile it from);
- ``conflict`` — at a last-writer-wins reconciliation on failback the write
  had been overwritten by a newer one.

A write shipped to several regions has one row per target; it counts once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import count_by, one_row_per_write
from drsim.records import WRITE_KINDS


def rpo_metrics(writes: pd.DataFrame) -> dict[str, float]:
    """Writes at risk at promotion, writes lost for good, and failback conflicts.

    Args:
        writes: the ``writes`` table.

    Returns:
        ``rpo_lost_writes`` — distinct writes ``stuck`` at promotion (tables
        without a ``stuck`` column fall back to ``lost``); ``rpo_lost_writes.<kind>``
        for every kind of :data:`WRITE_KINDS` (``user`` = sign-ups,
        ``credential`` = password changes, ``profile`` = profile updates,
        ``revocation``, ``disable``); ``rpo_span_s`` — latest − earliest
        acknowledgement time among them (0 with one or none);
        ``writes_lost`` and ``writes_lost.<kind>`` — distinct writes discarded
        for good (with ``unreplicated_writes: reconcile`` fewer than the RPO);
        ``failback_conflicts`` — rows marked ``conflict`` (one per write and
        region where reconciliation found it overwritten) and
        ``failback_conflicts.<kind>``.
    """
    lost = writes["lost"].to_numpy(dtype=bool)
    stuck = writes["stuck"].to_numpy(dtype=bool) if "stuck" in writes.columns else lost
    at_risk = one_row_per_write(writes, stuck)
    gone = one_row_per_write(writes, lost)
    times = writes["time_s"].to_numpy(dtype=np.float64)[at_risk]

    out: dict[str, float] = {"rpo_lost_writes": float(np.count_nonzero(at_risk))}
    for kind, n in count_by(writes["kind"], WRITE_KINDS, at_risk).items():
        out[f"rpo_lost_writes.{kind}"] = float(n)
    out["rpo_span_s"] = float(times.max() - times.min()) if times.size else 0.0
    out["writes_lost"] = float(np.count_nonzero(gone))
    for kind, n in count_by(writes["kind"], WRITE_KINDS, gone).items():
        out[f"writes_lost.{kind}"] = float(n)
    conflict = writes["conflict"].to_numpy(dtype=bool)
    out["failback_conflicts"] = float(np.count_nonzero(conflict))
    for kind, n in count_by(writes["kind"], WRITE_KINDS, conflict).items():
        out[f"failback_conflicts.{kind}"] = float(n)
    return out
