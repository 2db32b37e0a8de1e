"""Overload metrics against hand answers: a region offered twice its capacity."""

from __future__ import annotations

import numpy as np

from drsim.metrics.compute import compute_metrics
from drsim.metrics.overload import overload_metrics, overload_timeline
from drsim.model import simulate

from .conftest import build_scenario
from .test_overload import app, one_region


def test_timeline_of_a_region_offered_twice_its_capacity():
    """Sign-ins at 60/s, 2 vCPUs serving 30/s, no timeouts: offered 60/s, utilisation 2,
    goodput 30/s (completions), no timeouts, no retries; the median latency grows by
    60 s a minute (2 s of work arrive each second, 1 s is served). A minute's arrivals
    are Poisson (3600 ± 60, i.e. ± 2 s of work): a difference of two has an SD ≈ 2.8 s."""
    scenario = one_region(2.0, 60.0, "20m", app())
    records = simulate(scenario, 0)
    timeline = overload_timeline(records, scenario)
    assert list(timeline.region.unique()) == ["r1"] and len(timeline) == 20
    steady = timeline.iloc[1:19]
    assert np.allclose(steady.offered_per_s, 60.0, rtol=0.05)
    assert np.allclose(steady.utilisation, steady.offered_per_s / 30.0)
    assert np.all(np.abs(steady.goodput_per_s - 30.0) <= 1 / 60)
    assert (timeline.timeouts_per_s == 0).all() and (timeline.attempts_per_first_attempt == 1).all()
    growth = np.diff(steady.latency_p50_s.to_numpy())
    assert np.all(np.abs(growth - 60.0) <= 4 * 2.83), growth
    metrics = overload_metrics(records, scenario)
    assert metrics["overloaded_minutes.r1"] == 20 and metrics["timeouts"] == 0
    assert metrics["attempts_per_first_attempt"] == 1.0


def test_timeouts_are_counted_and_metrics_appear_only_when_modelled():
    scenario = one_region(2.0, 60.0, "5m", app(timeout="10s"))
    records = simulate(scenario, 0)
    metrics = compute_metrics(records, scenario)
    assert metrics["timeouts"] == (records.requests.outcome == "timeout").sum() > 0
    assert metrics["failed_logins.timeout"] == metrics["timeouts"]
    assert metrics["latency_p99_s"] == 10.0
    plain = build_scenario(traffic={"sign_in": "5/s"})
    assert "timeouts" not in compute_metrics(simulate(plain, 0), plain)
