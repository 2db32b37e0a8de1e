"""LIFO and drop-oldest queues: attempts decided when the server reaches them.

At a region whose ``capacity.discipline`` is ``lifo`` or ``drop_oldest`` an attempt's
fate depends on what arrives after it — a newer one is served first, or pushes it out —
so it cannot be decided at its arrival as under FIFO (docs/model.md, "Load shedding").
An attempt that finds the server idle (its backlog cleared at or before the arrival's
tick, nobody waiting) starts at once and is served at its arrival exactly as under
FIFO. Any other *parks* (:meth:`Deferred.park`): nothing is recorded yet, and the
region's events decide it in time order, merged into the data plane's loop:

- *service* when the server frees, at tick ``f``: it takes the newest waiting attempt
  (``lifo``) or the oldest (``drop_oldest``), which starts at ``f`` and finishes at
  ``f + s``. If its latency (its fixed latency + ``f + s − a``) stays within its
  client's timeout, the rest of the serving (writes, user state, the operation's rules)
  runs then: the region applies its effects when it serves it; the record keeps the
  arrival time. Otherwise its client times out (no effect); the work is done anyway.
  The event's instant is ``(f − 1) / TICKS_PER_S``, the end of the tick before ``f``:
  an arrival whose tick is ``f`` or later finds the server taken and the queue one
  shorter, exactly as FIFO's ``max(free, a)`` starts a request at ``f``, so the count
  in the system is the same whatever the discipline.
- *deadline* at ``a + timeout − fixed``: a client still waiting gives up: recorded
  ``timeout`` then. The attempt stays in the queue (the server still does its work when
  it reaches it: only ``drop_expired`` skips abandoned work, and it is FIFO).
- ``drop_oldest``: an arrival finding ``max_queue`` waiting pushes out the oldest:
  recorded ``shed`` at that instant (one already timed out is simply removed).
- *region down*: a region that goes down at ``d`` loses its queue (:meth:`Deferred.drop`):
  every attempt still waiting there is recorded ``region_down`` at ``d`` (one already
  timed out is simply removed); none is served by the dead region. The attempt in
  service was decided when its service began, as FIFO's are at their arrival.

A decision's retry (and a breaker's or retry budget's bookkeeping) is timed from the
instant it is taken; a retry due at that very instant comes just after it (the next
float), so that it joins the queue after the arrival or the service that decided its
attempt, in the records' order as in the run's. Events at one instant: deadlines
before services, and both after arrivals and agenda items. Sojourns are not kept here: the records replay the queue
(:func:`drsim.model.replay.replay_deferred`), which follows these same rules.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

from drsim.model.capacity import TICKS_PER_S, Queues
from drsim.model.control import DOWN, Epoch
from drsim.model.operations import REGION_DOWN, SHED_OUT, TIMEOUT

if TYPE_CHECKING:
    from drsim.model.dataplane import DataPlane

DEADLINE, SERVICE = 0, 1
"""Event kinds, in their order at equal times."""

WAITING, TIMED_OUT, LATE, DONE = range(4)
"""A parked attempt's state: waiting (undecided); waiting, its client gone (recorded);
in service but past its client's deadline (recorded when the deadline comes); done."""


class Parked:
    """An attempt waiting at a deferred region, with what finishing it needs: ``call``,
    serve_one's arguments (set by the data plane once parked)."""

    __slots__ = ("t", "a", "work", "fixed", "limit", "state", "call")

    def __init__(self, t: float, a: int, work: int, fixed: float, limit: float) -> None:
        self.t = t  # arrival (s)
        self.a = a  # arrival tick
        self.work = work  # service ticks
        self.fixed = fixed  # the latency outside the queue (s)
        self.limit = limit  # the client's timeout (s; ∞: none)
        self.state = WAITING
        self.call: tuple = ()


class Deferred:
    """The deferred regions' waiting attempts and events of one data plane (the waiting
    lists and the servers' free instants live in :class:`~drsim.model.capacity.Queues`,
    which decides who parks)."""

    def __init__(self, plane: DataPlane, queues: Queues) -> None:
        self.plane = plane
        self.queues = queues
        capacities = [r.capacity for r in plane.scenario.regions]
        self.newest_first = [c is not None and c.discipline == "lifo" for c in capacities]
        self.max_queue = [c.max_queue if c is not None else None for c in capacities]
        self.heap: list[tuple] = []
        self.seq = 0

    def next_time(self) -> float:
        """When the next live event is due (∞: none); deadlines of decided attempts are
        dropped on the way."""
        heap = self.heap
        while heap and heap[0][1] == DEADLINE and heap[0][3].state == DONE:
            heapq.heappop(heap)
        return heap[0][0] if heap else math.inf

    def _push(self, t: float, kind: int, payload) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, kind, self.seq, payload))

    def park(self, r: int, op: int, t: float, fixed: float, limit: float) -> Parked:
        """An attempt reaching region ``r`` at ``t`` while its server is busy or others
        wait: it joins the queue (pushing the oldest out if full)."""
        queues = self.queues
        waiting = queues.waiting[r]
        if not waiting:
            self._push((queues.free[r] - 1) / TICKS_PER_S, SERVICE, r)
        elif len(waiting) == self.max_queue[r]:
            oldest = waiting.popleft()
            if oldest.state == WAITING:
                self.plane.conclude(oldest.call, t, SHED_OUT)
            oldest.state = DONE
        parked = Parked(t, math.ceil(t * TICKS_PER_S), queues.rows[r][op], fixed, limit)
        waiting.append(parked)
        if limit < math.inf:
            self._push(max(t, t + (limit - fixed)), DEADLINE, parked)
        return parked

    def enter(self, before: Epoch, now: Epoch) -> bool:
        """Epoch ``now`` begins after ``before``: a deferred region that goes down in it
        loses its queue (:meth:`drop`). Returns whether an attempt was waiting."""
        dropped = False
        for r, deferring in enumerate(self.queues.deferred):
            if deferring and now.status[r] == DOWN and before.status[r] != DOWN:
                dropped |= self.drop(r, now.start_s)
        return dropped

    def drop(self, r: int, t: float) -> bool:
        """Region ``r`` goes down at ``t``: the attempts waiting there end ``region_down``
        (those whose clients gave up already are removed), and its server's next service
        is called off. Returns whether any attempt was waiting."""
        waiting = self.queues.waiting[r]
        if not waiting:
            return False
        for parked in waiting:
            if parked.state == WAITING:
                self.plane.conclude(parked.call, t, REGION_DOWN)
            parked.state = DONE
        waiting.clear()
        # A service event is pending exactly while someone waits: the region's goes.
        self.heap = [event for event in self.heap
                     if not (event[1] == SERVICE and event[3] == r)]
        heapq.heapify(self.heap)
        return True

    def fire(self) -> None:
        """The next event (:meth:`next_time` first)."""
        t, kind, _, payload = heapq.heappop(self.heap)
        if kind == DEADLINE:
            payload.state = TIMED_OUT if payload.state == WAITING else DONE
            self.plane.conclude(payload.call, t, TIMEOUT)
            return
        r = payload
        queues = self.queues
        waiting = queues.waiting[r]
        parked = waiting.pop() if self.newest_first[r] else waiting.popleft()
        free = queues.free[r] = queues.free[r] + parked.work
        if waiting:
            self._push((free - 1) / TICKS_PER_S, SERVICE, r)
        if parked.state == TIMED_OUT:
            parked.state = DONE
        elif parked.fixed + (free - parked.a) / TICKS_PER_S > parked.limit:
            parked.state = LATE  # its deadline event records the timeout
        else:
            parked.state = DONE
            self.plane.serve_parked(parked.call, t)
