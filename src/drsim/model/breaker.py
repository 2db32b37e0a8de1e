"""Client-side circuit breakers (``clients[].circuit_breaker``): one per client kind.

A breaker is closed, open or half-open (Resilience4j's state machine):

* **closed**: attempts go out; an attempt ending in one of ``trip_on``'s causes is a
  failure, and once ``failures`` failures fall within the last ``window`` seconds the
  breaker opens;
* **open** for ``open_for``: every attempt fails fast in the client, outcome
  ``circuit_open`` — it reaches no region (no quota, no queue) and is not retried;
* **half-open** after that: the next ``half_open_probes`` attempts go out; when the last
  of them is made, the breaker closes if none failed and opens again otherwise.

The breaker learns an attempt's result when the attempt is made [assumption: the
latency — seconds — is short against ``open_for``]. Its state depends on the order of
all its kind's attempts, so batches serve a guarded kind's requests one at a time
(:class:`~drsim.model.batch.BatchServer`), in the reference's order, as a retry
budget's.

Known answer (``tests/model/test_breaker.py``): when every attempt fails and attempts
arrive as a Poisson stream of rate λ, each open–half-open cycle lets through k probes in
``open_for`` + k/λ on average (the wait for k arrivals after the breaker half-opens), so
after the first ``failures`` attempts the region sees k / (``open_for`` + k/λ) attempts a
second.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from drsim.records import OUTCOME_CODE
from drsim.scenario.schema import CircuitBreaker, Scenario

CLOSED, OPEN = 0, 1


class Breaker:
    """One client kind's breaker."""

    __slots__ = ("spec", "trips", "failed_at", "open_until", "probes", "probe_failed",
                 "opened")

    def __init__(self, spec: CircuitBreaker) -> None:
        self.spec = spec
        self.trips = np.zeros(len(OUTCOME_CODE), dtype=np.bool_)
        self.trips[[OUTCOME_CODE[c] for c in spec.trip_on]] = True
        self.failed_at: deque[float] = deque()  # closed: the failures in the window
        self.open_until: float | None = None  # None: closed; else open until, then half-open
        self.probes = 0  # half-open: probes let through so far
        self.probe_failed = False
        self.opened: list[float] = []  # when it opened, in order

    def admits(self, t: float) -> bool:
        """Whether an attempt at ``t`` goes out (False: it fails fast, ``circuit_open``)."""
        if self.open_until is None:
            return True
        if t < self.open_until:
            return False
        self.probes += 1  # half-open: every attempt is a probe until the verdict
        return True

    def result(self, t: float, outcome: int) -> None:
        """The outcome of an attempt that went out at ``t``."""
        failed = bool(self.trips[outcome])
        spec = self.spec
        if self.open_until is not None:  # a probe
            self.probe_failed |= failed
            if self.probes >= spec.half_open_probes:
                if self.probe_failed:
                    self._open(t)
                else:
                    self.open_until = None
            return
        if not failed:
            return
        window = self.failed_at
        window.append(t)
        while window[0] <= t - spec.window:
            window.popleft()
        if len(window) >= spec.failures:
            self._open(t)

    def _open(self, t: float) -> None:
        self.open_until = t + self.spec.open_for
        self.failed_at.clear()
        self.probes = 0
        self.probe_failed = False
        self.opened.append(t)


class Breakers:
    """The breakers of the scenario's client kinds (None for a kind without one)."""

    def __init__(self, scenario: Scenario) -> None:
        self.of_kind = [None if k.circuit_breaker is None else Breaker(k.circuit_breaker)
                        for k in scenario.clients]
        self.guarded = np.array([b is not None for b in self.of_kind], dtype=np.bool_)
        self.any = bool(self.guarded.any())
