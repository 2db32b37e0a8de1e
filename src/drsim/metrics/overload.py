"""Overload (MODEL.md 11): offered load against goodput, latency, timeouts, retries.

:func:`overload_timeline` is the per-minute, per-region series a chart of an
overload draws (offered load, the work it brings against the region's capacity,
goodput, timeouts, latency p50/p99, retry amplification); :func:`overload_metrics`
the run's headline figures. Both read the ``requests`` table only (the work of
an attempt is its operation's cost at its region, :mod:`drsim.model.capacity`; with a
scale-up or a cold cache, the cost at its arrival against the capacity on the region's
clock, :mod:`drsim.model.capacity_schedule`, rebuilt from the events table).
The headline figures are reported only when the scenario models capacity or
client timeouts, so that scenarios without them keep their metric names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import legit_mask, per_bin_quantiles
from drsim.model.capacity import service_ticks
from drsim.model.capacity_schedule import clocks_of, load_per_window
from drsim.model.disciplines import pushes_out, sheds
from drsim.model.replay import down_spans, offered_to_queues
from drsim.records import OUTCOME_CODE, RunRecords
from drsim.scenario.schema import Scenario

TIMELINE_COLUMNS = ("start_s", "region", "offered_per_s", "utilisation", "goodput_per_s",
                    "timeouts_per_s", "latency_p50_s", "latency_p99_s",
                    "attempts_per_first_attempt")


def models_overload(scenario: Scenario) -> bool:
    """Whether the scenario models capacity or client timeouts."""
    return (any(r.capacity is not None for r in scenario.regions)
            or any(k.timeout is not None for k in scenario.clients))


def overload_timeline(records: RunRecords, scenario: Scenario,
                      bin_s: float = 60.0) -> pd.DataFrame:
    """Per ``bin_s`` window and region: ``offered_per_s`` (attempts that reached the
    region, per second, by arrival), ``utilisation`` (the work offered to its queue —
    the attempts that entered it, shed, skipped or lost when the region went down
    (:func:`~drsim.model.replay.offered_to_queues`) — ÷ its capacity over the window; NaN
    without a capacity; above 1 the backlog grows or the region sheds), ``goodput_per_s`` (ok attempts per second by completion:
    arrival + latency), ``timeouts_per_s``, ``latency_p50_s`` and ``latency_p99_s`` (of
    the attempts arriving in the window; NaN without one) and ``attempts_per_first_attempt``
    (attempts ÷ first attempts arriving in the window; NaN without a first attempt)."""
    req = records.requests
    t = req["time_s"].to_numpy()
    latency = req["latency_s"].to_numpy(np.float64)
    region = req["region"].cat.codes.to_numpy()
    outcome = req["outcome"].cat.codes.to_numpy()
    first = req["attempt"].to_numpy() == 0
    edges = np.arange(0.0, scenario.run.duration + bin_s, bin_s)
    n_bins = len(edges) - 1
    ticks = service_ticks(scenario)
    clocks = clocks_of(scenario, records.events)
    no_work = ~offered_to_queues(scenario, t, region, outcome,
                                 down_spans(scenario, records.events))
    ok = outcome == OUTCOME_CODE["ok"]
    timed_out = outcome == OUTCOME_CODE["timeout"]
    rows = []
    for r, name in enumerate(scenario.region_names):
        here = region == r
        arrive = np.clip(np.searchsorted(edges, t[here], side="right") - 1, 0, n_bins - 1)
        done = np.searchsorted(edges, (t + latency)[here & ok], side="right") - 1
        offered = np.bincount(arrive, minlength=n_bins)
        firsts = np.bincount(arrive, weights=first[here], minlength=n_bins)
        utilisation = np.full(n_bins, np.nan)
        if ticks is not None and scenario.regions[r].capacity is not None:
            work = np.where(no_work[here], 0, ticks[r, req["op"].cat.codes.to_numpy()[here]])
            work, capacity, _ = load_per_window(clocks[r] if clocks else None, t[here], work,
                                                arrive, n_bins, edges[:-1], bin_s)
            utilisation = work / capacity
        p50, p99 = per_bin_quantiles(arrive, latency[here], n_bins, (0.5, 0.99))
        with np.errstate(invalid="ignore", divide="ignore"):
            amplification = np.where(firsts > 0, offered / firsts, np.nan)
        rows.append(pd.DataFrame({
            "start_s": edges[:-1], "region": name, "offered_per_s": offered / bin_s,
            "utilisation": utilisation,
            "goodput_per_s": np.bincount(done[(done >= 0) & (done < n_bins)],
                                         minlength=n_bins) / bin_s,
            "timeouts_per_s": np.bincount(arrive, weights=timed_out[here],
                                          minlength=n_bins) / bin_s,
            "latency_p50_s": p50, "latency_p99_s": p99,
            "attempts_per_first_attempt": amplification}))
    return pd.concat(rows, ignore_index=True)[list(TIMELINE_COLUMNS)]


def overload_metrics(records: RunRecords, scenario: Scenario) -> dict[str, float]:
    """The run's overload figures, when the scenario models capacity or timeouts (else
    none): ``timeouts`` (legitimate attempts that timed out), ``attempts_per_first_attempt``
    (legitimate attempts ÷ legitimate first attempts; NaN without one),
    ``latency_p50_s``/``latency_p99_s`` (legitimate attempts that reached a region; NaN
    without one) and ``overloaded_minutes.<region>`` (minutes in which the work
    offered to a region with a capacity exceeded it); with shedding
    (:mod:`drsim.model.disciplines`) also ``shed_attempts`` (legitimate attempts a
    region's admission control refused, or a drop-oldest queue pushed out)."""
    if not models_overload(scenario):
        return {}
    req = records.requests
    legit = legit_mask(req)
    first = legit & (req["attempt"].to_numpy() == 0)
    reached = legit & (req["region"].astype(str).to_numpy() != "none")
    latency = req["latency_s"].to_numpy(np.float64)[reached]
    n_first = int(first.sum())
    out = {
        "timeouts": float((legit & (req["outcome"] == "timeout").to_numpy()).sum()),
        "attempts_per_first_attempt": legit.sum() / n_first if n_first else np.nan,
        "latency_p50_s": float(np.quantile(latency, 0.5)) if len(latency) else np.nan,
        "latency_p99_s": float(np.quantile(latency, 0.99)) if len(latency) else np.nan,
    }
    if sheds(scenario) or pushes_out(scenario):
        out["shed_attempts"] = float((legit & (req["outcome"] == "shed").to_numpy()).sum())
    timeline = overload_timeline(records, scenario)
    for r, region in enumerate(scenario.regions):
        if region.capacity is not None:
            mine = timeline[timeline["region"] == region.name]["utilisation"]
            out[f"overloaded_minutes.{scenario.region_names[r]}"] = float((mine > 1.0).sum())
    return out
