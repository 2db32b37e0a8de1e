"""Sweep and comparison charts: pure DataFrame → Figure functions with units on the axes."""

from __future__ import annotations

import itertools

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
    sweep_heatmaps_by,
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


def test_two_sampled_parameters_give_a_scatter_and_three_sampled_give_nothing():
    points = _points([20.0, 60.0, 90.0])
    points["health_check.interval_s"] = [10.0, 25.0, 30.0]
    kinds = {"dns.ttl_s": "duration", "health_check.interval_s": "duration"}
    assert list(sweep_figures(points, kinds)) == ["sweep_scatter"]
    points["x"] = [1, 2, 3]
    assert sweep_figures(points, {**kinds, "x": "count"}) == {}  # not a grid


def test_three_parameters_on_a_grid_give_one_heatmap_per_setting_of_the_third():
    """lag × TTL × health-check interval: a TTL × lag heatmap per interval, each cell its
    point's mean, one shade scale per metric across the row."""
    grid = list(itertools.product([20.0, 60.0], [1.0, 5.0, 30.0], [10.0, 30.0]))
    points = _points([a + b + c for a, b, c in grid])
    points["dns.ttl_s"], points["replication.lag_s"], points["health_check.interval_s"] = (
        zip(*grid, strict=True))
    kinds = dict.fromkeys(["dns.ttl_s", "replication.lag_s", "health_check.interval_s"],
                          "duration")
    assert list(sweep_figures(points, kinds)) == ["sweep_heatmaps_by"]
    fig = sweep_heatmaps_by(points, list(kinds), ["failed_logins"])
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert [ax.get_title().splitlines()[1] for ax in panels] == [
        "health_check.interval (s) = 10", "health_check.interval (s) = 30"]
    for ax, interval in zip(panels, [10.0, 30.0], strict=True):
        cells = np.asarray(ax.get_images()[0].get_array())
        assert cells.tolist() == [[100.0 + ttl + lag + interval for ttl in (20.0, 60.0)]
                                  for lag in (1.0, 5.0, 30.0)]
        assert ax.get_xlabel() == "dns.ttl (s)" and ax.get_ylabel() == "replication.lag (s)"
    norms = {(ax.get_images()[0].norm.vmin, ax.get_images()[0].norm.vmax) for ax in panels}
    assert len(norms) == 1  # one scale across the row
    assert sweep_figures(points.iloc[1:], kinds) == {}  # a point missing: not a full grid


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


# --------------------------------------------------------------------------- honest shading


def _cost_grid(values):
    rows = []
    for (ttl, interval), value in zip([(20.0, 10.0), (60.0, 10.0), (20.0, 30.0), (60.0, 30.0)],
                                      values, strict=True):
        rows.append({"dns.ttl_s": ttl, "health_check.interval_s": interval,
                     "cost_per_month_usd.mean": value, "cost_per_month_usd.ci95_lo": value,
                     "cost_per_month_usd.ci95_hi": value, "rto_s.mean": 1200.0 + ttl,
                     "rto_s.ci95_lo": 1100.0, "rto_s.ci95_hi": 1400.0,
                     "availability.mean": 0.8 + interval / 1000, "availability.ci95_lo": 0.7,
                     "availability.ci95_hi": 0.9})
    return pd.DataFrame(rows)


def _colorbars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def _luminance(colour) -> float:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b


def test_heatmap_shading_is_proportional_and_labelled_in_the_unit():
    # $0.375 apart around $1,250 (0.03 %): two nearly equal shades, not black against white
    points = _cost_grid([1250.0, 1250.375, 1250.2, 1250.1])
    fig = sweep_heatmap(points, "dns.ttl_s", "health_check.interval_s",
                        ["cost_per_month_usd", "rto_s", "availability"])
    ax = fig.axes[0]
    norm = ax.get_images()[0].norm
    assert abs(float(norm(1250.375)) - float(norm(1250.0))) < 0.05
    assert norm.vmin == 0.0
    # a colour bar on every panel, naming the metric and its unit
    labels = [bar.get_ylabel() for bar in _colorbars(fig)]
    assert labels == ["cost (US$ per month)", "rto (min)", "availability (%)"]
    # cells written in the metric's unit, readable on their shade
    assert sorted(t.get_text() for t in ax.texts) == ["$1,250"] * 4
    rto, availability = fig.axes[1], fig.axes[2]
    assert sorted(t.get_text() for t in rto.texts) == ["20.3 min", "20.3 min", "21 min", "21 min"]
    assert sorted(t.get_text() for t in availability.texts) == ["81.00 %", "81.00 %", "83.00 %",
                                                                "83.00 %"]
    for panel in fig.axes[:3]:
        image = panel.get_images()[0]
        for text in panel.texts:
            j, i = (round(c) for c in text.get_position())
            cell = image.cmap(image.norm(image.get_array()[i, j]))
            assert abs(_luminance(text.get_color()) - _luminance(cell)) > 0.4


def test_heatmap_shade_is_the_value_over_the_largest():
    # large differences stay visible, and half the value is half the shade
    points = _cost_grid([200.0, 1000.0, 500.0, 250.0])
    ax = sweep_heatmap(points, "dns.ttl_s", "health_check.interval_s",
                       ["cost_per_month_usd"]).axes[0]
    norm = ax.get_images()[0].norm
    assert [round(float(norm(v)), 9) for v in (200.0, 500.0, 1000.0)] == [0.2, 0.5, 1.0]


def test_scatter_shading_is_proportional_too():
    from drsim.report.sweep_charts import sweep_scatter

    points = _cost_grid([1250.0, 1250.375, 1250.2, 1250.1])
    fig = sweep_scatter(points, "dns.ttl_s", "health_check.interval_s", ["cost_per_month_usd"])
    norm = fig.axes[0].collections[0].norm
    assert abs(float(norm(1250.375)) - float(norm(1250.0))) < 0.05
    assert [bar.get_ylabel() for bar in _colorbars(fig)] == ["cost (US$ per month)"]


def test_a_null_setting_is_a_setting_of_its_own():
    """`--param 'retry.budget=null,{}'`: the points table holds a missing value for null;
    the grid is still full and the panel says `null`."""
    grid = list(itertools.product([3.0, 6.0], [0.0, 0.1], [None, "{}"]))
    points = _points([a for a, _, _ in grid])
    points["regions.1.capacity.vcpus"] = [a for a, _, _ in grid]
    points["clients.0.retry.backoff_s"] = [b for _, b, _ in grid]
    points["clients.0.retry.budget"] = [c for _, _, c in grid]
    kinds = {"regions.1.capacity.vcpus": "count", "clients.0.retry.backoff_s": "duration",
             "clients.0.retry.budget": "text"}
    fig = sweep_figures(points, kinds)["sweep_heatmaps_by"]
    titles = [ax.get_title().splitlines()[1] for ax in fig.axes if ax.get_images()]
    assert titles[:2] == ["clients.0.retry.budget = null", "clients.0.retry.budget = {}"]
