"""Who an incident hurt and for how long: time to first success, and the groups that never recover.

An *affected user* of an incident is a legitimate user with at least one
failed sign-in (password or federated, retries included) between the
incident's anchor and the end of its observation. Their *time to first
success* runs from the anchor to their first ``ok`` sign-in at or after
their first failure in the incident. Users without such a success are
censored: they count at +∞ in the quantiles, so a quantile that falls on them
is undefined (NaN; :mod:`drsim.metrics.notes` says why).

*Never recovered before failback*: affected users (first failure before the
failback, or the end of the observation without one) with no ``ok`` sign-in
from their first failure until then and still failing after the service was
restored — their last failed sign-in came after ``restored_s`` (the lowest RTO
level reached), so a user who failed once during the outage and did not try
again is not counted — grouped by the cause of their last failed sign-in — e.g. ``mfa_unsupported`` (TOTP users on a secondary without
TOTP), ``region_down`` (clients still sent to the failed region by a DNS
answer they never re-resolve).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from drsim.metrics._common import (
    NAN,
    count_by,
    is_number,
    legit_sign_in_mask,
    min_sample,
    ok_mask,
    time_mask,
)
from drsim.metrics.failures import FAILURE_CAUSES

QUANTILES: dict[str, float] = {"p50": 0.5, "p90": 0.9}
"""Quantiles of the time to first success that are reported."""


def nearest_rank(values: np.ndarray, q: float) -> float:
    """The ⌈q·n⌉-th smallest value (NaN with fewer than :func:`min_sample` values, or when
    it is +∞, i.e. censored)."""
    if values.size == 0 or values.size < min_sample(q):
        return NAN
    value = float(np.sort(values)[max(0, math.ceil(q * values.size) - 1)])
    return value if math.isfinite(value) else NAN


def _first_success_after_failure(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per affected user: first failure time and first ``ok`` at or after it (NaN: none)."""
    first_fail = frame.loc[~frame["ok"]].groupby("user", sort=True)["time_s"].min()
    oks = frame.loc[frame["ok"], ["user", "time_s"]]
    oks = oks[oks["user"].isin(first_fail.index)]
    after = oks["time_s"].to_numpy() >= first_fail.reindex(oks["user"]).to_numpy()
    first_ok = oks[after].groupby("user", sort=True)["time_s"].min()
    return first_fail, first_ok.reindex(first_fail.index)


def user_recovery_metrics(
    requests: pd.DataFrame,
    anchor_s: float,
    end_s: float,
    failback_s: float = NAN,
    restored_s: float = NAN,
) -> dict[str, float]:
    """Affected users, their time to first success, and who never recovered before failback.

    Args:
        requests: the ``requests`` table.
        anchor_s: the incident's anchor (s); NaN without an incident.
        end_s: end of the observation (s).
        failback_s: failback instant (s); NaN when there was none.
        restored_s: when sign-ins were restored (s; the lowest RTO level); NaN
            when they never were: every user without a success then counts.

    Returns:
        ``affected_users``; ``time_to_first_success_p50_s`` and ``…_p90_s``
        (nearest-rank quantiles over affected users, censored users at +∞);
        ``sign_in_users_after_fault`` (distinct users with a sign-in attempt
        from the anchor until failback or the end); ``never_recovered_users``
        and ``never_recovered_users.<cause>`` for every cause of
        :data:`~drsim.metrics.failures.FAILURE_CAUSES`. All NaN without an
        incident; counts are 0 and quantiles NaN without an affected user.
    """
    names = ["affected_users", *(f"time_to_first_success_{k}_s" for k in QUANTILES),
             "sign_in_users_after_fault", "never_recovered_users",
             *(f"never_recovered_users.{c}" for c in FAILURE_CAUSES)]
    if not is_number(anchor_s) or not end_s > anchor_s:
        return dict.fromkeys(names, NAN)
    until = failback_s if is_number(failback_s) and anchor_s < failback_s < end_s else end_s
    rows = legit_sign_in_mask(requests) & time_mask(requests, anchor_s, end_s)
    frame = pd.DataFrame({
        "user": requests["user"].to_numpy()[rows],
        "time_s": requests["time_s"].to_numpy(dtype=np.float64)[rows],
        "ok": ok_mask(requests)[rows],
        "outcome": requests["outcome"].to_numpy()[rows],
    })
    first_fail, first_ok = _first_success_after_failure(frame)
    waits = (first_ok - anchor_s).fillna(np.inf).to_numpy(dtype=np.float64)
    out: dict[str, float] = {"affected_users": float(first_fail.size)}
    for key, q in QUANTILES.items():
        out[f"time_to_first_success_{key}_s"] = nearest_rank(waits, q)
    before = frame["time_s"].to_numpy() < until
    out["sign_in_users_after_fault"] = float(pd.unique(frame["user"].to_numpy()[before]).size)
    out.update(_never_recovered(frame[before], first_fail, first_ok, until, restored_s))
    return out


def _never_recovered(frame: pd.DataFrame, first_fail: pd.Series, first_ok: pd.Series,
                     until: float, restored_s: float) -> dict[str, float]:
    """Users still failing after ``restored_s`` with no success by ``until``, by last cause."""
    stuck = first_fail.index[(first_fail < until) & ~(first_ok < until)]
    fails = frame.loc[~frame["ok"] & frame["user"].isin(stuck)]
    last = fails.sort_values("time_s", kind="stable").groupby("user").tail(1)
    if is_number(restored_s):
        last = last[last["time_s"].to_numpy() >= restored_s]
    stuck = last["user"].to_numpy()
    causes = pd.Series(pd.Categorical(last["outcome"].astype(str), categories=list(FAILURE_CAUSES)))
    out = {"never_recovered_users": float(stuck.size)}
    for cause, n in count_by(causes, FAILURE_CAUSES, np.ones(len(causes), dtype=bool)).items():
        out[f"never_recovered_users.{cause}"] = float(n)
    return out
