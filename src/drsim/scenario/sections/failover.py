"""Steering clients away from a failed region: the DNS record, health checks, failover and failback."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Constant, Distribution, Exponential
from drsim.scenario.sections.vocabulary import OPERATIONS
from drsim.scenario.types import Duration, DurationOrForever, Fraction


class Dns(Model):
    """The pool domain's DNS record."""

    ttl: Duration = Field(60.0, gt=0, description="Record TTL [doc: failover records ≤ 60s].")
    routing: Literal["failover", "latency", "weighted"] = Field(
        "failover",
        description="failover: primary while healthy else secondary; latency: each client's "
        "home region while healthy; weighted: split by weights among healthy regions.",
    )
    weights: dict[str, Fraction] | None = Field(
        None, description="weighted routing: share of clients per region."
    )
    endpoints: dict[Literal[OPERATIONS], Literal["failover", "latency", "local"]] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="Per operation, the endpoint it is sent to when it is not dns.routing: "
        "failover (the primary's failover record), latency (the client's home region while "
        "healthy, else the first healthy one), local (an application backend in the client's "
        "home region reading its local replica, without DNS). E.g. read-local/write-primary: "
        "{sign_in: latency, refresh: latency, profile_read: latency}.",
    )

    def routing_of(self, operation: str) -> str:
        """The endpoint kind ``operation`` is sent to."""
        return self.endpoints.get(operation, self.routing)


class HealthCheck(Model):
    """Health checks of each region's endpoint (Route 53 style)."""

    interval: Duration = Field(30.0, gt=0, description="Probe interval [doc: 30s or 10s].")
    failure_threshold: int = Field(
        3, ge=1, le=10, description="Consecutive results that flip a checker [doc: default 3]."
    )
    checkers: int = Field(16, ge=1, le=64, description="Independent checkers [assumption].")
    healthy_fraction: Fraction = Field(
        units.parse_percent("18%"),
        description="Endpoint is healthy while more than this share of checkers say so [doc].",
    )


class ManualProcedure(Model):
    """Operator-driven failover: each step a distribution."""

    page: Distribution = Field(
        default_factory=lambda: Exponential(distribution="exponential", mean="2m"),
        description="From detection to the on-call engineer being paged [assumption].",
    )
    acknowledge: Distribution = Field(
        default_factory=lambda: Exponential(distribution="exponential", mean="5m"),
        description="Page acknowledged [assumption].",
    )
    decide: Distribution = Field(
        default_factory=lambda: Exponential(distribution="exponential", mean="10m"),
        description="Decision to fail over [assumption].",
    )
    runbook: Distribution = Field(
        default_factory=lambda: Constant(value="5m"),
        description="Running the runbook (routing control flip) [assumption].",
    )


class Failback(Model):
    """How the old primary takes over again once it is healthy."""

    policy: Literal["automatic", "manual", "never"] = Field(
        "automatic", description="automatic: as soon as health checks pass; manual: after delay."
    )
    delay: Duration = Field(0.0, ge=0, description="Extra wait before failing back.")
    unreplicated_writes: Literal["lost", "reconcile"] = Field(
        "lost",
        description="Writes the old primary acknowledged but never shipped: lost, or "
        "reconciled last-writer-wins on failback (conflicts counted).",
    )
    catch_up: Literal["copy", "replicate"] = Field(
        "copy",
        description="How the old primary gets the writes the promoted secondary acknowledged: "
        "copy: it adopts the authority's state at the failback instant; replicate: they reach "
        "it over the secondary → primary replication channel (replication.lag and throughput, "
        "the same as the forward channel), the backlog built while it was down shipped from "
        "its return, so reads and sign-ins after failback see only what has arrived "
        "(replication.mode async only) [assumption: reverse replication as in a database "
        "failback].",
    )
    wait_for_backlog: bool = Field(
        False,
        description="catch_up replicate: at the failback instant the promoted secondary stops "
        "taking writes, and writes and DNS move back only once the reverse backlog has applied "
        "at the old primary (or max_wait has passed) [doc: Aurora global database switchover "
        "synchronises before switching]; false: fail back at once, with the backlog in flight.",
    )
    min_healthy: Duration = Field(
        0.0, ge=0,
        description="Hysteresis: the old primary must have been healthy without a break this "
        "long before failing back (a flapping primary keeps the promoted secondary) "
        "[assumption: off (0s) by default]; 0s: fail back on the first healthy verdict.",
    )
    max_wait: DurationOrForever = Field(
        float("inf"), gt=0,
        description="wait_for_backlog: the longest the failback waits for the backlog "
        "[assumption]; forever: until it has drained.",
    )


class Heartbeat(Model):
    """failover.detector heartbeat: the secondary watches the replication heartbeat."""

    interval: Duration = Field(
        1.0, gt=0,
        description="The secondary exchanges a heartbeat with the primary over the "
        "replication link this often, from a uniform phase [assumption].",
    )
    timeout: Duration = Field(
        10.0, gt=0,
        description="The secondary declares the primary lost when exchanges have failed for "
        "this long from the first failed one (detection τ + U[0, interval) after a cut); "
        "with fencing, the primary's lease of this length runs from the last exchange that "
        "got through [assumption].",
    )

    @model_validator(mode="after")
    def _timeout_exceeds_interval(self):
        """A timeout not longer than the interval fires between every two heartbeats."""
        if self.timeout <= self.interval:
            raise ValueError(f"heartbeat.timeout ({self.timeout:g}s) must exceed "
                             f"heartbeat.interval ({self.interval:g}s), or it fires between "
                             "every two heartbeats")
        return self


class Arbiter(Model):
    """failover.detector arbiter: observers in a third location vote on the primary."""

    observers: int = Field(
        3, ge=1, le=15,
        description="Observers in a third location probing the primary; a partition between "
        "the regions does not cut them off, a fault observer_partition does "
        "[assumption: three, e.g. a witness per zone].",
    )
    quorum: int = Field(
        2, ge=1, le=15,
        description="The arbiter promotes the secondary when at least this many observers see "
        "the primary dead [assumption: a majority].",
    )
    interval: Duration = Field(
        10.0, gt=0, description="Each observer probes this often, from a uniform phase "
        "[assumption].",
    )
    timeout: Duration = Field(
        30.0, ge=0,
        description="An observer sees the primary dead once its probes have failed this long "
        "from the first failed one (a probe fails while the primary is down, or as a health "
        "check's probe does under a gray failure) and alive at its next successful probe "
        "[assumption].",
    )

    @model_validator(mode="after")
    def _quorum_within_observers(self):
        """A quorum larger than the observers never forms."""
        if self.quorum > self.observers:
            raise ValueError(f"arbiter.quorum ({self.quorum}) cannot exceed arbiter.observers "
                             f"({self.observers})")
        return self


class Failover(Model):
    """How the secondary becomes the authoritative region."""

    mode: Literal["automatic", "manual", "none"] = Field(
        "automatic",
        description="automatic: the health check flips DNS and promotion follows; manual: an "
        "operator flips routing control; none: never fail over.",
    )
    automation_delay: Distribution = Field(
        default_factory=lambda: Constant(value="0s"),
        description="automatic: from unhealthy verdict to starting promotion.",
    )
    promotion_time: Duration = Field(
        30.0, ge=0, description="Time the secondary spends promoting (read-only) [guess]."
    )
    manual: ManualProcedure = Field(
        default_factory=ManualProcedure, description="manual: the operator procedure."
    )
    failback: Failback = Field(default_factory=Failback, description="Failback policy.")
    max_failovers_per_hour: int | None = Field(
        None, ge=1, le=1000,
        description="Hysteresis: after this many failovers within the last hour the controller "
        "stays put (no DNS flip, no promotion) until the hour window allows another, then "
        "fails over if the primary is still unhealthy [assumption]; none: no limit.",
    )
    promote: Literal["first", "least_lag", "nearest", "operator"] = Field(
        "first",
        description="Which secondary a failover promotes with several: first (listed first); "
        "least_lag (the one whose replication channel from the primary was last paused longest "
        "ago: the control plane knows link and region state, not the write backlog, and every "
        "channel shares replication.lag; ties go to the first listed); nearest (the home of "
        "the largest share of clients, clients[].home); operator (promote_region). Except "
        "first, a healthy secondary is preferred.",
    )
    promote_region: str | None = Field(
        None, description="promote: operator — the secondary the operator promotes."
    )
    control_plane: str | None = Field(
        None, description="A control_plane dependency (dependencies[].name) the failover "
        "needs: the operator's runbook (manual) or the promotion (automatic) waits while it "
        "is down [doc: DOMAIN.md, global control planes should not sit in a recovery path]; "
        "null: the failover needs nothing but the secondary.")
    break_glass_after: Duration | None = Field(
        None, gt=0, description="control_plane: after waiting this long for it, the operator "
        "fails over by a break-glass path that does not need it [assumption: a pre-tested "
        "data-plane runbook]; null: wait until it is back.")
    detector: Literal["health_checks", "heartbeat", "arbiter"] = Field(
        "health_checks",
        description="What decides the primary is lost: health_checks (the internet health "
        "checks' verdict, Route 53 style); heartbeat (the secondary promotes itself when no "
        "replication heartbeat arrived for heartbeat.timeout — a partition between the regions "
        "looks like the primary's death, the split-brain risk) [assumption: a self-promoting "
        "replica, as Patroni or a DIY watchdog]; arbiter (a quorum of observers in a third "
        "location, which a partition between the regions does not fool; the arbiter demotes "
        "the primary it promotes over unless an observer_partition cuts it off).",
    )
    heartbeat: Heartbeat = Field(
        default_factory=Heartbeat, description="detector heartbeat: interval and timeout."
    )
    arbiter: Arbiter = Field(
        default_factory=Arbiter, description="detector arbiter: observers, quorum, probes."
    )
    fencing: bool = Field(
        False,
        description="The primary stops taking writes (read_only) when its lease expires, "
        "so two regions never take writes at once; false: a primary the automation cannot "
        "reach keeps taking writes (split brain) [assumption]. detector heartbeat: the lease "
        "is renewed by each heartbeat exchange that gets through and expires "
        "heartbeat.timeout after the last one, one interval before the secondary's timeout "
        "ends. detector arbiter: it is renewed by the observers' probes and expires "
        "arbiter.timeout after the quorum-th most recent one that got through, before the "
        "arbiter's verdict on a primary cut off from the observers.",
    )
    reconciliation: Literal["last_writer_wins", "primary_wins"] = Field(
        "last_writer_wins",
        description="After a split brain, at failback: a password or profile written on both "
        "sides during the split keeps the last writer's value (last_writer_wins) or the old "
        "primary's (primary_wins); the other side's writes of it are lost. Sign-ups, sign-outs "
        "and disables merge (union) [assumption].",
    )

    @model_validator(mode="after")
    def _operator_names_region(self):
        """promote: operator needs promote_region, and promote_region needs operator."""
        if self.promote == "operator" and self.promote_region is None:
            raise ValueError("failover.promote: operator needs failover.promote_region "
                             "(the secondary to promote, e.g. eu-central-1)")
        if self.promote_region is not None and self.promote != "operator":
            raise ValueError("failover.promote_region is used only with promote: operator")
        return self
