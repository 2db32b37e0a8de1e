"""Security exposure: accepted replays and exposure windows per write."""

from drsim.metrics.exposure import exposure_metrics, exposure_windows


def test_accepted_replays_are_counted(make_records):
    attack = {"attacker": True, "client": "replayer"}
    rec = make_records(
        requests=[
            {**attack, "op": "replay_old_password", "outcome": "ok", "user": 1},
            {**attack, "op": "replay_old_password", "outcome": "ok", "user": 2},
            {**attack, "op": "replay_old_password", "outcome": "stale_credential", "user": 3},
            {**attack, "op": "replay_refresh", "outcome": "ok", "user": 4},
            {**attack, "op": "replay_refresh", "outcome": "token_rejected", "user": 5},
            {**attack, "op": "replay_disabled", "outcome": "user_disabled", "user": 6},
            {"op": "sign_in", "outcome": "ok", "user": 7},
        ]
    )
    m = exposure_metrics(rec.requests, rec.writes, 600.0)
    assert m["stale_credential_signins"] == 2
    assert m["revoked_token_accepts"] == 1
    assert m["disabled_user_signins"] == 0


def test_exposure_window_per_write_until_last_region_applies(make_records):
    rec = make_records(
        writes=[
            {"write_id": 1, "kind": "credential", "time_s": 10, "applied_s": 13},
            {"write_id": 2, "kind": "revocation", "time_s": 20, "target": "r2", "applied_s": 21},
            {"write_id": 2, "kind": "revocation", "time_s": 20, "target": "r3", "applied_s": 25},
            {"write_id": 3, "kind": "disable", "time_s": 30},  # never applied → until run end
            {"write_id": 4, "kind": "credential", "time_s": 40, "applied_s": 40},  # synchronous
            {
                "write_id": 5,
                "kind": "profile",
                "time_s": 50,
                "applied_s": 90,
            },  # not a security write
            {"write_id": 6, "kind": "credential", "time_s": 60, "applied_s": 61.5},
        ]
    )
    w = exposure_windows(rec.writes, 600.0)
    assert list(w["write_id"]) == [1, 2, 3, 6]
    assert list(w["duration_s"]) == [3.0, 5.0, 570.0, 1.5]
    m = exposure_metrics(rec.requests, rec.writes, 600.0)
    assert m["exposure_credential_windows"] == 2
    assert m["exposure_credential_total_s"] == 4.5
    assert m["exposure_credential_max_s"] == 3.0
    assert m["exposure_revocation_windows"] == 1
    assert m["exposure_revocation_total_s"] == 5.0
    assert m["exposure_revocation_max_s"] == 5.0
    assert m["exposure_disable_windows"] == 1
    assert m["exposure_disable_total_s"] == 570.0
    assert m["exposure_disable_max_s"] == 570.0


def test_no_security_writes_no_windows(make_records):
    m = exposure_metrics(make_records().requests, make_records().writes, 600.0)
    for kind in ("credential", "revocation", "disable"):
        assert m[f"exposure_{kind}_windows"] == 0
        assert m[f"exposure_{kind}_total_s"] == 0
        assert m[f"exposure_{kind}_max_s"] == 0


def test_windows_open_at_the_end_of_the_run_are_censored(make_records):
    rec = make_records(
        writes=[
            {"write_id": 1, "kind": "credential", "time_s": 10, "applied_s": 13},
            # lost at promotion for r3: open until the run end, censored
            {"write_id": 2, "kind": "credential", "time_s": 20, "target": "r2", "applied_s": 21},
            {"write_id": 2, "kind": "credential", "time_s": 20, "target": "r3"},
            {"write_id": 3, "kind": "credential", "time_s": 30},
            {"write_id": 4, "kind": "revocation", "time_s": 40, "applied_s": 41},
        ]
    )
    w = exposure_windows(rec.writes, 600.0)
    assert list(w["censored"]) == [False, True, True, False]
    m = exposure_metrics(rec.requests, rec.writes, 600.0)
    assert m["exposure_credential_censored"] == 2
    assert m["exposure_credential_censored_share"] == 2 / 3
    assert m["exposure_revocation_censored"] == 0
    assert m["exposure_revocation_censored_share"] == 0.0
    assert m["exposure_disable_censored"] == 0
    assert m["exposure_disable_censored_share"] != m["exposure_disable_censored_share"]  # NaN
