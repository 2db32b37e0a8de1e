"""The sustaining effect (issue #17): does overload outlive its trigger?

A metastable failure (Huang et al., OSDI 2022) is an overload that a trigger
starts and something else — typically retries — sustains after the trigger is
gone. Two figures measure it, from the records alone:

**The trigger** ends at the later of the headline incident's last fault end and
the end of the last ``traffic.bursts`` window (both clipped to the run). With
neither there is no trigger and both figures are NaN; so they are without a
region with a ``capacity``.

**An overloaded window.** Windows of :data:`WINDOW_S` are aligned on the
trigger's end (the last one cut short by the run's end). Region ``r``'s window
is *overloaded* when

- the work offered to its queue in the window — the attempts that entered it, and
  those it shed or skipped (``capacity.max_wait``, ``admission``, ``drop_expired``:
  a region that sheds keeps its queue short, yet is no less overloaded) — is at least
  its capacity over the window (utilisation ≥ 1: the backlog grows; cold costs and a
  scale-up counted, :mod:`drsim.model.capacity_schedule`), or
- the median wait in its queue (before service) of those attempts is at least
  the shortest client timeout (most of its work is done for clients that have
  already given up) — without client timeouts only the first condition applies.

A window no attempt enters is not overloaded (an empty queue).

**overload_sustained_s** is, over the regions with a capacity, the longest time
from the trigger's end to the start of the first window that is not overloaded
after the region's last overloaded one (0: not overloaded after the trigger);
when a region's last window is overloaded it is censored at the run's end.
**overload_end_state** is 1 when some region's last window is overloaded (the
run ends in the bad state) and 0 when all recovered.

The waits are the queue's own (Lindley's recursion over the recorded attempts,
:func:`drsim.model.replay.sojourn_s`), exact in integer microseconds.
"""

from __future__ import annotations

import numpy as np

from drsim.metrics._common import NAN, per_bin_quantiles
from drsim.metrics.evidence import BAD, GOOD, recovery_time
from drsim.metrics.incidents import Incident, headline_incident, incidents
from drsim.model.capacity import service_ticks, worked
from drsim.model.capacity_schedule import RegionClock, clocks_of, load_per_window
from drsim.model.replay import down_spans, offered_to_queues, sojourn_s
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario

WINDOW_S = 60.0
"""Length of the windows judged overloaded or not (s)."""


def trigger_end_s(scenario: Scenario, headline: Incident | None) -> float:
    """The end of the overload's trigger: the later of the headline incident's last fault
    end and the last traffic burst's end, within the run; NaN with neither."""
    duration = float(scenario.run.duration)
    ends = [min(float(b.start + b.duration), duration) for b in scenario.traffic.bursts]
    if headline is not None:
        ends.append(float(headline.end_s))
    return max(ends) if ends else NAN


def run_trigger_end_s(records: RunRecords, scenario: Scenario) -> float:
    """:func:`trigger_end_s` of a run, its headline incident found from its records."""
    return trigger_end_s(scenario, headline_incident(incidents(records, scenario), scenario))


def shortest_timeout_s(scenario: Scenario) -> float | None:
    """The shortest client timeout (s); None when no client times out."""
    timeouts = [float(k.timeout) for k in scenario.clients if k.timeout is not None]
    return min(timeouts) if timeouts else None


def overload_states(records: RunRecords, scenario: Scenario, region: int, start_s: float,
                    sojourn: np.ndarray | None = None,
                    clocks: list[RegionClock | None] | None = None) -> np.ndarray:
    """GOOD or BAD for each :data:`WINDOW_S` window of ``region`` from ``start_s`` to the
    run's end (the definition in the module docstring); ``sojourn``: every attempt's, as
    :func:`~drsim.model.replay.sojourn_s` (worked out when not given); ``clocks``: the
    regions' clocks when capacity changes in time (found from the events when not given;
    the work and capacity are then compared on the region's clock)."""
    req = records.requests
    t = req["time_s"].to_numpy(np.float64)
    op = req["op"].cat.codes.to_numpy()
    where = req["region"].cat.codes.to_numpy()
    outcome = req["outcome"].cat.codes.to_numpy()
    ticks = service_ticks(scenario)
    if clocks is None:
        clocks = clocks_of(scenario, records.events)
    downs = down_spans(scenario, records.events)
    if sojourn is None:
        sojourn = sojourn_s(scenario, t, op, where, outcome, clocks, downs)
    here = (where == region) & (t >= start_s)
    offered = here & offered_to_queues(scenario, t, where, outcome, downs)
    entered = here & worked(scenario, where, outcome)
    end_s = float(scenario.run.duration)
    n = max(1, int(np.ceil((end_s - start_s) / WINDOW_S)))
    starts = start_s + WINDOW_S * np.arange(n)
    lengths = np.minimum(WINDOW_S, end_s - starts)
    clock = clocks[region] if clocks is not None else None

    def load(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        window = np.minimum(((t[rows] - start_s) // WINDOW_S).astype(np.int64), n - 1)
        return window, *load_per_window(clock, t[rows], ticks[region, op[rows]], window, n,
                                        starts, lengths)

    _, work, capacity, _ = load(offered)
    bad = work >= capacity
    timeout = shortest_timeout_s(scenario)
    if timeout is not None:
        window, _, _, service = load(entered)
        bad |= per_bin_quantiles(window, sojourn[entered] - service, n, (0.5,))[0] >= timeout
    return np.where(bad, BAD, GOOD).astype(np.int8)


def sustained_overload_metrics(records: RunRecords, scenario: Scenario,
                               headline: Incident | None) -> dict[str, float]:
    """``overload_sustained_s`` and ``overload_end_state`` (see the module docstring)."""
    nan = {"overload_sustained_s": NAN, "overload_end_state": NAN}
    start = trigger_end_s(scenario, headline)
    limited = [r for r, region in enumerate(scenario.regions) if region.capacity is not None]
    end = float(scenario.run.duration)
    if not limited or not start < end:
        return nan
    req = records.requests
    clocks = clocks_of(scenario, records.events)
    sojourn = sojourn_s(scenario, req["time_s"].to_numpy(np.float64),
                        req["op"].cat.codes.to_numpy(), req["region"].cat.codes.to_numpy(),
                        req["outcome"].cat.codes.to_numpy(), clocks,
                        down_spans(scenario, records.events))
    sustained, bad_end = 0.0, 0.0
    for r in limited:
        states = overload_states(records, scenario, r, start, sojourn, clocks)
        seconds, recovered = recovery_time(states, WINDOW_S, end - start)
        sustained = max(sustained, seconds)
        bad_end = max(bad_end, 1.0 - recovered)
    return {"overload_sustained_s": sustained, "overload_end_state": bad_end}
