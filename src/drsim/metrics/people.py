"""People, not attempts: what a user saw — their own update read back stale, or a request
that never went through (issue #14).

**Final attempts.** A request is its first attempt and the retries its client makes
(rows of their own, ``attempt`` 1, 2 …). An attempt is *final* — what the user saw —
unless the client follows it with another: a failed attempt its client kind retries
(``attempt + 1 < clients[].retry.attempts`` and the outcome in ``retry_on``), or a
refresh the region refused for good when clients sign in again
(``sessions.on_refused_refresh: sign_in``: the forced sign-in is the next attempt, as
in the model's ``retries.py``) — when that next attempt is in the table. A successful
attempt is always final. A failed attempt whose follow-up was due after the run's end
is final: by the end of the observation the user had not got through. The follow-up
is the same user's next row in time with the same operation (a sign-in after a refused
refresh) and the next attempt number (one ``merge_asof`` over the few failed rows;
two chains of one user and operation at once could be paired crosswise, with the same
count of final attempts).

**Read-your-writes.** A *read-back* is a final, successful profile read by a user whose
previous request (by final attempt, in time) was a successful profile update by that
same user; a *violation* is a read-back that is stale. Stale means the serving replica
held an older profile version than the newest acknowledged anywhere; profile versions
count the user's acknowledged profile updates, and only the user's own
``profile_update`` requests write them. Their update was their last request before the
read, so no later profile write of theirs was acknowledged in between: the newest
version is their own update (or one of theirs acknowledged alongside it), and a stale
replica lacks it — stale ⇒ the read missed the user's own update. A stale read whose
previous request was anything else (another device's read, a sign-in) is not a
violation: the user did not just write.

**Users who could not complete what they came to do.** Active users are the users with
a request of their own (any legitimate operation but ``admin_disable``, an operator's,
and ``m2m_token``, no user's) from the headline incident's first fault to the end of
the run — the whole run without a fault. A user *failed* when the final attempt of
at least one of those requests failed, whatever the cause (a sign-in refused because
an attacker locked the account is a failure: it is the user's experience). Shares
per population (``clients[].name``) and per home region (``clients[].home``, else the
first region, as the directory homes users under latency or per-operation routing;
under weighted routing the directory draws a home per user, which the records do not
hold, so the client kind's declared home stands in).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, legit_mask, op_mask, time_mask
from drsim.records import OUTCOMES, SESSION_ENDING_OUTCOMES
from drsim.scenario.schema import Scenario

NOT_A_USERS_OWN = ("admin_disable", "m2m_token")
"""Legitimate operations that are not a user's own request (an operator's, a machine's)."""


def _codes(column: pd.Series, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Position in ``names`` of every row's value (−1 for values not among them)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        lookup = np.array([names.index(str(c)) if str(c) in names else -1
                           for c in column.cat.categories] + [-1], dtype=np.int64)
        return lookup[column.cat.codes.to_numpy()]  # code −1 (missing) → the trailing −1
    return pd.Index(list(names)).get_indexer(column.astype(str).to_numpy())


def final_attempt_mask(requests: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Rows that are the final attempt of their request (see the module): what the user saw.

    Attacker rows and rows of clients the scenario does not name are final when ok and
    otherwise judged by nothing: they are final too (only legitimate rows matter here).
    """
    kinds = scenario.clients
    kind = _codes(requests["client"], [k.name for k in kinds])
    outcome = _codes(requests["outcome"], OUTCOMES)
    retried = np.zeros((len(kinds) + 1, len(OUTCOMES) + 1), dtype=bool)  # [−1] row/col: none
    limit = np.zeros(len(kinds) + 1, dtype=np.int64)
    for i, k in enumerate(kinds):
        retried[i, [OUTCOMES.index(c) for c in k.retry.retry_on if c in OUTCOMES]] = True
        limit[i] = k.retry.attempts
    attempt = requests["attempt"].to_numpy().astype(np.int64)
    again = retried[kind, outcome] & (attempt + 1 < limit[kind])
    forced = np.zeros(len(requests), dtype=bool)
    if scenario.sessions.on_refused_refresh == "sign_in":
        ending = np.zeros(len(OUTCOMES) + 1, dtype=bool)  # [−1]: not an outcome
        ending[[OUTCOMES.index(c) for c in SESSION_ENDING_OUTCOMES]] = True
        forced = ending[outcome] & op_mask(requests, "refresh")
    again = (again | forced) & legit_mask(requests) & (outcome != OUTCOMES.index("ok"))
    final = np.ones(len(requests), dtype=bool)
    final[_continued(requests, np.flatnonzero(again), forced)] = False
    return final


def _continued(requests: pd.DataFrame, rows: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """Those of ``rows`` (failed attempts their client follows up) whose next attempt is in
    the table: the same user's next row, in time, with the same operation (a sign-in after
    a refused refresh) and the next attempt number. The others were due after the run's
    end: what the user saw by then."""
    op = requests["op"].cat.codes.to_numpy().astype(np.int64)
    sign_in = list(requests["op"].cat.categories).index("sign_in")
    user = requests["user"].to_numpy()
    t = requests["time_s"].to_numpy(dtype=np.float64)
    attempt = requests["attempt"].to_numpy().astype(np.int64)
    asked = pd.DataFrame({"t": t[rows], "user": user[rows],
                          "op": np.where(forced[rows], sign_in, op[rows]),
                          "attempt": attempt[rows] + 1, "row": rows}).sort_values("t")
    later = np.flatnonzero(attempt > 0)
    found = pd.DataFrame({"t": t[later], "user": user[later], "op": op[later],
                          "attempt": attempt[later], "next": later}).sort_values("t")
    matched = pd.merge_asof(asked, found, on="t", by=["user", "op", "attempt"],
                            direction="forward")
    return matched["row"].to_numpy()[matched["next"].notna().to_numpy()]


def read_your_writes_metrics(requests: pd.DataFrame, final: np.ndarray) -> dict[str, float]:
    """Read-your-writes violations: the user's own update read back stale (see the module).

    Args:
        requests: the ``requests`` table.
        final: :func:`final_attempt_mask` of it.

    Returns:
        ``read_your_writes_violations`` (stale read-backs), ``read_your_writes_read_backs``
        (the denominator) and ``read_your_writes_violation_share`` (violations ÷
        read-backs; NaN without a read-back).
    """
    legit = legit_mask(requests) & final
    update = legit & op_mask(requests, "profile_update") & (requests["outcome"] == "ok").to_numpy()
    user = requests["user"].to_numpy()
    # only users who updated their profile can read an update back: sort just their rows
    rows = np.flatnonzero(legit & pd.Series(user).isin(pd.unique(user[update])).to_numpy())
    order = rows[np.lexsort((requests["time_s"].to_numpy()[rows], user[rows]))]
    u = user[order]
    read = (op_mask(requests, "profile_read") & (requests["outcome"] == "ok").to_numpy())[order]
    after_update = np.zeros(order.size, dtype=bool)
    after_update[1:] = update[order][:-1] & (u[1:] == u[:-1])
    back = read & after_update
    stale = requests["stale"].to_numpy(dtype=bool)[order] & back
    n_back, n_stale = int(np.count_nonzero(back)), int(np.count_nonzero(stale))
    return {"read_your_writes_violations": float(n_stale),
            "read_your_writes_read_backs": float(n_back),
            "read_your_writes_violation_share": n_stale / n_back if n_back else NAN}


def home_regions(scenario: Scenario) -> dict[str, str]:
    """Each client kind's home region: ``clients[].home``, else the first region (see the
    module)."""
    first = scenario.region_names[0]
    return {k.name: k.home or first for k in scenario.clients}


def users_failed_metrics(requests: pd.DataFrame, final: np.ndarray, scenario: Scenario,
                         start_s: float, end_s: float) -> dict[str, float]:
    """Share of active users with a request whose final attempt failed (see the module).

    Args:
        requests: the ``requests`` table.
        final: :func:`final_attempt_mask` of it.
        scenario: names the client kinds and their homes.
        start_s: start of the window (the headline incident's first fault; 0 without one).
        end_s: its end (the run's end).

    Returns:
        ``active_users``, ``users_failed``, ``users_failed_share`` (NaN without an active
        user), ``users_failed_share.<client kind>`` and ``users_failed_share.home.<region>``
        for every client kind and every home region of one (NaN where no user was active).
    """
    rows = (legit_mask(requests) & ~op_mask(requests, NOT_A_USERS_OWN)
            & time_mask(requests, start_s, end_s) & (requests["user"].to_numpy() >= 0))
    names = [k.name for k in scenario.clients]
    users = _dense(requests["user"].to_numpy()[rows])
    active = np.zeros(users.max() + 1 if users.size else 0, dtype=bool)
    active[users] = True
    failed = np.zeros_like(active)
    failed[users[(final & (requests["outcome"] != "ok").to_numpy())[rows]]] = True
    kind = np.full(active.size, -1, dtype=np.int64)
    kind[users] = _codes(requests["client"], names)[rows]
    active_by = np.bincount(kind[active] + 1, minlength=len(names) + 1)[1:]
    failed_by = np.bincount(kind[failed] + 1, minlength=len(names) + 1)[1:]
    n_users = int(np.count_nonzero(active))
    out = {"active_users": float(n_users), "users_failed": float(np.count_nonzero(failed)),
           "users_failed_share": _share(np.count_nonzero(failed), n_users)}
    for i, name in enumerate(names):
        out[f"users_failed_share.{name}"] = _share(failed_by[i], active_by[i])
    homes = home_regions(scenario)
    for region in dict.fromkeys(homes.values()):
        of = [i for i, name in enumerate(names) if homes[name] == region]
        out[f"users_failed_share.home.{region}"] = _share(failed_by[of].sum(),
                                                          active_by[of].sum())
    return out


def _dense(users: np.ndarray) -> np.ndarray:
    """User ids as indexes into a small array: themselves (the model numbers users 0, 1 …),
    or their rank among the distinct ids when they are sparse."""
    if users.size and users.max() > 4 * users.size + 1024:
        return pd.factorize(users)[0]
    return users.astype(np.int64, copy=False)


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else NAN
