"""Sweep and comparison charts: pure DataFrame → Figure functions with units on the axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drsim.report.sweep_charts import (
    chart_metrics,
    compare_bars,
    metric_label,
    param_label,
    sweep_figures,
    sweep_heatmap,
)


def _points(ttls, scopes=None):
    rows = []
    for i, ttl in enumerate(ttls):
        for j, scope in enumerate(scopes or [None]):
            mean = 100.0 + ttl + 10 * j
            row = {"point": f"p{i}{j}", "dns.ttl_s": ttl, "runs_ok": 2, "runs_failed": 0,
                   "failed_logins.mean": mean, "failed_logins.ci95_lo": mean - 5,
                   "failed_logins.ci95_hi": mean + 5, "rto_s.mean": 400.0 + ttl,
                   "rto_s.ci95_lo": 390.0 + ttl, "rto_s.ci95_hi": 410.0 + ttl}
            if scope is not None:
                row["lockout.scope"] = scope
            rows.append(row)
    return pd.DataFrame(rows)


def test_labels_carry_units():
    assert param_label("dns.ttl_s") == "dns.ttl (s)"
    assert param_label("traffic.sign_in_per_s") == "traffic.sign_in (per s)"
    assert param_label("users.federated_frac") == "users.federated (fraction)"
    assert param_label("lockout.scope") == "lockout.scope"
    assert metric_label("rto_s") == "rto (s)"
    assert metric_label("cost_per_month_usd") == "cost (US$ per month)"
    assert metric_label("failed_logins") == "failed_logins (count)"


def test_one_parameter_gives_lines_with_a_band_per_metric():
    points = _points([20.0, 60.0, 120.0])
    figures = sweep_figures(points, {"dns.ttl_s": "duration"})
    assert list(figures) == ["sweep_lines"]
    fig = figures["sweep_lines"]
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    ax = fig.axes[0]
    assert ax.get_xlabel() == "dns.ttl (s)" and ax.get_ylabel() == "failed_logins (count)"
    line = ax.get_lines()[0]
    assert line.get_xdata().tolist() == [20.0, 60.0, 120.0]
    assert line.get_ydata().tolist() == [120.0, 160.0, 220.0]
    assert len(ax.collections) == 1  # the CI band


def test_two_parameters_on_a_grid_give_a_heatmap_with_values_in_cells():
    points = _points([20.0, 60.0], ["region", "global"])
    figures = sweep_figures(points, {"dns.ttl_s": "duration", "lockout.scope": "text"})
    assert list(figures) == ["sweep_heatmap"]
    fig = sweep_heatmap(points, "dns.ttl_s", "lockout.scope", ["failed_logins"])
    ax = fig.axes[0]
    image = ax.get_images()[0].get_array()
    assert np.asarray(image).tolist() == [[120.0, 160.0], [130.0, 170.0]]
    assert sorted(t.get_text() for t in ax.texts) == ["120", "130", "160", "170"]
    assert ax.get_xlabel() == "dns.ttl (s)" and ax.get_ylabel() == "lockout.scope"
    assert image.min() >= 0 and ax.get_images()[0].get_cmap().name == "Greys"


def test_two_sampled_parameters_give_a_scatter_and_three_give_nothing():
    points = _points([20.0, 60.0, 90.0])
    points["health_check.interval_s"] = [10.0, 25.0, 30.0]
    kinds = {"dns.ttl_s": "duration", "health_check.interval_s": "duration"}
    assert list(sweep_figures(points, kinds)) == ["sweep_scatter"]
    points["x"] = [1, 2, 3]
    assert sweep_figures(points, {**kinds, "x": "count"}) == {}


def test_chart_metrics_prefer_the_headline_ones():
    assert chart_metrics(["zzz.mean", "rto_s.mean", "failed_logins.mean"]) == ["failed_logins",
                                                                              "rto_s"]
    assert chart_metrics(["zzz.mean"]) == ["zzz"]


def test_compare_bars_draw_means_with_ci_whiskers_and_hatches():
    estimates = pd.DataFrame([
        {"design": "a", "metric": "failed_logins", "mean": 100.0, "ci95_lo": 90.0,
         "ci95_hi": 110.0},
        {"design": "b", "metric": "failed_logins", "mean": 80.0, "ci95_lo": 75.0,
         "ci95_hi": 85.0},
        {"design": "a", "metric": "rto_s", "mean": 400.0, "ci95_lo": np.nan, "ci95_hi": np.nan},
        {"design": "b", "metric": "rto_s", "mean": 300.0, "ci95_lo": 290.0, "ci95_hi": 310.0},
    ])
    fig = compare_bars(estimates)
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [100.0, 80.0]
    assert ax.patches[0].get_hatch() != ax.patches[1].get_hatch()
    assert ax.get_ylabel() == "failed_logins (count)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    from matplotlib.container import ErrorbarContainer

    whiskers = [
        [float(y) for _, y in c.lines[2][0].get_segments()[0]]
        for c in ax.containers if isinstance(c, ErrorbarContainer)
    ]
    assert whiskers == [[90.0, 110.0], [75.0, 85.0]]
    # a design without a CI gets its bar but no whisker
    rto = fig.axes[1]
    assert len(rto.patches) == 2
    assert sum(isinstance(c, ErrorbarContainer) for c in rto.containers) == 1
