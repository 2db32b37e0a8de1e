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
    # linear interpolation: position 0.99·(3−1) = 1.98 → 2 + 0.98·(4 − 2)
    assert m["staleness_p99_s"] == pytest.approx(3.96)
    assert m["staleness_max_s"] == 4.0


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
