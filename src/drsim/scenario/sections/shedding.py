"""Load shedding at a region's queue: a bound on the wait, admission per priority, and a
server that drops requests whose client has gone (docs/model.md, "Load shedding")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration

Category = Literal["sign_in", "sign_up", "federation", "recovery", "user_read",
                   "user_update", "token"]
"""The quota categories (``regions[].quotas``), which admission levels name."""

Discipline = Literal["fifo", "drop_expired"]
"""``fifo``: every admitted request is served in arrival order, abandoned or not.
``drop_expired``: in arrival order, but the server skips a request it can no longer
finish within its client's timeout (the deadline travels with the request)."""


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
        "done [assumption: deadlines propagate, as gRPC's do].")

    @field_validator("discipline", mode="before")
    @classmethod
    def _not_built(cls, value: object) -> object:
        if value in ("lifo", "drop_oldest"):
            raise ValueError(f"{value} is not built: a request's fate would depend on later "
                             "arrivals (docs/model.md, 'Load shedding'); expected 'fifo' or "
                             "'drop_expired' (skips what its client no longer waits for)")
        return value

    @model_validator(mode="after")
    def _one_level_per_category(self) -> Shedding:
        check_levels(self.admission)
        return self
