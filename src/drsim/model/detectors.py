"""Failure detectors other than the health checks: a replication heartbeat with fencing or
not, and an arbiter with a quorum of observers.

A mixin of :class:`drsim.model.control.ControlPlane`. With ``failover.detector:
heartbeat`` the secondary exchanges a heartbeat with the primary over the
replication link every ``interval``, from a uniform phase (stream ``heartbeat``),
as a health checker probes; an exchange gets through while the two can reach each
other (both up, the link not partitioned; a replication stall does not stop it).
The first exchange that fails starts the secondary's ``timeout``; if none gets
through before it ends, the secondary declares the primary lost — ``timeout`` plus
the probe phase after the cut: uniform on [τ, τ + interval), τ + interval/2 on
average — and promotes itself: it points the failover record at itself, waits
``automation_delay`` and promotes for ``promotion_time``. It cannot demote a
primary it cannot reach: a partition leaves the old primary healthy and taking
writes (split brain) unless ``fencing`` is on. With fencing the primary holds a
lease of ``timeout`` renewed by every exchange that gets through, so it expires
``timeout`` after the last one — one interval before the secondary's timeout ends
(its clock starts at the next, failed, exchange) and ``promotion_time`` more before
the secondary takes writes: two regions never take writes at once. When an
exchange gets through again, a fenced primary that was not replaced takes writes
again; a primary that was replaced is demoted then (it learns of the promotion: the
split brain ends when the link heals), and the promoted secondary fails back per
``failover.failback`` (the old primary must be healthy too).

With ``failover.detector: arbiter`` ``arbiter.observers`` observers in a third
location probe the primary, each every ``interval`` from its own uniform phase (stream
``detector``); a probe fails while the primary is down (or, under a gray failure, at
its probe error rate, as a health checker's does) or while a fault ``observer_partition``
cuts it off from the observers — a partition between the regions does not. An observer
sees the primary dead once its probes have failed for ``timeout`` from the first failed
one, alive at its next successful probe; the arbiter declares the primary lost while at
least ``quorum`` observers see it dead: after a region outage (or a cut) at c, at
c + τ + I·U₍q:n₎ (the q-th smallest of n uniform phases, mean τ + I·q/(n + 1)). It then
promotes the secondary as the heartbeat's does and demotes the primary if it reaches it
(an outage: no split brain); a primary cut off from the observers keeps taking writes
(split brain) unless ``fencing`` is on: its lease, renewed by the observers' probes,
expires τ after the q-th most recent one that got through, before the verdict. Once the
quorum is gone it demotes a replaced primary it reaches again (the split brain ends
there) and fails back per ``failover.failback`` once the primary is healthy.

Under either detector the control plane also logs ``writers`` events: the regions
taking writes (writable and not down) whenever that set changes, the split-brain
metrics' input (:mod:`drsim.metrics.splitbrain`).
"""

from __future__ import annotations

import math

from drsim.model.distributions import sample_one


class Detectors:
    """The heartbeat and the arbiter, fencing, probes (mixed into ControlPlane)."""

    primary_lost = False
    writers: tuple[int, ...] | None = None

    def _uses_heartbeat(self) -> bool:
        """The secondary promotes itself and cannot demote the primary."""
        return self.scenario.failover.detector == "heartbeat"

    def _self_detecting(self) -> bool:
        """A heartbeat or an arbiter decides, not the health checks."""
        return self.scenario.failover.detector != "health_checks"

    def _start_detector(self) -> None:
        detector = self.scenario.failover.detector
        self.observer_cut = [0] * self.n_regions  # observer partitions of each region
        if detector == "heartbeat":
            self.env.process(self._heartbeat())
        elif detector == "arbiter":
            self.dead_votes = 0
            observers = self.scenario.failover.arbiter.observers
            self.observer_ok = [-math.inf] * observers  # each one's last successful probe
            self.lease_renewed = self.env.event()
            for i in range(observers):
                self.env.process(self._observer(i))
            if self.scenario.failover.fencing:
                self.env.process(self._quorum_lease())

    def _cut_observers(self, r: int, sign: int) -> None:
        """An observer partition of region ``r`` starts (+1) or ends (−1)."""
        self.observer_cut[r] += sign
        self._event("observers", self.names[r], 0.0, "cut" if sign > 0 else "reached")

    def _reaches_primary(self) -> bool:
        """The automation that promotes can demote the primary: not a self-promoting
        secondary (heartbeat), not an arbiter whose observers are cut off from it."""
        return not self._uses_heartbeat() and not self.observer_cut[self.primary]

    def _primary_back(self) -> bool:
        """The old primary can take over again: healthy and, under a heartbeat or an
        arbiter, no longer declared lost."""
        return self.healthy[self.primary] and not self.primary_lost

    def _probe_fails(self, r: int, rng) -> bool:
        """One probe of region ``r`` (a health checker's, an observer's): fails while it is
        down, or at the gray failures' probe error rate (one draw from ``rng`` then)."""
        if self.down[r]:
            return True
        if self.gray[r]:
            ok = 1.0
            for g in self.gray[r]:
                ok *= 1.0 - g.probe_error_rate
            return bool(rng.random() >= ok)
        return False

    def _note_writers(self) -> None:
        """Log the regions taking writes when that set changes (heartbeat or arbiter)."""
        if not self._self_detecting():
            return
        writers = tuple(r for r in range(self.n_regions) if self.writable[r] and not self.down[r])
        if writers != self.writers:
            self.writers = writers
            self._event("writers", "", len(writers), ",".join(self.names[r] for r in writers))

    def _heartbeat_arrives(self) -> bool:
        p, s = self.primary, self.secondary
        a, b = min(p, s), max(p, s)
        return not self.down[p] and not self.down[s] and not self.partitions.get((a, b), 0)

    def _heartbeat(self):
        """The secondary's heartbeat exchange every ``interval`` (uniform phase): a probe
        that finds the link cut starts the timeout; the primary's lease runs from the last
        exchange that got through. Timers due at a probe's instant fire before it."""
        beat = self.scenario.failover.heartbeat
        phase = float(self.detector_rng.uniform(0.0, beat.interval))
        last_ok = phase - beat.interval  # the exchange before the run's first
        first_miss = None
        k = 0
        yield self.env.timeout(phase)
        while True:
            now = float(self.env.now)
            arrives = self._heartbeat_arrives()
            if arrives:
                last_ok, first_miss = now, None
                if self.primary_lost:
                    self._declare_back()
                else:
                    self._unfence()
            elif self.down[self.secondary]:
                first_miss = None  # a secondary that is down decides nothing
            elif first_miss is None:
                first_miss = now
            k += 1
            due = phase + k * beat.interval
            timers = [] if arrives else [(last_ok + beat.timeout, self._lease_expired)]
            if first_miss is not None:
                timers.append((first_miss + beat.timeout, self._declare_lost))
            for when, fire in timers:  # in time order: the lease runs from earlier
                if now <= when <= due:
                    yield self.env.timeout(max(when - float(self.env.now), 0.0))
                    fire()
            yield self.env.timeout(max(due - float(self.env.now), 0.0))

    def _lease_expired(self) -> None:
        """Fencing: the primary has not heard the secondary for ``timeout``; it stops
        taking writes (one interval before the secondary's own timeout ends). It cannot tell
        a partition from the secondary's death: a secondary down also fences it."""
        p = self.primary
        if self.scenario.failover.fencing and self.writable[p]:
            self.writable[p] = False
            self._event("fenced", self.names[p])
            self._snapshot()

    def _unfence(self) -> None:
        """A fenced primary that nobody replaced takes writes again when it hears the
        secondary."""
        p = self.primary
        if (self.scenario.failover.fencing and not self.writable[p] and not self.failed_over
                and not self.promoting and not self.failback_pending):
            self.writable[p] = True
            self._event("writable", self.names[p])
            self._snapshot()

    def _declare_lost(self) -> None:
        """The secondary's timeout ended: the primary is lost to it."""
        if self.primary_lost:
            return
        self.primary_lost = True
        now = float(self.env.now)
        self._event("detector", self.names[self.secondary], 0.0, "lost")
        if self.meta["detection_s"] is None:
            self.meta["detection_s"] = now
        if not self.failed_over and self.failover_process is None:
            self.failover_process = self.env.process(self._self_failover())

    def _declare_back(self) -> None:
        """Heartbeats arrive again (the arbiter's quorum is gone): unfence a primary nobody
        replaced, or demote the replaced one now that it is reached and fail back per
        ``failover.failback``."""
        self.primary_lost = False
        self._event("detector", self.names[self.secondary], 0.0, "heard")
        if self.failed_over or self.promoting:
            self._demote_replaced()
            if not self.failback_pending and self.scenario.failover.failback.policy != "never":
                self.failback_pending = True
                self.env.process(self._failback())
        elif self._uses_heartbeat():  # under the arbiter a quorum of probes unfences
            self._unfence()

    def _demote_replaced(self) -> None:
        """The old primary, replaced while it could not be reached, learns of the promotion
        the moment it is reached again and stops taking writes: a split brain ends there,
        whenever (or whether) the failback comes."""
        p = self.primary
        if self.writable[p]:
            self.writable[p] = False
            self._event("demoted", self.names[p])
            self._snapshot()

    def _observer(self, i: int):
        """Observer ``i`` of the arbiter, in a third location: it probes the primary every
        ``interval`` (uniform phase) and sees it dead once its probes have failed for
        ``timeout`` from the first failed one, alive again at the next successful probe. A
        probe fails while the primary is down or cut off from the observers; one that gets
        through renews the primary's lease with this observer."""
        arbiter = self.scenario.failover.arbiter
        phase = float(self.detector_rng.uniform(0.0, arbiter.interval))
        self.observer_ok[i] = phase - arbiter.interval  # the probe before the run's first
        first_miss, dead, k = None, False, 0
        yield self.env.timeout(phase)
        while True:
            now = float(self.env.now)
            p = self.primary
            if not self.observer_cut[p] and not self._probe_fails(p, self.detector_rng):
                first_miss = None
                self._observer_reached(i, now)
                if dead:
                    dead = False
                    self._vote(-1)
            elif first_miss is None:
                first_miss = now
            k += 1
            due = phase + k * arbiter.interval
            if first_miss is not None and not dead and first_miss + arbiter.timeout <= due:
                yield self.env.timeout(max(first_miss + arbiter.timeout - now, 0.0))
                dead = True
                self._vote(+1)
            yield self.env.timeout(max(due - float(self.env.now), 0.0))

    def _observer_reached(self, i: int, now: float) -> None:
        """A probe of observer ``i`` got through: the lease runs on; a fenced primary
        nobody replaced takes writes again once it reaches a quorum."""
        self.observer_ok[i] = now
        if not self.lease_renewed.triggered:
            self.lease_renewed.succeed()
        if self._lease_expiry() > now:
            self._unfence()

    def _lease_expiry(self) -> float:
        """Fencing under the arbiter: the primary holds its lease while a quorum q of the
        observers reached it within the last ``timeout`` τ — it expires τ after the q-th
        most recent successful probe."""
        arbiter = self.scenario.failover.arbiter
        return sorted(self.observer_ok)[-arbiter.quorum] + arbiter.timeout

    def _quorum_lease(self):
        """The primary's lease under the arbiter: when it expires (no quorum reached for
        τ) the primary stops taking writes; it waits for a probe to get through then.

        After a cut at c, observer i's last probe that got through was at c − I·Wᵢ (Wᵢ
        uniform on [0, 1), its phase) and its first failed one at c + I·(1 − Wᵢ): the lease
        expires at c + τ − I·W₍q:n₎, the arbiter's verdict comes at c + τ + I·(1 − W)₍q:n₎,
        at least one interval later when q is a majority (and never earlier): the old
        primary is fenced before the secondary is promoted."""
        while True:
            now = float(self.env.now)
            expiry = self._lease_expiry()
            if now < expiry:
                yield self.env.timeout(expiry - now)
                continue
            self._lease_expired()
            self.lease_renewed = self.env.event()
            yield self.lease_renewed

    def _vote(self, change: int) -> None:
        """An observer changed its mind: the arbiter declares the primary lost while a
        quorum sees it dead, and back when that quorum is gone."""
        self.dead_votes += change
        quorum = self.dead_votes >= self.scenario.failover.arbiter.quorum
        if quorum and not self.primary_lost:
            self._declare_lost()
        elif not quorum and self.primary_lost:
            self._declare_back()

    def _self_failover(self):
        """The secondary promotes itself (and points the failover record at itself),
        unless heartbeats arrive again before the promotion starts."""
        yield from self._hold_failover()
        if self.primary_lost:
            self._flip_dns_to(self.secondary)
            yield self.env.timeout(sample_one(self.scenario.failover.automation_delay,
                                              self.failover_rng))
            if self.primary_lost:
                yield from self._promote()
            else:
                self._flip_dns_to(self.primary)
        self.failover_process = None


def split_windows(epochs) -> list[tuple[float, float]]:
    """The intervals ``[start, end)`` in which two or more regions take writes (writable
    and not down): a split brain. The last one may end at inf (the run's end)."""
    down = 1  # control.DOWN
    windows: list[tuple[float, float]] = []
    start = None
    for epoch in epochs:
        writers = sum(w and s != down for w, s in zip(epoch.writable, epoch.status, strict=True))
        if writers >= 2 and start is None:
            start = epoch.start_s
        elif writers < 2 and start is not None:
            windows.append((start, epoch.start_s))
            start = None
    if start is not None:
        windows.append((start, float("inf")))
    return windows
