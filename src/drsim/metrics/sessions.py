"""Sessions disrupted: users whose valid session was refused and who had to sign in again (MODEL.md 6).

Chosen definition: a legitimate user is disrupted when at least one of their
token refreshes ended ``token_rejected`` (the serving region does not accept
the issuer, or does not know the session) or ``user_not_found`` (the serving
region does not know the user at all). Both leave the client with no way but a
fresh sign-in. Refreshes that failed for transient causes (region down,
throttled, …) are failed operations, not disruptions: the session survives and
the client retries. Expiry cannot be told apart inside ``token_rejected`` — the
model refreshes before expiry, so a rejection there is a refusal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import legit_mask, n_distinct, op_mask, outcome_mask
from drsim.records import SESSION_ENDING_OUTCOMES

DISRUPTING_OUTCOMES: tuple[str, ...] = SESSION_ENDING_OUTCOMES


def sessions_disrupted_metrics(requests: pd.DataFrame,
                               reauthentication_by_s: float | None = None) -> dict[str, float]:
    """Distinct users forced to sign in again.

    Args:
        requests: the ``requests`` table.
        reauthentication_by_s: When clients sign in again after such a refusal
            (``sessions.on_refused_refresh: sign_in``), the last instant a refusal can
            happen for its sign-in to fall inside the run (run length − delay); None
            when they give up.

    Returns:
        ``sessions_disrupted`` (distinct legitimate users with a refresh ending in
        one of :data:`DISRUPTING_OUTCOMES`), ``sessions_disrupted_refreshes``
        (the number of such refresh attempts) and ``forced_reauthentications``
        (the interactive sign-ins they forced within the run; 0 when clients give up).
    """
    rows = (
        legit_mask(requests)
        & op_mask(requests, "refresh")
        & outcome_mask(requests, DISRUPTING_OUTCOMES)
    )
    forced = 0
    if reauthentication_by_s is not None:
        forced = np.count_nonzero(rows & (requests["time_s"].to_numpy() < reauthentication_by_s))
    return {
        "sessions_disrupted": float(n_distinct(requests["user"].to_numpy()[rows])),
        "sessions_disrupted_refreshes": float(np.count_nonzero(rows)),
        "forced_reauthentications": float(forced),
    }
