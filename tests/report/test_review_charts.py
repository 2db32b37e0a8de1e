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


# --------------------------------------------------------------------------- axes span the data


def _inside(ax, values_x, values_y) -> None:
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for v in values_x:
        assert x0 < v < x1, (v, (x0, x1))
    for v in values_y:
        assert y0 < v < y1, (v, (y0, y1))


def _close_to_the_data(limits, values, times: float = 3.0) -> None:
    low, high = min(values), max(values)
    span = high - low
    assert limits[0] >= low - times * span and limits[1] <= high + times * span, (limits, values)


def test_cost_risk_axes_span_the_data_and_close_designs_stay_apart():
    # three designs around $1,250 a month and 3,000 failed sign-ins: far from 0, close together
    rows = []
    for name, cost, failed, guesses in (("a", 1250.0, 2950.0, 40.0), ("b", 1250.3, 2980.0, 41.0),
                                        ("c", 1251.0, 3010.0, 43.0)):
        rows += [(name, "cost_per_month_usd", cost, cost - 0.2, cost + 0.2),
                 (name, "failed_logins", failed, failed - 15.0, failed + 15.0),
                 (name, "lockout_extra_guesses", guesses, guesses - 1.0, guesses + 1.0)]
    frame = rc.cost_risk_frame(pd.DataFrame(rows, columns=["design", "metric", "mean", "ci95_lo",
                                                           "ci95_hi"]))
    fig = rc.cost_risk_chart(frame)
    _units(fig)
    for ax, metric in zip(fig.axes[:2], ["failed_logins", "lockout_extra_guesses"], strict=True):
        xs = [*frame["cost_per_month_usd"], *frame["cost_per_month_usd.lo"],
              *frame["cost_per_month_usd.hi"]]
        ys = [*frame[metric], *frame[f"{metric}.lo"], *frame[f"{metric}.hi"]]
        _inside(ax, xs, ys)
        _close_to_the_data(ax.get_xlim(), xs)
        _close_to_the_data(ax.get_ylim(), ys)
        # an axis that leaves 0 out says so
        assert "axis not from 0" in ax.get_xlabel() and "axis not from 0" in ax.get_ylabel()
        # each design is labelled beside its point
        labels = " ".join(t.get_text() for t in ax.texts)
        assert all(f"{n}" in labels for n in (1, 2, 3)), labels


def test_cost_risk_axis_keeps_zero_when_it_is_near_the_data():
    rows = [("a", "cost_per_month_usd", 10.0, 9.0, 11.0), ("a", "failed_logins", 0.0, 0.0, 0.0),
            ("b", "cost_per_month_usd", 20.0, 19.0, 21.0), ("b", "failed_logins", 50.0, 40.0, 60.0)]
    frame = rc.cost_risk_frame(pd.DataFrame(rows, columns=["design", "metric", "mean", "ci95_lo",
                                                           "ci95_hi"]))
    ax = rc.cost_risk_chart(frame).axes[0]
    _inside(ax, [0.0, 9.0, 21.0], [0.0, 60.0])
    assert ax.get_xlabel() == "cost (US$ per month)"
    assert ax.get_ylabel() == "failed sign-ins (count per run)"
    # designs drawn on top of each other share one label
    same = rc.cost_risk_frame(pd.DataFrame(
        [("a", "cost_per_month_usd", 10.0, 10.0, 10.0), ("a", "failed_logins", 5.0, 5.0, 5.0),
         ("b", "cost_per_month_usd", 10.0, 10.0, 10.0), ("b", "failed_logins", 5.0, 5.0, 5.0)],
        columns=["design", "metric", "mean", "ci95_lo", "ci95_hi"]))
    assert [t.get_text() for t in rc.cost_risk_chart(same).axes[0].texts] == ["(1, 2)"]


def test_data_limits():
    assert rc.data_limits([np.nan]) is None
    low, high = rc.data_limits([1250.0, 1250.3])
    assert 1249.9 < low < 1250.0 and 1250.3 < high < 1250.4
    low, high = rc.data_limits([10.0, 20.0])
    assert low < 0.0 < 10.0 < 20.0 < high < 22.0
    low, high = rc.data_limits([5.0, 5.0])
    assert low < 0.0 and high > 5.0


def test_paired_differences_span_zero_and_every_whisker_and_label_each_value():
    diffs = pd.DataFrame([("b", "cost_per_month_usd", 0.82, 0.52, 1.12),
                          ("c", "cost_per_month_usd", -2380.1, -2381.6, -2378.6),
                          ("d", "cost_per_month_usd", -558.2, -559.4, -557.1)],
                         columns=["design", "metric", "mean", "ci95_lo", "ci95_hi"])
    ax = rc.paired_differences_chart(diffs, "a", ["cost_per_month_usd"]).axes[0]
    _inside(ax, [0.0, *diffs["ci95_lo"], *diffs["ci95_hi"]], [])
    _close_to_the_data(ax.get_xlim(), [0.0, *diffs["ci95_lo"], *diffs["ci95_hi"]], times=0.2)
    # the $0.82 difference can be read next to the $2,380 one
    assert sorted(t.get_text() for t in ax.texts) == ["+$0.82", "−$2,380", "−$558"]


def test_bars_from_zero_leave_room_for_their_labels_and_whiskers():
    costs = rc.cost_frame({"a": {"cost_baseline_per_month_usd": _est(1250.0)},
                           "b": {"cost_baseline_per_month_usd": _est(1250.3)}})
    ax = rc.cost_chart(costs).axes[0]
    assert ax.get_xlim()[0] == 0.0 and ax.get_xlim()[1] >= 1.1 * 1250.3
    phases, rpo = rc.recovery_frames({"detection_s": _est(60.0), "rto_s": _est(900.0, 840.0,
                                                                                1200.0),
                                      "rpo_lost_writes.user": _est(3.0, 1.0, 6.0)})
    left, right = rc.recovery_chart(phases, rpo).axes[:2]
    assert left.get_xlim()[0] == 0.0 and left.get_xlim()[1] >= 1.1 * 1200.0 / 60.0
    assert right.get_ylim()[0] == 0.0 and right.get_ylim()[1] > 6.0
