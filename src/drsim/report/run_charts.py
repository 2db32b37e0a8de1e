"""Run charts: what one DR run looked like, as figures a design review can read.

Four pictures of one scenario's run:

1. :func:`signin_success_chart` — sign-in success per minute by region, with
   the incident's instants marked (fault start, detection, DNS flip,
   promotion start/end, failback);
2. :func:`failures_by_cause_chart` — failed sign-ins by cause (mean per run
   with 95 % CI);
3. :func:`staleness_chart` — the distribution of staleness ages of stale
   profile reads (ECDF, log time axis);
4. :func:`lockout_bypass_chart` — lockout bypass windows: their durations and,
   per account, when they were open.

Every function is pure: DataFrame(s) in, :class:`matplotlib.figure.Figure`
out, no pyplot state and no ``show``; figures draw on the Agg canvas. One
style everywhere (:data:`STYLE`): series differ by line style and marker as
well as colour, bars by hatch, so a grey-scale print stays readable; every
axis names its unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drsim.report.formatting import terminal_value

if TYPE_CHECKING:
    from drsim.experiment.run import RunOutput

STYLE: dict[str, Any] = {
    "figsize": (8.0, 4.5),
    "font_size": 9.0,
    # colours of decreasing darkness, so grey scale still orders them
    "colors": ("#1a1a1a", "#1f5fa8", "#d9822b", "#7a7a7a", "#58a55c", "#b0b0b0"),
    "linestyles": ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1))),
    "markers": ("o", "s", "^", "D", "v", "x"),
    "hatches": ("", "//", "..", "xx", "\\\\", "oo", "--", "++"),
    "bar_color": "#7a7a7a",
    "grid_color": "#d0d0d0",
}
"""The one chart style of drsim (the report reuses it)."""

EVENT_MARKS: tuple[tuple[str, str, Any], ...] = (
    ("fault_start_s", "fault start", "-"),
    ("detection_s", "detection", "--"),
    ("dns_flip_s", "DNS flip", "-."),
    ("promotion_start_s", "promotion start", ":"),
    ("writable_s", "promotion end (writable)", (0, (5, 1, 1, 1))),
    ("fault_end_s", "fault end", (0, (3, 1, 1, 1, 1, 1))),
    ("failback_s", "failback", (0, (1, 2))),
)
"""Incident instants marked on the sign-in chart: (meta key, label, line style)."""


# --------------------------------------------------------------------------- style helpers


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A Figure on the Agg canvas with the drsim style, and its axes."""
    figsize = kwargs.pop("figsize", STYLE["figsize"])
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    for ax in np.atleast_1d(axes).ravel():
        style_axes(ax)
    return fig, axes


def style_axes(ax: Any) -> None:
    """Apply the drsim look to one Axes: light grid, no top/right spines."""
    ax.grid(True, color=STYLE["grid_color"], linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=STYLE["font_size"])
    ax.xaxis.label.set_size(STYLE["font_size"] + 1)
    ax.yaxis.label.set_size(STYLE["font_size"] + 1)
    ax.title.set_size(STYLE["font_size"] + 2)


def series_style(i: int) -> dict[str, Any]:
    """Line style i of the cycle: colour, dash pattern and marker together."""
    return {
        "color": STYLE["colors"][i % len(STYLE["colors"])],
        "linestyle": STYLE["linestyles"][i % len(STYLE["linestyles"])],
        "marker": STYLE["markers"][i % len(STYLE["markers"])],
    }


def _empty_note(ax: Any, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=STYLE["font_size"] + 1,
        color="#505050",
    )


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- 1. sign-in success


def overall_success_by_minute(requests: pd.DataFrame, bucket_s: float = 60.0) -> pd.Series:
    """Success rate of all legitimate sign-ins per minute, whichever region (or none) they reached.

    Args:
        requests: A ``requests`` record table (:mod:`drsim.records`).
        bucket_s: Bucket width (s).

    Returns:
        ok / attempts (0..1) indexed by ``minute`` (bucket start, min).
    """
    sign_in = requests["op"].isin(["sign_in", "federated_sign_in"]).to_numpy(dtype=bool)
    rows = sign_in & ~requests["attacker"].to_numpy(dtype=bool)
    time_s = requests["time_s"].to_numpy(dtype=float)[rows]
    minute = np.floor(time_s / bucket_s) * bucket_s / 60.0
    ok = (requests["outcome"] == "ok").to_numpy(dtype=bool)[rows].astype(float)
    rate = pd.Series(ok, index=pd.Index(minute, name="minute")).groupby(level=0).mean()
    return rate.rename("all sign-ins")


def signin_success_chart(
    by_region: pd.DataFrame,
    marks: Mapping[str, Any] | None = None,
    overall: pd.Series | None = None,
    title: str = "Sign-in success per minute by region",
) -> Figure:
    """Sign-in success rate per minute for each region (and overall), incident marked.

    Args:
        by_region: Index ``minute`` (bucket start, min), one column per region,
            values ok / attempts in 0..1 (NaN: no sign-in there that minute), as
            :func:`drsim.metrics.signin_success_by_minute`.
        marks: Incident instants in seconds keyed as in :data:`EVENT_MARKS`
            (a run's ``meta`` or :class:`~drsim.metrics.RunFacts` fields);
            missing/None/NaN ones are not drawn.
        overall: Optional success rate of all sign-ins per minute (0..1),
            including those that reached no region, as
            :func:`overall_success_by_minute`.
        title: Figure title.

    Returns:
        The figure: success (%) against time (min).
    """
    fig, ax = new_figure(figsize=(STYLE["figsize"][0] + 2.5, STYLE["figsize"][1]))
    _plot_success_lines(ax, by_region, overall)
    if not len(by_region) and (overall is None or not len(overall)):
        _empty_note(ax, "no sign-ins recorded")
    ax.set_ylim(-2, 102)
    _mark_instants(ax, marks or {})
    ax.set_ylim(-2, 102)
    ax.set_xlabel("time since start of run (min)")
    ax.set_ylabel("sign-in success (% of attempts)")
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        fig.legend(
            *ax.get_legend_handles_labels(),
            loc="outside right upper",
            fontsize=STYLE["font_size"] - 1,
            frameon=False,
        )
    return fig


def _plot_success_lines(ax: Any, by_region: pd.DataFrame, overall: pd.Series | None) -> None:
    """The overall success line (bold) and one line per serving region."""
    if overall is not None and len(overall):
        ax.plot(
            np.asarray(overall.index, dtype=float),
            100.0 * overall.to_numpy(dtype=float),
            label="all sign-ins",
            color=STYLE["colors"][0],
            linewidth=2.2,
            drawstyle="steps-post",
        )
    if len(by_region):
        minutes = np.asarray(by_region.index, dtype=float)
        for i, region in enumerate(by_region.columns, start=1):
            style = series_style(i)
            ax.plot(
                minutes,
                100.0 * by_region[region].to_numpy(dtype=float),
                label=f"served by {region}",
                linewidth=1.2,
                markersize=3,
                markevery=max(1, len(minutes) // 20),
                drawstyle="steps-post",
                **style,
            )


def _mark_instants(ax: Any, marks: Mapping[str, Any]) -> None:
    """Incident instants: a numbered vertical line each; the legend says what and when.

    Instants at the same minute share a line; numbers of close lines are staggered.
    """
    instants: dict[float, list[tuple[str, Any]]] = {}
    for key, label, linestyle in EVENT_MARKS:
        value = marks.get(key)
        if _finite(value):
            instants.setdefault(round(float(value) / 60.0, 6), []).append((label, linestyle))
    x_lo, x_hi = ax.get_xlim()
    close = 0.02 * (x_hi - x_lo)  # numbers nearer than this would overlap: stagger them
    previous, level = -math.inf, 0
    for number, (minute, entries) in enumerate(sorted(instants.items()), start=1):
        linestyle = entries[0][1]
        what = ", ".join(label for label, _ in entries)
        ax.axvline(
            minute,
            color="#505050",
            linestyle=linestyle,
            linewidth=0.9,
            label=f"({number}) {what}: {minute:.1f} min",
        )
        level = level + 1 if minute - previous < close else 0
        previous = minute
        ax.annotate(
            f"({number})",
            (minute, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2 + 12 * level, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=STYLE["font_size"] - 1,
            color="#303030",
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        )


# --------------------------------------------------------------------------- 2. failures by cause


def failures_by_cause_frame(metrics: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Failed-login causes from a summary's metrics (``failed_logins.<cause>`` entries).

    Returns:
        Columns ``cause``, ``mean``, ``ci_low``, ``ci_high`` (counts per run),
        causes with a zero mean left out, largest first.
    """
    rows = []
    for name, entry in metrics.items():
        if not name.startswith("failed_logins.") or name.count(".") != 1:
            continue
        mean = entry.get("mean")
        if not _finite(mean) or float(mean) == 0:
            continue
        lo, hi = (list(entry.get("ci95") or []) + [None, None])[:2]
        rows.append(
            {
                "cause": name.split(".", 1)[1],
                "mean": float(mean),
                "ci_low": float(lo) if _finite(lo) else float("nan"),
                "ci_high": float(hi) if _finite(hi) else float("nan"),
            }
        )
    frame = pd.DataFrame(rows, columns=["cause", "mean", "ci_low", "ci_high"])
    return frame.sort_values(["mean", "cause"], ascending=[False, True], ignore_index=True)


def failures_by_cause_chart(
    causes: pd.DataFrame, title: str = "Failed sign-ins by cause"
) -> Figure:
    """Horizontal bars of failed sign-in attempts per cause, with 95 % CI whiskers.

    Args:
        causes: Columns ``cause``, ``mean`` and optionally ``ci_low``/``ci_high``
            (attempts per run), as :func:`failures_by_cause_frame`.
        title: Figure title.

    Returns:
        The figure: attempts (count per run) by cause.
    """
    height = max(2.5, 0.45 * len(causes) + 1.5)
    fig, ax = new_figure(figsize=(STYLE["figsize"][0], height))
    if len(causes):
        frame = causes.iloc[::-1].reset_index(drop=True)  # largest on top
        y = np.arange(len(frame))
        means = frame["mean"].to_numpy(dtype=float)
        bars = ax.barh(y, means, color=STYLE["bar_color"], edgecolor="#1a1a1a", linewidth=0.8)
        for i, bar in enumerate(bars):
            bar.set_hatch(STYLE["hatches"][(len(frame) - 1 - i) % len(STYLE["hatches"])])
        if {"ci_low", "ci_high"} <= set(frame.columns):
            lo = frame["ci_low"].to_numpy(dtype=float)
            hi = frame["ci_high"].to_numpy(dtype=float)
            have = np.isfinite(lo) & np.isfinite(hi)
            if have.any():
                err = np.vstack([np.clip(means - lo, 0, None), np.clip(hi - means, 0, None)])
                ax.errorbar(
                    means[have],
                    y[have],
                    xerr=err[:, have],
                    fmt="none",
                    ecolor="#1a1a1a",
                    capsize=3,
                    linewidth=1.0,
                    label="95 % CI",
                )
                ax.legend(fontsize=STYLE["font_size"] - 1, loc="lower right")
        ax.set_yticks(y, frame["cause"].astype(str).str.replace("_", " "))
        ends = means.copy()
        if "ci_high" in frame.columns:
            hi = frame["ci_high"].to_numpy(dtype=float)
            ends = np.where(np.isfinite(hi), np.maximum(hi, means), means)
        for yi, m, end in zip(y, means, ends, strict=True):
            text = f"{m:,.0f}" if m >= 10 else f"{m:.1f}"
            ax.annotate(
                text,
                (end, yi),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=STYLE["font_size"] - 1,
            )
        ax.margins(x=0.12)
        ax.set_xlim(0, None)
    else:
        _empty_note(ax, "no failed sign-ins")
        ax.set_yticks([])
    ax.set_xlabel("failed sign-in attempts (count per run, mean)")
    ax.set_ylabel("failure cause")
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- 3. staleness


def staleness_chart(
    stale_reads: pd.DataFrame, title: str = "Staleness of stale profile reads"
) -> Figure:
    """ECDF of the staleness age of stale reads, p50/p99/max marked.

    Args:
        stale_reads: A column ``staleness_s`` (s); rows that are not stale
            (NaN) are ignored, so a whole ``requests`` table works too.
        title: Figure title.

    Returns:
        The figure: cumulative share of stale reads (%) against staleness (s, log).
    """
    fig, ax = new_figure()
    values = stale_reads["staleness_s"].to_numpy(dtype=float) if len(stale_reads) else np.array([])
    values = np.sort(values[np.isfinite(values)])
    if values.size:
        share = 100.0 * np.arange(1, values.size + 1) / values.size
        positive = values > 0
        floor = values[positive].min() if positive.any() else 1e-3
        shown = np.where(positive, values, floor)
        ax.step(
            shown,
            share,
            where="post",
            color=STYLE["colors"][0],
            linewidth=1.6,
            label=f"{values.size:,} stale reads",
        )
        for i, (q, label) in enumerate(((50, "p50"), (99, "p99"), (100, "max")), start=1):
            v = float(np.percentile(values, q)) if q < 100 else float(values[-1])
            ax.axvline(
                max(v, floor),
                color="#404040",
                linestyle=STYLE["linestyles"][i],
                linewidth=1.0,
                label=f"{label} = {terminal_value(v, 's')}",
            )
        ax.set_xscale("log")
        ax.legend(fontsize=STYLE["font_size"] - 1, loc="lower right")
    else:
        _empty_note(ax, "no stale reads")
    ax.set_ylim(0, 101)
    ax.set_xlabel("staleness age (s, log scale)")
    ax.set_ylabel("stale reads at most this stale (%)")
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- 4. lockout bypass


def lockout_bypass_chart(
    windows: pd.DataFrame, title: str = "Lockout bypass windows", max_accounts: int = 25
) -> Figure:
    """Lockout bypass windows: a histogram of their durations and, per account, when they opened.

    Args:
        windows: Columns ``user``, ``start_s``, ``end_s`` (s), as
            :func:`drsim.metrics.lockout_bypass_windows`.
        title: Figure title.
        max_accounts: Accounts shown on the right panel (those with the most
            bypass time).

    Returns:
        The figure: left, windows (count) by duration (s); right, account by
        time since start of run (min).
    """
    fig, (left, right) = new_figure(1, 2, figsize=(STYLE["figsize"][0] + 2, STYLE["figsize"][1]))
    if len(windows):
        durations = windows["end_s"].to_numpy(dtype=float) - windows["start_s"].to_numpy(
            dtype=float
        )
        durations = durations[np.isfinite(durations)]
        bins = min(30, max(5, int(np.sqrt(durations.size)) + 1))
        left.hist(
            durations,
            bins=bins,
            color=STYLE["bar_color"],
            edgecolor="#1a1a1a",
            hatch=STYLE["hatches"][1],
            linewidth=0.8,
        )
        left.set_title(
            f"{len(windows):,} windows, longest {terminal_value(float(durations.max()), 's')}",
            fontsize=STYLE["font_size"] + 1,
        )
        total = (
            windows.assign(d=windows["end_s"] - windows["start_s"])
            .groupby("user")["d"]
            .sum()
            .sort_values(ascending=False)
        )
        shown = list(total.index[:max_accounts])
        for yi, user in enumerate(shown):
            rows = windows[windows["user"] == user]
            spans = [
                (s / 60.0, (e - s) / 60.0)
                for s, e in zip(rows["start_s"], rows["end_s"], strict=True)
            ]
            right.broken_barh(
                spans,
                (yi - 0.35, 0.7),
                facecolor=STYLE["colors"][1],
                edgecolor="#1a1a1a",
                linewidth=0.5,
            )
        right.set_yticks(
            range(len(shown)), [str(u) for u in shown], fontsize=max(5.0, STYLE["font_size"] - 2)
        )
        right.set_ylim(-1, len(shown))
        right.set_title(
            f"per account (top {len(shown)} of {len(total):,})", fontsize=STYLE["font_size"] + 1
        )
    else:
        _empty_note(left, "no lockout bypass windows")
        _empty_note(right, "no lockout bypass windows")
    left.set_xlabel("window duration (s)")
    left.set_ylabel("windows (count)")
    right.set_xlabel("time since start of run (min)")
    right.set_ylabel("targeted account (user id)")
    fig.suptitle(title, fontsize=STYLE["font_size"] + 2)
    return fig


# --------------------------------------------------------------------------- a run's set


def run_figures(output: RunOutput) -> dict[str, Figure]:
    """The run charts of a run: keys ``signin_success``, ``failures_by_cause``,
    ``staleness``, ``lockout_bypass`` and, when a region has a capacity, ``overload``.

    The time-based charts show the first replication whose records were kept;
    failures by cause shows the means over all replications.
    """
    figures = {
        "failures_by_cause": failures_by_cause_chart(
            failures_by_cause_frame(output.summary.get("metrics", {})),
            title=f"{output.scenario.name}: failed sign-ins by cause (mean of "
            f"{output.scenario.run.replications} runs)",
        )
    }
    kept = [r for r in output.results if r.records is not None]
    if not kept:
        return figures
    first = kept[0]
    records = first.records
    assert records is not None
    name = f"{output.scenario.name}, replication {first.replication}"
    from drsim.metrics import lockout_bypass_windows, reachable_regions, signin_success_by_minute

    figures["signin_success"] = signin_success_chart(
        signin_success_by_minute(records),
        marks=_marks(records, output),
        overall=overall_success_by_minute(records.requests),
        title=f"{name}: sign-in success per minute",
    )
    req = records.requests
    stale = req.loc[req["stale"].to_numpy(dtype=bool), ["staleness_s"]]
    figures["staleness"] = staleness_chart(stale, title=f"{name}: staleness of stale reads")
    figures["lockout_bypass"] = lockout_bypass_chart(
        lockout_bypass_windows(
            records.locks, reachable_regions(output.scenario), float(output.scenario.run.duration)
        ),
        title=f"{name}: lockout bypass windows",
    )
    if any(r.capacity is not None for r in output.scenario.regions):
        from drsim.report.overload_chart import overload_figure

        figures["overload"] = overload_figure(records, output.scenario, name)
    return figures


def _marks(records: Any, output: RunOutput) -> dict[str, Any]:
    from drsim.metrics import run_facts

    marks = dict(records.meta or {})
    try:
        facts = run_facts(records, output.scenario)
    except Exception:  # charts never fail a run: fall back to the raw meta
        return marks
    for key, _, _ in EVENT_MARKS:
        marks[key] = getattr(facts, key, marks.get(key))
    return marks
