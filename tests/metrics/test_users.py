"""Time to first success per affected user, and the groups that never recover before failback."""

import math

from drsim.metrics.users import nearest_rank, user_recovery_metrics


def attempt(t, user, outcome="ok", **extra):
    return {"time_s": t, "user": user, "outcome": outcome, **extra}


def test_time_to_first_success_counts_from_the_fault_for_users_who_failed(make_records):
    rows = [
        attempt(50, 9),  # before the fault: not affected
        attempt(100, 1, "region_down"), attempt(130, 1),  # 30 s after the fault at 100
        attempt(105, 2, "region_down"), attempt(210, 2),  # 110 s
        attempt(110, 3, "region_down"), attempt(160, 3, "region_down"), attempt(400, 3),  # 300 s
        attempt(120, 4), attempt(150, 4),  # never failed: not affected
        attempt(125, 5, "mfa_unsupported"), attempt(126, 5, "mfa_unsupported"),  # never
        attempt(120, 6, "ok"), attempt(140, 6, "region_down"),  # an ok before failing: no recovery
        attempt(700, 7, "region_down"),  # after the observation: not affected
    ]
    m = user_recovery_metrics(make_records(requests=rows).requests, 100.0, 600.0)
    assert m["affected_users"] == 5
    # waits sorted: 30, 110, 300, ∞, ∞ → p50 is the 3rd, p90 the 5th (censored: NaN)
    assert m["time_to_first_success_p50_s"] == 300.0
    assert math.isnan(m["time_to_first_success_p90_s"])
    assert m["never_recovered_users"] == 2
    assert m["never_recovered_users.mfa_unsupported"] == 1
    assert m["never_recovered_users.region_down"] == 1
    assert m["never_recovered_users.throttled"] == 0
    assert m["sign_in_users_after_fault"] == 6


def test_never_recovered_stops_at_failback(make_records):
    rows = [
        attempt(110, 1, "mfa_unsupported"), attempt(300, 1),  # back only after the failback
        attempt(120, 2, "region_down"), attempt(130, 2, "throttled"), attempt(150, 2),
        attempt(250, 3, "region_down"),  # fails after the failback only: not counted
        {"time_s": 115, "user": 4, "outcome": "region_down", "op": "refresh"},  # not a sign-in
        {"time_s": 115, "user": 5, "outcome": "wrong_password", "op": "sign_in",
         "attacker": True},
    ]
    m = user_recovery_metrics(make_records(requests=rows).requests, 100.0, 600.0, 200.0)
    assert m["never_recovered_users"] == 1 and m["never_recovered_users.mfa_unsupported"] == 1
    assert m["affected_users"] == 3
    assert m["time_to_first_success_p50_s"] == 200.0  # waits 50, 200, ∞
    # user 2 back only after the failback: counted under the cause of the last failure
    rows[4] = attempt(260, 2)
    m = user_recovery_metrics(make_records(requests=rows).requests, 100.0, 600.0, 200.0)
    assert m["never_recovered_users.throttled"] == 1
    assert m["never_recovered_users.region_down"] == 0 and m["never_recovered_users"] == 2


def test_without_affected_users_counts_are_zero_and_quantiles_unknown(make_records):
    m = user_recovery_metrics(make_records(requests=[attempt(150, 1)]).requests, 100.0, 600.0)
    assert m["affected_users"] == 0 and m["never_recovered_users"] == 0
    assert math.isnan(m["time_to_first_success_p50_s"])
    m = user_recovery_metrics(make_records().requests, math.nan, 600.0)
    assert all(math.isnan(v) for v in m.values())


def test_nearest_rank():
    import numpy as np

    assert nearest_rank(np.array([3.0, 1.0, 2.0, 4.0]), 0.5) == 2.0
    assert math.isnan(nearest_rank(np.array([3.0, 1.0, 2.0, 4.0]), 0.9))  # needs 10 values
    assert nearest_rank(np.arange(10.0)[::-1], 0.9) == 8.0  # the ⌈9⌉-th smallest
    assert math.isnan(nearest_rank(np.array([]), 0.5))


def test_only_users_still_failing_after_the_restoration_count(make_records):
    rows = [
        attempt(110, 1, "region_down"),  # failed during the outage, never tried again
        attempt(110, 2, "region_down"), attempt(160, 2, "mfa_unsupported"),  # still failing
        attempt(120, 3, "region_down"), attempt(170, 3),  # recovered
    ]
    requests = make_records(requests=rows).requests
    m = user_recovery_metrics(requests, 100.0, 600.0, restored_s=150.0)
    assert m["never_recovered_users"] == 1 and m["never_recovered_users.mfa_unsupported"] == 1
    assert m["never_recovered_users.region_down"] == 0
    # Never restored: everyone without a success counts.
    m = user_recovery_metrics(requests, 100.0, 600.0)
    assert m["never_recovered_users"] == 2 and m["never_recovered_users.region_down"] == 1
