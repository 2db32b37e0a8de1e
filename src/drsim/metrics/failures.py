"""Failed logins and failed operations: what legitimate users saw go wrong (MODEL.md 1–2).

A *failed login* is a sign-in or federated sign-in attempt by a legitimate
user that did not end ``ok``; every retry is an attempt of its own. A *failed
operation* is the same for sign-ups, profile updates, password changes/resets,
token refreshes and sign-outs. Causes are kept: every outcome cause is
reported, zero when it did not occur, never folded into a generic error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import (
    FAILED_OPERATION_OPERATIONS,
    NAN,
    count_by,
    is_number,
    legit_mask,
    legit_sign_in_mask,
    n_distinct,
    ok_mask,
    op_mask,
    time_mask,
)
from drsim.records import OUTCOMES

FAILURE_CAUSES: tuple[str, ...] = tuple(o for o in OUTCOMES if o != "ok")
"""Every outcome cause other than ``ok``."""


def failed_login_metrics(
    requests: pd.DataFrame,
    regions: tuple[str, ...] | list[str],
    fault_start_s: float = NAN,
    fault_end_s: float = NAN,
) -> dict[str, float]:
    """Failed logins of legitimate users: totals, causes, regions, distinct users.

    Args:
        requests: the ``requests`` table.
        regions: region names to report (``"none"`` — reached no region — is added).
        fault_start_s: start of the fault window (s); NaN when the run had no fault.
        fault_end_s: end of the fault window (s, exclusive).

    Returns:
        ``failed_logins`` (count of failed attempts), ``failed_login_users``
        (distinct users with ≥ 1 failed attempt), ``failed_logins.<cause>`` for
        every cause of :data:`FAILURE_CAUSES` (0 when it did not occur),
        ``failed_logins_by_region.<region>``, ``failed_logins_during_fault``,
        ``failed_login_users_during_fault`` and ``users_locked_out_of_fault``
        (distinct users who failed at least once in ``[fault_start, fault_end)``
        and had no ``ok`` sign-in in that window). The three fault-window metrics
        are NaN without a fault.
    """
    sign_in = legit_sign_in_mask(requests)
    failed = sign_in & ~ok_mask(requests)
    users = requests["user"].to_numpy()
    out: dict[str, float] = {
        "failed_logins": float(np.count_nonzero(failed)),
        "failed_login_users": float(n_distinct(users[failed])),
    }
    for cause, n in count_by(requests["outcome"], FAILURE_CAUSES, failed).items():
        out[f"failed_logins.{cause}"] = float(n)
    names = list(dict.fromkeys([*regions, "none"]))
    for region, n in count_by(requests["region"], names, failed).items():
        out[f"failed_logins_by_region.{region}"] = float(n)

    if is_number(fault_start_s):
        in_fault = time_mask(requests, fault_start_s, fault_end_s) & sign_in
        failed_in = in_fault & failed
        ok_in = in_fault & ~failed
        failed_users = pd.unique(users[failed_in])
        ok_users = pd.unique(users[ok_in])
        never_in = np.setdiff1d(failed_users, ok_users, assume_unique=True)
        out["failed_logins_during_fault"] = float(np.count_nonzero(failed_in))
        out["failed_login_users_during_fault"] = float(failed_users.size)
        out["users_locked_out_of_fault"] = float(never_in.size)
    else:
        out["failed_logins_during_fault"] = NAN
        out["failed_login_users_during_fault"] = NAN
        out["users_locked_out_of_fault"] = NAN
    return out


def failed_operation_metrics(requests: pd.DataFrame) -> dict[str, float]:
    """Failed non-login operations of legitimate users.

    Args:
        requests: the ``requests`` table.

    Returns:
        ``failed_operations`` (failed attempts of sign_up, profile_update,
        password_change, refresh and sign_out; retries count),
        ``failed_operations.<op>`` for each of those operations and
        ``failed_operations_by_cause.<cause>`` for every cause (0 when absent).
    """
    ops = legit_mask(requests) & op_mask(requests, FAILED_OPERATION_OPERATIONS)
    failed = ops & ~ok_mask(requests)
    out: dict[str, float] = {"failed_operations": float(np.count_nonzero(failed))}
    for op, n in count_by(requests["op"], FAILED_OPERATION_OPERATIONS, failed).items():
        out[f"failed_operations.{op}"] = float(n)
    for cause, n in count_by(requests["outcome"], FAILURE_CAUSES, failed).items():
        out[f"failed_operations_by_cause.{cause}"] = float(n)
    return out
