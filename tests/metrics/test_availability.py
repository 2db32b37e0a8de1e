"""Availability and the per-minute timelines."""

import math

import numpy as np
import pandas as pd
import pytest

from drsim.metrics.availability import availability_metrics, signin_success_by_minute, timeline
from drsim.metrics.facts import run_facts


def rows():
    return [
        {"time_s": 10, "outcome": "ok", "region": "r1"},
        {"time_s": 20, "outcome": "ok", "region": "r1"},
        {"time_s": 65, "outcome": "region_down", "region": "r1"},
        {"time_s": 70, "outcome": "ok", "region": "r2", "op": "federated_sign_in"},
        {"time_s": 75, "outcome": "dns_unavailable", "region": "none"},
        {"time_s": 130, "outcome": "ok", "region": "r2"},
        {"time_s": 30, "op": "refresh", "outcome": "ok", "region": "r1"},
        {
            "time_s": 66,
            "op": "guess",
            "attacker": True,
            "outcome": "wrong_password",
            "region": "r1",
        },
    ]


def test_availability_over_the_run_and_the_fault(make_records, make_scenario):
    rec = make_records(requests=rows(), meta={"fault_start_s": 60.0, "fault_end_s": 120.0})
    m = availability_metrics(rec.requests, run_facts(rec, make_scenario()))
    assert m["availability"] == pytest.approx(4 / 6)
    assert m["availability_during_fault"] == pytest.approx(1 / 3)
    assert m["sign_ins_total"] == 6
    assert m["requests_total"] == 7
    assert m["attack_requests_total"] == 1


def test_availability_without_fault_or_sign_ins(make_records, make_scenario):
    rec = make_records(requests=rows())
    m = availability_metrics(rec.requests, run_facts(rec, make_scenario()))
    assert math.isnan(m["availability_during_fault"])
    empty = make_records()
    m = availability_metrics(empty.requests, run_facts(empty, make_scenario()))
    assert math.isnan(m["availability"])
    assert m["sign_ins_total"] == 0


def test_timeline_long_format(make_records):
    t = timeline(make_records(requests=rows()))
    assert list(t.columns) == ["minute", "region", "outcome", "count"]
    got = [(int(m), str(r), str(o), int(c)) for m, r, o, c in t.itertuples(index=False)]
    assert got == [
        (0, "r1", "ok", 3),
        (1, "r1", "region_down", 1),
        (1, "r2", "ok", 1),
        (1, "none", "dns_unavailable", 1),
        (2, "r2", "ok", 1),
    ]
    with_attackers = timeline(make_records(requests=rows()), include_attackers=True)
    assert int(with_attackers["count"].sum()) == 8
    halves = timeline(make_records(requests=rows()), bucket_s=30.0)
    assert sorted(set(halves["minute"])) == [0.0, 0.5, 1.0, 2.0]


def test_signin_success_by_minute(make_records):
    s = signin_success_by_minute(make_records(requests=rows()))
    assert list(s.columns) == ["r1", "r2"]  # "none" is no region's line
    assert list(s.index) == [0, 1, 2]
    expected = pd.DataFrame({"r1": [1.0, 0.0, np.nan], "r2": [np.nan, 1.0, 1.0]}, index=[0, 1, 2])
    np.testing.assert_array_equal(s.to_numpy(), expected.to_numpy())
