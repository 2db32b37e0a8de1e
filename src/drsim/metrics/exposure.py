"""Security exposure: old credentials, revoked tokens and disabled users still accepted (MODEL.md 5).

Two views. *Accepted replays*: the attack operations the model plays after a
password change, a revocation or a disable — each one accepted is a sign-in
the design should have refused. *Exposure windows*: for every acknowledged
password change (``credential``), refresh-token revocation (``revocation``) and
user disable (``disable``), the time until every other region applied it — the
interval in which some region would still accept what was revoked.

A window still open at the end of the run (some region never applied the
write — e.g. it was lost at promotion) is *censored*: its duration stops at
the run end and grows with the run length, so it is a lower bound. The
censored windows are counted per kind and :mod:`drsim.metrics.notes` says so
in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, attacker_mask, ok_mask, op_mask

EXPOSURE_KINDS: tuple[str, ...] = ("credential", "revocation", "disable")
"""Write kinds whose replication delay is an exposure window."""

REPLAY_METRICS: dict[str, str] = {
    "stale_credential_signins": "replay_old_password",
    "revoked_token_accepts": "replay_refresh",
    "disabled_user_signins": "replay_disabled",
}
"""Metric name → attack operation whose ``ok`` rows it counts."""


def exposure_windows(writes: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """One exposure window per acknowledged credential / revocation / disable write.

    A write's window runs from its acknowledgement to the moment the *last*
    other region applied it (a write never applied somewhere — ``applied_s`` NaN,
    e.g. lost — stays exposed until the end of the run and is ``censored``).
    Windows of zero length (synchronous replication) are not windows and are
    dropped.

    Args:
        writes: the ``writes`` table.
        duration_s: run duration (s).

    Returns:
        Columns ``write_id``, ``kind``, ``time_s``, ``end_s``, ``duration_s`` and
        ``censored`` (bool: still open at the end of the run).
    """
    rows = writes[writes["kind"].isin(list(EXPOSURE_KINDS)).to_numpy(dtype=bool)]
    applied = rows["applied_s"].to_numpy(dtype=np.float64)
    never = np.isnan(applied)
    applied = np.where(never, float(duration_s), applied)
    frame = pd.DataFrame(
        {
            "write_id": rows["write_id"].to_numpy(dtype=np.int64),
            "kind": rows["kind"].astype(str).to_numpy(),
            "time_s": rows["time_s"].to_numpy(dtype=np.float64),
            "end_s": applied,
            "censored": never,
        }
    )
    per_write = frame.groupby("write_id", sort=True).agg(
        kind=("kind", "first"), time_s=("time_s", "min"), end_s=("end_s", "max"),
        censored=("censored", "any"),
    )
    per_write["duration_s"] = (per_write["end_s"] - per_write["time_s"]).clip(lower=0.0)
    per_write = per_write[["kind", "time_s", "end_s", "duration_s", "censored"]]
    return per_write[per_write["duration_s"] > 0].reset_index()


def exposure_metrics(
    requests: pd.DataFrame, writes: pd.DataFrame, duration_s: float
) -> dict[str, float]:
    """Accepted replays and exposure windows.

    Args:
        requests: the ``requests`` table.
        writes: the ``writes`` table.
        duration_s: run duration (s).

    Returns:
        ``stale_credential_signins`` (``replay_old_password`` rows ending ``ok``),
        ``revoked_token_accepts`` (``replay_refresh`` ok), ``disabled_user_signins``
        (``replay_disabled`` ok), and for each kind of :data:`EXPOSURE_KINDS`
        ``exposure_<kind>_windows`` (count), ``exposure_<kind>_total_s`` and
        ``exposure_<kind>_max_s`` (seconds; 0 without windows; censored windows
        count up to the run end), ``exposure_<kind>_censored`` (windows still
        open at the end of the run) and ``exposure_<kind>_censored_share``
        (censored / windows; NaN without windows).
    """
    ok_attack = attacker_mask(requests) & ok_mask(requests)
    out: dict[str, float] = {
        name: float(np.count_nonzero(ok_attack & op_mask(requests, op)))
        for name, op in REPLAY_METRICS.items()
    }
    windows = exposure_windows(writes, duration_s)
    kinds = windows["kind"].to_numpy()
    durations = windows["duration_s"].to_numpy(dtype=np.float64)
    censored = windows["censored"].to_numpy(dtype=bool)
    for kind in EXPOSURE_KINDS:
        d = durations[kinds == kind]
        n_censored = int(np.count_nonzero(censored[kinds == kind]))
        out[f"exposure_{kind}_windows"] = float(d.size)
        out[f"exposure_{kind}_total_s"] = float(d.sum()) if d.size else 0.0
        out[f"exposure_{kind}_max_s"] = float(d.max()) if d.size else 0.0
        out[f"exposure_{kind}_censored"] = float(n_censored)
        out[f"exposure_{kind}_censored_share"] = n_censored / d.size if d.size else NAN
    return out
