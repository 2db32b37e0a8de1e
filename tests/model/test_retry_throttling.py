"""Known answers of gRPC retry throttling (``clients[].retry.throttling``, gRFC A6).

1. Every attempt fails: the count falls by 1 per failure from M = ``max_tokens``, and a
   failure is retried only while the count left is above M/2: exactly ⌈M/2⌉ − 1
   retries (4 for M = 10, 9 for M = 19), then none — when the retries come after the
   first failures have drained the count (a failed retry takes a token too).
2. A share p of attempts fails (a gray failure): per attempt the count drifts by
   r(1 − p) − p, retried or not, so below p* = r / (1 + r) (9.1 % for r = 0.1) nearly
   every failure is retried and above it nearly none.
"""

from __future__ import annotations

import math

import pytest

from drsim.model import simulate

from .conftest import build_scenario
from .test_known_answers import ONLY_PASSWORD_USERS


def _failing(error_rate: str, throttling: dict, duration: str = "10m", backoff: str = "1s"):
    return build_scenario(
        regions=[{"name": "r1", "role": "primary"}],
        users={"population": 20_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "retry": {"attempts": 2, "backoff": backoff, "jitter": "0%",
                            "throttling": throttling}}],
        traffic={"sign_in": "10/s"},
        faults=[{"kind": "gray_failure", "region": "r1", "error_rate": error_rate,
                 "start": "0s", "duration": "forever"}],
        run={"duration": duration, "seed": 5},
    )


@pytest.mark.parametrize("max_tokens", [10, 19])
def test_every_attempt_failing_retries_half_the_tokens_less_one(max_tokens):
    """Retries 30 s later: every first failure before them has drained the count to the
    threshold (10 attempts a second), so no failed retry takes a token first."""
    scenario = _failing("100%", {"max_tokens": max_tokens}, backoff="30s")
    for batch in (True, False):
        req = simulate(scenario, 0, batch=batch).requests
        assert len(req) > 5000
        assert int((req.attempt > 0).sum()) == math.ceil(max_tokens / 2) - 1


@pytest.mark.parametrize(("error_rate", "low", "high"), [("5%", 0.95, 1.0),
                                                         ("20%", 0.0, 0.01)])
def test_failures_are_retried_below_the_ratio_threshold_and_not_above(error_rate, low, high):
    """r = 0.1: p* = 9.1 %. At 5 % the count drifts up (+0.045 an attempt) and stays near
    full; at 20 % it drifts down (−0.12) to 0 within a minute and retries stop."""
    req = simulate(_failing(error_rate, {"token_ratio": 0.1}, "30m"), 0).requests
    failed_first = int(((req.attempt == 0) & (req.outcome == "region_error")).sum())
    retried = int((req.attempt > 0).sum()) / failed_first
    assert failed_first > 800
    assert low <= retried <= high, retried
