"""Known answers of the client-side circuit breaker (``clients[].circuit_breaker``).

1. The state machine, by hand: failures counted in a sliding window (a success in the
   closed state does not reset them), fail fast while open, k probes half-open, all must
   succeed to close it.
2. The duty cycle: every attempt fails, attempts arrive as a Poisson stream of rate λ:
   after the first ``failures`` attempts, each cycle lets k probes through in
   ``open_for`` + k/λ on average (renewal theory), so the region sees
   k·T / (``open_for`` + k/λ) attempts in T seconds.
3. Recovery: once the failure ends, the breaker is shut within one ``open_for`` of the
   last failed probe — no attempt fails fast after the fault's end + ``open_for``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from drsim.model import simulate
from drsim.model.breaker import Breaker
from drsim.records import OUTCOME_CODE
from drsim.scenario.schema import CircuitBreaker

from .conftest import build_scenario
from .test_known_answers import ONLY_PASSWORD_USERS, Z

OK, ERROR, WRONG = (OUTCOME_CODE[c] for c in ("ok", "region_error", "wrong_password"))


def test_failures_are_counted_in_a_sliding_window():
    breaker = Breaker(CircuitBreaker(failures=3, window="10s", open_for="30s"))
    for t in (0.0, 6.0, 12.0, 18.0):  # never three within 10 s
        assert breaker.admits(t)
        breaker.result(t, ERROR)
    assert breaker.admits(19.0)
    breaker.result(19.0, OK)  # a success does not reset the window
    breaker.result(19.5, WRONG)  # a user's wrong password is not the service's failure
    assert breaker.admits(20.0)
    breaker.result(20.0, ERROR)  # 12 (out: 20 − 10), 18, 20: three within 10 s → open
    assert breaker.opened == [20.0]
    assert not breaker.admits(20.0) and not breaker.admits(49.999)


def test_half_open_lets_k_probes_through_and_closes_only_if_all_succeed():
    breaker = Breaker(CircuitBreaker(failures=1, window="10s", open_for="30s",
                                     half_open_probes=2))
    breaker.result(0.0, ERROR)
    assert breaker.opened == [0.0] and not breaker.admits(29.0)
    assert breaker.admits(30.0)
    breaker.result(30.0, OK)
    assert breaker.admits(31.0)  # the second probe
    breaker.result(31.0, ERROR)  # one probe failed: open again, from the verdict
    assert breaker.opened == [0.0, 31.0]
    assert not breaker.admits(60.0)
    for t in (61.0, 62.0):
        assert breaker.admits(t)
        breaker.result(t, OK)
    assert breaker.open_until is None and breaker.admits(62.5)  # closed, window empty
    breaker.result(63.0, ERROR)  # failures = 1: a fresh failure opens it again
    assert breaker.opened[-1] == 63.0


def _failing(rate: float, breaker: dict, duration: str, fault_for: str = "forever",
             seed: int = 3):
    """One region failing every attempt (a gray failure at 100 %) for ``fault_for``,
    Poisson sign-ins at ``rate``, no retries."""
    return build_scenario(
        regions=[{"name": "r1", "role": "primary"}],
        users={"population": 20_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "retry": {"attempts": 1}, "circuit_breaker": breaker}],
        traffic={"sign_in": f"{rate}/s"},
        faults=[{"kind": "gray_failure", "region": "r1", "error_rate": "100%",
                 "start": "0s", "duration": fault_for}],
        run={"duration": duration, "seed": seed},
    )


@pytest.mark.parametrize("probes", [1, 2])
def test_duty_cycle_when_every_attempt_fails(probes):
    """λ = 0.2/s, open 30 s: k probes per 30 + 5k s. The count of cycles in T has
    variance ≈ T·σ²/μ³ (σ² = k/λ², μ the mean cycle), plus up to k probes of the last,
    partial cycle: the tolerance; forgetting the wait for the probes (k per 30 s) would be
    more than twice the tolerance away."""
    rate, open_for, failures, horizon = 0.2, 30.0, 5, 7200.0
    scenario = _failing(rate, {"failures": failures, "window": "5m", "open_for": "30s",
                               "half_open_probes": probes}, "2h")
    req = simulate(scenario, 0).requests
    out = req[req.outcome != "circuit_open"]
    assert (out.outcome == "region_error").all()
    assert (req[req.outcome == "circuit_open"].region.astype(str) == "none").all()
    mean = open_for + probes / rate
    start = failures / rate  # the trip: the 5th arrival, on average
    expected = failures + probes * ((horizon - start) / mean - 0.5)  # renewal function
    tolerance = Z * probes * math.sqrt(horizon * (probes / rate ** 2) / mean ** 3) + probes
    assert abs(len(out) - expected) <= tolerance, (len(out), expected, tolerance)
    wrong = failures + probes * horizon / open_for
    assert abs(wrong - expected) > 2 * tolerance
    # Between two openings, nothing goes out for open_for.
    t = out.time_s.to_numpy()
    assert np.diff(t[failures - 1::probes]).min() >= open_for


def test_the_breaker_closes_within_open_for_of_the_failure_ending():
    """A 5-minute failure: openings only while it lasts, no attempt fails fast from its
    end + open_for on, and every attempt then succeeds; the same in both serving modes."""
    scenario = _failing(2.0, {"failures": 5, "window": "10s", "open_for": "30s"}, "15m",
                        fault_for="5m")
    batched = simulate(scenario, 0)
    reference = simulate(scenario, 0, batch=False)
    assert batched.requests.equals(reference.requests)
    req = batched.requests
    fast = req[req.outcome == "circuit_open"]
    assert len(fast) > 400  # open most of the 5 minutes at 2/s
    assert fast.time_s.max() < 300.0 + 30.0
    assert (req[req.time_s >= 330.0].outcome == "ok").all()
