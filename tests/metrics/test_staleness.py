"""Stale profile reads: counts, fraction and staleness quantiles."""

import math

import pytest

from drsim.metrics.staleness import stale_read_metrics


def test_stale_reads_fraction_and_quantiles(make_records):
    read = {"op": "profile_read"}
    rec = make_records(
        requests=[
            {**read, "user": 1},
            {**read, "user": 2},
            {**read, "user": 3, "stale": True, "staleness_s": 1.0},
            {**read, "user": 4, "stale": True, "staleness_s": 2.0},
            {**read, "user": 5, "stale": True, "staleness_s": 4.0},
            # excluded: failed read, attacker, other operation
            {**read, "user": 6, "outcome": "region_down", "stale": True, "staleness_s": 100.0},
            {**read, "user": 7, "attacker": True, "stale": True, "staleness_s": 100.0},
            {"op": "profile_update", "user": 8, "stale": True, "staleness_s": 100.0},
        ]
    )
    m = stale_read_metrics(rec.requests)
    assert m["stale_reads"] == 3
    assert m["profile_reads_ok"] == 5
    assert m["stale_read_fraction"] == pytest.approx(0.6)
    assert m["staleness_p50_s"] == 2.0
    # three stale reads are too few for a 99th percentile (it needs 100): not the maximum
    assert math.isnan(m["staleness_p99_s"])
    assert m["staleness_max_s"] == 4.0


@pytest.mark.parametrize(("n", "p99"), [(99, None), (100, 98.01), (101, 99.0)])
def test_a_p99_needs_a_hundred_stale_reads(make_records, n, p99):
    """⌈1 / (1 − q)⌉ observations, so that the top 1 % holds at least one; linear
    interpolation: position 0.99·(n − 1) over ages 0, 1, …, n − 1."""
    rows = [{"op": "profile_read", "user": k, "stale": True, "staleness_s": float(k)}
            for k in range(n)]
    m = stale_read_metrics(make_records(requests=rows).requests)
    if p99 is None:
        assert math.isnan(m["staleness_p99_s"])
    else:
        assert m["staleness_p99_s"] == pytest.approx(p99)
    assert m["staleness_max_s"] == n - 1


def test_too_few_stale_reads_say_why(make_records, make_scenario):
    from drsim.metrics.notes import metric_notes

    rows = [{"op": "profile_read", "user": 1, "stale": True, "staleness_s": 60.0}]
    records = make_records(requests=rows)
    values = stale_read_metrics(records.requests)
    notes = metric_notes(records, make_scenario(), values)
    assert notes["staleness_p99_s"] == ("only 1 stale profile read: a 99th percentile needs "
                                        "at least 100")
    assert notes["staleness_p50_s"].endswith("a 50th percentile needs at least 2")


def test_no_stale_read_gives_zero_count_and_undefined_ages(make_records):
    rec = make_records(requests=[{"op": "profile_read"}] * 4)
    m = stale_read_metrics(rec.requests)
    assert m["stale_reads"] == 0
    assert m["stale_read_fraction"] == 0.0
    assert math.isnan(m["staleness_p50_s"])
    assert math.isnan(m["staleness_p99_s"])
    assert math.isnan(m["staleness_max_s"])


def test_no_successful_read_makes_fraction_undefined(make_records):
    rec = make_records(requests=[{"op": "profile_read", "outcome": "region_down"}])
    m = stale_read_metrics(rec.requests)
    assert m["stale_reads"] == 0
    assert math.isnan(m["stale_read_fraction"])


def test_stale_reads_by_cause(make_records):
    """The first write the reader missed: in flight (lag), discarded at promotion (lost),
    or no record at all (other)."""
    from drsim.metrics.staleness import stale_read_causes

    stale = {"op": "profile_read", "region": "r2", "stale": True, "staleness_s": 1.0}
    rec = make_records(
        requests=[{**stale, "user": 1, "time_s": 10.0},   # write at 9 applies at 12: lag
                  {**stale, "user": 2, "time_s": 10.0},   # write at 5 lost, at 8 in flight
                  {**stale, "user": 3, "time_s": 10.0},   # no profile record to r2
                  {**stale, "user": 4, "time_s": 10.0},   # applied before the read: other
                  {"op": "profile_read", "region": "r2", "user": 5, "time_s": 10.0}],
        writes=[
            {"write_id": 0, "time_s": 9.0, "user": 1, "kind": "profile", "target": "r2",
             "applied_s": 12.0},
            {"write_id": 1, "time_s": 5.0, "user": 2, "kind": "profile", "target": "r2",
             "applied_s": float("nan"), "lost": True, "stuck": True},
            {"write_id": 2, "time_s": 8.0, "user": 2, "kind": "profile", "target": "r2",
             "applied_s": 11.0},
            {"write_id": 3, "time_s": 9.0, "user": 3, "kind": "credential", "target": "r2",
             "applied_s": 12.0},
            {"write_id": 4, "time_s": 4.0, "user": 4, "kind": "profile", "target": "r2",
             "applied_s": 6.0},
        ])
    counts = {k: v for k, v in stale_read_causes(rec.requests, rec.writes).items()
              if k.startswith("stale_reads.")}
    assert counts == {"stale_reads.replication_lag": 1.0, "stale_reads.lost_at_promotion": 1.0,
                      "stale_reads.failback_backlog": 0.0, "stale_reads.other": 2.0}


def test_staleness_age_quantiles_by_cause(make_records):
    """Each cause's ages on their own: ten lag reads aged 1..10 s give p50 5.5 s and
    p90 9.1 s (linear interpolation), p99 NaN (needs 100); two lost reads a median; a
    cause without reads NaN throughout."""
    from drsim.metrics.staleness import STALE_CAUSES, stale_read_causes

    stale = {"op": "profile_read", "region": "r2", "stale": True, "time_s": 10.0}
    lag = [{**stale, "user": u, "staleness_s": float(u)} for u in range(1, 11)]
    lost = [{**stale, "user": u, "staleness_s": age} for u, age in ((20, 100.0), (21, 300.0))]
    writes = [{"write_id": u, "time_s": 9.0, "user": u, "kind": "profile", "target": "r2",
               "applied_s": 12.0} for u in range(1, 11)]
    writes += [{"write_id": u, "time_s": 1.0, "user": u, "kind": "profile", "target": "r2",
                "lost": True, "stuck": True} for u in (20, 21)]
    rec = make_records(requests=[*lost, *lag], writes=writes)
    m = stale_read_causes(rec.requests, rec.writes)
    assert m["staleness_p50_s.replication_lag"] == pytest.approx(5.5)
    assert m["staleness_p90_s.replication_lag"] == pytest.approx(9.1)
    assert math.isnan(m["staleness_p99_s.replication_lag"])
    assert m["staleness_p50_s.lost_at_promotion"] == pytest.approx(200.0)
    assert math.isnan(m["staleness_p90_s.lost_at_promotion"])
    assert all(math.isnan(m[f"staleness_{q}_s.other"]) for q in ("p50", "p90", "p99"))
    assert {k.split(".")[1] for k in m if k.startswith("staleness_")} == set(STALE_CAUSES)


def test_a_write_missed_after_its_region_failed_back_is_failback_backlog(make_records):
    """The write missed first was acknowledged before the reading region failed back and
    had not applied by the read: the reverse backlog (catch_up: replicate). Missed writes
    acknowledged after the failback, or read before it, are replication lag."""
    from drsim.metrics.staleness import stale_read_causes

    stale = {"op": "profile_read", "region": "r1", "stale": True, "staleness_s": 1.0}
    rec = make_records(
        requests=[{**stale, "user": 1, "time_s": 30.0},   # acked at 5, failback at 20
                  {**stale, "user": 2, "time_s": 30.0},   # acked at 25, after the failback
                  {**stale, "user": 3, "time_s": 15.0},   # read before the failback
                  {**stale, "user": 4, "time_s": 30.0, "region": "r2"}],  # r2 did not
        writes=[{"write_id": i, "time_s": ack, "user": i + 1, "kind": "profile",
                 "origin": origin, "target": target, "applied_s": 40.0}
                for i, (ack, origin, target) in enumerate(
                    [(5.0, "r2", "r1"), (25.0, "r2", "r1"), (5.0, "r2", "r1"),
                     (5.0, "r1", "r2")])],
        events=[{"time_s": 20.0, "kind": "failback", "region": "r1"}])
    counts = {k: v for k, v in stale_read_causes(rec.requests, rec.writes, rec.events).items()
              if k.startswith("stale_reads.")}
    assert counts == {
        "stale_reads.replication_lag": 3.0, "stale_reads.lost_at_promotion": 0.0,
        "stale_reads.failback_backlog": 1.0, "stale_reads.other": 0.0}


@pytest.mark.parametrize(("mean", "words"), [
    ({"stale_reads": 0.0}, "No stale profile read"),
    ({"stale_reads": 3.0, "stale_reads.lost_at_promotion": 3.0}, "Every stale read came from "
     "a transition"),
    ({"stale_reads": 4.0, "stale_reads.replication_lag": 3.0, "stale_reads.failback_backlog":
      1.0}, "75 % of stale reads came from replication lag in normal operation, 25 % from "
     "transitions"),
])
def test_where_stale_reads_came_from_is_said_whatever_the_count(mean, words):
    from drsim.metrics.staleness import staleness_origin_words

    assert staleness_origin_words(mean).startswith(words)
