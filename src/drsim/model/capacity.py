"""Capacity: a FIFO queue per region whose wait grows with utilisation (docs/model.md).

A region with ``regions[].capacity`` serves every request that passed its quota
in arrival order at its total capacity (work-conserving, ``vcpus`` vCPUs; a
request's work is its operation's vCPU-seconds). The queue is a single fluid
server — M/G/1 with service time work / vcpus — so a request's sojourn (wait
plus its own service) obeys Lindley's recursion::

    free_k = max(free_{k−1}, a_k) + s_k,   sojourn_k = free_k − a_k

with ``free`` the instant the server clears its backlog. Times and works are
whole microseconds (:data:`TICKS_PER_S`; an arrival rounds up to the next
tick), so the recursion is integer arithmetic: the one-at-a-time form, the
vectorised form (``free_k = cum_k + max(free_0, max_{j≤k}(a_j − cum_{j−1}))``)
and any order of simultaneous arrivals' final state agree exactly.

The data plane tracks the queues (:class:`Queues`) only when a wait changes
outcomes — a client can time out, a region sheds (:mod:`drsim.model.disciplines`), or a
region goes down and loses its queue; otherwise each attempt's sojourn is worked out from
the records (:func:`drsim.model.replay.sojourn_s`) and only its latency changes.

A region whose speed or costs change in time (scale-up, a cold cache) runs the same
recursion on its virtual clock (``clocks``, :mod:`drsim.model.capacity_schedule`).

A ``lifo`` or ``drop_oldest`` region serves an attempt at its arrival only when its server
is idle; the others wait (:mod:`drsim.model.deferred`), and the records replay that queue
(:func:`drsim.model.replay.replay_deferred`) instead of Lindley's.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque

import numpy as np

from drsim.model.capacity_schedule import RegionClock, Watch
from drsim.model.control import DOWN, Epoch
from drsim.model.operations import CATEGORY_OF_OP, QUOTA_CATEGORIES, QUOTA_CATEGORY
from drsim.model.quotas import Load
from drsim.records import OP_CODE, OUTCOME_CODE
from drsim.scenario.schema import Scenario
from drsim.scenario.sections.shedding import DEFERRED

TICKS_PER_S = 1_000_000
"""The queue's clock: whole microseconds."""

NO_WORK_OUTCOMES = ("region_down", "region_error", "kms_unavailable", "dns_unavailable",
                    "throttled", "circuit_open")
"""Outcomes decided before a request reaches a region's queue (client breaker, endpoint,
quota)."""

SHED_CODE = OUTCOME_CODE["shed"]
REACHES = np.ones(max(OUTCOME_CODE.values()) + 1, dtype=np.bool_)
REACHES[[OUTCOME_CODE[c] for c in NO_WORK_OUTCOMES]] = False
ADMITS = REACHES.copy()
ADMITS[SHED_CODE] = False
"""Per outcome code, whether the attempt reached a region's queue, and whether it was
also admitted (not shed): :func:`worked` looks each attempt's up once (2–3× faster than
``np.isin`` over the codes at 2 M attempts)."""
SHED = -1.0
"""What :meth:`Queues.take` returns for a request the region's admission control refuses."""
WAIT = -2.0
"""What :meth:`Queues.take` returns for a request that waits at a deferred region."""
LOST = -3.0
"""What :meth:`Queues.take` returns for a request still waiting when its region goes down
(at :attr:`Queues.lost_at`)."""


def down_instants(epochs: list[Epoch], n_regions: int) -> list[list[float]]:
    """Per region, the instants it goes down (an epoch that finds it up begins down)."""
    out: list[list[float]] = [[] for _ in range(n_regions)]
    for before, now in zip(epochs, epochs[1:], strict=False):
        for r in range(n_regions):
            if now.status[r] == DOWN and before.status[r] != DOWN:
                out[r].append(now.start_s)
    return out


def deferred_regions(scenario: Scenario) -> list[bool]:
    """Per region, whether its discipline is ``lifo`` or ``drop_oldest``."""
    return [r.capacity is not None and r.capacity.discipline in DEFERRED
            for r in scenario.regions]


def service_ticks(scenario: Scenario) -> np.ndarray | None:
    """Service time per (region, operation code) in ticks (0 where capacity is unlimited);
    None when no region has a capacity."""
    if all(r.capacity is None for r in scenario.regions):
        return None
    ticks = np.zeros((len(scenario.regions), len(OP_CODE)), dtype=np.int64)
    for r, region in enumerate(scenario.regions):
        if region.capacity is None:
            continue
        per_vcpu = region.capacity.per_vcpu
        for op, category in QUOTA_CATEGORY.items():
            seconds = 1.0 / (getattr(per_vcpu, category) * region.capacity.vcpus)
            ticks[r, op] = max(1, round(seconds * TICKS_PER_S))
    return ticks


def arrival_ticks(t: np.ndarray) -> np.ndarray:
    """Arrival instants on the queue's clock (rounded up), as :func:`math.ceil` does."""
    ticks = np.multiply(t, TICKS_PER_S)
    np.ceil(ticks, out=ticks)
    return ticks.astype(np.int64)


def waits(a: np.ndarray, s: np.ndarray, free0: int) -> np.ndarray:
    """Each request's wait before its service starts (ticks; sorted arrivals ``a``,
    services ``s``, the backlog clearing at ``free0`` before the first): with
    D_k = a_k − (s_0 + … + s_{k−1}), the wait is max(free0, D_0, …, D_k) − D_k (the
    vectorised Lindley recursion). Two arrays of ``a``'s size, one scan of each (the
    scans cost ≈ 2.5 ns per element, the other passes ≈ 1)."""
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    before = np.empty(len(a), dtype=np.int64)
    before[0] = 0
    np.cumsum(s[:-1], out=before[1:])
    np.subtract(a, before, out=before)  # D
    wait = np.maximum.accumulate(before)
    if free0 > a[0]:  # else a no-op: every running maximum is at least D_0 = a_0
        np.maximum(wait, free0, out=wait)
    wait -= before
    return wait


def lindley(a: np.ndarray, s: np.ndarray, free0: int) -> np.ndarray:
    """Each request's finish tick (sorted arrivals ``a``, services ``s``, the backlog
    clearing at ``free0`` before the first): arrival, wait (:func:`waits`), service."""
    finish = waits(a, s, free0)
    finish += a
    finish += s
    return finish


MAX_BINS = 1 << 16
"""Bins of :func:`backlog_end`'s bound at most (else it gives none)."""


def load_bound(load: Load, r: int, work: np.ndarray, free0: int) -> float:
    """An upper bound on the longest sojourn (ticks) that :func:`lindley` would give the
    attempts counted at region ``r`` in ``load`` (:class:`~drsim.model.quotas.Load`),
    ``work`` ticks per quota category, behind a backlog clearing at ``free0``:
    :func:`_bound` on the work arriving in each of the load's time bins, no tick worked
    out and no sort. The bins come from times in seconds, not ticks: a tick (rounded up)
    lies within δ < 2 ticks of its bin, so the attempts served before one in bin j lie in
    bins up to j + 1, from one bin before an earlier arrival's on, and the sojourn is at
    most that bound + 2·width + 2δ (+ 4 ticks for the floats' rounding and the bound's
    truncation)."""
    first, _, _ = load.bins
    width = TICKS_PER_S / load.bins_per_s
    if width <= 8:  # the bins are not wider than the ticks' uncertainty: no bound
        return math.inf
    binned = work @ load.counts[r]
    return _bound(first * TICKS_PER_S, binned, free0, width) + 2 * width + 8


def _binned_work(a: np.ndarray, s: np.ndarray, width: int
                 ) -> tuple[int, np.ndarray, np.ndarray] | None:
    """The first arrival tick ``o``, each arrival's bin (``width`` ticks from ``o``) and
    the work arriving in each bin; None if that takes more than :data:`MAX_BINS` bins."""
    o = int(a.min())
    bins = a - o
    if width & (width - 1):
        bins //= width
    else:  # a power of two: a shift (the division takes three times as long)
        bins >>= width.bit_length() - 1
    n = int(bins.max()) + 1
    if n > MAX_BINS:
        return None
    return o, bins, np.bincount(bins, weights=s, minlength=n).astype(np.int64)  # exact < 2⁵³


def _bound(o: float, work: np.ndarray, free0: int, width: float) -> int:
    """An upper bound on the longest sojourn (ticks) of arrivals in bins of ``width``
    ticks from ``o``, ``work`` arriving in each, behind a backlog clearing at ``free0``.

    An arrival in bin j finishes at max(free0 + the work up to it, a_k + the work from
    arrival k to it) over earlier arrivals k (Lindley). With S_p the work of bin p,
    C_j = S_0 + … + S_j: the first term less its arrival is at most free0 − o + C_j −
    j·width; an arrival k in bin p ≤ j comes less than (p + 1 − j)·width after it, with
    at most S_p + … + S_j of work, so the second is at most max_p (S_p + … + S_j −
    (j − p)·width) + width. With integers, exact."""
    cum = np.cumsum(work)
    steps = np.arange(len(work), dtype=np.int64) * width
    before = cum - work  # C_{p−1}
    busiest = np.maximum.accumulate(steps - before)  # max_p (p·width − C_{p−1})
    nearest = cum - steps + busiest + width
    backlog = free0 - o + cum - steps
    return int(np.maximum(nearest, backlog).max())


def backlog_end(a: np.ndarray, s: np.ndarray, free0: int, limit: int) -> int | None:
    """When the backlog clears after arrivals ``a`` (ticks, any order) with services
    ``s`` behind a backlog clearing at ``free0`` — :func:`lindley`'s last finish, exactly
    — if :func:`_bound` shows no sojourn above ``limit``; else None (decide by
    :func:`lindley`).

    The last finish is max(free0 + the work, max_k a_k + W_k), W_k the work arriving at
    or after a_k (the last busy period starts at such an arrival). In bins of ``width``
    ticks with W_p the work from bin p on, an arrival in non-empty bin p has a_k + W_k
    between o + p·width + W_p (its first arrival) and that + width − 1: only the bins
    whose upper value reaches the largest lower one can hold the maximum, and only the
    arrivals from the first such bin on (a few of the batch's last) are sorted."""
    width = 1 << ((int(a.max()) - int(a.min())) // 4096).bit_length()  # ≤ 4096 bins
    o, bins, work = _binned_work(a, s, width)
    if _bound(o, work, free0, width) > limit:
        return None
    total = int(work.sum())
    later = total - np.cumsum(work) + work  # W_p
    lowest = o + np.arange(len(work), dtype=np.int64) * width + later
    lowest[work == 0] = np.iinfo(np.int64).min  # an empty bin holds no arrival
    reach = int(lowest.max())
    first = int(np.flatnonzero(lowest + (width - 1) >= reach)[0])
    tail = np.flatnonzero(bins >= first)
    order = np.argsort(a[tail])
    at, work_from = a[tail][order], np.cumsum(s[tail][order][::-1])[::-1]
    return max(free0 + total, int((at + work_from).max()))


def in_time_order(a: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arrival ticks ``a`` sorted, with their services ``s``, by one sort of packed keys
    when they fit in 62 bits. Simultaneous arrivals may come in any order: the backlog
    after them and the longest sojourn among them (the last one's) do not depend on it."""
    bits = int(s.max()).bit_length() if len(s) else 0
    if len(a) and a.min() >= 0 and s.min() >= 0 and int(a.max()) < 1 << (62 - bits):
        keys = np.sort((a << bits) | s, kind="stable")  # a few sorted runs: timsort
        return keys >> bits, keys & ((1 << bits) - 1)
    order = np.argsort(a, kind="stable")
    return a[order], s[order]


def worked(scenario: Scenario, region: np.ndarray, outcome: np.ndarray,
           offered: bool = False) -> np.ndarray:
    """Which recorded attempts the region's queue worked on: those that reached it, less
    the ones it shed and, where the discipline is ``drop_expired``, the ones that timed
    out (the server skipped them). ``offered``: those that reached it, shed and skipped
    ones included (the work offered)."""
    out = np.take(REACHES if offered else ADMITS, outcome)
    if offered:
        return out
    skips = [r for r, reg in enumerate(scenario.regions)
             if reg.capacity is not None and reg.capacity.discipline == "drop_expired"]
    if skips:
        out &= ~(np.isin(region, skips) & (outcome == OUTCOME_CODE["timeout"]))
    return out


def timed_sojourns(clock: RegionClock | None, a: np.ndarray, s: np.ndarray,
                   free0: int) -> tuple[np.ndarray, int]:
    """:func:`lindley` on a region's clock: each request's sojourn (finish − arrival
    ticks; sorted arrival ticks ``a``, base service ticks ``s``, the backlog clearing at
    ``free0`` on the clock) and the clock's last finish (the new ``free0``)."""
    if clock is None:
        sojourn = waits(a, s, free0)
        sojourn += s
        return sojourn, int(a[-1] + sojourn[-1])
    finish = lindley(clock.virtual(a), clock.work(s, a), free0)
    return clock.real(finish) - a, int(finish[-1])


class Queues:
    """The regions' queues as the data plane serves requests (when clients time out).

    One at a time, :meth:`take` returns an attempt's sojourn (or :data:`SHED`). A batch
    is served vectorised only when no attempt in it can wait long enough to time out or
    be shed (:meth:`fits`); its attempts are logged and booked at its end (:meth:`book`),
    which checks the promise and otherwise has the run redone one at a time.

    A region that goes down loses its queue: an attempt whose service would start after
    that instant ends ``region_down`` then (:data:`LOST`), or times out if its client gave
    up first, and the region does none of its work. Its service starts at or before the
    region goes down or it does not start at all (a LIFO or drop-oldest queue's rule,
    :mod:`drsim.model.deferred`): the starts are known at the arrival, as every
    instant a region goes down is (``drops``, :func:`down_instants`).

    ``shed_at``: per (region, operation code), the wait ahead in ticks above which a
    request is shed (:func:`drsim.model.disciplines.shed_ticks`); ``bound_s``: per
    region, the smallest of them in seconds. Absent: nothing is shed. ``clocks``,
    ``watches``: per region, its clock when its capacity changes in time and its
    utilisation watch (:mod:`drsim.model.capacity_schedule`).
    """

    SAFETY = 0.5  # a batch's bound on sojourns must stay under this share of its limit

    def __init__(self, scenario: Scenario, ticks: np.ndarray,
                 shed_at: np.ndarray | None = None, bound_s: np.ndarray | None = None,
                 clocks: list[RegionClock | None] | None = None,
                 watches: list[Watch | None] | None = None,
                 drops: list[list[float]] | None = None) -> None:
        self.ticks = ticks
        self.limited = [r.capacity is not None for r in scenario.regions]
        self.drops = [d if limited else [] for d, limited in
                      zip(drops or [[] for _ in scenario.regions], self.limited, strict=True)]
        self.all_drops = sorted(d for region in self.drops for d in region)
        self.lost_at = math.inf  # when the last attempt take found LOST is lost
        self.clocks = clocks or [None] * len(scenario.regions)
        self.watches = watches or [None] * len(scenario.regions)
        self.shed_at = None if shed_at is None else shed_at.tolist()
        self.bound_s = np.full(len(scenario.regions), np.inf) if bound_s is None else bound_s
        self.skips = [r.capacity is not None and r.capacity.discipline == "drop_expired"
                      for r in scenario.regions]
        self.rows = ticks.tolist()
        self.category_ticks = np.zeros((len(ticks), len(QUOTA_CATEGORIES)), dtype=np.int64)
        self.category_ticks[:, CATEGORY_OF_OP] = ticks  # an operation's work is its category's
        self.free = [0] * len(scenario.regions)  # when each backlog clears (on its clock)
        self.deferred = deferred_regions(scenario)  # lifo, drop_oldest: attempts may wait
        self.waiting: list[deque] = [deque() for _ in scenario.regions]  # their parked ones
        # A batch's attempts (regions, times, operations), worked out at its end.
        self.log: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self.log_one: list[tuple[int, float, int]] = []
        self.limit_ticks: np.ndarray | None = None

    def take(self, r: int, op: int, t: float, fixed: float = 0.0,
             limit: float = math.inf) -> float:
        """An attempt joins region ``r``'s queue at ``t``: its sojourn in seconds (0 inside
        a batch, where none may time out or be shed), or :data:`SHED`. ``fixed`` + the
        sojourn > ``limit`` (its latency past its client's timeout): the attempt times
        out, and a ``drop_expired`` region does no work for it. At a deferred region an
        attempt that finds the server busy or others waiting gets :data:`WAIT`."""
        if not self.limited[r]:
            return 0.0
        if self.log is not None:
            self.log_one.append((r, t, op))
            return 0.0
        a = math.ceil(t * TICKS_PER_S)
        if self.deferred[r] and (self.waiting[r] or self.free[r] > a):
            return WAIT
        work, clock = self.rows[r][op], self.clocks[r]
        if self.watches[r] is not None:
            self.watches[r].enter(a, work)
        if clock is None:
            start = max(self.free[r], a)
            free = start + work
            real_start, real_free = start, free
        else:
            start = max(self.free[r], clock.virtual1(a))
            free = start + clock.work1(work, a)
            real_start, real_free = clock.real1(start), clock.real1(free)
        if self.shed_at is not None and real_start - a > self.shed_at[r][op]:
            return SHED
        if self.drops[r] and (real_start - 1) / TICKS_PER_S >= (
                drop := self._next_drop(r, t)):
            self.lost_at = drop  # it would start after its region goes down
            return LOST if t + (limit - fixed) >= drop else math.inf
        sojourn = (real_free - a) / TICKS_PER_S
        if not (self.skips[r] and fixed + sojourn > limit):
            self.free[r] = free
        return sojourn

    def take_many(self, region: np.ndarray, op: np.ndarray, t: np.ndarray) -> None:
        """Log the attempts of requests served vectorised in a batch: their ticks and
        works are worked out by :meth:`book`, once a batch instead of once a wave (a
        batch has ≈ 8 waves and a few guesses). The arrays are kept, not copied, until
        then (as :meth:`~drsim.model.quotas.Quotas.take_many` keeps its times): the
        caller must not change them in place during the batch."""
        self.log.append((region, t, op))

    def fits(self, epoch: Epoch, limit_s: np.ndarray, load: Load | None, region: np.ndarray,
             t: np.ndarray, op: np.ndarray, maybe_t: np.ndarray, maybe_op: np.ndarray) -> bool:
        """Whether no attempt of a batch can wait long: requests (``t``, ``op``) reach
        ``region``, the others (``maybe_t``, ``maybe_op``) are counted at every region
        they might reach (more arrivals never shorten a FIFO wait); every sojourn must
        stay under :attr:`SAFETY` × ``limit_s`` of its region, and under its smallest
        wait bound (nothing shed). At a deferred region none may wait at all (then every
        discipline is FIFO, and each attempt is served at its arrival).

        A FIFO region on a fixed clock is cleared by a bound from the batch's ``load``
        (:meth:`drsim.model.quotas.Quotas.load`, counted once for quotas and queues:
        :func:`load_bound`), no tick worked out; the others, and a region the bound does
        not clear, are checked exactly."""
        limit = np.minimum(limit_s, self.bound_s) * TICKS_PER_S
        self.limit_ticks = np.where(np.isfinite(limit), np.floor(limit), 2.0 ** 62
                                    ).astype(np.int64)
        ticks = None
        for r in range(len(self.free)):
            if self.waiting[r]:
                return False
            if not self.limited[r] or epoch.status[r] == DOWN:
                continue
            allowed = self.SAFETY * self.limit_ticks[r]
            drop = self._next_drop(r, epoch.start_s) if self.drops[r] else math.inf
            if load is not None and not self.deferred[r] and self.clocks[r] is None:
                bound = load_bound(load, r, self.category_ticks[r], self.free[r])
                if bound <= allowed and (drop == math.inf or _before(
                        max(t.max(initial=0.0), maybe_t.max(initial=0.0)) * TICKS_PER_S
                        + bound + 1, drop)):
                    continue
            mine = np.flatnonzero(region == r)
            if not len(mine) and not len(maybe_t):
                continue
            if ticks is None:
                ticks = arrival_ticks(np.concatenate([t, maybe_t]))
            order = np.argsort(np.concatenate([t[mine], maybe_t]), kind="stable")
            a = np.concatenate([ticks[mine], ticks[len(t):]])[order]
            s = np.take(self.ticks[r], np.concatenate([op[mine], maybe_op]))[order]
            sojourn = timed_sojourns(self.clocks[r], a, s, self.free[r])[0]
            if int(sojourn.max()) > allowed:
                return False
            if self.deferred[r] and int((sojourn - s).max()) > 0:
                return False
            if drop < math.inf and not _before(int((a + sojourn).max()), drop):
                return False  # one might start after its region goes down (take decides)
        return True

    def open_batch(self) -> None:
        """Log attempts from now on instead of queueing them one by one."""
        self.log = []
        self.log_one = []

    def book(self) -> bool:
        """Queue a batch's logged attempts, in time order; False if one would have waited
        past its region's limit (the batch's promise broken)."""
        log = self.log
        self.log = None
        if self.log_one:
            r, t, op = zip(*self.log_one, strict=True)
            log.append((np.array(r, dtype=np.int64), np.array(t, dtype=np.float64),
                        np.array(op, dtype=np.int64)))
        if not log:
            return True
        region, t, op = (np.concatenate(c) for c in zip(*log, strict=True))
        a = arrival_ticks(t)  # as math.ceil in take: the same float product, rounded up
        for r, limited in enumerate(self.limited):
            if not limited:
                continue
            mine = region == r
            count = np.count_nonzero(mine)
            if not count:
                continue
            # Most batches reach one region only: then no gather.
            ar, opr = (a, op) if count == len(a) else (a[mine], op[mine])
            sr = np.take(self.ticks[r], opr)
            if self.watches[r] is None and self.clocks[r] is None and not self.deferred[r]:
                end = backlog_end(ar, sr, self.free[r], int(self.limit_ticks[r]))
                if end is not None:  # no sort of the batch: its backlog's end alone
                    self.free[r] = end
                    if self.drops[r] and self._past_a_drop(r, t):
                        return False
                    continue
            ar, sr = in_time_order(ar, sr)
            if self.watches[r] is not None:
                self.watches[r].enter_many(ar, sr)
            sojourn, self.free[r] = timed_sojourns(self.clocks[r], ar, sr, self.free[r])
            if int(sojourn.max()) > self.limit_ticks[r]:
                return False
            if self.deferred[r] and int((sojourn - sr).max()) > 0:
                return False  # one would have waited: decided at its service, not arrival
            if self.drops[r] and self._past_a_drop(r, t):
                return False
        return True

    def _next_drop(self, r: int, t: float) -> float:
        """When region ``r`` next goes down after ``t`` (inf: never)."""
        return _first_after(self.drops[r], t)

    def next_drop(self, t: float) -> float:
        """When a region with a capacity next goes down after ``t`` (inf: never)."""
        return _first_after(self.all_drops, t)

    def _past_a_drop(self, r: int, t: np.ndarray) -> bool:
        """Whether region ``r``'s backlog, as booked, may have started an attempt of the
        batch (times ``t``) after the region next goes down: then that attempt was lost,
        which only the one-at-a-time path decides (:meth:`take`; :meth:`fits` rules it
        out first)."""
        clock = self.clocks[r]
        free = self.free[r] if clock is None else clock.real1(self.free[r])
        return not _before(free, self._next_drop(r, float(t.min())))


def _first_after(instants: list[float], t: float) -> float:
    """The first of sorted ``instants`` after ``t`` (inf: none)."""
    k = bisect_right(instants, t)
    return instants[k] if k < len(instants) else math.inf


def _before(finish: float, drop: float) -> bool:
    """Whether every attempt finishing by tick ``finish`` started before the region went
    down at ``drop`` (its service started by ``finish`` − 1: :meth:`Queues.take`'s rule)."""
    return (finish - 1) / TICKS_PER_S < drop
