"""Known answers of refresh without single-flight (``sessions.single_flight: false``).

1. Each refresh becomes k refreshes at its instant: with k fixed, exactly k × the
   refreshes of the same run with single-flight (the same seed, the same refreshes);
   with shares per k, E[k] × them within binomial noise.
2. Under a refresh ("token") quota of q per second, refreshes offered at R·k > q per
   second are throttled in the share 1 − (q·T + bucket) / (R·k·T) over T seconds: the
   quota passes q a second plus its initial bucket, whatever the offered load.
"""

from __future__ import annotations

import math

import pytest

from drsim.model import simulate
from drsim.model.concurrent_refresh import mean_calls

from .conftest import build_scenario
from .test_known_answers import ONLY_PASSWORD_USERS, Z


def _refreshing(rate: str, sessions: dict, quota: str = "100000/s", duration: str = "10m"):
    """One region, refreshes at ``rate`` by users with sessions, no retries."""
    return build_scenario(
        regions=[{"name": "r1", "role": "primary", "quotas": {"token": quota, "burst": "1s"}}],
        users={"population": 20_000, "with_session": "100%", **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "retry": {"attempts": 1}}],
        traffic={"refresh": rate},
        sessions=sessions,
        run={"duration": duration, "seed": 2},
    )


def _refreshes(records) -> int:
    """First attempts: every one a refresh (served as a sign-in when its session has
    expired: the copies after it find the new session)."""
    req = records.requests
    assert set(req.op.astype(str)) <= {"refresh", "sign_in"}
    return int((req.attempt == 0).sum())


def test_k_concurrent_calls_send_k_refreshes_each():
    single = _refreshes(simulate(_refreshing("20/s", {}), 0))
    assert single > 10_000
    for k in (2, 5):
        scenario = _refreshing("20/s", {"single_flight": False, "concurrent_calls": k})
        assert _refreshes(simulate(scenario, 0)) == k * single


def test_shares_of_concurrent_calls_send_the_mean_of_k():
    scenario = _refreshing("20/s", {"single_flight": False,
                                    "concurrent_calls": {1: "50%", 4: "50%"}})
    assert mean_calls(scenario) == 2.5
    single = _refreshes(simulate(_refreshing("20/s", {}), 0))
    many = _refreshes(simulate(scenario, 0))
    sd = 3 * math.sqrt(single * 0.25)  # k − 1 = 3 × Bernoulli(½) per refresh
    assert abs(many - 2.5 * single) <= Z * sd, (many, 2.5 * single, sd)


@pytest.mark.parametrize("k", [1, 4])
def test_the_quota_throttles_what_the_concurrent_calls_add(k):
    """Refreshes at 40/s with k calls each against a quota of 100/s (a 1 s bucket): k = 1
    is under the quota (nothing throttled); k = 4 offers 160/s, 1 − (100·600 + 100) /
    (160·600) ≈ 37.4 % throttled, within binomial noise of the offered count."""
    sessions = {} if k == 1 else {"single_flight": False, "concurrent_calls": k}
    for batch in (True, False):
        records = simulate(_refreshing("40/s", sessions, quota="100/s"), 0, batch=batch)
        req = records.requests
        refresh = req[req.op == "refresh"]
        throttled = float((refresh.outcome == "throttled").mean())
        if k == 1:
            assert throttled < 0.01  # a Poisson 40/s never empties a bucket of 100 at 100/s
            continue
        offered = len(refresh)
        expected = 1 - (100 * 600 + 100) / offered
        assert abs(throttled - expected) < 0.01, (throttled, expected)
        assert abs(throttled - (1 - 100 / (40 * k))) < 0.01
