"""Batched serving is an optimisation only: it must reproduce the one-at-a-time reference.

Every table of the run is compared exactly, on shipped scenarios shrunk to a
small population, covering failover, gray failure, quotas that throttle,
synchronous peers, export/import, lazy migration, write bursts, attackers, token
replays, shared lockout counters and one region.
"""

from __future__ import annotations

import pytest

from drsim.model import simulate
from drsim.scenario import load_scenario

SCENARIOS = [
    "cognito-active-passive",
    "gray-failure",
    "quota-throttle-after-failover",
    "keycloak-multisite",
    "custom-export-import",
    "migration-trigger",
    "credential-stuffing-during-failover",
    "replication-backlog",
    "partition",
    "manual-failover",
    "auth0-contract",
    "token-replay-during-failover",
    "global-lockout",
    "kms-outage",
    "single-region",
]

EXTRA = {"token-replay-during-failover": ["attackers.1.targets=5000"]}  # ≤ the population


@pytest.mark.parametrize("name", SCENARIOS)
def test_batched_run_equals_sequential_reference(name):
    scenario = load_scenario(name, ["users.population=20000", "run.duration=40m",
                                    "faults.0.start=10m", "faults.0.duration=15m",
                                    *EXTRA.get(name, [])])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert len(batched.requests) > 10_000
    for table in ("requests", "writes", "locks", "events"):
        a, b = getattr(batched, table), getattr(reference, table)
        assert a.equals(b), f"{name}: {table} differ"
    assert batched.meta == reference.meta
