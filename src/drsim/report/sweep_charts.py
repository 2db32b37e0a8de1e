"""Sweep and comparison charts: how the cost of an outage moves with a design parameter.

* :func:`sweep_lines` — one varied parameter: each metric's mean against the
  parameter, with its 95 % confidence band;
* :func:`sweep_heatmap` — two varied parameters on a grid: each metric's mean
  in a cell per combination (the value printed in the cell, in the metric's
  unit);
* :func:`sweep_heatmaps_by` — three or more varied parameters on a grid: a heatmap
  of the first two per setting of the others, one shade scale per metric;
* :func:`sweep_scatter` — two sampled (Latin hypercube) parameters: each
  point placed by its parameters, shaded and labelled by the metric;
* :func:`compare_bars` — designs side by side: each metric's mean per design
  with 95 % CI whiskers.

Every function is pure: a DataFrame in (the ``points`` table of a sweep, or
the per-design estimates of a comparison), a :class:`matplotlib.figure.Figure`
out, drawn on the Agg canvas with no pyplot state. Shading runs from light to
dark and bars differ by hatch, so a grey-scale print stays readable; every
axis names its unit.

Shading is proportional to the value (:func:`shade_norm`): white is 0 and
black the largest value (a share runs 0 to 1), so a $0.30 spread around
$1,250 is two nearly equal shades, not black against white; every shaded
panel has a colour bar naming the metric and its unit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import CenteredNorm, Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from drsim.report.formatting import fmt_value, metric_kind
from drsim.report.run_charts import STYLE

HEADLINE_METRICS: tuple[str, ...] = (
    "failed_logins",
    "failed_login_users",
    "stale_reads",
    "lockout_extra_guesses",
    "rpo_lost_writes",
    "rto_s",
    "availability",
    "cost_per_month_usd",
)
"""Metrics charted by default (those present), in this order."""

MAX_PANELS = 8

_PARAM_UNITS = (("_per_s", "per s"), ("_frac", "fraction"), ("_usd", "US$"), ("_s", "s"))
_METRIC_UNITS = (
    ("_per_month_usd", "US$ per month"),
    ("_usd", "US$"),
    ("_fraction", "fraction"),
    ("_s", "s"),
)


def param_label(column: str) -> str:
    """Axis label of a parameter column: ``dns.ttl_s`` → ``dns.ttl (s)``."""
    for suffix, unit in _PARAM_UNITS:
        if column.endswith(suffix):
            return f"{column[: -len(suffix)]} ({unit})"
    return column


def metric_label(metric: str) -> str:
    """Axis label of a metric: ``rto_s`` → ``rto (s)``, ``failed_logins`` → ``failed_logins (count)``."""
    if metric == "availability":
        return "availability (fraction)"
    for suffix, unit in _METRIC_UNITS:
        if metric.endswith(suffix):
            return f"{metric[: -len(suffix)]} ({unit})"
    return f"{metric} (count)"


def chart_metrics(columns: Sequence[str], limit: int = MAX_PANELS) -> list[str]:
    """Metrics to chart: the headline ones present (by ``<metric>.mean`` column), else the first."""
    present = [c[: -len(".mean")] for c in columns if c.endswith(".mean")]
    chosen = [m for m in HEADLINE_METRICS if m in present]
    return (chosen or present)[:limit]


def _grid(n: int, width: float = 3.4, height: float = 2.6) -> tuple[Figure, list]:
    cols = {1: 1, 2: 2, 3: 3, 4: 2, 5: 3, 6: 3, 9: 3}.get(n, 4)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(n)]
    for ax in axes:
        ax.tick_params(labelsize=STYLE["font_size"])
        ax.grid(True, color=STYLE["grid_color"], linewidth=0.6)
        ax.set_axisbelow(True)
    return fig, axes


def _empty(message: str) -> Figure:
    fig = Figure(figsize=STYLE["figsize"])
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center")
    return fig


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def sweep_lines(points: pd.DataFrame, param: str, metrics: Sequence[str]) -> Figure:
    """Lines with 95 % CI bands: each metric's mean against one varied parameter.

    Args:
        points: The sweep's ``points`` table (``<metric>.mean/.ci95_lo/.ci95_hi`` columns).
        param: The parameter column (e.g. ``dns.ttl_s``); a text column is shown
            as categories in table order.
        metrics: Metric names to draw, one panel each.

    Returns:
        The figure.
    """
    if not metrics or points.empty:
        return _empty("no metrics to chart")
    fig, axes = _grid(len(metrics))
    numeric = _is_numeric(points[param])
    frame = points.sort_values(param, kind="stable") if numeric else points
    x = frame[param].to_numpy(dtype=float) if numeric else np.arange(len(frame))
    for ax, metric in zip(axes, metrics, strict=False):
        mean = frame[f"{metric}.mean"].to_numpy(dtype=float)
        lo = frame[f"{metric}.ci95_lo"].to_numpy(dtype=float)
        hi = frame[f"{metric}.ci95_hi"].to_numpy(dtype=float)
        ax.fill_between(x, lo, hi, color="#c8c8c8", linewidth=0, label="95 % CI")
        ax.plot(x, mean, color=STYLE["colors"][0], marker="o", markersize=4, linewidth=1.4,
                label="mean")
        ax.set_xlabel(param_label(param), fontsize=STYLE["font_size"])
        ax.set_ylabel(metric_label(metric), fontsize=STYLE["font_size"])
        if not numeric:
            ax.set_xticks(x, [str(v) for v in frame[param]])
    axes[0].legend(fontsize=STYLE["font_size"] - 1, frameon=False)
    fig.suptitle(f"Sweep over {param_label(param)}: mean and 95 % CI per point",
                 fontsize=STYLE["font_size"] + 1)
    return fig


def shade_norm(values: np.ndarray | Sequence[float], metric: str) -> tuple[Normalize, str]:
    """Colour normalisation and colour map that shade a metric in proportion to its value.

    The scale is anchored at 0, not at the smallest value, so the shade difference of two
    cells is their difference relative to the largest value: non-negative values run from
    0 (white) to the largest (black), a share (``pct`` kind, within 0..1) from 0 to 1,
    non-positive ones from the smallest to 0; values of both signs get a diverging map
    centred on 0.

    Args:
        values: The values shaded (NaN ignored).
        metric: The metric's name (for its kind).

    Returns:
        ``(norm, colour map name)``.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return Normalize(0.0, 1.0), "Greys"
    low, high = float(v.min()), float(v.max())
    if metric_kind(metric) == "pct" and low >= 0.0 and high <= 1.0:
        return Normalize(0.0, 1.0), "Greys"
    if low >= 0.0:
        return Normalize(0.0, high if high > 0 else 1.0), "Greys"
    if high <= 0.0:
        return Normalize(low, 0.0), "Greys"
    return CenteredNorm(0.0, max(-low, high)), "RdBu_r"


def _text_color(value: float, norm: Normalize, cmap: Colormap) -> str:
    """Black on light cells, white on dark ones (by the cell colour's luminance)."""
    if not np.isfinite(value):
        return "black"
    r, g, b, _ = cmap(float(np.clip(norm(value), 0.0, 1.0)))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def colorbar_scale(metric: str, values: np.ndarray | Sequence[float]
                   ) -> tuple[str, FuncFormatter, float]:
    """A colour bar's label (metric and unit), tick formatter and tick unit, in the
    metric's unit.

    Durations are written in s, min or h (by the largest value), shares in %, money in
    US$, counts with thousands separators. The tick unit is what one tick step is a
    round multiple of (60 for minutes, 3600 for hours, 1 otherwise).
    """
    kind = metric_kind(metric)
    name = metric_label(metric).rsplit(" (", 1)[0]
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    top = float(np.abs(v).max()) if v.size else 0.0
    if kind == "pct":
        return f"{name} (%)", FuncFormatter(lambda x, _pos: f"{100 * x:.4g} %"), 1.0
    if kind == "usd":
        return metric_label(metric), FuncFormatter(
            lambda x, _pos: f"${x:,.0f}" if top >= 100 else f"${x:,.2f}"), 1.0
    if kind == "s":
        unit, div = ("h", 3600.0) if top >= 7200 else ("min", 60.0) if top >= 120 else ("s", 1.0)
        return f"{name} ({unit})", FuncFormatter(lambda x, _pos: _number(x / div)), div
    return metric_label(metric), FuncFormatter(lambda x, _pos: _number(x)), 1.0


def _number(x: float) -> str:
    text = f"{x:,.0f}" if abs(x) >= 1000 or float(x).is_integer() else f"{x:.3g}"
    return text.replace("-", "−")


def _colorbar(fig: Figure, mappable: object, ax: object, metric: str,
              values: np.ndarray | Sequence[float]) -> None:
    label, formatter, step = colorbar_scale(metric, values)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.85)
    bar.set_label(label, fontsize=STYLE["font_size"] - 1)
    if step != 1.0:
        low, high = bar.mappable.norm.vmin, bar.mappable.norm.vmax
        ticks = MaxNLocator(6).tick_values(low / step, high / step) * step
        bar.set_ticks([t for t in ticks if low - 1e-9 <= t <= high + 1e-9])
    bar.ax.yaxis.set_major_formatter(formatter)
    bar.ax.tick_params(labelsize=STYLE["font_size"] - 1)


def sweep_heatmap(points: pd.DataFrame, x: str, y: str, metrics: Sequence[str]) -> Figure:
    """Heatmaps over a grid of two varied parameters: each metric's mean per cell.

    Args:
        points: The sweep's ``points`` table.
        x: Parameter column on the horizontal axis.
        y: Parameter column on the vertical axis.
        metrics: Metric names, one panel each.

    Returns:
        The figure: darker is higher, the shade proportional to the value on a scale
        from 0 (:func:`shade_norm`); each cell prints its mean in the metric's unit, each
        panel has a colour bar naming the metric and its unit.
    """
    if not metrics or points.empty:
        return _empty("no metrics to chart")
    fig, axes = _grid(len(metrics), width=3.9, height=3.0)
    xs, ys = _levels(points[x]), _levels(points[y])
    for ax, metric in zip(axes, metrics, strict=False):
        grid = _cells(points, x, y, xs, ys, metric)
        image = _draw_cells(ax, grid, xs, ys, x, y, metric, grid)
        ax.set_title(metric_label(metric), fontsize=STYLE["font_size"])
        _colorbar(fig, image, ax, metric, grid)
    fig.suptitle("Sweep: mean per point", fontsize=STYLE["font_size"] + 1)
    return fig


def _levels(column: pd.Series) -> list:
    """A parameter's values in axis order: ascending if numeric, else as first seen."""
    return list(pd.unique(column.sort_values(kind="stable") if _is_numeric(column)
                          else column))


def _cells(points: pd.DataFrame, x: str, y: str, xs: list, ys: list,
           metric: str) -> np.ndarray:
    """A metric's mean per (y, x) cell of the grid (NaN where no point)."""
    grid = np.full((len(ys), len(xs)), np.nan)
    for _, row in points.iterrows():
        grid[ys.index(row[y]), xs.index(row[x])] = row[f"{metric}.mean"]
    return grid


def _draw_cells(ax, grid: np.ndarray, xs: list, ys: list, x: str, y: str, metric: str,
                scale: np.ndarray):  # noqa: ANN001, ANN202 - matplotlib Axes, AxesImage
    """One heatmap panel: cells shaded on the scale of ``scale``'s values (shared by the
    panels one colour bar serves), each printing its mean in the metric's unit."""
    norm, cmap_name = shade_norm(scale, metric)
    cmap = colormaps[cmap_name]
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=norm, origin="lower",
                      aspect="auto")
    kind = metric_kind(metric)
    for i in range(len(ys)):
        for j in range(len(xs)):
            value = grid[i, j]
            ax.text(j, i, fmt_value(value, kind), ha="center", va="center",
                    fontsize=STYLE["font_size"] - 1, color=_text_color(value, norm, cmap))
    ax.set_xticks(range(len(xs)), [setting_text(v) for v in xs])
    ax.set_yticks(range(len(ys)), [setting_text(v) for v in ys])
    ax.set_xlabel(param_label(x), fontsize=STYLE["font_size"])
    ax.set_ylabel(param_label(y), fontsize=STYLE["font_size"])
    ax.grid(False)
    return image


MAX_FACETS = 6
"""Most panels per metric in a faceted heatmap (one per setting of the other parameters)."""

MAX_FACET_METRICS = 4
"""Most metrics (rows) in a faceted heatmap."""


def null_as_text(points: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """The points with a text parameter's missing values (a setting of ``null``, such as
    ``retry.budget=null,{}``) spelled ``null``: one more setting on a chart's axis, not a
    hole in the grid."""
    text = [p for p in params if not _is_numeric(points[p]) and points[p].isna().any()]
    if not text:
        return points
    return points.assign(**{p: points[p].astype(object).where(points[p].notna(), "null")
                            for p in text})


def facets(points: pd.DataFrame, params: Sequence[str]) -> list[tuple] | None:
    """The settings of ``params[2:]`` when the points are a full grid over every parameter
    and there are at most :data:`MAX_FACETS` of them (else None): one heatmap of
    ``params[0]`` × ``params[1]`` per setting."""
    rest = list(params[2:])
    if not rest or points.duplicated(list(params)).any():
        return None
    if len(points) != math.prod(points[p].nunique() for p in params):
        return None
    settings = list(itertools.product(*(_levels(points[p]) for p in rest)))
    return settings if len(settings) <= MAX_FACETS else None


def sweep_heatmaps_by(points: pd.DataFrame, params: Sequence[str],
                      metrics: Sequence[str]) -> Figure:
    """Three or more varied parameters on a full grid: a heatmap of the first two per
    setting of the others, one row per metric with one shade scale across the row (so a
    cell in one panel compares with any other), one colour bar per row.

    Args:
        points: The sweep's ``points`` table.
        params: The varied parameter columns; the first two are the axes.
        metrics: Metric names, one row each (at most :data:`MAX_FACET_METRICS`).

    Returns:
        The figure.
    """
    settings = facets(points, params)
    if not metrics or points.empty or settings is None:
        return _empty("no metrics to chart" if settings is not None else "not a full grid")
    x, y, rest = params[0], params[1], list(params[2:])
    metrics = list(metrics)[:MAX_FACET_METRICS]
    xs, ys = _levels(points[x]), _levels(points[y])
    fig = Figure(figsize=(3.6 * len(settings) + 0.8, 3.0 * len(metrics)), layout="constrained")
    FigureCanvasAgg(fig)
    chosen = [np.logical_and.reduce([points[p] == v for p, v in zip(rest, setting,
                                                                      strict=True)])
              for setting in settings]
    for row, metric in enumerate(metrics):
        grids = [_cells(points[mask], x, y, xs, ys, metric) for mask in chosen]
        scale = np.concatenate([g.ravel() for g in grids])
        for col, (setting, grid) in enumerate(zip(settings, grids, strict=True)):
            ax = fig.add_subplot(len(metrics), len(settings), row * len(settings) + col + 1)
            ax.tick_params(labelsize=STYLE["font_size"])
            image = _draw_cells(ax, grid, xs, ys, x, y, metric, scale)
            where = ", ".join(f"{param_label(p)} = {setting_text(v)}"
                              for p, v in zip(rest, setting, strict=True))
            ax.set_title(f"{metric_label(metric)}\n{where}", fontsize=STYLE["font_size"])
        _colorbar(fig, image, ax, metric, scale)
    fig.suptitle("Sweep: mean per point, one panel per "
                 + " × ".join(param_label(p) for p in rest), fontsize=STYLE["font_size"] + 1)
    return fig


def sweep_scatter(points: pd.DataFrame, x: str, y: str, metrics: Sequence[str]) -> Figure:
    """Sampled points of two parameters, shaded (and labelled) by each metric's mean.

    Args:
        points: The sweep's ``points`` table.
        x: Parameter column on the horizontal axis.
        y: Parameter column on the vertical axis.
        metrics: Metric names, one panel each.

    Returns:
        The figure.
    """
    if not metrics or points.empty:
        return _empty("no metrics to chart")
    fig, axes = _grid(len(metrics), width=3.9, height=3.0)
    for ax, metric in zip(axes, metrics, strict=False):
        values = points[f"{metric}.mean"].to_numpy(dtype=float)
        norm, cmap_name = shade_norm(values, metric)
        shown = ax.scatter(points[x], points[y], c=values, cmap=cmap_name, norm=norm,
                           edgecolors="black", linewidths=0.6, s=60)
        ax.set_xlabel(param_label(x), fontsize=STYLE["font_size"])
        ax.set_ylabel(param_label(y), fontsize=STYLE["font_size"])
        ax.set_title(metric_label(metric), fontsize=STYLE["font_size"])
        _colorbar(fig, shown, ax, metric, values)
    fig.suptitle("Sweep (sampled points): mean per point", fontsize=STYLE["font_size"] + 1)
    return fig


def setting_text(value: object) -> str:
    """A swept parameter's value as the sweep's user wrote it: whole numbers without a
    decimal point, 4 significant digits otherwise, ``null`` for a setting that was null
    (a missing value in the points table)."""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "null"
        if float(value).is_integer():
            return str(int(value))
        return f"{float(value):.4g}"
    return "null" if value is None else str(value)


def _is_full_grid(points: pd.DataFrame, x: str, y: str) -> bool:
    nx, ny = points[x].nunique(), points[y].nunique()
    return nx * ny == len(points) and not points.duplicated([x, y]).any()


def sweep_figures(points: pd.DataFrame, kinds: Mapping[str, str]) -> dict[str, Figure]:
    """The charts that fit a sweep: lines for one parameter, heatmap (or scatter) for two.

    Args:
        points: The sweep's ``points`` table.
        kinds: Kind of each varied parameter column (``duration``, ``count``, ``text`` …).

    Returns:
        ``{file stem: figure}``; for three or more varied parameters a faceted heatmap
        when they form a full grid of few enough settings (:func:`facets`), else empty.
    """
    params = list(kinds)
    points = null_as_text(points, params)
    metrics = chart_metrics(list(points.columns))
    if len(params) == 1:
        return {"sweep_lines": sweep_lines(points, params[0], metrics)}
    if len(params) == 2:
        x, y = params
        if _is_full_grid(points, x, y):
            return {"sweep_heatmap": sweep_heatmap(points, x, y, metrics)}
        if all(kinds[p] != "text" for p in params):
            return {"sweep_scatter": sweep_scatter(points, x, y, metrics)}
    elif facets(points, params) is not None:
        return {"sweep_heatmaps_by": sweep_heatmaps_by(points, params, metrics)}
    return {}


def compare_bars(estimates: pd.DataFrame, metrics: Sequence[str] | None = None) -> Figure:
    """Designs side by side: each metric's mean per design with 95 % CI whiskers.

    Args:
        estimates: Long table with columns ``design``, ``metric``, ``mean``,
            ``ci95_lo``, ``ci95_hi`` (one row per design × metric).
        metrics: Metrics to draw, one panel each; default the headline metrics present.

    Returns:
        The figure (bars differ by hatch and shade, whiskers are black).
    """
    if metrics is None:
        present = list(pd.unique(estimates["metric"]))
        metrics = [m for m in HEADLINE_METRICS if m in present] or present[:MAX_PANELS]
    if not metrics or estimates.empty:
        return _empty("no metrics to chart")
    designs = list(pd.unique(estimates["design"]))
    fig, axes = _grid(len(metrics), width=3.6 + 0.3 * len(designs), height=3.2)
    shades = ("#f0f0f0", "#a0a0a0", "#606060", "#d0d0d0", "#303030", "#808080")
    for ax, metric in zip(axes, metrics, strict=False):
        rows = estimates[estimates["metric"] == metric].set_index("design")
        for i, design in enumerate(designs):
            if design not in rows.index:
                continue
            mean = float(rows.at[design, "mean"])
            lo, hi = float(rows.at[design, "ci95_lo"]), float(rows.at[design, "ci95_hi"])
            if not np.isfinite(mean):
                continue
            yerr = None
            if np.isfinite(lo) and np.isfinite(hi):
                yerr = [[max(0.0, mean - lo)], [max(0.0, hi - mean)]]
            ax.bar(i, mean, color=shades[i % len(shades)], edgecolor="black",
                   hatch=STYLE["hatches"][i % len(STYLE["hatches"])], linewidth=0.8)
            if yerr is not None:
                ax.errorbar(i, mean, yerr=yerr, color="black", capsize=4, linewidth=1.0)
        ax.set_xticks(range(len(designs)), designs, rotation=20, ha="right",
                      fontsize=STYLE["font_size"] - 1)
        ax.set_ylabel(metric_label(metric), fontsize=STYLE["font_size"])
        ax.set_title(metric, fontsize=STYLE["font_size"])
    fig.suptitle("Designs compared on the same traffic: mean and 95 % CI",
                 fontsize=STYLE["font_size"] + 1)
    return fig
