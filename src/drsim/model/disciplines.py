"""Load shedding at a region's queue (docs/model.md, "Load shedding").

Three keys of ``regions[].capacity``, off by default:

- ``max_wait`` — drop-tail: a request that would wait longer than this for the work
  ahead of it is refused at once (outcome ``shed``): no work, the client told at once.
- ``admission`` — the same bound per quota category: a level with a higher bound is a
  higher priority (refreshes before sign-ins). Under overload the queue settles at the
  lowest bound its traffic fills; the levels above are still admitted, so a high
  priority class whose own work fits the capacity loses nothing.
- ``discipline: drop_expired`` — the server skips a request it can no longer finish
  within its client's timeout (the deadline travels with the request): the client
  times out as under FIFO, but the region does no work for it, so under overload it
  keeps completing requests that are still wanted instead of abandoned ones.

Each is decided when the request joins the queue, from the work ahead of it: in a
queue served in arrival order nothing that arrives later changes that work, so the
decision is exact in the one-at-a-time data plane and the records replay it
(:func:`drsim.model.capacity.worked`).

Two more disciplines are decided later, because a request's fate depends on what
arrives after it (:mod:`drsim.model.deferred`):

- ``discipline: lifo`` — the newest waiting request is served next (non-preemptive);
  a request whose client has gone is still served when reached, as under FIFO.
- ``discipline: drop_oldest`` with ``max_queue`` — arrival order with at most
  ``max_queue`` waiting: an arrival to a full queue pushes out the oldest waiting
  (outcome ``shed``). With one operation, ``max_queue = K − 1`` keeps the count in the
  system of M/D/1/K, the same chain as drop-tail's ``max_wait = (K − 1)·s``.

A request that finds the server idle is served at its arrival as under FIFO; any other
waits and is decided, with its effects, when the server takes it (or its client gives
up, or it is pushed out).
"""

from __future__ import annotations

import numpy as np

from drsim.model.capacity import (
    TICKS_PER_S,
    Queues,
    deferred_regions,
    down_instants,
    service_ticks,
)
from drsim.model.capacity_schedule import RegionClock, Watch
from drsim.model.control import Epoch
from drsim.model.operations import QUOTA_CATEGORY
from drsim.records import OP_CODE
from drsim.scenario.schema import Scenario

NO_BOUND = 1 << 62
"""A wait bound no queue reaches (ticks): the category is never shed."""


def sheds(scenario: Scenario) -> bool:
    """Whether a region with a capacity bounds its wait (``max_wait`` or ``admission``)."""
    return any(r.capacity is not None and (r.capacity.max_wait is not None
                                           or r.capacity.admission)
               for r in scenario.regions)


def pushes_out(scenario: Scenario) -> bool:
    """Whether a region's queue sheds waiting requests (``drop_oldest``)."""
    return any(r.capacity is not None and r.capacity.discipline == "drop_oldest"
               for r in scenario.regions)


def category_bounds_s(capacity) -> dict[str, float]:
    """Each quota category's bound on the wait ahead (seconds; ∞: never shed)."""
    default = np.inf if capacity.max_wait is None else capacity.max_wait
    bounds = dict.fromkeys(set(QUOTA_CATEGORY.values()), default)
    for level in capacity.admission:
        for category in level.categories:
            bounds[category] = level.max_wait
    return bounds


def shed_ticks(scenario: Scenario) -> np.ndarray:
    """The wait ahead (ticks) above which a request is shed, per (region, operation
    code); :data:`NO_BOUND` where nothing is shed."""
    out = np.full((len(scenario.regions), len(OP_CODE)), NO_BOUND, dtype=np.int64)
    for r, region in enumerate(scenario.regions):
        if region.capacity is None:
            continue
        bounds = category_bounds_s(region.capacity)
        for op, category in QUOTA_CATEGORY.items():
            if np.isfinite(bounds[category]):
                out[r, op] = round(bounds[category] * TICKS_PER_S)
    return out


def shortest_bound_s(scenario: Scenario) -> np.ndarray:
    """Per region, the smallest wait bound of any category (seconds; ∞: none): a batch
    whose waits stay under it sheds nothing."""
    return np.array([min(category_bounds_s(r.capacity).values()) if r.capacity else np.inf
                     for r in scenario.regions])


def tracked_queues(scenario: Scenario, clocks: list[RegionClock | None] | None,
                   watches: list[Watch | None] | None, epochs: list[Epoch]) -> Queues | None:
    """The regions' queues, when a wait changes outcomes and the data plane must track
    them: a client can time out, a region sheds, a LIFO or drop-oldest region decides at
    service, a region with a capacity goes down (and loses its queue), or a utilisation
    watch needs them. None otherwise (or with no capacity anywhere)."""
    ticks = service_ticks(scenario)
    if ticks is None:
        return None
    drops = down_instants(epochs, len(scenario.regions))
    shedding = sheds(scenario)
    if not (any(k.timeout is not None for k in scenario.clients) or shedding
            or any(deferred_regions(scenario)) or (watches and any(watches))
            or any(drops[r] for r, region in enumerate(scenario.regions)
                   if region.capacity is not None)):
        return None
    return Queues(scenario, ticks, shed_ticks(scenario) if shedding else None,
                  shortest_bound_s(scenario) if shedding else None, clocks, watches, drops)
