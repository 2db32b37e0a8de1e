"""RTO, its parts and DNS convergence on hand-built timelines."""

import math

import pytest

from drsim.metrics.facts import run_facts
from drsim.metrics.recovery import dns_convergence, recovery_metrics, rto


def sign_ins(start, n_ok, n_fail=0, step=0.5, region="r1", op="sign_in"):
    """n_ok ok then n_fail failed sign-ins from ``start`` every ``step`` seconds."""
    rows = []
    for i in range(n_ok + n_fail):
        outcome = "ok" if i < n_ok else "region_down"
        rows.append(
            {"time_s": start + i * step, "op": op, "outcome": outcome, "region": region, "user": i}
        )
    return rows


def minute_rows(outcomes_per_minute):
    """One list entry per minute from t=0: (ok, failed) counts."""
    rows = []
    for minute, (ok, fail) in enumerate(outcomes_per_minute):
        rows += sign_ins(60 * minute, ok, fail)
    return rows


def test_rto_ends_with_the_last_bad_minute(make_records):
    # 10 minutes; fault at 120 s; baseline 100 %.
    per_minute = [
        (10, 0),
        (10, 0),
        (0, 10),
        (9, 1),
        (10, 0),
        (10, 0),
        (10, 0),
        (10, 0),
        (10, 0),
        (10, 0),
    ]
    rec = make_records(requests=minute_rows(per_minute))
    assert rto(rec.requests, 120.0, 600.0, 0.99) == (120.0, 1.0)


def test_rto_baseline_below_one_is_scaled_by_threshold(make_records):
    # baseline 9/10; afterwards 9/10 ≥ 0.99·0.9 counts as recovered
    per_minute = [(9, 1), (9, 1), (0, 10), (9, 1), (9, 1), (9, 1), (9, 1), (9, 1), (9, 1), (9, 1)]
    rec = make_records(requests=minute_rows(per_minute))
    assert rto(rec.requests, 120.0, 600.0, 0.99) == (60.0, 1.0)
    # with threshold 100 %, 8/10 after recovery is not back
    per_minute[-1] = (8, 2)
    rec = make_records(requests=minute_rows(per_minute))
    assert rto(rec.requests, 120.0, 600.0, 1.0) == (480.0, 0.0)


def test_rto_never_recovered_is_censored_at_run_end(make_records):
    per_minute = [(10, 0), (10, 0)] + [(5, 5)] * 8
    rec = make_records(requests=minute_rows(per_minute))
    assert rto(rec.requests, 120.0, 600.0, 0.99) == (480.0, 0.0)


def test_rto_buckets_are_aligned_on_the_fault_and_thin_minutes_are_unknown(make_records):
    rows = sign_ins(0, 10) + sign_ins(90, 0, 10) + sign_ins(160, 10) + sign_ins(220, 0, 2)
    rows += sign_ins(400, 10)
    rec = make_records(requests=rows)
    # fault at 90: [90,150) bad, [150,210) good, [210,270) 2 failures, …, [390,450) good.
    # Two attempts are too few to judge (unknown): recovered at the good minute after 150.
    assert rto(rec.requests, 90.0, 600.0, 0.99) == (60.0, 1.0)
    # Judged with one attempt, [210,270) is bad; the next evidence is the minute at 390.
    assert rto(rec.requests, 90.0, 600.0, 0.99, min_attempts=1) == (300.0, 1.0)


def test_rto_needs_a_good_minute_after_the_last_bad_one(make_records):
    # Empty minutes after the bad one are no evidence of recovery: censored at the end.
    rec = make_records(requests=sign_ins(0, 10) + sign_ins(120, 0, 10))
    assert rto(rec.requests, 120.0, 600.0, 0.99) == (480.0, 0.0)
    # No judged minute at all after the fault: unknown, not 0.
    value, recovered = rto(make_records(requests=sign_ins(0, 10)).requests, 120.0, 600.0, 0.99)
    assert math.isnan(value) and math.isnan(recovered)


def test_rto_at_several_levels_is_a_recovery_curve(make_records):
    from drsim.metrics.recovery import rto_curve

    # baseline 100 %; after the fault at 120 s: 0 %, 60 %, 95 %, then 100 %.
    per_minute = [(10, 0), (10, 0), (0, 10), (6, 4), (19, 1), (10, 0), (10, 0)]
    rec = make_records(requests=minute_rows(per_minute))
    curve = rto_curve(rec.requests, 120.0, 420.0, [0.5, 0.9, 0.99])
    assert curve == {0.5: (60.0, 1.0), 0.9: (120.0, 1.0), 0.99: (180.0, 1.0)}
    # exact arithmetic: 19/20 is exactly 95 %
    assert rto_curve(rec.requests, 120.0, 420.0, [0.95])[0.95] == (120.0, 1.0)


def test_rto_fault_at_time_zero_uses_full_success_as_baseline(make_records):
    rec = make_records(requests=sign_ins(0, 0, 10) + sign_ins(70, 10))
    assert rto(rec.requests, 0.0, 600.0, 0.99) == (60.0, 1.0)


def test_rto_without_a_fault_is_undefined(make_records):
    value, recovered = rto(make_records(requests=sign_ins(0, 10)).requests, math.nan, 600.0, 0.99)
    assert math.isnan(value) and math.isnan(recovered)


def test_rto_ignores_attackers_and_non_sign_ins(make_records):
    rows = minute_rows([(10, 0), (10, 0), (10, 0)])
    rows += [{"time_s": 130, "op": "guess", "attacker": True, "outcome": "wrong_password"}] * 5
    rows += [{"time_s": 130, "op": "refresh", "outcome": "region_down"}] * 5
    rec = make_records(requests=rows)
    assert rto(rec.requests, 120.0, 180.0, 0.99) == (0.0, 1.0)


def dns_rows(buckets, flip=200.0):
    """Per 10-s bucket from the flip: (to r2, to r1, to none)."""
    rows = []
    for j, (new, old, none) in enumerate(buckets):
        t0 = flip + 10 * j
        for i, region in enumerate(["r2"] * new + ["r1"] * old + ["none"] * none):
            rows.append({"time_s": t0 + i * 0.01, "op": "refresh", "region": region, "user": i})
    return rows


def test_dns_convergence_is_the_end_of_the_last_unconverged_bucket(make_records):
    rows = dns_rows([(50, 50, 0), (100, 0, 0), (98, 1, 1), (100, 0, 0), (100, 0, 0)])
    rows += [{"time_s": 199.0, "op": "refresh", "region": "r1"}] * 10  # before the flip
    rows += [{"time_s": 255.0, "op": "refresh", "region": "r1"}] * 10  # after the fault ends
    rows += [{"time_s": 215.0, "op": "guess", "attacker": True, "region": "r1"}] * 50  # no DNS
    rec = make_records(requests=rows)
    assert dns_convergence(rec.requests, 200.0, "r2", 250.0, 0.99) == 30.0
    # 99 of 100 is exactly converged; a lower bar converges sooner
    assert dns_convergence(rec.requests, 200.0, "r2", 250.0, 0.98) == 10.0


def test_dns_never_converged_is_censored_and_no_flip_is_undefined(make_records):
    rec = make_records(requests=dns_rows([(100, 0, 0), (90, 10, 0)]))
    assert dns_convergence(rec.requests, 200.0, "r2", 220.0, 0.99) == 20.0
    assert math.isnan(dns_convergence(rec.requests, math.nan, "r2", 220.0, 0.99))


def test_dns_share_moved_counts_the_bucket_after_the_delay(make_records):
    from drsim.metrics.recovery import dns_share_moved

    # Buckets from the flip at 200: 0–10 s, 10–20 s, ...; 60 s after is the 7th bucket.
    rows = dns_rows([(0, 100, 0)] * 6 + [(90, 8, 2), (100, 0, 0)])
    # Retries repeat the stale answer of a failed attempt: they do not count.
    rows += [{"time_s": 265.0, "op": "refresh", "region": "r1", "attempt": 1}] * 40
    rec = make_records(requests=rows)
    assert dns_share_moved(rec.requests, 200.0, "r2", 60.0, 300.0) == 0.9
    assert dns_share_moved(rec.requests, 200.0, "r2", 0.0, 300.0) == 0.0
    assert math.isnan(dns_share_moved(rec.requests, 200.0, "r2", 60.0, 265.0))  # past the end
    assert math.isnan(dns_share_moved(rec.requests, math.nan, "r2", 60.0, 300.0))


def test_parts_from_meta(make_records, make_scenario):
    rows = minute_rows([(10, 0)] * 2 + [(0, 10)] * 3 + [(10, 0)] * 5)
    for row in rows:  # after the flip, sign-ins reach the new region too
        row["region"] = "r2" if row["time_s"] >= 210 else "r1"
    rows += dns_rows([(50, 50, 0), (100, 0, 0)] + [(100, 0, 0)] * 10, flip=210.0)
    rec = make_records(
        requests=rows,
        meta={
            "fault_start_s": 120.0,
            "fault_end_s": 330.0,
            "detection_s": 200.0,
            "dns_flip_s": 210.0,
            "dns_flip_region": "r2",
            "promotion_start_s": 230.0,
            "writable_s": 260.0,
        },
    )
    m = recovery_metrics(rec.requests, run_facts(rec, make_scenario()), 0.99, 0.99)
    assert m["rto_s"] == 180.0
    assert m["rto_recovered"] == 1.0
    assert m["detection_s"] == 80.0
    assert m["decision_s"] == 30.0
    assert m["promotion_s"] == 30.0
    assert m["dns_convergence_s"] == 10.0


def test_parts_undefined_without_fault(make_records, make_scenario):
    rec = make_records(requests=sign_ins(0, 10), meta={"fault_start_s": None})
    m = recovery_metrics(rec.requests, run_facts(rec, make_scenario()), 0.99, 0.99)
    for name in (
        "rto_s",
        "rto_recovered",
        "detection_s",
        "decision_s",
        "promotion_s",
        "dns_convergence_s",
    ):
        assert math.isnan(m[name]), name


def test_facts_fall_back_to_events_then_scenario(make_records, make_scenario):
    scenario = make_scenario(
        faults=[{"kind": "region_outage", "region": "r1", "start": "100s", "duration": "5m"}]
    )
    events = [
        {"time_s": 0, "kind": "writable", "region": "r1"},
        {"time_s": 0, "kind": "dns_answer", "detail": "r1"},
        {"time_s": 0, "kind": "health", "region": "r1", "detail": "healthy"},
        {"time_s": 100, "kind": "fault_start", "detail": "region_outage", "value": 0},
        {"time_s": 160, "kind": "health", "region": "r1", "detail": "unhealthy"},
        {"time_s": 160, "kind": "dns_answer", "detail": "r2"},
        {"time_s": 170, "kind": "promotion_start", "region": "r2"},
        {"time_s": 200, "kind": "writable", "region": "r2"},
        {"time_s": 400, "kind": "fault_end", "value": 0},
        {"time_s": 450, "kind": "failback", "region": "r1"},
    ]
    f = run_facts(make_records(events=events), scenario)
    assert (f.fault_start_s, f.fault_end_s, f.detection_s) == (100.0, 400.0, 160.0)
    assert (f.dns_flip_s, f.dns_flip_region) == (160.0, "r2")
    assert (f.promotion_start_s, f.writable_s, f.failback_s) == (170.0, 200.0, 450.0)
    # meta wins over events
    f = run_facts(make_records(events=events, meta={"detection_s": 130.0}), scenario)
    assert f.detection_s == 130.0
    # no events: the fault window comes from the schedule; nothing else happened
    f = run_facts(make_records(), scenario)
    assert (f.fault_start_s, f.fault_end_s) == (100.0, 400.0)
    assert math.isnan(f.detection_s) and f.dns_flip_region is None


def test_fault_without_end_lasts_to_run_end(make_records, make_scenario):
    f = run_facts(make_records(meta={"fault_start_s": 50.0, "fault_end_s": None}), make_scenario())
    assert f.fault_window == (50.0, 600.0)
    f = run_facts(make_records(meta={"fault_start_s": 50.0, "fault_end_s": 1e9}), make_scenario())
    assert f.fault_window == (50.0, 600.0)
    f = run_facts(make_records(meta={"users_created": 7}), make_scenario())
    assert not f.has_fault and f.users_created == 7.0
    f = run_facts(
        make_records(requests=[{"op": "sign_up"}, {"op": "sign_up", "outcome": "read_only"}]),
        make_scenario(),
    )
    assert f.users_created == 1.0


def test_facts_without_anything_are_nan(make_records, make_scenario):
    f = run_facts(make_records(), make_scenario())
    assert not f.has_fault
    assert all(math.isnan(x) for x in (f.fault_start_s, f.fault_end_s, f.detection_s, f.dns_flip_s))
    assert f.duration_s == pytest.approx(600.0)


def test_dns_flip_region_from_the_event_at_the_meta_flip(make_records, make_scenario):
    events = [
        {"time_s": 0, "kind": "dns_answer", "detail": "r1", "value": 0},
        {"time_s": 95, "kind": "dns_answer", "detail": "r2", "value": 1},
        {"time_s": 300, "kind": "dns_answer", "detail": "r1", "value": 0},
    ]
    meta = {"fault_start_s": 60.0, "fault_end_s": 280.0, "dns_flip_s": 95.0}
    f = run_facts(make_records(events=events, meta=meta), make_scenario())
    assert (f.dns_flip_s, f.dns_flip_region) == (95.0, "r2")
    # no event at all: the promoted region, else the first secondary
    f = run_facts(make_records(meta=meta), make_scenario())
    assert f.dns_flip_region == "r2"


def test_dns_convergence_without_traffic_is_unknown_not_converged(make_records):
    from drsim.metrics.recovery import dns_convergence_state

    # Before the flip only: nothing after it to judge.
    rec = make_records(requests=[{"time_s": 100.0, "op": "refresh", "region": "r1"}] * 20)
    value, converged = dns_convergence_state(rec.requests, 200.0, "r2", 300.0, 0.99)
    assert math.isnan(value) and math.isnan(converged)
    # Thin windows (fewer than 10 requests) are unknown: the first judged one decides.
    rows = dns_rows([(0, 3, 0), (9, 0, 0), (10, 0, 0), (10, 0, 0)])
    rec = make_records(requests=rows)
    assert dns_convergence_state(rec.requests, 200.0, "r2", 240.0, 0.99) == (20.0, 1.0)
    assert dns_convergence_state(rec.requests, 200.0, "r2", 240.0, 0.99, 1) == (10.0, 1.0)


def test_dns_convergence_compares_counts_exactly(make_records):
    from drsim.metrics.recovery import dns_convergence_state

    # 97 of 100 moved is exactly 97 %: converged at 97 %, not at 97.01 %.
    rec = make_records(requests=dns_rows([(97, 3, 0)] * 3))
    assert dns_convergence_state(rec.requests, 200.0, "r2", 230.0, 0.97) == (0.0, 1.0)
    assert dns_convergence_state(rec.requests, 200.0, "r2", 230.0, 0.9701) == (30.0, 0.0)
    # 56 of 100 is 56 % (in floats 0.56 × 100 = 56.00000000000001 > 56)
    rec = make_records(requests=dns_rows([(56, 44, 0)] * 3))
    assert dns_convergence_state(rec.requests, 200.0, "r2", 230.0, 0.56) == (0.0, 1.0)


def test_rto_compares_with_the_baseline_exactly(make_records):
    from drsim.metrics.recovery import rto_curve

    # Baseline 90 % (18 of 20); after the fault at 60 s: 81 of 100 = exactly 90 % × 90 %.
    rows = sign_ins(0, 18, 2) + sign_ins(60, 0, 20) + sign_ins(120, 81, 19, step=0.1)
    rec = make_records(requests=rows)
    assert rto_curve(rec.requests, 60.0, 180.0, [0.9])[0.9] == (60.0, 1.0)
    assert rto_curve(rec.requests, 60.0, 180.0, [0.91])[0.91] == (120.0, 0.0)
