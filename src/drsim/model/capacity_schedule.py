"""Capacity over time: scale-up, cold caches and the reopen ramp (docs/model.md).

A region's queue (:mod:`drsim.model.capacity`) serves at a speed that may change
(``capacity.scale_up``) and its requests may cost more while its cache is cold
(``capacity.cache``). Both stay exact in integers on a *virtual clock*: a
region's virtual time advances by :data:`SCALE` units per tick at its base
``vcpus`` and by ``round(SCALE × to / vcpus)`` after the scale-up, so ``V(t)`` is
piecewise linear with integer slopes; a request's work is its service ticks at
the base capacity × :data:`SCALE` × the cold multiplier, rounded. Lindley's
recursion runs on virtual times and works unchanged (the server does one virtual
unit of work per virtual unit of time), and a finish in virtual units maps back to
the first tick whose virtual time reaches it, so every order of evaluation still
agrees exactly. A region with neither keeps the plain tick clock (:class:`RegionClock`
``None``).

The reopen ramp (``capacity.reopen``) is a gate before the queue: a token bucket of
virtual work, empty at the moment, refilled at ``share(t)`` × the region's speed where
the share rises linearly from ``initial`` to 1 over ``over``; a request whose work the
bucket cannot cover is refused (``throttled``). The bucket's level depends on the order
of service, so the data plane serves the ramps' windows one at a time (:meth:`Schedule.
span`).

The instants come from the control timeline (:func:`build_schedule`) and are written
to the events table (``capacity``, ``cache_cold``, ``reopen``), from which the metrics
rebuild the same schedule (:func:`schedule_from_events`).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from drsim.model.control import DOWN, ControlTimeline
from drsim.model.distributions import sample_one
from drsim.model.streams import Streams
from drsim.scenario.schema import Scenario

TICKS_PER_S = 1_000_000
"""The queue's clock: whole microseconds (as :data:`drsim.model.capacity.TICKS_PER_S`)."""

SCALE = 1000
"""Virtual units per tick at a region's base capacity."""

EVENT_SCALE, EVENT_COLD, EVENT_REOPEN = "capacity", "cache_cold", "reopen"
"""The events-table kinds the schedule writes (value: the new vCPUs; —; the ramp's length)."""


def _tick(t: float) -> int:
    return math.ceil(t * TICKS_PER_S)


class RegionClock:
    """A region's virtual clock and cold multiplier (see the module docstring).

    ``bounds``: ticks where the speed changes (the first 0), ``rates``: virtual units per
    tick from each; ``cold``: ticks of the cache's restarts; ``extra``: ``cold_cost − 1``;
    ``warm``: the warm-up in ticks.
    """

    def __init__(self, bounds: list[int], rates: list[int], cold: list[int], extra: float,
                 warm: int) -> None:
        self.cold = np.array(cold, dtype=np.int64)
        self.extra, self.warm = float(extra), int(warm)
        self._cold = cold
        self._speeds(list(bounds), list(rates))

    def _speeds(self, bounds: list[int], rates: list[int]) -> None:
        vstart = [0]
        for k in range(1, len(bounds)):
            vstart.append(vstart[-1] + (bounds[k] - bounds[k - 1]) * rates[k - 1])
        self.bounds = np.array(bounds, dtype=np.int64)
        self.rates = np.array(rates, dtype=np.int64)
        self.vstart = np.array(vstart, dtype=np.int64)
        self._bounds, self._rates, self._vstart = bounds, rates, vstart

    def speed_up(self, tick: int, rate: int) -> None:
        """Serve at ``rate`` from ``tick`` on (after every bound so far): the virtual times
        before ``tick`` are unchanged, so a queue's state on this clock stays valid."""
        assert tick > self._bounds[-1]
        self._speeds([*self._bounds, tick], [*self._rates, rate])

    # -------------------------------------------------------------- vectorised

    def virtual(self, a: np.ndarray) -> np.ndarray:
        """Virtual time of ticks ``a``."""
        k = np.searchsorted(self.bounds, a, side="right") - 1
        return self.vstart[k] + (a - self.bounds[k]) * self.rates[k]

    def real(self, v: np.ndarray) -> np.ndarray:
        """The first tick whose virtual time reaches ``v``."""
        k = np.searchsorted(self.vstart, v, side="right") - 1
        return self.bounds[k] - ((self.vstart[k] - v) // self.rates[k])

    def multiplier(self, a: np.ndarray) -> np.ndarray:
        """The cold multiplier of a request arriving at tick ``a``: 1 + extra × the share
        of the warm-up still ahead (1 before the first restart)."""
        k = np.searchsorted(self.cold, a, side="right") - 1
        since = (a - self.cold[np.maximum(k, 0)]).astype(np.float64)
        ahead = np.where(k >= 0, np.clip(1.0 - since / self.warm, 0.0, 1.0), 0.0)
        return 1.0 + self.extra * ahead

    def work(self, s: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Virtual work of requests of base service ticks ``s`` arriving at ticks ``a``."""
        base = s * SCALE
        if not len(self._cold):
            return base
        return np.rint(base * self.multiplier(a)).astype(np.int64)

    def rate_at(self, a: np.ndarray) -> np.ndarray:
        """Virtual units per tick at ticks ``a``."""
        return self.rates[np.searchsorted(self.bounds, a, side="right") - 1]

    # -------------------------------------------------------------- one at a time

    def virtual1(self, a: int) -> int:
        k = bisect.bisect_right(self._bounds, a) - 1
        return self._vstart[k] + (a - self._bounds[k]) * self._rates[k]

    def real1(self, v: int) -> int:
        k = bisect.bisect_right(self._vstart, v) - 1
        return self._bounds[k] - ((self._vstart[k] - v) // self._rates[k])

    def work1(self, s: int, a: int) -> int:
        base = s * SCALE
        k = bisect.bisect_right(self._cold, a) - 1
        if k < 0:
            return base
        ahead = min(max(1.0 - float(a - self._cold[k]) / self.warm, 0.0), 1.0)
        return int(np.rint(base * (1.0 + self.extra * ahead)))


@dataclass
class Ramp:
    """One reopen window of a region: ``[start, end)`` in ticks (cut short by the next
    ramp's start), its share reaching 1 at ``start + length``."""

    start: int
    end: int
    length: int


class Gates:
    """The reopen ramps' token buckets, one per region, served one at a time."""

    def __init__(self, scenario: Scenario, clocks: list[RegionClock | None],
                 ramps: list[list[Ramp]]) -> None:
        self.clocks = clocks
        self.ramps = ramps
        self.starts = [[w.start for w in mine] for mine in ramps]
        self.specs = [r.capacity.reopen if r.capacity is not None else None
                      for r in scenario.regions]
        self.tokens = [0.0] * len(ramps)
        self.last = [0] * len(ramps)
        self.current = [-1] * len(ramps)  # index of the ramp the bucket belongs to

    def admit(self, r: int, service: int, t: float) -> bool:
        """Whether region ``r``'s ramp admits a request of base service ticks ``service``
        at ``t`` (always outside its windows); takes its work when it does."""
        ramps = self.ramps[r]
        if not ramps:
            return True
        a = _tick(t)
        k = bisect.bisect_right(self.starts[r], a) - 1
        if k < 0 or a >= ramps[k].end:
            return True
        clock = self.clocks[r]
        work = service if clock is None else clock.work1(service, a)
        spec = self.specs[r]
        if k != self.current[r]:
            self.current[r], self.tokens[r], self.last[r] = k, 0.0, ramps[k].start
        depth = spec.burst * TICKS_PER_S * self._rate(r, ramps[k].start)
        gained = self.allowance(r, ramps[k], a) - self.allowance(r, ramps[k], self.last[r])
        self.tokens[r] = min(depth, self.tokens[r] + gained)
        self.last[r] = a
        if self.tokens[r] < work:
            return False
        self.tokens[r] -= work
        return True

    def _rate(self, r: int, a: int) -> int:
        clock = self.clocks[r]
        return 1 if clock is None else int(clock.rate_at(np.array([a]))[0])

    def allowance(self, r: int, ramp: Ramp, a: int) -> float:
        """Virtual work the ramp allows from its start to tick ``a``: ∫ share(u)·rate(u) du,
        share rising linearly from ``initial`` to 1 over the window, exact per constant-
        speed piece."""
        initial = self.specs[r].initial
        length = ramp.length
        clock = self.clocks[r]
        bounds = [0] if clock is None else clock._bounds
        total = 0.0
        for k, lo in enumerate(bounds):
            hi = bounds[k + 1] if k + 1 < len(bounds) else a
            lo, hi = max(lo, ramp.start), min(hi, a)
            if hi <= lo:
                continue
            x0, x1 = (lo - ramp.start) / length, (hi - ramp.start) / length
            mean_share = initial + (1.0 - initial) * (x0 + x1) / 2
            total += (hi - lo) * mean_share * self._rate(r, lo)
        return total


MINUTE_TICKS = 60 * TICKS_PER_S


class Watch:
    """A scale-up on ``utilisation``: the work entering a region's queue, minute by minute
    (fed in time order); the first minute whose work reaches ``threshold`` of the capacity
    fires it, the new capacity serving ``delay`` after that minute's end. The minute's
    total decides, not the order within it, so every serving order fires alike."""

    def __init__(self, scenario: Scenario, r: int, clock: RegionClock, delay_s: float,
                 events: list[tuple]) -> None:
        region = scenario.regions[r]
        self.up = region.capacity.scale_up
        self.name, self.vcpus = region.name, region.capacity.vcpus
        self.clock, self.delay_s, self.events = clock, delay_s, events
        self.horizon = scenario.run.duration
        self.limit = self.up.threshold * MINUTE_TICKS * SCALE
        self.minute, self.work, self.fired = -1, 0, False

    def enter(self, a: int, service: int) -> None:
        """A request of base service ticks ``service`` enters the queue at tick ``a``."""
        if self.fired:
            return
        minute = a // MINUTE_TICKS
        if minute != self.minute:
            self.minute, self.work = minute, 0
        self.work += self.clock.work1(service, a)
        if self.work >= self.limit:
            self._fire(minute)

    def enter_many(self, a: np.ndarray, s: np.ndarray) -> None:
        """Requests entering at ticks ``a`` (sorted) with base service ticks ``s``."""
        if self.fired or not len(a):
            return
        minutes = a // MINUTE_TICKS
        work = self.clock.work(s, a)
        starts = np.flatnonzero(np.r_[True, minutes[1:] != minutes[:-1]])
        totals = np.add.reduceat(work, starts)
        for minute, total in zip(minutes[starts].tolist(), totals.tolist(), strict=True):
            self.work = (self.work if minute == self.minute else 0) + total
            self.minute = minute
            if self.work >= self.limit:
                self._fire(minute)
                return

    def _fire(self, minute: int) -> None:
        self.fired = True
        t = (minute + 1) * 60.0 + self.delay_s
        if t < self.horizon:
            self.clock.speed_up(_tick(t), max(1, round(SCALE * self.up.to / self.vcpus)))
            self.events.append((t, EVENT_SCALE, self.name, self.up.to, ""))


@dataclass
class Schedule:
    """Every region's clock (None: the plain tick clock), reopen ramps and utilisation
    watches; ``events``: what the events table records (a watch adds its scale-up)."""

    clocks: list[RegionClock | None]
    gates: Gates | None
    windows: list[tuple[float, float]]  # every ramp's [start, end) in seconds, sorted
    watches: list[Watch | None] | None = None
    events: list[tuple] | None = None

    def span(self, t: float) -> tuple[float, float]:
        """For batching at ``t``: (until when requests are served one at a time — ``t``
        itself outside every ramp's window —, the next window's start)."""
        for start, end in self.windows:
            if start <= t < end:
                return end, math.inf
            if start > t:
                return t, start
        return t, math.inf


def _moments(control: ControlTimeline, r: int) -> dict[str, list[float]]:
    """The instants of each moment for region ``r``, in time order."""
    recoveries = [e.start_s for prev, e in zip(control.epochs, control.epochs[1:], strict=False)
                  if prev.status[r] == DOWN and e.status[r] != DOWN]
    return {
        "start": [0.0],
        "recovery": recoveries,
        "failover": [a.time_s for a in control.actions if a.kind == "promote" and a.region == r],
        "failback": [a.time_s for a in control.actions
                     if a.kind in ("failback", "rejoin") and a.region == r],
    }


def build_schedule(scenario: Scenario, control: ControlTimeline,
                   streams: Streams) -> Schedule | None:
    """The run's schedule from its control timeline (None when no region scales, caches
    or reopens). Each scaling region draws its delay once, in region order, from stream
    ``capacity``; a scale-up on utilisation waits for the data plane (:class:`Watch`)."""
    if not any(_changes(region) for region in scenario.regions):
        return None
    rng = streams.get("capacity")
    events: list[tuple] = []
    delays: dict[int, float] = {}
    for r, region in enumerate(scenario.regions):
        capacity = region.capacity
        if capacity is None:
            continue
        moments = _moments(control, r)
        name = region.name
        if capacity.scale_up is not None:
            delay = sample_one(capacity.scale_up.after, rng)
            triggers = moments.get(capacity.scale_up.trigger, [])
            if capacity.scale_up.trigger == "utilisation":
                delays[r] = delay
            elif triggers and triggers[0] + delay < scenario.run.duration:
                events.append((triggers[0] + delay, EVENT_SCALE, name, capacity.scale_up.to, ""))
        if capacity.cache is not None:
            events += [(t, EVENT_COLD, name, 0.0, "") for t in
                       sorted({t for m in capacity.cache.cold_at for t in moments[m]})]
        if capacity.reopen is not None:
            events += [(t, EVENT_REOPEN, name, capacity.reopen.over, "") for t in
                       sorted({t for m in capacity.reopen.at for t in moments[m]})]
    events.sort(key=lambda e: e[0])
    schedule = _schedule(scenario, events, watched=set(delays))
    schedule.events = events
    schedule.watches = [Watch(scenario, r, schedule.clocks[r], delays[r], events)
                        if r in delays else None for r in range(len(scenario.regions))]
    return schedule


def schedule_from_events(scenario: Scenario, events: pd.DataFrame) -> Schedule | None:
    """The schedule a run used, from its events table (None when nothing changes)."""
    if not any(_changes(region) for region in scenario.regions):
        return None
    mine = events[events["kind"].astype(str).isin((EVENT_SCALE, EVENT_COLD, EVENT_REOPEN))]
    rows = zip(mine["time_s"].tolist(), mine["kind"].astype(str).tolist(),
               mine["region"].astype(str).tolist(), mine["value"].tolist(), strict=True)
    return _schedule(scenario, [(t, kind, region, value, "") for t, kind, region, value in rows])


def _changes(region: object) -> bool:
    c = region.capacity  # type: ignore[attr-defined]
    return c is not None and (c.scale_up is not None or c.cache is not None
                              or c.reopen is not None)


def _schedule(scenario: Scenario, events: list[tuple],
              watched: set[int] = frozenset()) -> Schedule:
    """Clocks and gates from the schedule's events (time order); ``watched`` regions get a
    clock whatever the events (a scale-up on utilisation may come)."""
    clocks: list[RegionClock | None] = []
    ramps: list[list[Ramp]] = []
    windows = []
    for r, region in enumerate(scenario.regions):
        mine = [e for e in events if e[2] == region.name]
        capacity = region.capacity
        bounds, rates = [0], [SCALE]
        for t, kind, _, value, _ in mine:
            if kind == EVENT_SCALE:
                bounds.append(_tick(t))
                rates.append(max(1, round(SCALE * value / capacity.vcpus)))
        cold = [_tick(e[0]) for e in mine if e[1] == EVENT_COLD]
        cache = capacity.cache if capacity is not None else None
        changes = capacity is not None and (len(bounds) > 1 or cache is not None
                                            or r in watched)
        clocks.append(RegionClock(bounds, rates, cold,
                                  cache.cold_cost - 1.0 if cache else 0.0,
                                  _tick(cache.warm_up) if cache else 1) if changes else None)
        reopens = [(e[0], e[3]) for e in mine if e[1] == EVENT_REOPEN]
        ends = [t for t, _ in reopens[1:]] + [math.inf]
        ramps.append([Ramp(_tick(t), _tick(min(t + over, nxt)), _tick(over))
                      for (t, over), nxt in zip(reopens, ends, strict=False)])
        # A tick's requests arrive within the microsecond before it: one tick of margin
        # each side keeps every gated request out of batches.
        windows += [((r.start - 1) / TICKS_PER_S, (r.end + 1) / TICKS_PER_S)
                    for r in ramps[-1]]
    gates = Gates(scenario, clocks, ramps) if any(ramps) else None
    return Schedule(clocks, gates, _merge(windows))


def _merge(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def clocks_of(scenario: Scenario, events: pd.DataFrame) -> list[RegionClock | None] | None:
    """The regions' clocks a run used (None when no capacity changes in time)."""
    schedule = schedule_from_events(scenario, events)
    return schedule.clocks if schedule is not None else None


def load_per_window(clock: RegionClock | None, t: np.ndarray, s: np.ndarray,
                    window: np.ndarray, n: int, starts_s: np.ndarray,
                    lengths_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window (``window``: each attempt's, of ``n``, starting at ``starts_s``, lasting
    ``lengths_s``): the work of the attempts entering a region's queue (arriving at ``t``,
    base service ticks ``s``) and the region's capacity over the window, in one unit
    (seconds of work at the base capacity; virtual units on a clock), and each attempt's
    own service time (s) at the speed of its arrival."""
    if clock is None:
        service = s / TICKS_PER_S
        return (np.bincount(window, weights=service, minlength=n),
                np.broadcast_to(lengths_s, (n,)), service)
    a = np.ceil(t * TICKS_PER_S).astype(np.int64)
    work = clock.work(s, a)
    service = work / clock.rate_at(a) / TICKS_PER_S
    lo = clock.virtual(np.ceil(starts_s * TICKS_PER_S).astype(np.int64))
    hi = clock.virtual(np.ceil((starts_s + lengths_s) * TICKS_PER_S).astype(np.int64))
    return (np.bincount(window, weights=work.astype(np.float64), minlength=n),
            (hi - lo).astype(np.float64), service)
