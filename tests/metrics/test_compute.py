"""compute_metrics: the full key set, the zero-lag/no-fault known answer, a small incident."""

import json
import math

import pytest

from drsim.metrics import compute_metrics, summarise
from drsim.metrics.failures import FAILURE_CAUSES

ISSUE_4_KEYS = [
    "failed_logins",
    "failed_login_users",
    "users_locked_out_of_fault",
    "failed_operations",
    "stale_reads",
    "stale_read_fraction",
    "staleness_p50_s",
    "staleness_p99_s",
    "staleness_max_s",
    "lockout_extra_guesses",
    "lockout_extra_guesses_per_account",
    "lockout_bypass_windows",
    "lockout_bypass_total_s",
    "lockout_bypass_max_s",
    "accounts_compromised",
    "stale_credential_signins",
    "revoked_token_accepts",
    "disabled_user_signins",
    "sessions_disrupted",
    "rpo_lost_writes",
    "rpo_span_s",
    "failback_conflicts",
    "rto_s",
    "detection_s",
    "decision_s",
    "promotion_s",
    "dns_convergence_s",
    "availability",
    "availability_during_fault",
    "cost_per_month_usd",
    "cost_replication_per_month_usd",
    "cost_baseline_per_month_usd",
    "requests_total",
    "sign_ins_total",
]
ISSUE_4_KEYS += [f"failed_logins.{c}" for c in FAILURE_CAUSES]
ISSUE_4_KEYS += [
    f"failed_operations.{op}"
    for op in ("sign_up", "profile_update", "password_change", "refresh", "sign_out")
]
ISSUE_4_KEYS += [
    f"rpo_lost_writes.{k}" for k in ("user", "credential", "profile", "revocation", "disable")
]

# Undefined (NaN) in a run without fault, attack or stale read.
UNDEFINED_WITHOUT_INCIDENT = {
    "staleness_p50_s",
    "staleness_p99_s",
    "staleness_max_s",
    "lockout_extra_guesses_per_account",
    "rto_s",
    "rto_recovered",
    "dns_converged",
    "dns_share_moved_60s",
    "detection_s",
    "decision_s",
    "promotion_s",
    "dns_convergence_s",
    "availability_during_fault",
    "failed_logins_during_fault",
    "failed_login_users_during_fault",
    "users_locked_out_of_fault",
    "headline_incident",
    "rto_50_s",
    "rto_50_recovered",
    "rto_90_s",
    "rto_90_recovered",
    "rto_99_s",
    "rto_99_recovered",
    "time_to_failback_s",
    "affected_users",
    "time_to_first_success_p50_s",
    "time_to_first_success_p90_s",
    "sign_in_users_after_fault",
    "never_recovered_users",
}


def undefined_without_incident(name: str) -> bool:
    """True for the metrics a run without fault leaves NaN."""
    if name in UNDEFINED_WITHOUT_INCIDENT or name.startswith("never_recovered_users."):
        return True
    if name.startswith("staleness_p") and "." in name:  # by cause: no stale read
        return True
    if name == "read_your_writes_violation_share":  # the reads come before the updates
        return True
    if name.startswith("users_failed_share."):  # the rows' client is no scenario kind
        return True
    return name.startswith("exposure_") and name.endswith("_censored_share")
# Not zero in a healthy run: traffic totals, success ratios, cost.
TRAFFIC_AND_COST = {
    "requests_total",
    "sign_ins_total",
    "profile_reads_ok",
    "availability",
    "active_users",
    "monthly_active_users",
    "cost_per_month_usd",
    "cost_replication_per_month_usd",
    "cost_baseline_per_month_usd",
}


def healthy_traffic():
    rows = []
    for i in range(50):
        t = i * 10.0
        rows += [
            {"time_s": t, "op": "sign_in", "user": i},
            {"time_s": t + 1, "op": "refresh", "user": i},
            {"time_s": t + 2, "op": "profile_read", "user": i},
            {"time_s": t + 3, "op": "profile_update", "user": i},
        ]
    return rows


def test_every_issue_4_key_is_present_and_a_float(make_records, make_scenario):
    m = compute_metrics(make_records(requests=healthy_traffic()), make_scenario())
    missing = [k for k in ISSUE_4_KEYS if k not in m]
    assert not missing
    assert all(type(v) is float for v in m.values())
    assert "failed_logins.ok" not in m


def test_zero_lag_no_fault_every_metric_but_traffic_is_zero(make_records, make_scenario):
    writes = [
        {
            "write_id": i,
            "time_s": i * 10.0 + 3,
            "user": i,
            "kind": "profile",
            "applied_s": i * 10.0 + 3,
        }
        for i in range(50)
    ]
    m = compute_metrics(make_records(requests=healthy_traffic(), writes=writes), make_scenario())
    assert m["requests_total"] == 200
    assert m["sign_ins_total"] == 50
    assert m["availability"] == 1.0
    assert m["stale_read_fraction"] == 0.0
    for name, value in m.items():
        if undefined_without_incident(name):
            assert math.isnan(value), name
        elif name in TRAFFIC_AND_COST or name == "stale_read_fraction":
            continue
        else:
            assert value == 0.0, name


def test_a_small_incident_end_to_end(make_records, make_scenario):
    scenario = make_scenario(
        attackers=[{"name": "stuffer", "kind": "credential_stuffing", "rate": "1/s", "targets": 2}],
        faults=[{"kind": "region_outage", "region": "r1", "start": "120s", "duration": "3m"}],
    )
    rows = []
    for minute in range(10):
        for i in range(10):
            t = minute * 60.0 + i
            failing = 2 <= minute <= 3
            rows.append(
                {
                    "time_s": t,
                    "user": 100 + i,
                    "region": "r1" if minute < 2 else "r2",
                    "outcome": "region_down" if failing else "ok",
                }
            )
    rows += [
        {"time_s": 130, "op": "sign_up", "user": 200, "region": "r2", "outcome": "read_only"},
        {"time_s": 140, "op": "refresh", "user": 101, "region": "r2", "outcome": "token_rejected"},
        {
            "time_s": 150,
            "op": "profile_read",
            "user": 102,
            "region": "r2",
            "stale": True,
            "staleness_s": 5.0,
        },
        {
            "time_s": 160,
            "op": "guess",
            "attacker": True,
            "client": "stuffer",
            "user": 7,
            "region": "r2",
            "outcome": "ok",
            "extra_guess": True,
        },
    ]
    writes = [
        {"write_id": 1, "time_s": 110, "kind": "credential", "stuck": True, "lost": True},
        {"write_id": 2, "time_s": 118, "kind": "profile", "stuck": True, "lost": True},
    ]
    meta = {
        "fault_start_s": 120.0,
        "fault_end_s": 300.0,
        "detection_s": 180.0,
        "dns_flip_s": 180.0,
        "dns_flip_region": "r2",
        "promotion_start_s": 180.0,
        "writable_s": 210.0,
        "users_created": 0,
    }
    locks = [(7, "global", 150, 170), (7, "r1", 150, 170)]
    m = compute_metrics(
        make_records(requests=rows, writes=writes, locks=locks, meta=meta), scenario
    )
    assert m["failed_logins"] == 20
    assert m["failed_logins.region_down"] == 20
    assert m["failed_login_users"] == 10
    assert m["users_locked_out_of_fault"] == 0  # all got in at minute 4
    assert m["failed_operations"] == 2
    assert m["stale_reads"] == 1
    assert m["stale_read_fraction"] == 1.0
    assert m["staleness_max_s"] == 5.0
    assert m["sessions_disrupted"] == 1
    assert m["lockout_extra_guesses"] == 1
    assert m["accounts_compromised"] == 1
    assert m["lockout_bypass_windows"] == 1
    assert m["lockout_bypass_max_s"] == 20.0
    assert m["rpo_lost_writes"] == 2
    assert m["rpo_span_s"] == 8.0
    assert m["rto_s"] == 120.0
    assert m["detection_s"] == 60.0
    assert m["decision_s"] == 0.0
    assert m["promotion_s"] == 30.0
    # sign-ins at minute 3 all reach r2; other requests at 130–160 are before the flip or r2
    assert m["dns_convergence_s"] == 0.0
    assert m["availability"] == pytest.approx(80 / 100)
    assert m["availability_during_fault"] == pytest.approx(10 / 30)
    assert m["attack_requests_total"] == 1
    summary = summarise([m, m])
    assert summary["rto_s"] == {
        "mean": 120.0,
        "ci95": [120.0, 120.0],
        "interval": "lognormal-cox+student-t",
        "per_replication": [120.0, 120.0],
    }
    json.dumps(summary, allow_nan=False)
