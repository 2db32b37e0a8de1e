"""Scale: the reference design with a million users and an hour at ≈300 requests/s.

The model must keep users in columns (tens of MB for a million, not GB) and
serve requests as records, not processes. This test runs the shipped
Cognito active-passive scenario at 1 M users for 1 h with its traffic scaled
to ≈300 legitimate requests/s (token quotas raised to match) and one 20-minute
primary outage, checks that
it completes with sane records and that the directory costs < 200 bytes per
user, and prints the wall time and peak memory for the performance notes
(``pytest -s`` to see them). No wall-time assertion: machines differ.
"""

from __future__ import annotations

import math
import resource
import sys
import time

import pytest
from rates_only import RATES_ONLY

from drsim.model import simulate
from drsim.scenario import load_scenario

USERS = 1_000_000
TARGET_RATE = 300.0  # legitimate requests per second, all operations together
BASE_RATES = {  # the reference scenario's rates (per second)
    "sign_in": 35.0, "federated_sign_in": 2.0, "refresh": 100.0, "sign_up": 1.0,
    "profile_read": 20.0, "profile_update": 2.0, "password_change": 0.5, "sign_out": 1.0,
}


def peak_rss_mb() -> float:
    """Peak resident set size of this process (MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


@pytest.mark.slow
def test_a_million_users_for_an_hour():
    scale = TARGET_RATE / sum(BASE_RATES.values())
    overrides = [*RATES_ONLY, f"users.population={USERS}", "run.duration=1h",
                 "faults.0.start=20m", "faults.0.duration=20m", "traffic.admin_disable=0/h",
                 # 186 refreshes/s: a pool this busy has its token quota raised in both regions.
                 "regions.0.quotas.token=400/s", "regions.1.quotas.token=400/s"]
    overrides += [f"traffic.{op}={rate * scale:.4f}/s" for op, rate in BASE_RATES.items()]
    scenario = load_scenario("cognito-active-passive", overrides)

    rss_before = peak_rss_mb()
    start = time.perf_counter()
    records = simulate(scenario)
    wall = time.perf_counter() - start
    rss_after = peak_rss_mb()

    req = records.requests
    legit = req[~req.attacker & (req.attempt == 0)]
    bytes_per_user = records.meta["directory_bytes"] / USERS
    print(f"\nscale: {USERS:,} users, 1 h, {len(req):,} request rows "
          f"({len(legit) / 3600:.1f} legitimate first attempts/s), wall {wall:.1f} s, "
          f"peak RSS {rss_after:.0f} MB (before the run {rss_before:.0f} MB), "
          f"directory {records.meta['directory_bytes'] / 1e6:.1f} MB = "
          f"{bytes_per_user:.1f} B/user, batch fallback: "
          f"{bool(records.meta.get('batch_fallback'))}")

    assert bytes_per_user < 200
    # The arrivals are the Poisson stream asked for (±4 σ).
    expected = TARGET_RATE * 3600
    assert abs(len(legit) - expected) <= 4 * math.sqrt(expected)
    # The outage happened and was handled: failures during it, a promotion, a failback.
    assert records.meta["fault_start_s"] == 1200.0
    assert records.meta["promotion_start_s"] is not None
    assert records.meta["failback_s"] is not None
    during = req[(req.time_s >= 1200) & (req.time_s < 2400)]
    assert (during.outcome == "region_down").sum() > 0
    assert (req.outcome == "ok").mean() > 0.8
    assert not (req.outcome == "throttled").any()
