"""Failure detectors other than the health checks: the replication heartbeat, and fencing.

A mixin of :class:`drsim.model.control.ControlPlane`. With ``failover.detector:
heartbeat`` the primary sends a heartbeat to the secondary every ``interval`` (from
a uniform phase, stream ``heartbeat``) over the replication link; it arrives while
the two can reach each other (both up, the link not partitioned; a replication
stall does not stop it). The secondary declares the primary lost ``timeout`` after
the last heartbeat it received — between ``timeout − interval`` and ``timeout``
after the cut, ``timeout − interval/2`` on average — and promotes itself: it
points the failover record at itself, waits ``automation_delay`` and promotes for
``promotion_time``. It cannot demote a primary it cannot reach: a partition leaves
the old primary healthy and taking writes (split brain) unless ``fencing`` is on.
With fencing the primary holds a lease renewed by each heartbeat the secondary
acknowledges (the same heartbeat, so the lease and the secondary's timer start
together) and stops taking writes when it expires, ``timeout`` after the last one:
at the instant the secondary detects, before it is writable (``promotion_time``
later), so two regions never take writes at once. When heartbeats arrive again the
secondary hears the primary: a fenced primary that was not replaced takes writes
again, and a promoted secondary fails back per ``failover.failback`` (the old
primary must be healthy too).

Under a heartbeat detector the control plane also logs ``writers`` events: the
regions taking writes (writable and not down) whenever that set changes, the
split-brain metrics' input (:mod:`drsim.metrics.splitbrain`).
"""

from __future__ import annotations

from drsim.model.distributions import sample_one


class Detectors:
    """The heartbeat detector and fencing (mixed into ControlPlane)."""

    heartbeat_lost = False
    writers: tuple[int, ...] | None = None

    def _uses_heartbeat(self) -> bool:
        return self.scenario.failover.detector == "heartbeat"

    def _primary_back(self) -> bool:
        """The old primary can take over again: healthy and, under a heartbeat detector,
        heard by the secondary."""
        return self.healthy[self.primary] and not self.heartbeat_lost

    def _note_writers(self) -> None:
        """Log the regions taking writes when that set changes (heartbeat detector only)."""
        if not self._uses_heartbeat():
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
        """Heartbeats primary → secondary on a grid; the secondary's timer fires ``timeout``
        after the last one received (before a heartbeat due at that very instant)."""
        beat = self.scenario.failover.heartbeat
        phase = float(self.heartbeat_rng.uniform(0.0, beat.interval))
        last = phase - beat.interval  # the heartbeat before the run's first
        k = 0
        yield self.env.timeout(phase)
        while True:
            now = float(self.env.now)
            if self._heartbeat_arrives():
                last = now
                if self.heartbeat_lost:
                    self._heartbeat_heard()
            k += 1
            due = phase + k * beat.interval
            deadline = last + beat.timeout
            if not self.heartbeat_lost and deadline <= due:
                yield self.env.timeout(max(deadline - now, 0.0))
                self._heartbeat_missed()
            yield self.env.timeout(max(due - float(self.env.now), 0.0))

    def _heartbeat_missed(self) -> None:
        """The secondary's timer fired: the primary is lost to it (and, with fencing, the
        primary's lease has expired)."""
        self.heartbeat_lost = True
        p, s = self.primary, self.secondary
        now = float(self.env.now)
        self._event("detector", self.names[s], self.scenario.failover.heartbeat.timeout, "lost")
        if self.meta["detection_s"] is None:
            self.meta["detection_s"] = now
        if self.scenario.failover.fencing and self.writable[p]:
            self.writable[p] = False
            self._event("fenced", self.names[p])
            self._snapshot()
        if not self.failed_over and self.failover_process is None:
            self.failover_process = self.env.process(self._heartbeat_failover())

    def _heartbeat_heard(self) -> None:
        """Heartbeats arrive again: unfence a primary nobody replaced, or fail back."""
        self.heartbeat_lost = False
        p, s = self.primary, self.secondary
        self._event("detector", self.names[s], 0.0, "heard")
        if self.failed_over or self.promoting:
            if not self.failback_pending and self.scenario.failover.failback.policy != "never":
                self.failback_pending = True
                self.env.process(self._failback())
        elif self.scenario.failover.fencing and not self.writable[p]:
            self.writable[p] = True
            self._event("writable", self.names[p])
            self._snapshot()

    def _heartbeat_failover(self):
        """The secondary promotes itself (and points the failover record at itself),
        unless heartbeats arrive again before the promotion starts."""
        yield from self._hold_failover()
        if self.heartbeat_lost:
            self._flip_dns_to(self.secondary)
            yield self.env.timeout(sample_one(self.scenario.failover.automation_delay,
                                              self.failover_rng))
            if self.heartbeat_lost:
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
