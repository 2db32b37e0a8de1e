"""The control plane: faults, health checks, the DNS record, failover and failback.

This is the SimPy part of the model. Region state, health verdicts, the DNS
record and which region takes writes change at a few thousand instants in a
run, and none of them depends on the user traffic: health checkers probe the
endpoints, the failover controller reacts to their verdict (or an operator
does, after paging, acknowledging, deciding and running the runbook), faults
start and end on their schedule. Running the control plane first yields a
:class:`ControlTimeline` — a list of *epochs* during which the control state
is constant, the DNS record's answers over time, and the data-plane actions
(promotions, failbacks, export snapshots) — that the data plane then serves
requests against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import simpy

from drsim.model.control_gate import ControlPlaneGate
from drsim.model.detectors import Detectors
from drsim.model.distributions import sample_one
from drsim.model.failover_policy import FailoverPolicy
from drsim.model.streams import Streams
from drsim.model.votes import alternate_record_homes, healthy_vote_floor
from drsim.scenario.schema import (
    DnsOutage,
    GrayFailure,
    IdpOutage,
    KmsOutage,
    ObserverPartition,
    Partition,
    RegionOutage,
    ReplicationStall,
    Scenario,
)

UP, DOWN, DEGRADED = 0, 1, 2
STATUS_NAMES = ("up", "down", "degraded")


@dataclass(frozen=True)
class Epoch:
    """Control state that holds from ``start_s`` until the next epoch."""

    start_s: float
    status: tuple[int, ...]
    error_rate: tuple[float, ...]
    added_latency_s: tuple[float, ...]
    kms_down: tuple[bool, ...]
    writable: tuple[bool, ...]
    in_sync: tuple[bool, ...]
    links_up: tuple[tuple[bool, ...], ...]
    idp_down: bool
    dns_down: bool
    serve_stale: float
    stall: bool
    # Per region: its pool configuration is corrupt (model/corruption.py); () when none is.
    misconfigured: tuple[bool, ...] = ()

    def channel_running(self, source: int, target: int) -> bool:
        """Whether replication from ``source`` to ``target`` can make progress."""
        return (
            self.status[source] != DOWN
            and self.status[target] != DOWN
            and self.links_up[source][target]
            and not self.stall
        )

    def reachable(self, source: int, target: int) -> bool:
        """Whether ``source`` can talk to ``target`` right now (both up, link up)."""
        return (
            self.status[source] != DOWN
            and self.status[target] != DOWN
            and self.links_up[source][target]
        )


@dataclass(frozen=True)
class Action:
    """A data-plane action at an instant: promotion cut, failback, export, rejoin."""

    time_s: float
    kind: str  # "promote" | "failback" | "export" | "rejoin"
    region: int  # the region promoted / taking writes again / receiving the copy
    other: int = -1  # the old authority / the source of the copy


@dataclass
class ControlTimeline:
    """What the control plane decided, for the data plane and the records."""

    epochs: list[Epoch]
    epoch_starts: np.ndarray
    record_times: list[np.ndarray]  # per DNS home: when the answer changed
    record_answers: list[np.ndarray]  # per DNS home: the region answered from then on
    actions: list[Action]
    events: list[tuple[float, str, str, float, str]]
    meta: dict[str, float | None] = field(default_factory=dict)
    # The other record kind (per home, or the failover record) a design sends some
    # operations to (dns.endpoints; see alternate_record_homes); empty otherwise.
    alt_times: list[np.ndarray] = field(default_factory=list)
    alt_answers: list[np.ndarray] = field(default_factory=list)
    # A failback waiting for a backlog whose drain instant was not given: (when writes
    # stopped, old primary, promoted secondary); the timeline after it is incomplete.
    undrained: tuple[float, int, int] | None = None

    def channel_pauses(self, source: int, target: int, horizon_s: float) -> np.ndarray:
        """Intervals ``[[start, end], ...]`` in which the channel source→target cannot run."""
        pauses: list[list[float]] = []
        for i, epoch in enumerate(self.epochs):
            end = self.epochs[i + 1].start_s if i + 1 < len(self.epochs) else math.inf
            if not epoch.channel_running(source, target):
                if pauses and pauses[-1][1] == epoch.start_s:
                    pauses[-1][1] = end
                else:
                    pauses.append([epoch.start_s, end])
        return np.array(pauses, dtype=np.float64).reshape(-1, 2)


class ControlPlane(FailoverPolicy, ControlPlaneGate, Detectors):
    """SimPy model of faults, health checks, DNS and the failover controller.

    ``drains``: when each waiting failback completes (backlog drained or wait over), as
    far as known; the data plane finds them (:func:`drsim.model.simulate`).
    """

    def __init__(self, scenario: Scenario, streams: Streams,
                 drains: list[float] | None = None) -> None:
        self.scenario = scenario
        self.drains = list(drains or [])
        self.waits = 0  # waiting failbacks so far
        self.undrained: tuple[float, int, int] | None = None
        self.env = simpy.Environment()
        self.names = scenario.region_names
        n = len(self.names)
        self.n_regions = n
        roles = [r.role for r in scenario.regions]
        self.peers = "peer" in roles
        self.primary = 0 if self.peers else roles.index("primary")
        secondaries = [i for i, role in enumerate(roles) if role == "secondary"]
        self.secondaries = secondaries
        self.secondary = secondaries[0] if secondaries else None  # the one promoted (next)
        self.failover_times: list[float] = []  # promotion starts (max_failovers_per_hour)
        self.healthy_since = [0.0] * n  # last healthy verdict (failback.min_healthy)
        self.health_rng = streams.get("health")
        self.healthy_above = healthy_vote_floor(
            scenario.health_check.checkers, scenario.health_check.healthy_fraction
        )
        self.failover_rng = streams.get("failover")
        self.detector_rng = streams.get("detector")
        self.export_rng = streams.get("export")

        # Fault counters (overlapping faults stack).
        self.down = [0] * n
        self.gray: list[list[GrayFailure]] = [[] for _ in range(n)]
        self.kms = [0] * n
        self.partitions: dict[tuple[int, int], int] = {}
        self.idp = 0
        self.dns: list[DnsOutage] = []
        self.stall = 0

        # Controller state.
        self.writable = [False] * n
        if self.peers:
            self.writable = [True] * n
        else:
            self.writable[self.primary] = True
        self.in_sync = [True] * n
        self.healthy = [True] * n
        self.failed_over = False
        self.promoting = False  # a promotion has started and not yet completed
        self.failover_process: simpy.Process | None = None
        self.failback_pending = False

        # DNS record homes: the main record (dns.routing: one home for failover, one per
        # region otherwise), and the other kind when dns.endpoints sends operations there.
        routing = scenario.dns.routing
        self.homes = 1 if routing == "failover" else n
        self.dns_target = self.primary
        self.answers = self._answers(self.homes)
        self.record: list[list[tuple[float, int]]] = [
            [(0.0, self.answers[h])] for h in range(self.homes)
        ]
        self.alt_homes = alternate_record_homes(scenario)
        self.alt_answers = self._answers(self.alt_homes) if self.alt_homes else []
        self.alt_record = [[(0.0, a)] for a in self.alt_answers]
        self.per_home = self.homes > 1 or self.alt_homes > 1

        self.epochs: list[Epoch] = []
        self.actions: list[Action] = []
        self.events: list[tuple[float, str, str, float, str]] = []
        self.meta: dict[str, float | None] = {
            "fault_start_s": None,
            "fault_end_s": None,
            "detection_s": None,
            "dns_flip_s": None,
            "promotion_start_s": None,
            "writable_s": None,
            "failback_s": None,
        }
        self._init_gate()
        self._snapshot()

    # ------------------------------------------------------------------ state snapshots

    def _snapshot(self) -> None:
        n = self.n_regions
        status = []
        error_rate = []
        latency = []
        for r in range(n):
            if self.down[r]:
                status.append(DOWN)
                error_rate.append(1.0)
                latency.append(0.0)
            elif self.gray[r]:
                status.append(DEGRADED)
                ok = 1.0
                for g in self.gray[r]:
                    ok *= 1.0 - g.error_rate
                error_rate.append(1.0 - ok)
                latency.append(sum(g.added_latency for g in self.gray[r]))
            else:
                status.append(UP)
                error_rate.append(0.0)
                latency.append(0.0)
        links = tuple(
            tuple(
                a == b or self.partitions.get((min(a, b), max(a, b)), 0) == 0 for b in range(n)
            )
            for a in range(n)
        )
        serve_stale = min((d.serve_stale for d in self.dns), default=1.0)
        epoch = Epoch(
            start_s=float(self.env.now),
            status=tuple(status),
            error_rate=tuple(error_rate),
            added_latency_s=tuple(latency),
            kms_down=tuple(k > 0 for k in self.kms),
            writable=tuple(self.writable),
            in_sync=tuple(self.in_sync),
            links_up=links,
            idp_down=self.idp > 0,
            dns_down=bool(self.dns),
            serve_stale=serve_stale,
            stall=self.stall > 0,
        )
        if self.epochs and self.epochs[-1].start_s == epoch.start_s:
            self.epochs[-1] = epoch
        elif not self.epochs or replace(self.epochs[-1], start_s=epoch.start_s) != epoch:
            self.epochs.append(epoch)
        self._note_writers()

    def _event(self, kind: str, region: str = "", value: float = 0.0, detail: str = "") -> None:
        self.events.append((float(self.env.now), kind, region, value, detail))

    def _region_state_event(self, r: int) -> None:
        status = "down" if self.down[r] else "degraded" if self.gray[r] else "up"
        self._event("region_state", self.names[r], 0.0, status)

    # ------------------------------------------------------------------ faults

    def _fault(self, index: int, fault: object):
        yield self.env.timeout(fault.start)  # type: ignore[attr-defined]
        if self.meta["fault_start_s"] is None:
            self.meta["fault_start_s"] = float(self.env.now)
            duration = fault.duration  # type: ignore[attr-defined]
            self.meta["fault_end_s"] = float(self.env.now + duration)
        self._event("fault_start", "", index, fault.kind)  # type: ignore[attr-defined]
        self._apply_fault(fault, +1)
        duration = fault.duration  # type: ignore[attr-defined]
        if math.isinf(duration):
            return
        yield self.env.timeout(duration)
        self._event("fault_end", "", index, fault.kind)  # type: ignore[attr-defined]
        self._apply_fault(fault, -1)

    def _apply_fault(self, fault: object, sign: int) -> None:
        idx = self.scenario.region_index
        if isinstance(fault, RegionOutage):
            r = idx(fault.region)
            self.down[r] += sign
            self._region_state_event(r)
        elif isinstance(fault, GrayFailure):
            r = idx(fault.region)
            if sign > 0:
                self.gray[r].append(fault)
            else:
                self.gray[r].remove(fault)
            self._region_state_event(r)
        elif isinstance(fault, KmsOutage):
            regions = range(self.n_regions) if fault.regions == "all" else [idx(x) for x in fault.regions]
            for r in regions:
                self.kms[r] += sign
        elif isinstance(fault, Partition):
            a, b = sorted(idx(x) for x in fault.regions)
            self.partitions[(a, b)] = self.partitions.get((a, b), 0) + sign
            self._event("link", f"{self.names[a]}|{self.names[b]}", 0.0, "down" if sign > 0 else "up")
        elif isinstance(fault, ObserverPartition):
            self._cut_observers(idx(fault.region), sign)
        elif isinstance(fault, IdpOutage):
            self.idp += sign
        elif isinstance(fault, DnsOutage):
            if sign > 0:
                self.dns.append(fault)
            else:
                self.dns.remove(fault)
        elif isinstance(fault, ReplicationStall):
            self.stall += sign
        self._snapshot()

    # ------------------------------------------------------------------ health checks

    def _checker(self, r: int, health: list[int]):
        hc = self.scenario.health_check
        k = hc.failure_threshold
        healthy = True
        run = 0  # consecutive results contradicting the current status
        yield self.env.timeout(float(self.health_rng.uniform(0.0, hc.interval)))
        while True:
            fails = self._probe_fails(r, self.health_rng)
            if fails == healthy:
                run += 1
                if run >= k:
                    healthy = not healthy
                    run = 0
                    health[r] += 1 if healthy else -1
                    self._verdict(r, health[r])
            else:
                run = 0
            yield self.env.timeout(hc.interval)

    def _verdict(self, r: int, healthy_checkers: int) -> None:
        verdict = healthy_checkers > self.healthy_above
        if verdict == self.healthy[r]:
            return
        self.healthy[r] = verdict
        if verdict:
            self.healthy_since[r] = float(self.env.now)
        self._event("health", self.names[r], healthy_checkers, "healthy" if verdict else "unhealthy")
        self._on_health(r, verdict)

    # ------------------------------------------------------------------ DNS record

    def _answers(self, homes: int) -> list[int]:
        """A record's answer for each of its homes now (one home: the failover record)."""
        alive = [x for x in range(self.n_regions) if self.healthy[x] and self.in_sync[x]]
        if homes == 1 and self.peers:
            # Failover routing over peers: the first peer that is healthy and in the group.
            return [alive[0] if alive else self.primary]
        if homes == 1:
            return [self.dns_target]
        return [h if self.healthy[h] and self.in_sync[h] else (alive[0] if alive else h)
                for h in range(homes)]

    def _set_answers(self) -> None:
        """Recompute the records' answers for each home and log the main record's changes."""
        if self.alt_homes:
            for h, answer in enumerate(self._answers(self.alt_homes)):
                if answer != self.alt_answers[h]:
                    self.alt_answers[h] = answer
                    self.alt_record[h].append((float(self.env.now), answer))
        new = self._answers(self.homes)
        for h, answer in enumerate(new):
            if answer != self.answers[h]:
                self.answers[h] = answer
                self.record[h].append((float(self.env.now), answer))
                home = "" if self.homes == 1 else self.names[h]
                self._event("dns_answer", home, answer, self.names[answer])
                if self.meta["dns_flip_s"] is None:
                    self.meta["dns_flip_s"] = float(self.env.now)

    # ------------------------------------------------------------------ failover controller

    def _on_health(self, r: int, healthy: bool) -> None:
        mode = self.scenario.failover.mode
        if self.peers:
            if not healthy and self.meta["detection_s"] is None:
                self.meta["detection_s"] = float(self.env.now)
            self._set_answers()
            if mode != "none":
                if not healthy:
                    self.env.process(self._fence(r))
                else:
                    self.env.process(self._rejoin(r))
            return
        if self.secondary is None or r != self.primary:
            if self.per_home:
                self._set_answers()
            return
        if not healthy:
            if self._self_detecting():
                return  # the heartbeat or the arbiter decides (model/detectors.py)
            if self.meta["detection_s"] is None:
                self.meta["detection_s"] = float(self.env.now)
            if mode == "automatic" and not self.failed_over and self.failover_process is None:
                self.failover_process = self.env.process(self._automatic_failover())
            elif mode == "manual" and not self.failed_over and self.failover_process is None:
                self.failover_process = self.env.process(self._manual_failover())
            elif mode == "none" and self.per_home:
                self._set_answers()
        else:
            if (mode == "automatic" and not self.failed_over and not self.promoting
                    and not self._self_detecting()):
                # Route 53 style: until promotion starts, the record follows the health check.
                self._flip_dns_to(self.primary)
            if (self.failed_over or self.promoting) and not self.primary_lost:
                if not self.failback_pending and self.scenario.failover.failback.policy != "never":
                    self.failback_pending = True
                    self.env.process(self._failback())
            elif self.per_home:
                self._set_answers()

    def _flip_dns_to(self, target: int) -> None:
        self.dns_target = target
        self._set_answers()

    def _promote(self):
        s, p = self.secondary, self.primary
        assert s is not None
        self.promoting = True
        now = float(self.env.now)
        if self.meta["promotion_start_s"] is None:
            self.meta["promotion_start_s"] = now
        self.failover_times.append(now)
        if self._reaches_primary():  # a self-promoting secondary, a cut arbiter cannot
            self.writable[p] = False
        self.writable[s] = False
        self._event("promotion_start", self.names[s])
        self.actions.append(Action(now, "promote", s, p))
        self._snapshot()
        yield self.env.timeout(self.scenario.failover.promotion_time)
        self.writable[s] = True
        self.failed_over = True
        self.promoting = False
        if self.meta["writable_s"] is None:
            self.meta["writable_s"] = float(self.env.now)
        self._event("writable", self.names[s])
        self._snapshot()

    def _automatic_failover(self):
        yield from self._hold_failover()
        if self.healthy[self.primary]:
            self.failover_process = None  # it came back while the controller stayed put
            return
        self.secondary = self._choose_secondary()
        self._flip_dns_to(self.secondary)
        delay = sample_one(self.scenario.failover.automation_delay, self.failover_rng)
        yield self.env.timeout(delay)
        yield from self._wait_for_control_plane()
        if self.healthy[self.primary]:
            # The primary came back before promotion: the record already follows it again.
            self.failover_process = None
            return
        yield from self._promote()
        self.failover_process = None

    def _manual_failover(self):
        procedure = self.scenario.failover.manual
        for step in (procedure.page, procedure.acknowledge, procedure.decide):
            yield self.env.timeout(sample_one(step, self.failover_rng))
        if self.healthy[self.primary]:
            # The region came back before the operator decided: no failover.
            self.failover_process = None
            return
        yield from self._wait_for_control_plane()
        yield self.env.timeout(sample_one(procedure.runbook, self.failover_rng))
        yield from self._hold_failover()
        if self.healthy[self.primary]:
            self.failover_process = None
            return
        self.secondary = self._choose_secondary()
        self._flip_dns_to(self.secondary)
        yield from self._promote()
        self.failover_process = None

    def _failback(self):
        policy = self.scenario.failover.failback
        yield self.env.timeout(policy.delay)
        while self.failover_process is not None:
            yield self.env.timeout(1.0)
        yield from self._wait_min_healthy()
        if not self._primary_back():
            self.failback_pending = False
            return
        if not self.failed_over:
            self.failback_pending = False
            self._flip_dns_to(self.primary)
            return
        s, p = self.secondary, self.primary
        assert s is not None
        if policy.wait_for_backlog:
            drained = yield from self._wait_for_backlog(p, s)
            if not drained:
                return
        self.failback_pending = False
        now = float(self.env.now)
        self.actions.append(Action(now, "failback", p, s))
        if self.meta["failback_s"] is None:
            self.meta["failback_s"] = now
        self.writable[s] = False
        self.writable[p] = True
        self.failed_over = False
        self._event("failback", self.names[p])
        self._flip_dns_to(p)
        self._snapshot()

    def _fence(self, r: int):
        """Peers: remove an unhealthy site from the synchronous group."""
        delay = sample_one(self.scenario.failover.automation_delay, self.failover_rng)
        yield self.env.timeout(delay + self.scenario.failover.promotion_time)
        if self.healthy[r] or not self.in_sync[r]:
            return
        self.in_sync[r] = False
        self.writable[r] = False
        now = float(self.env.now)
        if self.meta["promotion_start_s"] is None:
            self.meta["promotion_start_s"] = now - self.scenario.failover.promotion_time
            self.meta["writable_s"] = now
        self._event("promotion_start", self.names[r], 0.0, "fenced")
        self._snapshot()

    def _rejoin(self, r: int):
        """Peers: a recovered site resynchronises and rejoins the group."""
        yield self.env.timeout(self.scenario.failover.failback.delay)
        if not self.healthy[r] or self.in_sync[r]:
            return
        source = next((x for x in range(self.n_regions) if x != r and self.in_sync[x]), None)
        self.in_sync[r] = True
        self.writable[r] = True
        now = float(self.env.now)
        if source is not None:
            self.actions.append(Action(now, "rejoin", r, source))
        if self.meta["failback_s"] is None:
            self.meta["failback_s"] = now
        self._event("failback", self.names[r], 0.0, "rejoined")
        self._set_answers()
        self._snapshot()

    # ------------------------------------------------------------------ export snapshots

    def _exports(self):
        """periodic_export: snapshot the authority into each backup every interval."""
        interval = self.scenario.replication.export_interval
        yield self.env.timeout(float(self.export_rng.uniform(0.0, interval)))
        while True:
            source = self.writable.index(True) if any(self.writable) else -1
            if source >= 0 and not self.down[source]:
                for r in range(self.n_regions):
                    if r != source and not self.down[r]:
                        self.actions.append(Action(float(self.env.now), "export", r, source))
            yield self.env.timeout(interval)

    # ------------------------------------------------------------------ run

    def run(self) -> ControlTimeline:
        """Run the control plane over the scenario's duration."""
        horizon = self.scenario.run.duration
        for r in range(self.n_regions):
            self._region_state_event(r)
            self._event("health", self.names[r], self.scenario.health_check.checkers, "healthy")
        self._event("dns_answer", "", self.answers[0], self.names[self.answers[0]])
        for r in range(self.n_regions):
            if self.writable[r]:
                self._event("writable", self.names[r])
        for i, fault in enumerate(self.scenario.faults):
            self.env.process(self._fault(i, fault))
        health = [self.scenario.health_check.checkers] * self.n_regions
        for r in range(self.n_regions):
            for _ in range(self.scenario.health_check.checkers):
                self.env.process(self._checker(r, health))
        if self.scenario.replication.mode == "periodic_export" and self.n_regions > 1:
            self.env.process(self._exports())
        self._start_detector()
        self.env.run(until=horizon)
        self.actions.sort(key=lambda a: a.time_s)
        return ControlTimeline(
            epochs=self.epochs,
            epoch_starts=np.array([e.start_s for e in self.epochs], dtype=np.float64),
            record_times=[np.array([t for t, _ in rec], dtype=np.float64) for rec in self.record],
            record_answers=[np.array([a for _, a in rec], dtype=np.int64) for rec in self.record],
            alt_times=[np.array([t for t, _ in rec], dtype=np.float64) for rec in self.alt_record],
            alt_answers=[np.array([a for _, a in rec], dtype=np.int64) for rec in self.alt_record],
            actions=self.actions,
            events=self.events,
            meta=self.meta,
            undrained=self.undrained,
        )


def run_control_plane(scenario: Scenario, streams: Streams,
                      drains: list[float] | None = None) -> ControlTimeline:
    """Simulate faults, health checks, DNS and failover for one replication (``drains``:
    see :class:`ControlPlane`)."""
    return ControlPlane(scenario, streams, drains).run()
