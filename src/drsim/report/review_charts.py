"""Design-review charts: recovery, cost, cost against risk, paired differences, sweep lines.

The pictures a review needs beyond the run charts (:mod:`drsim.report.run_charts`)
and the sweep charts (:mod:`drsim.report.sweep_charts`), in the same style:

* :func:`recovery_chart` — where the RTO went (detection, decision,
  promotion, DNS convergence on a time line from the fault start) and what the
  RPO put at risk (writes by kind);
* :func:`cost_chart` — monthly cost by component, per design;
* :func:`cost_risk_chart` — monthly cost against failed sign-ins and against
  extra attacker guesses, one point per design, 95 % CIs both ways;
* :func:`paired_differences_chart` — each design minus the baseline with its
  paired 95 % CI, zero marked;
* :func:`sweep_lines_by` — a metric against one swept parameter, one line
  (with its CI band) per value of the other.

Every function is pure: DataFrame in, :class:`~matplotlib.figure.Figure` out
(Agg canvas, no pyplot). Series differ by marker and dash as well as shade,
bars by hatch; every axis names its unit.

Axes scale to their data (:func:`data_limits`): a point chart's axis spans
its points and their CI whiskers with a margin, and keeps 0 only when 0 is
near the data; an axis that does not start at 0 says so in its label. Bars
start at 0 (their length is the value) and leave room for their labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drsim.report.formatting import fmt_signed, metric_kind
from drsim.report.run_charts import STYLE, _empty_note, new_figure, series_style
from drsim.report.sweep_charts import metric_label, param_label, setting_text

PHASES: tuple[tuple[str, str], ...] = (
    ("detection_s", "detection"),
    ("decision_s", "decision"),
    ("promotion_s", "promotion"),
    ("dns_convergence_s", "DNS convergence"),
)
"""RTO parts: (metric, label), in incident order."""

RPO_KINDS: tuple[tuple[str, str], ...] = (
    ("user", "sign-ups"),
    ("credential", "password changes"),
    ("profile", "profile updates"),
    ("revocation", "revocations"),
    ("disable", "disables"),
)

COST_PARTS: tuple[tuple[str, str], ...] = (
    ("cost_replication_per_month_usd", "replication add-on"),
    ("cost_baseline_per_month_usd", "baseline"),
    ("cost_m2m_per_month_usd", "machine-to-machine tokens"),
)

GREYS = ("#f0f0f0", "#a0a0a0", "#606060", "#d0d0d0", "#303030", "#808080")
PHASE_SHADES = ("#d0d0d0", "#a0a0a0", "#f0f0f0", "#b8b8b8")


def _mean(metrics: Mapping[str, Mapping[str, Any]], name: str) -> float:
    entry = metrics.get(name) or {}
    value = entry.get("mean")
    return float(value) if value is not None else float("nan")


def _ci(metrics: Mapping[str, Mapping[str, Any]], name: str) -> tuple[float, float]:
    entry = metrics.get(name) or {}
    lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
    return (float(lo) if lo is not None else float("nan"),
            float(hi) if hi is not None else float("nan"))


# --------------------------------------------------------------------------- axis limits

MARGIN = 0.08
"""Room left on either side of the data, as a share of the axis's data span."""

NOT_FROM_ZERO = "axis not from 0"
"""Said in the label of an axis whose range leaves 0 out."""


def data_limits(values: Sequence[float] | np.ndarray, margin: float = MARGIN
                ) -> tuple[float, float] | None:
    """Axis limits that span the finite ``values`` (means and CI bounds) with a margin.

    0 is kept in range when it is near the data (no further from it than the data's
    span), so a cost of $10 to $20 is drawn from $0 but $1,250.0 to $1,250.3 is drawn
    zoomed; all-equal values are drawn from 0.

    Returns:
        ``(low, high)``, or None when no value is finite.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return None
    low, high = float(v.min()), float(v.max())
    span = high - low
    if low > 0 and (low <= span or span == 0):
        low = 0.0
    elif high < 0 and (-high <= span or span == 0):
        high = 0.0
    span = high - low
    pad = margin * span if span > 0 else 1.0
    return low - pad, high + pad


def _zoomed(limits: tuple[float, float]) -> bool:
    """Whether the axis leaves 0 out."""
    return limits[0] > 0 or limits[1] < 0


def _zoom_label(label: str, limits: tuple[float, float] | None) -> str:
    """``cost (US$ per month)`` → ``cost (US$ per month)`` and ``(axis not from 0)`` on a
    second line, when the axis leaves 0 out."""
    if limits is None or not _zoomed(limits):
        return label
    return f"{label}\n({NOT_FROM_ZERO})"


def _bar_limit(ends: Sequence[float] | np.ndarray, room: float = 0.15) -> float:
    """Right (or top) limit of bars from 0: the longest bar or whisker plus room for labels."""
    v = np.asarray(ends, dtype=float)
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else 0.0
    return top * (1.0 + room) if top > 0 else 1.0


def _label_points(ax: Any, points: Sequence[tuple[float, float, str]],
                  gap_pt: float = 10.0) -> None:
    """Label points beside them, legibly when they crowd.

    Points drawn on top of each other (closer than ``gap_pt``) share one label,
    ``(1, 4)``; labels that would overlap are moved apart vertically, with a thin leader
    line to their point. Call once the axis limits are final.
    """
    if not points:
        return
    fig = ax.figure
    fig.draw_without_rendering()
    to_pt = 72.0 / fig.dpi
    box = ax.get_window_extent()
    display = ax.transData.transform(np.array([(x, y) for x, y, _ in points], dtype=float))
    at = display * to_pt
    groups: list[list[int]] = []
    for i in range(len(points)):
        for group in groups:
            if np.all(np.abs(at[group[0]] - at[i]) < gap_pt):
                group.append(i)
                break
        else:
            groups.append([i])
    right_edge = (box.x0 + 0.82 * box.width) * to_pt
    placed: list[tuple[float, float, float]] = []  # (text y, x from, x to) in points
    line_pt = STYLE["font_size"] + 2.0
    for group in sorted(groups, key=lambda g: (at[g[0]][1], at[g[0]][0])):
        x_pt, y_pt = at[group[0]]
        text = "(" + ", ".join(points[i][2] for i in group) + ")"
        width = 0.62 * STYLE["font_size"] * len(text)
        left_side = x_pt > right_edge
        x_from = x_pt - 7 - width if left_side else x_pt + 7
        text_y = y_pt + 3
        for other_y, a, b in sorted(placed):
            if a < x_from + width and x_from < b and abs(other_y - text_y) < line_pt:
                text_y = other_y + line_pt
        placed.append((text_y, x_from, x_from + width))
        moved = abs(text_y - (y_pt + 3)) > 1
        x0, y0 = points[group[0]][:2]
        ax.annotate(text, (x0, y0), xytext=(-7 if left_side else 7, text_y - y_pt),
                    textcoords="offset points", ha="right" if left_side else "left",
                    va="center", fontsize=STYLE["font_size"] - 1,
                    arrowprops={"arrowstyle": "-", "color": "#707070", "linewidth": 0.6,
                                "shrinkA": 0, "shrinkB": 4} if moved else None)


# --------------------------------------------------------------------------- recovery


def recovery_frames(
    metrics: Mapping[str, Mapping[str, Any]], flip_offset_s: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The RTO time line and the RPO by kind from a summary's metrics.

    Args:
        metrics: ``{metric: {"mean", "ci95"}}``.
        flip_offset_s: Mean time from the fault start to the DNS flip (s); the
            DNS convergence bar starts there (default: at the end of detection).

    Returns:
        ``(phases, rpo)``: phases has ``phase, start_s, end_s, ci_low_s, ci_high_s``
        (seconds after the fault start; the last row is the RTO itself), rpo has
        ``kind, mean, ci_low, ci_high`` (writes).
    """
    rows = []
    at = 0.0
    detection_end = np.nan
    for name, label in PHASES[:3]:
        d = _mean(metrics, name)
        if np.isfinite(d):
            rows.append({"phase": label, "start_s": at, "end_s": at + d})
            at += d
            if name == "detection_s":
                detection_end = at
    dns = _mean(metrics, "dns_convergence_s")
    if np.isfinite(dns):
        start = flip_offset_s if flip_offset_s is not None and np.isfinite(flip_offset_s) else (
            detection_end if np.isfinite(detection_end) else 0.0)
        rows.append({"phase": "DNS convergence", "start_s": start, "end_s": start + dns})
    rto = _mean(metrics, "rto_s")
    if np.isfinite(rto):
        lo, hi = _ci(metrics, "rto_s")
        rows.append({"phase": "RTO (sign-ins recovered)", "start_s": 0.0, "end_s": rto,
                     "ci_low_s": lo, "ci_high_s": hi})
    phases = pd.DataFrame(rows, columns=["phase", "start_s", "end_s", "ci_low_s", "ci_high_s"])
    rpo_rows = []
    for kind, label in RPO_KINDS:
        name = f"rpo_lost_writes.{kind}"
        if name in metrics:
            lo, hi = _ci(metrics, name)
            rpo_rows.append({"kind": label, "mean": _mean(metrics, name), "ci_low": lo,
                             "ci_high": hi})
    rpo = pd.DataFrame(rpo_rows, columns=["kind", "mean", "ci_low", "ci_high"])
    return phases, rpo


def recovery_chart(phases: pd.DataFrame, rpo: pd.DataFrame,
                   title: str = "Where the RTO went, and what the RPO put at risk") -> Figure:
    """Left: the incident's phases on a time line from the fault start (min), the RTO with
    its 95 % CI; right: acknowledged writes missing at promotion, by kind (count).

    Args:
        phases: Columns ``phase, start_s, end_s`` and optionally ``ci_low_s, ci_high_s``
            (seconds after the fault start), as :func:`recovery_frames`.
        rpo: Columns ``kind, mean`` and optionally ``ci_low, ci_high`` (writes per run).
        title: Figure title.

    Returns:
        The figure.
    """
    fig, (left, right) = new_figure(1, 2, figsize=(STYLE["figsize"][0] + 2.5, 3.6),
                                    gridspec_kw={"width_ratios": [1.7, 1.0]})
    if len(phases):
        frame = phases.iloc[::-1].reset_index(drop=True)
        y = np.arange(len(frame))
        starts = frame["start_s"].to_numpy(dtype=float) / 60.0
        widths = (frame["end_s"].to_numpy(dtype=float) - frame["start_s"].to_numpy(
            dtype=float)) / 60.0
        for i in range(len(frame)):
            is_rto = str(frame["phase"].iloc[i]).startswith("RTO")
            left.barh(y[i], widths[i], left=starts[i], height=0.6,
                      color="#404040" if is_rto else PHASE_SHADES[i % len(PHASE_SHADES)],
                      edgecolor="#1a1a1a", linewidth=0.8,
                      hatch="" if is_rto else STYLE["hatches"][(i + 1) % len(STYLE["hatches"])])
            label = _minutes(widths[i])
            left.annotate(label, (starts[i] + widths[i], y[i]), xytext=(4, 0),
                          textcoords="offset points", va="center",
                          fontsize=STYLE["font_size"] - 1)
        if "ci_low_s" in frame.columns:
            lo = frame["ci_low_s"].to_numpy(dtype=float) / 60.0
            hi = frame["ci_high_s"].to_numpy(dtype=float) / 60.0
            ends = starts + widths
            have = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
            if have.any():
                err = np.vstack([np.clip(ends - lo, 0, None), np.clip(hi - ends, 0, None)])
                left.errorbar(ends[have], y[have], xerr=err[:, have], fmt="none",
                              ecolor="#1a1a1a", capsize=4, linewidth=1.0, label="95 % CI")
                left.legend(fontsize=STYLE["font_size"] - 1, loc="lower right")
        left.set_yticks(y, frame["phase"].astype(str))
        ends_all = list(starts + widths)
        if "ci_low_s" in frame.columns:
            ends_all += list(frame["ci_high_s"].to_numpy(dtype=float) / 60.0)
        left.set_xlim(0, _bar_limit(ends_all, room=0.18))
    else:
        _empty_note(left, "no fault: nothing to recover from")
        left.set_yticks([])
    left.set_xlabel("time since the fault started (min, mean over runs)")
    left.set_title("RTO and its parts", fontsize=STYLE["font_size"] + 1)
    if len(rpo) and float(np.nansum(rpo["mean"].to_numpy(dtype=float))) > 0:
        x = np.arange(len(rpo))
        means = rpo["mean"].to_numpy(dtype=float)
        bars = right.bar(x, means, color=STYLE["bar_color"], edgecolor="#1a1a1a", linewidth=0.8)
        for i, bar in enumerate(bars):
            bar.set_hatch(STYLE["hatches"][(i + 1) % len(STYLE["hatches"])])
        if {"ci_low", "ci_high"} <= set(rpo.columns):
            lo = rpo["ci_low"].to_numpy(dtype=float)
            hi = rpo["ci_high"].to_numpy(dtype=float)
            have = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
            if have.any():
                err = np.vstack([np.clip(means - lo, 0, None), np.clip(hi - means, 0, None)])
                right.errorbar(x[have], means[have], yerr=err[:, have], fmt="none",
                               ecolor="#1a1a1a", capsize=4, linewidth=1.0)
        right.set_xticks(x, rpo["kind"].astype(str), rotation=25, ha="right")
        tops = list(means)
        if {"ci_low", "ci_high"} <= set(rpo.columns):
            tops += list(rpo["ci_high"].to_numpy(dtype=float))
        right.set_ylim(0, _bar_limit(tops, room=0.08))
    else:
        _empty_note(right, "no write at risk at promotion")
        right.set_xticks([])
    right.set_ylabel("writes at risk (count per run)")
    right.set_title("RPO by kind of write", fontsize=STYLE["font_size"] + 1)
    fig.suptitle(title, fontsize=STYLE["font_size"] + 2)
    return fig


def _minutes(value: float) -> str:
    if not np.isfinite(value):
        return ""
    if value < 1:
        return f"{value * 60:.0f} s"
    return f"{value:.1f} min"


# --------------------------------------------------------------------------- cost


def cost_frame(per_design: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> pd.DataFrame:
    """Monthly cost components per design: ``design`` and one column per component (US$)."""
    rows = []
    for design, metrics in per_design.items():
        row: dict[str, Any] = {"design": design}
        for name, label in COST_PARTS:
            value = _mean(metrics, name)
            row[label] = value if np.isfinite(value) else 0.0
        rows.append(row)
    return pd.DataFrame(rows, columns=["design", *[label for _, label in COST_PARTS]])


def cost_chart(costs: pd.DataFrame, title: str = "Cost per month by component") -> Figure:
    """Stacked horizontal bars: each design's monthly cost by component (US$ per month).

    Args:
        costs: Column ``design`` and one numeric column per component (US$ per month),
            as :func:`cost_frame`; all-zero components are left out.
        title: Figure title.

    Returns:
        The figure.
    """
    parts = [c for c in costs.columns if c != "design" and float(costs[c].abs().sum()) > 0]
    height = max(2.6, 0.55 * len(costs) + 1.9)
    fig, ax = new_figure(figsize=(STYLE["figsize"][0], height))
    if not len(costs) or not parts:
        _empty_note(ax, "no cost recorded")
        ax.set_yticks([])
    else:
        frame = costs.iloc[::-1].reset_index(drop=True)
        y = np.arange(len(frame))
        left = np.zeros(len(frame))
        for i, part in enumerate(parts):
            values = frame[part].to_numpy(dtype=float)
            ax.barh(y, values, left=left, height=0.6, color=GREYS[(i + 1) % len(GREYS)],
                    edgecolor="#1a1a1a", linewidth=0.8,
                    hatch=STYLE["hatches"][i % len(STYLE["hatches"])], label=part)
            left += values
        for yi, total in zip(y, left, strict=True):
            ax.annotate(f"${total:,.0f}", (total, yi), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=STYLE["font_size"] - 1)
        ax.set_yticks(y, frame["design"].astype(str))
        ax.set_xlim(0, _bar_limit(left))
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                   ncols=len(parts), fontsize=STYLE["font_size"] - 1, frameon=False)
    ax.set_xlabel("cost (US$ per month)")
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- cost against risk

RISKS: tuple[tuple[str, str], ...] = (
    ("failed_logins", "failed sign-ins (count per run)"),
    ("lockout_extra_guesses", "extra attacker guesses (count per run)"),
)


def cost_risk_frame(estimates: pd.DataFrame) -> pd.DataFrame:
    """Wide table for :func:`cost_risk_chart` from the long ``design, metric, mean, ci95_lo,
    ci95_hi`` table: ``design`` and ``<metric>``, ``<metric>.lo``, ``<metric>.hi`` for cost
    and each risk."""
    wanted = ["cost_per_month_usd", *[m for m, _ in RISKS]]
    rows = []
    for design in pd.unique(estimates["design"]):
        sub = estimates[estimates["design"] == design].set_index("metric")
        row: dict[str, Any] = {"design": design}
        for metric in wanted:
            if metric in sub.index:
                row[metric] = float(sub.at[metric, "mean"])
                row[f"{metric}.lo"] = float(sub.at[metric, "ci95_lo"])
                row[f"{metric}.hi"] = float(sub.at[metric, "ci95_hi"])
            else:
                row[metric] = row[f"{metric}.lo"] = row[f"{metric}.hi"] = np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def cost_risk_chart(frame: pd.DataFrame,
                    title: str = "Cost against risk: one point per design") -> Figure:
    """Monthly cost (x) against failed sign-ins and against extra guesses (y), with 95 % CIs.

    Args:
        frame: Columns ``design``, ``cost_per_month_usd`` and, per risk metric,
            the mean and its ``.lo``/``.hi`` bounds, as :func:`cost_risk_frame`.
        title: Figure title.

    Returns:
        The figure: two panels, every design a distinct marker (named in the legend) and
        labelled with its number beside it (one label for designs drawn on top of each
        other); each axis spans the points and their whiskers (:func:`data_limits`).
    """
    fig, axes = new_figure(1, len(RISKS), figsize=(STYLE["figsize"][0] + 3.0, 4.2))
    designs = list(frame["design"]) if len(frame) else []
    labels_per_axis = []
    for ax, (metric, label) in zip(axes, RISKS, strict=True):
        if not designs or metric not in frame.columns:
            _empty_note(ax, f"no {metric}")
        xs: list[float] = []
        ys: list[float] = []
        named: list[tuple[float, float, str]] = []
        for i, design in enumerate(designs):
            row = frame.iloc[i]
            x, y = float(row["cost_per_month_usd"]), float(row.get(metric, np.nan))
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            style = series_style(i)
            xerr = _err(x, row.get("cost_per_month_usd.lo"), row.get("cost_per_month_usd.hi"))
            yerr = _err(y, row.get(f"{metric}.lo"), row.get(f"{metric}.hi"))
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt=style["marker"], color=style["color"],
                        markersize=8, markeredgecolor="#1a1a1a", ecolor="#505050", capsize=3,
                        linewidth=1.0, label=design)
            xs += [x, *_whisker_ends(x, xerr)]
            ys += [y, *_whisker_ends(y, yerr)]
            named.append((x, y, str(i + 1)))
        xlim, ylim = data_limits(xs), data_limits(ys)
        if xlim is not None and ylim is not None:
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
        ax.set_xlabel(_zoom_label("cost (US$ per month)", xlim))
        ax.set_ylabel(_zoom_label(label, ylim))
        labels_per_axis.append(named)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, [f"({i + 1}) {name}" for i, name in enumerate(labels)],
                   loc="outside lower center", ncols=min(3, len(labels)),
                   fontsize=STYLE["font_size"] - 1, frameon=False)
    fig.suptitle(title + " (lower left is better)", fontsize=STYLE["font_size"] + 2)
    for ax, named in zip(axes, labels_per_axis, strict=True):
        _label_points(ax, named)
    return fig


def _whisker_ends(centre: float, err: list[list[float]] | None) -> list[float]:
    """Where a point's whiskers end (none without an interval)."""
    if err is None:
        return []
    return [centre - err[0][0], centre + err[1][0]]


def _err(centre: float, lo: Any, hi: Any) -> list[list[float]] | None:
    try:
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        return None
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return None
    return [[max(0.0, centre - lo)], [max(0.0, hi - centre)]]


# --------------------------------------------------------------------------- paired differences


def paired_differences_chart(diffs: pd.DataFrame, baseline: str,
                             metrics: Sequence[str] | None = None,
                             first_style: int = 1) -> Figure:
    """Each design minus the baseline, per metric: the paired mean difference and its 95 % CI.

    Args:
        diffs: Long table ``design, metric, mean, ci95_lo, ci95_hi`` of paired differences.
        baseline: The baseline's name (for the title and the zero line).
        metrics: Metrics to draw (one panel each); default every metric in ``diffs``.
        first_style: Series style of the first design (1: style 0 is the baseline's, so a
            design keeps the marker it has in :func:`cost_risk_chart`).

    Returns:
        The figure; a CI that crosses the dashed zero line is not significant. Each axis
        spans 0 and every point with its whiskers; each point is labelled with its value,
        so a small difference next to a large one can still be read.
    """
    metrics = list(metrics if metrics is not None else pd.unique(diffs["metric"]))
    designs = list(pd.unique(diffs["design"])) if len(diffs) else []
    if not metrics or not designs:
        fig, ax = new_figure()
        _empty_note(ax, "no paired differences")
        ax.set_axis_off()
        return fig
    cols = min(3, len(metrics))
    rows = int(np.ceil(len(metrics) / cols))
    fig, axes = new_figure(rows, cols, figsize=(3.6 * cols, 0.45 * len(designs) * rows + 1.6
                                                * rows))
    axes = np.atleast_1d(axes).ravel()
    for ax, metric in zip(axes, metrics, strict=False):
        sub = diffs[diffs["metric"] == metric].set_index("design")
        y = np.arange(len(designs))[::-1]
        spans: list[float] = []
        for i, design in enumerate(designs):
            if design not in sub.index:
                continue
            mean = float(sub.at[design, "mean"])
            lo, hi = float(sub.at[design, "ci95_lo"]), float(sub.at[design, "ci95_hi"])
            style = series_style(i + first_style)
            xerr = _err(mean, lo, hi)
            ax.errorbar(mean, y[i], xerr=xerr, fmt=style["marker"], color=style["color"],
                        markeredgecolor="#1a1a1a", ecolor="#1a1a1a", capsize=3, markersize=6)
            ax.annotate(fmt_signed(mean, metric_kind(metric)), (mean, y[i]), xytext=(0, 6),
                        textcoords="offset points", ha="center", va="bottom",
                        fontsize=STYLE["font_size"] - 2)
            spans += [mean, *_whisker_ends(mean, xerr)]
        ax.axvline(0.0, color="#505050", linestyle="--", linewidth=1.0)
        low, high = data_limits([0.0, *spans]) or (-1.0, 1.0)
        ax.set_xlim(low, high)
        ax.set_yticks(y, designs, fontsize=STYLE["font_size"] - 1)
        ax.set_ylim(-0.7, len(designs) - 0.3)
        ax.set_xlabel(f"Δ {metric_label(metric)}", fontsize=STYLE["font_size"])
        ax.set_title(metric, fontsize=STYLE["font_size"])
    for ax in axes[len(metrics):]:
        ax.set_axis_off()
    fig.suptitle(f"Paired difference against {baseline} (mean and 95 % CI; dashed: no "
                 "difference)", fontsize=STYLE["font_size"] + 1)
    return fig


# --------------------------------------------------------------------------- sweep lines


def sweep_lines_by(points: pd.DataFrame, x: str, by: str, metrics: Sequence[str]) -> Figure:
    """Each metric's mean against parameter ``x``, one line with its 95 % CI band per value
    of parameter ``by``.

    Args:
        points: A sweep's ``points`` table (``<metric>.mean/.ci95_lo/.ci95_hi`` columns).
        x: Parameter column on the horizontal axis (numeric).
        by: Parameter column whose values make the lines.
        metrics: Metric names, one panel each.

    Returns:
        The figure.
    """
    if not metrics or points.empty:
        fig, ax = new_figure()
        _empty_note(ax, "no metrics to chart")
        ax.set_axis_off()
        return fig
    cols = {1: 1, 2: 2, 4: 2}.get(len(metrics), 3)
    rows = int(np.ceil(len(metrics) / cols))
    fig, axes = new_figure(rows, cols, figsize=(3.8 * cols, 2.9 * rows + 0.6))
    axes = np.atleast_1d(axes).ravel()
    groups = list(pd.unique(points[by].sort_values(kind="stable")))
    for ax, metric in zip(axes, metrics, strict=False):
        for i, value in enumerate(groups):
            sub = points[points[by] == value].sort_values(x, kind="stable")
            xs = sub[x].to_numpy(dtype=float)
            mean = sub[f"{metric}.mean"].to_numpy(dtype=float)
            lo = sub[f"{metric}.ci95_lo"].to_numpy(dtype=float)
            hi = sub[f"{metric}.ci95_hi"].to_numpy(dtype=float)
            style = series_style(i)
            ax.fill_between(xs, lo, hi, color=style["color"], alpha=0.15, linewidth=0)
            ax.plot(xs, mean, linewidth=1.3, markersize=4,
                    label=f"{param_label(by)} = {setting_text(value)}", **style)
        ax.set_xlabel(param_label(x), fontsize=STYLE["font_size"])
        ax.set_ylabel(metric_label(metric), fontsize=STYLE["font_size"])
    for ax in axes[len(metrics):]:
        ax.set_axis_off()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)),
               fontsize=STYLE["font_size"] - 1, frameon=False)
    fig.suptitle(f"Mean and 95 % CI band against {param_label(x)}, one line per "
                 f"{param_label(by)}", fontsize=STYLE["font_size"] + 1)
    return fig

