"""What happens to a region's capacity over time: scale-up, cold caches, a reopen ramp.

All three hang off ``regions[].capacity`` and are off when absent (docs/model.md,
"Scale-up, cold caches and a reopen rate"). Their instants are *moments* of the
control timeline: ``start`` (t = 0), ``recovery`` (the region comes back from an
outage), ``failover`` (the region is promoted) and ``failback`` (writes and the
DNS record return to it). A scale-up may instead follow the load: ``utilisation``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Distribution
from drsim.scenario.types import Duration, Fraction

Moment = Literal["start", "recovery", "failover", "failback"]
"""An instant of the control timeline that a capacity change follows."""

Trigger = Literal["start", "recovery", "failover", "failback", "utilisation"]
"""What starts a scale-up: a moment, or the load (``utilisation``)."""


class ScaleUp(Model):
    """The region grows to ``to`` vCPUs a drawn delay after its first ``trigger`` moment,
    and keeps them (no scale-down in the run) [assumption]."""

    to: float = Field(gt=0, description="vCPUs after the scale-up [assumption: e.g. the "
                      "primary's size].")
    after: Distribution = Field(description="Delay from the trigger to the new capacity "
                                "serving (provisioning, boot, health checks) [assumption].")
    trigger: Trigger = Field(
        "failover", description="What starts the scale-up: a moment — failover (the region "
        "is promoted), recovery, failback, start — or utilisation: the end of the first "
        "minute (from t = 0) whose work entering the region's queue reaches ``threshold`` "
        "of its capacity (an autoscaling alarm on one-minute CPU) [assumption].")
    threshold: Fraction = Field(0.8, gt=0, description="With trigger utilisation: the "
                                "share of the capacity a minute's work must reach "
                                "[assumption: a common autoscaling target].")


class Cache(Model):
    """A cache in front of the region's work that restarts empty: right after a restart a
    request costs ``cold_cost`` × its warm cost, and the extra falls linearly to nothing
    over ``warm_up`` (a hit ratio rising linearly from its cold to its warm value; a miss
    costing more than a hit) [doc: DOMAIN.md, "Cold starts at recovery"; figures
    assumption]."""

    cold_cost: float = Field(ge=1.0, description="A request's cost right after a restart, "
                             "as a multiple of its warm cost [assumption].")
    warm_up: Duration = Field(gt=0, description="Time for the cache to warm fully after a "
                              "restart [assumption].")
    cold_at: tuple[Moment, ...] = Field(
        ("recovery", "failover"), min_length=1,
        description="Moments at which the cache restarts empty: recovery (the process "
        "restarted), failover (a passive secondary had served nothing), failback (traffic "
        "returns to an idle region), start [assumption].")


class Reopen(Model):
    """After a moment, the region admits work at a rate that ramps linearly from
    ``initial`` × its capacity to its full capacity over ``over``; a request the ramp has
    no room for is refused at once (``throttled``), before the queue; then the gate opens
    [doc: DOMAIN.md, "recovery came from throttling client start-up and raising the limit
    gradually"]. A token bucket of work, empty at the moment, ``burst`` seconds of
    full capacity deep."""

    initial: Fraction = Field(description="Share of the capacity admitted at the moment "
                              "[assumption].")
    over: Duration = Field(gt=0, description="Time the ramp takes to reach the full "
                           "capacity [assumption].")
    at: tuple[Moment, ...] = Field(("recovery", "failback"), min_length=1,
                                   description="Moments the ramp starts at [assumption].")
    burst: Duration = Field(1.0, gt=0, description="Bucket depth, in seconds of full "
                            "capacity [assumption].")
