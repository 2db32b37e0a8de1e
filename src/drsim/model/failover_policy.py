"""The failover controller's policies: which secondary to promote, and hysteresis.

A mixin of :class:`drsim.model.control.ControlPlane` (it reads and sets the control
plane's state): the promotion choice among several secondaries
(``failover.promote``), the cap on failovers per hour
(``failover.max_failovers_per_hour``), the minimum healthy time before failback
(``failover.failback.min_healthy``), and the failback's wait for the reverse
backlog. None of them draws a random number, so the streams stay as they were.
"""

from __future__ import annotations

import math

HOUR_S = 3600.0


def client_home_shares(scenario, n_regions: int) -> list[float]:
    """Share of clients whose home is each region (clients[].home; no home counts nowhere)."""
    shares = [0.0] * n_regions
    for kind in scenario.clients:
        if kind.home is not None:
            shares[scenario.region_index(kind.home)] += kind.share
    return shares


def last_blocked(epochs, now: float, source: int, target: int) -> float:
    """When the replication channel source → target last could not run while the source
    was up (−inf: never): the control plane's view of which replica is furthest behind."""
    down = 1  # control.DOWN
    latest = -math.inf
    for i, epoch in enumerate(epochs):
        end = epochs[i + 1].start_s if i + 1 < len(epochs) else now
        if epoch.status[source] != down and not epoch.channel_running(source, target):
            latest = end
    return latest


class FailoverPolicy:
    """Promotion choice and hysteresis of the control plane (mixed into ControlPlane)."""

    def _choose_secondary(self) -> int:
        """The secondary this failover promotes (``failover.promote``): first listed; or,
        preferring healthy ones, the least lagged, the home of most clients, or the
        operator's; ties go to the first listed."""
        failover = self.scenario.failover
        if failover.promote == "first":
            return self.secondaries[0]
        if failover.promote == "operator":
            return self.scenario.region_index(failover.promote_region)
        candidates = [s for s in self.secondaries if self.healthy[s] and not self.down[s]]
        candidates = candidates or list(self.secondaries)
        if failover.promote == "nearest":
            shares = client_home_shares(self.scenario, self.n_regions)
            return max(candidates, key=lambda s: (shares[s], -s))
        now = float(self.env.now)
        return min(candidates,
                   key=lambda s: (last_blocked(self.epochs, now, self.primary, s), s))

    def _hold_failover(self):
        """``max_failovers_per_hour``: while that many failovers started within the last
        hour, stay put until the oldest of them leaves the window."""
        cap = self.scenario.failover.max_failovers_per_hour
        if cap is None:
            return
        while True:
            now = float(self.env.now)
            recent = [t for t in self.failover_times if t > now - HOUR_S]
            if len(recent) < cap:
                return
            self._event("failover_held", self.names[self.primary], len(recent))
            yield self.env.timeout(recent[-cap] + HOUR_S - now)

    def _wait_min_healthy(self):
        """``failback.min_healthy``: until the old primary has been healthy without a break
        that long, or it fails again (the caller then gives up this failback)."""
        hold = self.scenario.failover.failback.min_healthy
        p = self.primary
        while self.healthy[p]:
            wait = self.healthy_since[p] + hold - float(self.env.now)
            if wait <= 0:
                return
            yield self.env.timeout(wait)

    def _wait_for_backlog(self, p: int, s: int):
        """The promoted secondary stops taking writes until the reverse backlog has drained
        at the old primary; False when the failback does not follow: the drain instant is
        unknown yet (the timeline is incomplete from here), never, or p failed again."""
        now = float(self.env.now)
        self.writable[s] = False
        self._event("failback_start", self.names[p])
        self._snapshot()
        k = self.waits
        self.waits += 1
        if k >= len(self.drains):
            if self.undrained is None:
                self.undrained = (now, p, s)
            return False
        if math.isinf(self.drains[k]):
            return False  # the backlog never drains within the run: writes stay stopped
        yield self.env.timeout(max(self.drains[k] - now, 0.0))
        if self.healthy[p]:
            return True
        self.failback_pending = False  # p failed again while the backlog drained
        self.writable[s] = True
        self._event("writable", self.names[s])
        self._snapshot()
        return False
