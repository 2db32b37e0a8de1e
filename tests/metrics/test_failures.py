"""Failed logins and failed operations against hand-counted tables."""

import math

from drsim.metrics.failures import FAILURE_CAUSES, failed_login_metrics, failed_operation_metrics

REGIONS = ("r1", "r2")


def test_failed_logins_count_attempts_causes_regions_and_users(make_records):
    rec = make_records(
        requests=[
            # user 1: two failed attempts (a retry counts), then in.
            {"time_s": 10, "user": 1, "outcome": "region_down", "region": "r1"},
            {"time_s": 11, "user": 1, "outcome": "region_down", "region": "r1", "attempt": 1},
            {"time_s": 15, "user": 1, "outcome": "ok", "region": "r2"},
            {"time_s": 12, "user": 2, "outcome": "ok"},
            # federated sign-in is a login.
            {
                "time_s": 20,
                "user": 3,
                "op": "federated_sign_in",
                "outcome": "idp_unavailable",
                "region": "r2",
            },
            {"time_s": 21, "user": 4, "outcome": "dns_unavailable", "region": "none"},
            # not logins / not legitimate:
            {"time_s": 22, "user": 5, "op": "refresh", "outcome": "token_rejected"},
            {"time_s": 23, "user": 6, "op": "sign_in", "attacker": True, "outcome": "locked_out"},
            {"time_s": 24, "user": 6, "op": "guess", "attacker": True, "outcome": "wrong_password"},
        ]
    )
    m = failed_login_metrics(rec.requests, REGIONS)
    assert m["failed_logins"] == 4
    assert m["failed_login_users"] == 3
    assert m["failed_logins.region_down"] == 2
    assert m["failed_logins.idp_unavailable"] == 1
    assert m["failed_logins.dns_unavailable"] == 1
    # every cause is available, zero when it did not occur
    for cause in FAILURE_CAUSES:
        assert f"failed_logins.{cause}" in m
    assert m["failed_logins.locked_out"] == 0
    assert m["failed_logins.token_rejected"] == 0
    assert sum(m[f"failed_logins.{c}"] for c in FAILURE_CAUSES) == m["failed_logins"]
    assert "failed_logins.ok" not in m
    assert m["failed_logins_by_region.r1"] == 2
    assert m["failed_logins_by_region.r2"] == 1
    assert m["failed_logins_by_region.none"] == 1
    # no fault: the fault-window metrics are undefined
    assert math.isnan(m["failed_logins_during_fault"])
    assert math.isnan(m["users_locked_out_of_fault"])


def test_users_locked_out_of_the_fault_window(make_records):
    rec = make_records(
        requests=[
            {"time_s": 50, "user": 3, "outcome": "region_down"},  # before the fault
            {"time_s": 110, "user": 1, "outcome": "region_down"},
            {"time_s": 150, "user": 1, "outcome": "ok"},  # got in during the fault
            {"time_s": 120, "user": 2, "outcome": "region_down"},
            {"time_s": 130, "user": 2, "op": "federated_sign_in", "outcome": "idp_unavailable"},
            {"time_s": 250, "user": 2, "outcome": "ok"},  # only after the fault
            {"time_s": 160, "user": 4, "outcome": "ok"},
            {"time_s": 199.5, "user": 5, "outcome": "throttled"},
            {"time_s": 200, "user": 6, "outcome": "throttled"},  # window is [100, 200)
        ]
    )
    m = failed_login_metrics(rec.requests, REGIONS, 100.0, 200.0)
    assert m["failed_logins"] == 6
    assert m["failed_login_users"] == 5
    assert m["failed_logins_during_fault"] == 4
    assert m["failed_login_users_during_fault"] == 3  # users 1, 2, 5
    assert m["users_locked_out_of_fault"] == 2  # users 2 and 5


def test_no_requests_gives_zeros(make_records):
    m = failed_login_metrics(make_records().requests, REGIONS, 0.0, 10.0)
    assert m["failed_logins"] == 0
    assert m["failed_login_users"] == 0
    assert m["users_locked_out_of_fault"] == 0


def test_failed_operations_by_operation_and_cause(make_records):
    rec = make_records(
        requests=[
            {"op": "sign_up", "user": 1, "outcome": "read_only"},
            {"op": "profile_update", "user": 2, "outcome": "read_only"},
            {"op": "profile_update", "user": 2, "outcome": "read_only", "attempt": 1},
            {"op": "password_change", "user": 3, "outcome": "throttled"},
            {"op": "refresh", "user": 4, "outcome": "token_rejected"},
            {"op": "sign_out", "user": 5, "outcome": "ok"},
            {"op": "sign_out", "user": 5, "outcome": "region_down"},
            # not counted: sign-in, read, attacker replay, ok operations
            {"op": "sign_in", "user": 6, "outcome": "region_down"},
            {"op": "profile_read", "user": 7, "outcome": "region_down"},
            {"op": "replay_refresh", "user": 8, "attacker": True, "outcome": "token_rejected"},
            {"op": "refresh", "user": 8, "attacker": True, "outcome": "token_rejected"},
            {"op": "sign_up", "user": 9, "outcome": "ok"},
        ]
    )
    m = failed_operation_metrics(rec.requests)
    assert m["failed_operations"] == 6
    assert m["failed_operations.sign_up"] == 1
    assert m["failed_operations.profile_update"] == 2
    assert m["failed_operations.password_change"] == 1
    assert m["failed_operations.refresh"] == 1
    assert m["failed_operations.sign_out"] == 1
    assert m["failed_operations_by_cause.read_only"] == 3
    assert m["failed_operations_by_cause.throttled"] == 1
    assert m["failed_operations_by_cause.token_rejected"] == 1
    assert m["failed_operations_by_cause.region_down"] == 1
    assert m["failed_operations_by_cause.locked_out"] == 0
