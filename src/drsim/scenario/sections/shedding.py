"""Load shedding at a region's queue: a bound on the wait, admission per priority, a
server that drops requests whose client has gone, and the newest-first and
drop-oldest disciplines (docs/model.md, "Load shedding")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration

Category = Literal["sign_in", "sign_up", "federation", "recovery", "user_read",
                   "user_update", "token"]
"""The quota categories (``regions[].quotas``), which admission levels name."""

Discipline = Literal["fifo", "drop_expired", "lifo", "drop_oldest"]
"""``fifo``: every admitted request is served in arrival order, abandoned or not.
``drop_expired``: in arrival order, but the server skips a request it can no longer
finish within its client's timeout (the deadline travels with the request).
``lifo``: the newest waiting request is served next (non-preemptive), abandoned or not.
``drop_oldest``: in arrival order, at most ``max_queue`` waiting; an arrival to a full
queue pushes the oldest waiting request out (outcome ``shed``)."""

DEFERRED = ("lifo", "drop_oldest")
"""Disciplines whose requests' fates depend on later arrivals (decided at service)."""


class AdmissionLevel(Model):
    """One priority level: requests of these quota categories are refused at once
    (outcome ``shed``, no work done) when the wait ahead of them — the work already
    queued, in seconds of the region's capacity — exceeds ``max_wait``. A higher
    ``max_wait`` is a higher priority: under overload the queue settles at the lowest
    level that its traffic fills, and the levels above it are still admitted."""

    categories: list[Category] = Field(
        min_length=1, description="Quota categories of this level, e.g. [token] "
        "[assumption: refreshes keep signed-in users working, so they go before "
        "sign-ins].")
    max_wait: Duration = Field(ge=0, description="Shed these requests when the wait ahead "
                               "exceeds this [assumption].")


def check_levels(levels: list[AdmissionLevel]) -> None:
    """Each category in at most one admission level."""
    seen: set[str] = set()
    for level in levels:
        for category in level.categories:
            if category in seen:
                raise ValueError(f"capacity.admission lists quota category {category!r} "
                                 "twice: each category belongs to one priority level")
            seen.add(category)


class Shedding(Model):
    """The shedding keys of ``regions[].capacity`` (all off by default)."""

    max_wait: Duration | None = Field(
        None, ge=0, description="Drop-tail bound: a request that would wait longer than "
        "this for the work ahead of it is refused at once (outcome shed, no work). With "
        "one operation of service time s, max_wait = (K − 1)·s is the M/D/1/K queue "
        "[assumption; absent: unbounded].")
    admission: list[AdmissionLevel] = Field(
        default_factory=list, description="Admission per priority: a bound on the wait "
        "per quota category, over max_wait for the categories it lists [assumption; "
        "absent: every category admitted up to max_wait].")
    discipline: Discipline = Field(
        "fifo", description="fifo: the region serves every admitted request, even one "
        "whose client has timed out (the default); drop_expired: it skips a request it "
        "cannot finish within the client's timeout, which then times out with no work "
        "done [assumption: deadlines propagate, as gRPC's do]; lifo: the newest waiting "
        "request goes next, non-preemptive, abandoned or not [assumption: after Facebook's "
        "adaptive LIFO, 'Fail at Scale', ACM Queue 2015, not in DOMAIN.md; here always "
        "on]; drop_oldest: arrival order with at most "
        "max_queue waiting, an arrival to a full queue pushing out the oldest (shed) "
        "[assumption].")
    max_queue: int | None = Field(
        None, ge=1, description="drop_oldest only: how many requests may wait (not counting "
        "the one in service); with one operation, max_queue = K − 1 is the M/D/1/K count in "
        "system [assumption; for a drop-tail bound use max_wait].")

    @model_validator(mode="after")
    def _one_level_per_category(self) -> Shedding:
        check_levels(self.admission)
        return self

    @model_validator(mode="after")
    def _queue_bound_fits_discipline(self) -> Shedding:
        if self.discipline == "drop_oldest" and self.max_queue is None:
            raise ValueError("discipline drop_oldest needs max_queue: how many requests may "
                             "wait before an arrival pushes the oldest out")
        if self.max_queue is not None and self.discipline != "drop_oldest":
            raise ValueError(f"max_queue bounds the waiting requests of discipline "
                             f"drop_oldest only, not {self.discipline}; for drop-tail (refuse "
                             "the newcomer) use max_wait")
        if self.discipline in DEFERRED and (self.max_wait is not None or self.admission):
            raise ValueError(f"discipline {self.discipline} cannot be combined with max_wait "
                             "or admission (a wait bound judged at arrival assumes arrival "
                             "order): use fifo with them, or drop_oldest with max_queue")
        return self
