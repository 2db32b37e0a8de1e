"""Corruption metrics on hand-built tables: reach, exposure, restore RPO, writes lost."""

import math

from drsim.metrics.corruption import corruption_metrics
from drsim.metrics.notes import metric_notes

CORRUPTION = {"kind": "corruption", "start": "100s", "share": "2%"}
META = {"corruption_start_s": 100.0, "corruption_detected_s": 160.0,
        "corruption_restored_s": 400.0, "backup_snapshot_s": 40.0, "corruption_refused": 0.0,
        "corruption_origin": 0.0, "corruption_profiles": 1.0, "corrupted_users": 2.0,
        "corruption_first_write_id": 10.0, "users_restored": 2.0,
        "writes_lost_by_restore": 3.0}
READS = [
    {"time_s": 120, "op": "profile_read", "user": 1, "region": "r1", "outcome": "corrupt"},
    {"time_s": 130, "op": "profile_read", "user": 1, "region": "r2", "outcome": "corrupt"},
    {"time_s": 140, "op": "profile_read", "user": 2, "region": "r2", "outcome": "corrupt"},
    {"time_s": 150, "op": "profile_read", "user": 3, "region": "r1", "outcome": "ok"},
    {"time_s": 150, "op": "sign_in", "user": 4, "region": "r1", "outcome": "misconfigured"},
    {"time_s": 150, "op": "profile_read", "user": 5, "region": "r1", "outcome": "corrupt",
     "attacker": True},
]
BAD_ROWS = [  # the bad writes are ids 10 and 11; 12 is an ordinary write
    {"write_id": 10, "kind": "profile", "time_s": 100, "user": 1, "applied_s": 101.5},
    {"write_id": 11, "kind": "profile", "time_s": 100, "user": 2, "applied_s": 104.0},
    {"write_id": 12, "kind": "profile", "time_s": 100, "user": 3, "applied_s": 190.0},
]


def test_reach_exposure_and_restore(make_records, make_scenario):
    scenario = make_scenario(faults=[CORRUPTION], backups={"interval": "1h"})
    out = corruption_metrics(make_records(requests=READS, writes=BAD_ROWS, meta=META), scenario)
    assert out["corrupted_users"] == 2
    assert out["corrupt_reads"] == 3  # the attacker's row is not a user's read
    assert out["corrupt_reads_by_region.r1"] == 1 and out["corrupt_reads_by_region.r2"] == 2
    assert out["corruption_affected_users"] == 3  # users 1, 2 (corrupt) and 4 (misconfigured)
    assert out["corruption_replicated_s"] == 4.0  # the last bad row arrived at 104 s
    assert out["corruption_detection_s"] == 60.0
    assert out["corruption_recovered"] == 1.0
    assert out["corruption_exposure_s"] == 300.0
    assert out["restore_rpo_s"] == 60.0
    assert out["users_restored"] == 2 and out["writes_lost_by_restore"] == 3


def test_no_restore_in_the_run_is_censored_and_said_so(make_records, make_scenario):
    scenario = make_scenario(faults=[CORRUPTION])
    meta = {**META, "corruption_restored_s": None, "backup_snapshot_s": None}
    records = make_records(requests=READS, writes=BAD_ROWS, meta=meta)
    out = corruption_metrics(records, scenario)
    assert out["corruption_recovered"] == 0.0
    assert out["corruption_exposure_s"] == 600.0 - 100.0
    assert math.isnan(out["restore_rpo_s"])
    assert out["users_restored"] == out["writes_lost_by_restore"] == 0.0
    notes = metric_notes(records, scenario, out)
    assert "censored" in notes["corruption_exposure_s"]
    assert "no backups" in notes["restore_rpo_s"]


def test_a_configuration_reports_its_last_arrival(make_records, make_scenario):
    scenario = make_scenario(faults=[{**CORRUPTION, "scope": "configuration"}])
    meta = {**META, "corruption_profiles": 0.0, "corrupted_users": 0.0,
            "misconfigured_from_s.r1": 100.0, "misconfigured_from_s.r2": 107.0,
            "misconfigured_until_s.r1": 400.0, "misconfigured_until_s.r2": 405.0}
    out = corruption_metrics(make_records(requests=READS, meta=meta), scenario)
    assert out["corruption_replicated_s"] == 7.0
    assert out["corrupted_users"] == 0


def test_nothing_without_a_corruption_fault(make_records, make_scenario):
    assert corruption_metrics(make_records(requests=READS), make_scenario()) == {}
