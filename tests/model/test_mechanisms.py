"""Tiny scripted scenarios whose exact outcomes are known, one per mechanism.

Each test scripts a handful of requests (``simulate(..., script=...)``) and
asserts the exact outcome of every one, read from the records.
"""

from __future__ import annotations

import copy
import math

import pytest

from drsim.model import simulate
from drsim.scenario.schema import Scenario

BASE = {
    "name": "tiny",
    "users": {
        "population": 10,
        "mfa": {"none": "100%", "sms": "0%", "email": "0%", "totp": "0%"},
        "federated": "0%",
    },
    "clients": [
        {"name": "app", "share": "100%", "dns": {"behaviour": "honour"}, "retry": {"attempts": 1}}
    ],
    "dns": {"ttl": "1s"},
    "health_check": {"interval": "10s", "failure_threshold": 1, "checkers": 1},
    "replication": {"lag": "5s"},
    "failover": {"promotion_time": "10s"},
    "run": {"duration": "10m", "seed": 3},
}


def scenario(**changes: object) -> Scenario:
    """BASE with top-level sections deep-merged from ``changes``."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Scenario.model_validate(data)


def outcomes(records) -> list[tuple[float, str, str, str]]:
    r = records.requests
    return [
        (float(t), str(op), str(region), str(outcome))
        for t, op, region, outcome in zip(r.time_s, r.op, r.region, r.outcome, strict=True)
    ]


OUTAGE = [{"kind": "region_outage", "region": "us-east-1", "start": "100s", "duration": "100s"}]


def test_normal_operation_everything_ok_at_primary():
    rec = simulate(scenario(), script=[(1.0, "sign_in", 1), (2.0, "profile_read", 1),
                                       (3.0, "profile_update", 1), (4.0, "refresh", 2)])
    assert outcomes(rec) == [
        (1.0, "sign_in", "us-east-1", "ok"),
        (2.0, "profile_read", "us-east-1", "ok"),
        (3.0, "profile_update", "us-east-1", "ok"),
        (4.0, "refresh", "us-east-1", "ok"),
    ]


def test_constant_lag_applies_exactly_lag_after_ack():
    rec = simulate(scenario(), script=[(10.0, "profile_update", 3), (20.0, "password_change", 4)])
    w = rec.writes
    assert list(w.kind.astype(str)) == ["profile", "credential"]
    assert list(w.target.astype(str)) == ["eu-west-1", "eu-west-1"]
    assert list(w.applied_s) == [15.0, 25.0]
    assert not w.stuck.any() and not w.lost.any()


def test_outage_failover_loses_unshipped_writes_and_serves_stale():
    sc = scenario(faults=OUTAGE)
    script = [
        (50.0, "profile_update", 1),  # applied at the secondary at 55
        (97.0, "profile_update", 2),  # due at 102: the primary dies at 100 -> stuck, lost
        (98.0, "password_change", 4),  # stuck, lost
        (99.0, "sign_up", -1),  # the new user (id 10) is stuck, lost
        (130.0, "profile_read", 2),  # at the secondary: stale by 130 - 97 = 33 s
        (131.0, "profile_read", 1),  # at the secondary: up to date
        (140.0, "sign_in", 10),  # the lost sign-up is gone
        (141.0, "sign_in", 4),  # the secondary holds the superseded password
        (142.0, "profile_update", 3),  # the promoted secondary takes writes
    ]
    rec = simulate(sc, script=script)
    meta = rec.meta
    assert 100.0 <= meta["detection_s"] < 110.0  # one checker, 10 s interval, threshold 1
    assert meta["dns_flip_s"] == meta["detection_s"]
    assert meta["writable_s"] == pytest.approx(meta["detection_s"] + 10.0)
    assert outcomes(rec) == [
        (50.0, "profile_update", "us-east-1", "ok"),
        (97.0, "profile_update", "us-east-1", "ok"),
        (98.0, "password_change", "us-east-1", "ok"),
        (99.0, "sign_up", "us-east-1", "ok"),
        (130.0, "profile_read", "eu-west-1", "ok"),
        (131.0, "profile_read", "eu-west-1", "ok"),
        (140.0, "sign_in", "eu-west-1", "user_not_found"),
        (141.0, "sign_in", "eu-west-1", "stale_credential"),
        (142.0, "profile_update", "eu-west-1", "ok"),
    ]
    r = rec.requests
    assert list(r.stale) == [False, False, False, False, True, False, False, False, False]
    assert r.staleness_s[4] == pytest.approx(33.0)
    assert int(r.user[3]) == 10  # sign-ups get the next id at acknowledgement
    w = rec.writes.set_index("time_s")
    assert w.loc[50.0, "applied_s"] == 55.0
    assert list(w.loc[[97.0, 98.0, 99.0], "lost"]) == [True, True, True]
    assert list(w.loc[[97.0, 98.0, 99.0], "stuck"]) == [True, True, True]
    assert math.isnan(w.loc[97.0, "applied_s"])


def test_secondary_is_read_only_until_promotion():
    sc = scenario(faults=OUTAGE, health_check={"interval": "10s", "failure_threshold": 1,
                                               "checkers": 1})
    rec = simulate(sc, script=[])
    detection = rec.meta["detection_s"]
    writable = rec.meta["writable_s"]
    during = detection + 2.0  # DNS flipped (TTL 1 s), promotion still running
    rec = simulate(sc, script=[(during, "sign_up", -1), (during + 0.1, "sign_in", 1),
                               (writable + 2.0, "sign_up", -1)])
    assert [o[2:] for o in outcomes(rec)] == [
        ("eu-west-1", "read_only"),
        ("eu-west-1", "ok"),
        ("eu-west-1", "ok"),
    ]


def test_outage_before_detection_fails_with_region_down_and_failback_returns():
    sc = scenario(faults=OUTAGE)
    rec = simulate(sc, script=[(100.5, "sign_in", 1), (205.0 + 20.0, "sign_in", 1)])
    assert outcomes(rec)[0][2:] == ("us-east-1", "region_down")
    assert rec.meta["failback_s"] is not None and rec.meta["failback_s"] < 225.0 - 1.0
    assert outcomes(rec)[1][2:] == ("us-east-1", "ok")


def test_totp_users_cannot_sign_in_on_the_secondary():
    sc = scenario(faults=OUTAGE, users={"population": 10, "federated": "0%",
                                        "mfa": {"none": "0%", "sms": "0%", "email": "0%",
                                                "totp": "100%"}})
    rec = simulate(sc, script=[(50.0, "sign_in", 1), (150.0, "sign_in", 1)])
    assert [o[2:] for o in outcomes(rec)] == [("us-east-1", "ok"), ("eu-west-1", "mfa_unsupported")]


def test_federated_user_needs_a_prior_primary_sign_in_on_the_secondary():
    sc = scenario(faults=OUTAGE, users={"population": 10, "federated": "100%",
                                        "federated_seen_on_primary": "0%",
                                        "mfa": BASE["users"]["mfa"]})
    rec = simulate(sc, script=[(50.0, "federated_sign_in", 1), (150.0, "federated_sign_in", 1),
                               (151.0, "federated_sign_in", 2)])
    assert [o[2:] for o in outcomes(rec)] == [
        ("us-east-1", "ok"),
        ("eu-west-1", "ok"),  # user 1 signed in to the primary at t=50
        ("eu-west-1", "federated_user_unseen"),  # user 2 never did
    ]


def test_quota_token_bucket_throttles_the_excess():
    regions = [
        {"name": "us-east-1", "role": "primary", "quotas": {"sign_in": "2/s", "burst": "1s"}},
        {"name": "eu-west-1", "role": "secondary"},
    ]
    rec = simulate(scenario(regions=regions),
                   script=[(5.0, "sign_in", u) for u in range(5)] + [(6.0, "sign_in", 5)])
    assert [o[3] for o in outcomes(rec)] == ["ok", "ok", "throttled", "throttled", "throttled",
                                              "ok"]


def test_gray_failure_errors_pass_health_checks():
    faults = [{"kind": "gray_failure", "region": "us-east-1", "start": "100s", "duration": "100s",
               "error_rate": "100%", "added_latency": "500ms", "probe_error_rate": "0%"}]
    rec = simulate(scenario(faults=faults), script=[(150.0, "sign_in", 1), (250.0, "sign_in", 1)])
    assert [o[2:] for o in outcomes(rec)] == [("us-east-1", "region_error"), ("us-east-1", "ok")]
    assert rec.meta["detection_s"] is None
    assert rec.requests.latency_s[0] == pytest.approx(0.15 + 0.5)


def test_kms_and_idp_outages():
    faults = [
        {"kind": "kms_outage", "regions": "all", "start": "100s", "duration": "10s"},
        {"kind": "idp_outage", "start": "200s", "duration": "10s"},
    ]
    rec = simulate(scenario(faults=faults, users={"population": 10, "federated": "100%",
                                                  "mfa": BASE["users"]["mfa"]}),
                   script=[(105.0, "sign_in", 1), (205.0, "federated_sign_in", 1),
                           (215.0, "federated_sign_in", 1)])
    assert [o[3] for o in outcomes(rec)] == ["kms_unavailable", "idp_unavailable", "ok"]


def test_pinned_clients_keep_calling_the_dead_region():
    clients = [{"name": "jvm", "share": "100%", "dns": {"behaviour": "pin", "keep_for": "forever"},
                "retry": {"attempts": 1}}]
    rec = simulate(scenario(faults=OUTAGE, clients=clients), script=[(150.0, "sign_in", 1)])
    assert outcomes(rec)[0][2:] == ("us-east-1", "region_down")


def test_retries_are_attempts_of_their_own():
    clients = [{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                "retry": {"attempts": 3, "backoff": "2s", "multiplier": 2.0, "jitter": "0%"}}]
    sc = scenario(faults=OUTAGE, clients=clients, failover={"mode": "none"})
    rec = simulate(sc, script=[(100.5, "sign_in", 1)])
    r = rec.requests
    assert list(r.time_s) == [100.5, 102.5, 106.5]
    assert list(r.attempt) == [0, 1, 2]
    assert list(r.outcome.astype(str)) == ["region_down"] * 3


def test_lockout_per_region_gives_round_robin_attacker_twice_the_guesses():
    attackers = [{"name": "bot", "kind": "credential_stuffing", "rate": "0/s", "targets": 1,
                  "endpoint_choice": "round_robin", "success_probability": "0%"}]
    script = [(float(t), "guess", 7) for t in range(1, 13)]
    rec = simulate(scenario(attackers=attackers), script=script)
    r = rec.requests
    # Regions alternate; each region locks after its 5th failure (t=9 and t=10), for 1 s.
    assert list(r.region.astype(str)) == ["us-east-1", "eu-west-1"] * 6
    assert list(r.outcome.astype(str)) == ["wrong_password"] * 12
    # Shadow global counter: locks at t=5 [5,6), t=6 [6,8), t=8 [8,12), t=12 [12,20);
    # it would have refused t=7, 9, 10 and 11.
    assert list(r.time_s[r.extra_guess]) == [7.0, 9.0, 10.0, 11.0]
    locks = rec.locks
    shadow = locks[locks.scope == "global"]
    assert list(zip(shadow.start_s, shadow.end_s, strict=True)) == [(5.0, 6.0), (6.0, 8.0),
                                                                    (8.0, 12.0), (12.0, 20.0)]
    east = locks[locks.scope == "us-east-1"]
    assert list(zip(east.start_s, east.end_s, strict=True)) == [(9.0, 10.0), (11.0, 13.0)]


def test_global_lockout_has_no_extra_guesses():
    attackers = [{"name": "bot", "kind": "credential_stuffing", "rate": "0/s", "targets": 1,
                  "endpoint_choice": "round_robin", "success_probability": "0%"}]
    script = [(float(t), "guess", 7) for t in range(1, 9)]
    rec = simulate(scenario(attackers=attackers, lockout={"scope": "global"}), script=script)
    r = rec.requests
    assert list(r.outcome.astype(str)) == ["wrong_password"] * 6 + ["locked_out", "wrong_password"]
    assert not r.extra_guess.any()
    assert set(rec.locks.scope.astype(str)) == {"shared"}


def test_token_replay_accepted_where_the_revocation_has_not_arrived():
    attackers = [{"name": "thief", "kind": "token_replay", "rate": "0/s", "targets": 10,
                  "replay_delay": "1s"}]
    rec = simulate(scenario(attackers=attackers), script=[(10.0, "sign_out", 2)])
    r = rec.requests
    replays = r[r.op == "replay_refresh"]
    # Revoked at the primary at t=10; the revocation reaches the secondary at t=15.
    assert [(float(t), str(g), str(o)) for t, g, o in zip(
        replays.time_s, replays.region, replays.outcome, strict=True)] == [
        (11.0, "us-east-1", "token_rejected"),
        (11.0, "eu-west-1", "ok"),
    ]


def test_periodic_export_users_must_reset_their_password_on_the_backup():
    sc = scenario(faults=OUTAGE, replication={"mode": "periodic_export", "export_interval": "1d"},
                  sessions={"cross_region_tokens": False})
    rec = simulate(sc, script=[(150.0, "sign_in", 1), (151.0, "refresh", 2)])
    assert [o[2:] for o in outcomes(rec)] == [("eu-west-1", "password_reset_required"),
                                              ("eu-west-1", "token_rejected"),
                                              # the refused refresh forces a sign-in, 10 s on
                                              ("eu-west-1", "password_reset_required")]


def test_migration_trigger_needs_the_old_pool_reachable():
    regions = [{"name": "us-east-1", "role": "primary"}, {"name": "eu-west-1", "role": "secondary"}]
    sc = scenario(faults=OUTAGE, regions=regions, replication={"mode": "migrate_on_sign_in"},
                  dns={"ttl": "1s", "routing": "weighted",
                       "weights": {"us-east-1": "0%", "eu-west-1": "100%"}})
    rec = simulate(sc, script=[(50.0, "sign_in", 1), (60.0, "sign_in", 1),
                               (150.0, "sign_in", 2)])
    assert [o[2:] for o in outcomes(rec)] == [
        ("eu-west-1", "ok"),  # copied from the old pool on first sign-in
        ("eu-west-1", "ok"),
        ("eu-west-1", "user_not_found"),  # old pool down: nothing to copy from
    ]


def test_sync_peers_refuse_writes_until_the_dead_site_is_fenced():
    regions = [{"name": "site-a", "role": "peer"}, {"name": "site-b", "role": "peer"}]
    faults = [{"kind": "region_outage", "region": "site-b", "start": "100s", "duration": "300s"}]
    sc = scenario(regions=regions, faults=faults, replication={"mode": "sync"},
                  lockout={"scope": "global"},
                  dns={"ttl": "1s", "routing": "weighted",
                       "weights": {"site-a": "100%", "site-b": "0%"}})
    probe = simulate(sc, script=[])
    fenced = probe.meta["writable_s"]
    rec = simulate(sc, script=[(50.0, "profile_update", 1), (100.5, "profile_update", 1),
                               (fenced + 1.0, "profile_update", 1)])
    assert [o[3] for o in outcomes(rec)] == ["ok", "sync_unavailable", "ok"]
    w = rec.writes
    assert list(w.applied_s) == [50.0]  # applied at the peer at acknowledgement: RPO 0


def test_partition_pauses_replication_which_drains_after():
    faults = [{"kind": "partition", "regions": ["us-east-1", "eu-west-1"], "start": "10s",
               "duration": "60s"}]
    rec = simulate(scenario(faults=faults), script=[(8.0, "profile_update", 1),
                                                    (20.0, "profile_update", 2)])
    # 8 + 2 s running before the cut, 3 s after it heals at 70; 20 waits for 70, then 5 s.
    assert list(rec.writes.applied_s) == [73.0, 75.0]


def test_throughput_cap_builds_a_backlog():
    rec = simulate(scenario(replication={"lag": "1s", "throughput": "1/s"}),
                   script=[(10.0, "profile_update", u) for u in range(4)])
    assert list(rec.writes.applied_s) == [11.0, 12.0, 13.0, 14.0]


def test_same_seed_same_records():
    sc = scenario(faults=OUTAGE, users={"population": 200, "mfa": BASE["users"]["mfa"],
                                        "federated": "0%"}, run={"duration": "5m", "seed": 9})
    a, b = simulate(sc, 1), simulate(sc, 1)
    for name in ("requests", "writes", "locks", "events"):
        assert getattr(a, name).equals(getattr(b, name))
    c = simulate(sc, 2)
    assert not a.requests.equals(c.requests)


EU_CLIENTS = [{"name": "eu", "share": "100%", "dns": {"behaviour": "honour"},
               "retry": {"attempts": 1}, "home": "eu-west-1"}]


def test_latency_routing_sends_clients_home_where_the_secondary_refuses_writes():
    sc = scenario(clients=EU_CLIENTS, dns={"ttl": "1s", "routing": "latency"})
    rec = simulate(sc, script=[(5.0, "sign_in", 1), (6.0, "profile_read", 1),
                               (7.0, "profile_update", 1)])
    assert [o[2:] for o in outcomes(rec)] == [
        ("eu-west-1", "ok"),
        ("eu-west-1", "ok"),
        ("eu-west-1", "read_only"),  # a passive region never accepts a write
    ]


def test_weighted_routing_follows_the_weights():
    sc = scenario(dns={"ttl": "1s", "routing": "weighted",
                       "weights": {"us-east-1": "0%", "eu-west-1": "100%"}})
    rec = simulate(sc, script=[(5.0, "sign_in", u) for u in range(5)])
    assert {o[2] for o in outcomes(rec)} == {"eu-west-1"}


def test_pinned_issuer_rejects_tokens_issued_by_the_secondary():
    sc = scenario(clients=EU_CLIENTS, dns={"ttl": "1s", "routing": "latency"},
                  sessions={"issuer_pinning": "100%"})
    rec = simulate(sc, script=[(5.0, "sign_in", 1), (6.0, "refresh", 2)])
    # the refused refresh is followed by an interactive sign-in 10 s on, refused the same way
    assert [o[3] for o in outcomes(rec)] == ["token_rejected", "token_rejected",
                                             "token_rejected"]


def test_tokens_from_another_region_are_refused_when_not_shared():
    script = [(50.0, "sign_in", 1), (150.0, "refresh", 1)]  # issued by us-east-1, used in eu
    shared = simulate(scenario(faults=OUTAGE), script=script)
    assert [o[2:] for o in outcomes(shared)] == [("us-east-1", "ok"), ("eu-west-1", "ok")]
    pinned = simulate(scenario(faults=OUTAGE, sessions={"cross_region_tokens": False}),
                      script=script)
    assert [o[1:] for o in outcomes(pinned)] == [
        ("sign_in", "us-east-1", "ok"), ("refresh", "eu-west-1", "token_rejected"),
        ("sign_in", "eu-west-1", "ok")]  # forced to sign in again, at the secondary


def test_a_signed_out_user_who_refreshes_signs_in_again():
    rec = simulate(scenario(), script=[(5.0, "sign_out", 1), (6.0, "refresh", 1),
                                       (7.0, "refresh", 1)])
    assert [(o[1], o[3]) for o in outcomes(rec)] == [
        ("sign_out", "ok"),
        ("sign_in", "ok"),  # no session left to refresh: the client signs in
        ("refresh", "ok"),
    ]


def test_a_client_kind_and_an_attacker_may_share_a_name():
    """The requests table names each attempt's client kind, or its attacker; a name both
    use is one category, and each row keeps its own."""
    from drsim.scenario import load_scenario

    overrides = ["users.population=2000", "run.duration=10m", "faults.0.start=5m"]
    kind = load_scenario("cognito-active-passive", overrides).clients[0].name
    shared = load_scenario("cognito-active-passive", [*overrides, f"attackers.0.name={kind}"])
    requests = simulate(shared, 0).requests
    client = requests["client"]
    assert list(client.cat.categories).count(kind) == 1
    assert (client[requests["attacker"]] == kind).all() and requests["attacker"].any()
    legit = client[~requests["attacker"]]
    assert (legit == kind).any() and (legit != kind).any()
