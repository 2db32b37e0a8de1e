"""Refresh without single-flight (``sessions.single_flight: false``).

A client with single-flight refresh sends one refresh however many of its calls need
the new token; one without sends a refresh per call that finds the token expired —
reported as a source of 429 storms (DOMAIN.md). Each legitimate refresh (the rate
``traffic.refresh`` and the sessions' token refreshes alike) becomes k refreshes at the
same instant by the same user, k drawn per refresh from ``sessions.concurrent_calls``
(stream ``sessions/concurrent_calls``). Every copy is a first attempt of its own: it
takes a quota token, does its work at the region and is retried on failure; the client
keeps the first token that comes back (a refresh changes no user state, so which one
is not modelled).

Known answer (``tests/model/test_concurrent_refresh.py``): refresh attempts = E[k] ×
refreshes; and under a refresh quota of q per second offered R·E[k] > q, the throttled
share of refreshes tends to 1 − q / (R·E[k]).
"""

from __future__ import annotations

import numpy as np

from drsim.model.streams import Streams
from drsim.model.traffic import Arrivals, merged
from drsim.records import OP_CODE
from drsim.scenario.schema import Scenario


def call_counts(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """``sessions.concurrent_calls`` as (counts, probabilities)."""
    calls = scenario.sessions.concurrent_calls
    shares = calls if isinstance(calls, dict) else {calls: 1.0}
    counts = np.array(sorted(shares), dtype=np.int64)
    return counts, np.array([shares[k] for k in counts.tolist()], dtype=np.float64)


def mean_calls(scenario: Scenario) -> float:
    """E[k]: refresh attempts per refresh."""
    counts, shares = call_counts(scenario)
    return float(counts @ shares)


def with_concurrent_refreshes(scenario: Scenario, streams: Streams,
                              arrivals: Arrivals) -> Arrivals:
    """The arrivals with k − 1 more copies of each legitimate refresh, at its instant."""
    refreshes = np.flatnonzero((arrivals.attacker < 0) & (arrivals.op == OP_CODE["refresh"]))
    rng = streams.get("sessions/concurrent_calls")
    counts, shares = call_counts(scenario)
    k = counts[np.searchsorted(np.cumsum(shares), rng.random(len(refreshes)), side="right")
               .clip(0, len(counts) - 1)]
    copies = np.repeat(refreshes, k - 1)
    part = {"t": arrivals.time_s[copies], "op": arrivals.op[copies],
            "user": arrivals.user[copies], "pick": arrivals.pick[copies],
            "u": rng.random(len(copies))}
    return merged(arrivals, [part])
