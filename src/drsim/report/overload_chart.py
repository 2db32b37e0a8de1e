"""The overload chart: offered load, goodput and latency over time per region (issue #17).

One picture of a run whose regions have a capacity: on top, per region, the
attempts that reached it per second (offered, solid) against the ones that
succeeded per second (goodput, dashed) — where they part, the region is doing
work nobody gets; below, the median and 99th-percentile latency (log scale),
which climbs to the clients' timeout when the queue is longer than it. The
trigger's end is marked: a metastable overload is one whose lines do not come
back after it. The series is :func:`drsim.metrics.overload.overload_timeline`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drsim.metrics.metastable import run_trigger_end_s
from drsim.metrics.overload import overload_timeline
from drsim.records import RunRecords
from drsim.report.run_charts import STYLE, _empty_note, new_figure, series_style
from drsim.scenario.schema import Scenario


def overload_figure(records: RunRecords, scenario: Scenario, name: str) -> Figure:
    """:func:`overload_chart` of one replication's records."""
    return overload_chart(overload_timeline(records, scenario),
                          run_trigger_end_s(records, scenario),
                          title=f"{name}: offered load, goodput and latency per minute")


def overload_chart(timeline: pd.DataFrame, trigger_end_s: float | None = None,
                   title: str = "Offered load, goodput and latency") -> Figure:
    """Offered load and goodput (top) and latency p50/p99 (bottom) per minute and region.

    Args:
        timeline: Columns ``start_s``, ``region``, ``offered_per_s``, ``goodput_per_s``,
            ``latency_p50_s``, ``latency_p99_s`` (:func:`~drsim.metrics.overload.overload_timeline`).
        trigger_end_s: The end of the overload's trigger (s), marked; None or NaN: none.
        title: Figure title.

    Returns:
        The figure: attempts per second and latency (s, log) against time (min).
    """
    fig, (load, latency) = new_figure(2, 1, sharex=True,
                                      figsize=(STYLE["figsize"][0], STYLE["figsize"][1] + 2))
    if len(timeline):
        for i, (region, rows) in enumerate(timeline.groupby("region", sort=False)):
            minutes = rows["start_s"].to_numpy(float) / 60.0
            style = series_style(i)
            load.plot(minutes, rows["offered_per_s"], **style, label=f"{region}: offered")
            load.plot(minutes, rows["goodput_per_s"], **{**style, "linestyle": "--"},
                      markerfacecolor="none", label=f"{region}: goodput")
            _latency(latency, minutes, rows, i, str(region))
        load.legend(fontsize=STYLE["font_size"] - 1, loc="upper left")
        latency.legend(fontsize=STYLE["font_size"] - 1, loc="upper left")
    else:
        _empty_note(load, "no requests")
        _empty_note(latency, "no requests")
    if trigger_end_s is not None and math.isfinite(trigger_end_s):
        for ax in (load, latency):
            ax.axvline(trigger_end_s / 60.0, color="#404040", linestyle=":", linewidth=1.2,
                       label="trigger end" if ax is load else None)
        load.legend(fontsize=STYLE["font_size"] - 1, loc="upper left")
    load.set_ylabel("attempts per second (/s)")
    load.set_xlabel("time since start of run (min)")
    load.set_ylim(bottom=0)
    latency.set_ylabel("latency (s, log scale)")
    latency.set_xlabel("time since start of run (min)")
    fig.suptitle(title, fontsize=STYLE["font_size"] + 2)
    return fig


def _latency(ax: object, minutes: np.ndarray, rows: pd.DataFrame, i: int, region: str) -> None:
    """One region's p50 (solid) and p99 (dotted) latency, on a log axis."""
    style = {**series_style(i), "markersize": 3}
    p50 = rows["latency_p50_s"].to_numpy(float)
    p99 = rows["latency_p99_s"].to_numpy(float)
    if not np.isfinite(p99).any():
        return
    ax.plot(minutes, p50, **style, label=f"{region}: p50")
    ax.plot(minutes, p99, **{**style, "linestyle": ":"}, markerfacecolor="none",
            label=f"{region}: p99")
    ax.set_yscale("log")
