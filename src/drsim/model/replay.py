"""The records replay the regions' queues: each attempt's sojourn, and which attempts a
queue was offered or lost, worked out after the run from the requests table by the rules
the data plane followed (:mod:`drsim.model.capacity`, :mod:`drsim.model.deferred`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import numpy as np

from drsim.model.capacity import (
    TICKS_PER_S,
    arrival_ticks,
    deferred_regions,
    lindley,
    service_ticks,
    timed_sojourns,
    waits,
    worked,
)
from drsim.model.capacity_schedule import RegionClock
from drsim.records import OUTCOME_CODE
from drsim.scenario.schema import Scenario

REGION_DOWN_CODE = OUTCOME_CODE["region_down"]
NO_DROPS = np.empty(0)
"""No instant at which a region goes down (:func:`replay_deferred`)."""


def replay_deferred(t: np.ndarray, s: np.ndarray, newest_first: bool,
                    max_queue: int | None, drops: np.ndarray = NO_DROPS) -> np.ndarray:
    """Each entrant's sojourn (seconds) at a ``lifo`` (``newest_first``) or
    ``drop_oldest`` queue, entrants in serving order (arrival times ``t``, service ticks
    ``s``), by the rules of :mod:`drsim.model.deferred`: an entrant finding nobody waiting
    and the server free by its tick starts at once; else it waits; when the server frees
    at tick f (an event at ``(f − 1) / TICKS_PER_S``, after entrants at that instant) it
    takes the newest or the oldest waiting; with ``max_queue`` an entrant finding it full
    pushes the oldest out (sojourn: until then). Client timeouts change no one's place.
    At each instant of ``drops`` (sorted: the region goes down) the services due before
    it are made and everyone still waiting is lost (sojourn: until then)."""
    out = np.empty(len(t))
    times, works = t.tolist(), s.tolist()
    ticks = arrival_ticks(t).tolist()
    waiting: deque[int] = deque()
    free = 0
    pending = deque(drops.tolist())
    for k, tk in enumerate(times):
        while pending and pending[0] <= tk:
            free = _drop(waiting, pending.popleft(), newest_first, free, works, ticks, times,
                         out)
        while waiting and (free - 1) / TICKS_PER_S < tk:
            free = _serve_next(waiting, newest_first, free, works, ticks, out)
        if not waiting and free <= ticks[k]:
            free = ticks[k] + works[k]
            out[k] = works[k] / TICKS_PER_S
            continue
        if max_queue is not None and len(waiting) == max_queue:
            oldest = waiting.popleft()
            out[oldest] = tk - times[oldest]
        waiting.append(k)
    while pending:
        free = _drop(waiting, pending.popleft(), newest_first, free, works, ticks, times, out)
    while waiting:
        free = _serve_next(waiting, newest_first, free, works, ticks, out)
    return out


def _drop(waiting: deque[int], at: float, newest_first: bool, free: int, works: list[int],
          ticks: list[int], times: list[float], out: np.ndarray) -> int:
    """The region goes down at ``at``: the services due before it, then the waiting are
    lost; returns the server's free tick."""
    while waiting and (free - 1) / TICKS_PER_S < at:
        free = _serve_next(waiting, newest_first, free, works, ticks, out)
    for j in waiting:
        out[j] = at - times[j]
    waiting.clear()
    return free


def _serve_next(waiting: deque[int], newest_first: bool, free: int, works: list[int],
                ticks: list[int], out: np.ndarray) -> int:
    """The server, free at tick ``free``, starts the next waiting entrant: its sojourn,
    and the new free tick."""
    j = waiting.pop() if newest_first else waiting.popleft()
    free += works[j]
    out[j] = (free - ticks[j]) / TICKS_PER_S
    return free


def sojourn_s(scenario: Scenario, time_s: np.ndarray, op: np.ndarray, region: np.ndarray,
              outcome: np.ndarray, clocks: list[RegionClock | None] | None = None,
              downs: list[np.ndarray] | None = None) -> np.ndarray | None:
    """Each recorded attempt's wait plus service at its region's queue (seconds; 0 where
    there is no queue or the attempt never reached it; at a ``drop_oldest`` region, an
    attempt pushed out: its wait until then). Rows in serving order — the requests
    table's order. None when no region has a capacity. ``clocks``: the regions' clocks
    when their capacity changes in time; ``downs``: when each region was down
    (:func:`down_spans`; None: never)."""
    if service_ticks(scenario) is None:
        return None
    out = np.zeros(len(time_s))
    for rows, sojourn in region_sojourns_s(scenario, time_s, op, region, outcome, clocks,
                                           downs):
        out[rows] = sojourn
    return out


def down_spans(scenario: Scenario, events) -> list[np.ndarray]:  # noqa: ANN001 - a DataFrame
    """Per region, the spans ``[start, end)`` (seconds; an n × 2 array) in which it was
    down, from the ``region_state`` rows of a run's events table."""
    state = events[events["kind"] == "region_state"]
    spans = []
    for name in scenario.region_names:
        mine = state[state["region"] == name]
        times, down = mine["time_s"].to_numpy(np.float64), (mine["detail"] == "down").to_numpy()
        ends = np.append(times[1:], np.inf)[down]  # a region stays down until its next state
        spans.append(np.column_stack([times[down], ends]))
    return spans


def offered_to_queues(scenario: Scenario, time_s: np.ndarray, region: np.ndarray,
                      outcome: np.ndarray, downs: list[np.ndarray]) -> np.ndarray:
    """Which recorded attempts were offered to a region's queue: those that reached it,
    shed and skipped ones included (:func:`worked` ``offered``), and those a deferred
    region's queue lost when the region went down (:func:`lost_in_queues`)."""
    return worked(scenario, region, outcome, offered=True) | lost_in_queues(
        scenario, time_s, region, outcome, downs)


def lost_in_queues(scenario: Scenario, time_s: np.ndarray, region: np.ndarray,
                   outcome: np.ndarray, downs: list[np.ndarray] | None) -> np.ndarray:
    """The attempts a region's queue lost when the region went down: recorded
    ``region_down`` at that region while it was up (:meth:`drsim.model.deferred.Deferred.
    drop`, :meth:`drsim.model.capacity.Queues.take`; ``downs``: when each region was
    down, :func:`down_spans`)."""
    lost = np.zeros(len(outcome), dtype=np.bool_)
    for r, spec in enumerate(scenario.regions):
        if spec.capacity is not None and downs is not None and len(downs[r]):
            mine = (region == r) & (outcome == REGION_DOWN_CODE)
            mine[mine] = _outside(time_s[mine], downs[r])
            lost |= mine
    return lost


def _outside(t: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Whether each instant lies outside every span ``[start, end)`` (sorted, disjoint)."""
    k = np.searchsorted(spans[:, 0], t, side="right") - 1
    return (k < 0) | (t >= spans[np.maximum(k, 0), 1])


def region_sojourns_s(scenario: Scenario, time_s: np.ndarray, op: np.ndarray,
                      region: np.ndarray, outcome: np.ndarray,
                      clocks: list[RegionClock | None] | None = None,
                      downs: list[np.ndarray] | None = None
                      ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """:func:`sojourn_s` region by region: the rows of the attempts that reached each
    queue (a mask or an index) and their sojourns (seconds, in row order); the other
    rows' sojourns are 0. Lets a caller add them where they go without a column of
    zeros (the requests table: ≈ 5 ms at 2 M attempts).

    At a deferred region that went down, the attempts its queue lost are recorded
    ``region_down`` while it was up (:meth:`drsim.model.deferred.Deferred.drop`): they
    take part in the replay, which drops the queue when the region goes down, but
    their latency is ``region_down``'s (no rows of theirs are given)."""
    ticks = service_ticks(scenario)
    if ticks is None:
        return
    work = worked(scenario, region, outcome)
    deferred = deferred_regions(scenario)
    if any(deferred):
        lost = lost_in_queues(scenario, time_s, region, outcome, downs)
        offered = worked(scenario, region, outcome, offered=True) | lost
    for r in range(len(scenario.regions)):
        capacity = scenario.regions[r].capacity
        if capacity is None:
            continue
        if deferred[r]:
            spans = downs[r] if downs is not None else np.empty((0, 2))
            rows = np.flatnonzero((region == r) & offered)
            sojourn = replay_deferred(time_s[rows], np.take(ticks[r], op[rows]),
                                      capacity.discipline == "lifo", capacity.max_queue,
                                      spans[:, 0])
            kept = ~lost[rows]
            yield rows[kept], sojourn[kept]
            continue
        rows = region == r  # a mask: gathers and the scatter faster than by index
        rows &= work
        if not rows.any():
            continue
        t = time_s[rows]
        a = arrival_ticks(t)
        clock = clocks[r] if clocks is not None else None
        s = np.take(ticks[r], op[rows])
        if downs is not None and len(downs[r]):
            yield rows, fifo_sojourns_s(clock, t, a, s, downs[r][:, 0])
            continue
        yield rows, timed_sojourns(clock, a, s, 0)[0] / TICKS_PER_S


def fifo_sojourns_s(clock: RegionClock | None, t: np.ndarray, a: np.ndarray, s: np.ndarray,
                    drops: np.ndarray) -> np.ndarray:
    """Each attempt's sojourn (seconds) at a FIFO region that goes down at ``drops``
    (times ``t``, ticks ``a``, sorted; service ticks ``s``), by
    :meth:`drsim.model.capacity.Queues.take`'s rule: an attempt whose service would start
    after the region goes down (start tick f, (f − 1) / TICKS_PER_S ≥ d) is lost then,
    its work never done (its sojourn: until then); those are a suffix of the attempts
    before d (FIFO starts never decrease), and the backlog goes on from the last one
    served. Here only attempts whose client timed out first are lost this way: the
    others are recorded ``region_down`` and do no work."""
    out = np.empty(len(t))
    free, lo = 0, 0
    for d in [*drops.tolist(), np.inf]:
        hi = int(np.searchsorted(t, d, side="left"))
        if hi == lo:
            continue
        aa, ss = a[lo:hi], s[lo:hi]
        if clock is None:
            sojourn = waits(aa, ss, free)
            start = sojourn + aa  # the starts (ticks)
            sojourn += ss
        else:
            work = clock.work(ss, aa)
            finish = lindley(clock.virtual(aa), work, free)
            start = clock.real(finish - work)
            sojourn = clock.real(finish) - aa
        kept = hi - lo
        if (start[-1] - 1) / TICKS_PER_S >= d:  # the last one at least was lost
            kept = int(np.searchsorted((start - 1) / TICKS_PER_S, d, side="left"))
            out[lo + kept:hi] = d - t[lo + kept:hi]
        np.divide(sojourn[:kept], TICKS_PER_S, out=out[lo:lo + kept])
        if kept:
            free = int(finish[kept - 1]) if clock is not None else int(
                aa[kept - 1] + sojourn[kept - 1])
        lo = hi
    return out
