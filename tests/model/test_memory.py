"""Memory of a run's big steps: each column is built once (issue 6's memory goal).

The arrivals and the ``requests`` table are built without per-source,
concatenated and sorted copies of every column. The first test pins the merged
arrivals to their straightforward construction (the specification); the others
bound what each step allocates at its peak (tracemalloc traces numpy's arrays),
well below what the straightforward constructions needed (≈ 110 and 126 bytes
per row).
"""

from __future__ import annotations

import functools
import tracemalloc

import numpy as np
import pytest
from rates_only import RATES_ONLY

import drsim.model as model
from drsim.model.streams import Streams
from drsim.model.traffic import (
    _reserve_signups,
    attacker_guesses,
    operation_times,
    rate_arrivals,
)
from drsim.records import OP_CODE
from drsim.scenario import load_scenario
from drsim.scenario.schema import OPERATIONS

SHORT = ["users.population=20000", "run.duration=40m", "faults.0.start=10m",
         "faults.0.duration=15m"]
VARIANTS = {
    "reference": [],
    "m2m-daily-profile": ["traffic.m2m_token=5/s", "traffic.start_hour=5",
                          "traffic.daily_profile=[" + ",".join(map(str, range(1, 25))) + "]"],
    "bursts": ["traffic.bursts=[{operation: all, start: 10m, duration: 5m, multiplier: 3},"
               " {operation: sign_up, start: 20m, duration: 10m, multiplier: 0.5}]"],
    "no-attacker": ["attackers=[]"],
    "attackers": ["attackers=[{name: s1, kind: password_spraying, rate: 5/s, targets: 50},"
                  " {name: t, kind: token_replay, rate: 1/s, targets: 20},"
                  " {name: s2, kind: credential_stuffing, rate: 1/s, targets: 10,"
                  " start: 10m, duration: 20m}]"],
}


def straightforward_arrivals(scenario, streams):
    """Every source's columns, concatenated, then sorted by time (the specification)."""
    times, ops, picks, us, attackers, accounts = [], [], [], [], [], []
    for operation in OPERATIONS:
        t = operation_times(scenario, streams, operation)
        times.append(t)
        ops.append(np.full(len(t), OP_CODE[operation], dtype=np.int8))
        picks.append(streams.get(f"pick/{operation}").random(len(t)))
        us.append(streams.get(f"u/{operation}").random(len(t)))
        attackers.append(np.full(len(t), -1, dtype=np.int16))
        accounts.append(np.full(len(t), -1, dtype=np.int64))
    for index, attacker in enumerate(scenario.attackers):
        if attacker.kind == "token_replay":
            continue
        t, acc = attacker_guesses(scenario, streams, index, attacker)
        luck = streams.get(f"luck/{attacker.name}")
        times.append(t)
        ops.append(np.full(len(t), OP_CODE["guess"], dtype=np.int8))
        picks.append(luck.random(len(t)))
        us.append(luck.random(len(t)))
        attackers.append(np.full(len(t), index, dtype=np.int16))
        accounts.append(acc)
    time_s = np.concatenate(times)
    order = np.argsort(time_s, kind="stable")
    op = np.concatenate(ops)[order]
    pick = np.concatenate(picks)[order]
    attacker = np.concatenate(attackers)[order]
    signup = op == OP_CODE["sign_up"]
    chosen = (pick * (scenario.users.population + np.cumsum(signup) - signup)).astype(np.int64)
    user = np.where(attacker >= 0, np.concatenate(accounts)[order], chosen)
    return {"time_s": time_s[order], "op": op,
            "user": _reserve_signups(op, user, scenario.users.population),
            "pick": pick, "u": np.concatenate(us)[order], "attacker": attacker}


@pytest.mark.parametrize("variant", VARIANTS)
def test_merged_arrivals_equal_the_straightforward_construction(variant):
    scenario = load_scenario("cognito-active-passive", SHORT + VARIANTS[variant])
    for replication in (0, 1):
        merged = rate_arrivals(scenario, Streams(scenario.run.seed, replication))
        expected = straightforward_arrivals(scenario, Streams(scenario.run.seed, replication))
        for name, column in expected.items():
            got = getattr(merged, name)
            assert got.dtype == column.dtype and np.array_equal(got, column), name


@pytest.mark.parametrize(("traffic", "arrivals_peak"), [
    (RATES_ONLY, 50),  # 35 bytes an arrival are kept, ≈ 44 at the peak
    ([], 110),  # journeys: the sessions and their rows, ≈ 97 at the peak
])
def test_arrivals_and_requests_table_peaks_stay_near_their_size(monkeypatch, traffic,
                                                                arrivals_peak):
    peak_per_row: dict[str, float] = {}

    def traced(function, key):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            tracemalloc.start()  # traces what the step allocates, not what it frees
            try:
                result = function(*args, **kwargs)
                peak_per_row[key] = tracemalloc.get_traced_memory()[1] / len(result)
            finally:
                tracemalloc.stop()
            return result
        return wrapper

    monkeypatch.setattr(model, "generate_arrivals", traced(model.generate_arrivals, "arrivals"))
    monkeypatch.setattr(model, "_requests_table", traced(model._requests_table, "requests"))
    scenario = load_scenario("cognito-active-passive", ["users.population=20000",
                                                        "run.duration=1h", *traffic])
    assert len(model.simulate(scenario).requests) > 500_000
    assert peak_per_row["arrivals"] < arrivals_peak
    assert peak_per_row["requests"] < 48  # 33 bytes a row are kept, ≈ 42 at the peak
