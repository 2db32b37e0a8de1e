"""Design-review charts: pure DataFrame → Figure functions, units on every axis, known contents."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drsim.report import review_charts as rc


def _est(mean, lo=None, hi=None):
    return {"mean": mean, "ci95": [lo, hi]}


def _units(fig: Figure) -> None:
    """Every visible axis with data has a label naming its unit or, for categories, none."""
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        if ax.get_label() == "<colorbar>":
            continue
        assert "(" in ax.get_xlabel() or "(" in ax.get_ylabel(), (ax.get_xlabel(),
                                                                  ax.get_ylabel())


def test_recovery_frames_lay_the_phases_end_to_end():
    metrics = {"detection_s": _est(80.0), "decision_s": _est(10.0), "promotion_s": _est(30.0),
               "dns_convergence_s": _est(600.0), "rto_s": _est(900.0, 840.0, 960.0),
               "rpo_lost_writes.profile": _est(3.0, 1.0, 5.0), "rpo_lost_writes.user": _est(0.0)}
    phases, rpo = rc.recovery_frames(metrics, flip_offset_s=85.0)
    assert phases[["phase", "start_s", "end_s"]].values.tolist() == [
        ["detection", 0.0, 80.0], ["decision", 80.0, 90.0], ["promotion", 90.0, 120.0],
        ["DNS convergence", 85.0, 685.0], ["RTO (sign-ins recovered)", 0.0, 900.0]]
    assert rpo.set_index("kind")["mean"].to_dict() == {"sign-ups": 0.0, "profile updates": 3.0}
    fig = rc.recovery_chart(phases, rpo)
    _units(fig)
    assert fig.axes[0].get_xlabel() == "time since the fault started (min, mean over runs)"


def test_cost_frame_and_chart():
    frame = rc.cost_frame({"a": {"cost_replication_per_month_usd": _est(2.0),
                                 "cost_baseline_per_month_usd": _est(8.0)},
                           "b": {"cost_baseline_per_month_usd": _est(8.0)}})
    assert frame.set_index("design").sum(axis=1).to_dict() == {"a": 10.0, "b": 8.0}
    fig = rc.cost_chart(frame)
    _units(fig)
    # two components drawn (the all-zero M2M one is left out), one bar per design each
    assert len(fig.axes[0].patches) == 4


def test_cost_risk_chart_places_each_design():
    estimates = pd.DataFrame([
        ("a", "cost_per_month_usd", 10.0, 9.0, 11.0), ("a", "failed_logins", 100.0, 90.0, 110.0),
        ("a", "lockout_extra_guesses", 5.0, 4.0, 6.0),
        ("b", "cost_per_month_usd", 20.0, 20.0, 20.0), ("b", "failed_logins", 50.0, 40.0, 60.0),
        ("b", "lockout_extra_guesses", 0.0, 0.0, 0.0),
    ], columns=["design", "metric", "mean", "ci95_lo", "ci95_hi"])
    frame = rc.cost_risk_frame(estimates)
    assert frame.set_index("design")["failed_logins"].to_dict() == {"a": 100.0, "b": 50.0}
    fig = rc.cost_risk_chart(frame)
    _units(fig)
    left = fig.axes[0]
    data_lines = [container.lines[0] for container in left.containers]
    points = sorted((float(line.get_xdata()[0]), float(line.get_ydata()[0]))
                    for line in data_lines)
    assert points == [(10.0, 100.0), (20.0, 50.0)]
    assert left.get_xlabel() == "cost (US$ per month)"


def test_paired_differences_and_sweep_lines():
    diffs = pd.DataFrame([("b", "rto_s", -20.0, -30.0, -10.0), ("c", "rto_s", 5.0, -5.0, 15.0)],
                         columns=["design", "metric", "mean", "ci95_lo", "ci95_hi"])
    _units(rc.paired_differences_chart(diffs, "a", ["rto_s"]))
    points = pd.DataFrame({
        "dns.ttl_s": [20.0, 60.0, 20.0, 60.0], "health_check.interval_s": [10.0, 10.0, 30.0, 30.0],
        "rto_s.mean": [1.0, 2.0, 3.0, 4.0], "rto_s.ci95_lo": [0.5, 1.5, 2.5, 3.5],
        "rto_s.ci95_hi": [1.5, 2.5, 3.5, 4.5]})
    fig = rc.sweep_lines_by(points, "dns.ttl_s", "health_check.interval_s", ["rto_s"])
    _units(fig)
    ax = fig.axes[0]
    lines = [line for line in ax.lines if len(line.get_xdata()) == 2]
    assert [list(np.asarray(line.get_ydata())) for line in lines] == [[1.0, 2.0], [3.0, 4.0]]
    assert ax.get_xlabel() == "dns.ttl (s)" and ax.get_ylabel() == "rto (s)"
