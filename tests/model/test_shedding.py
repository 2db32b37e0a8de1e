"""Known answers of load shedding (drsim.model.disciplines), through scenarios alone.

1. Drop-tail: with one operation of service time s, ``max_wait = (K − 1)·s`` refuses
   exactly the arrivals that find K requests in the system — the M/D/1/K queue, whose
   blocking probability is 1 − 1/(π₀ + ρ), π₀ from the M/G/1/K departure-epoch chain
   (the same chain with exponential service gives M/M/1/K's (1 − ρ)ρᴷ/(1 − ρᴷ⁺¹)).
2. Admission per priority, fluid limit under overload: the high class's goodput is
   min(its demand, the capacity), the low class gets the rest of the capacity.
3. ``drop_expired`` under 2× overload with a 10 s timeout: the region skips the
   requests it cannot finish in time, so goodput stays at the capacity where FIFO's
   collapses to 0 (tests/model/test_overload.py).
4. A shed request costs no work and its client hears at once (its latency is the
   operation's own); batches reproduce the one-at-a-time reference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from drsim.metrics.overload import overload_metrics, overload_timeline
from drsim.model import simulate
from drsim.model.capacity import SHED, Queues, service_ticks
from drsim.model.disciplines import shed_ticks, shortest_bound_s
from drsim.model.replay import sojourn_s
from drsim.records import OP_CODE

from .conftest import build_scenario
from .test_known_answers import ONLY_PASSWORD_USERS, Z

SIGN_IN_S = 0.15  # a sign-in's base latency (operations.base_latency_s)
READ_S = 0.05  # a profile read's


def region(vcpus: float, **shedding) -> list[dict]:
    return [{"name": "r1", "role": "primary",
             "quotas": {"sign_in": "100000/s", "user_read": "100000/s"},
             "capacity": {"vcpus": vcpus, **shedding}}]


def clients(**extra) -> list[dict]:
    return [{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
             "retry": {"attempts": 1}, **extra}]


def scenario(vcpus: float, traffic: dict, duration: str, clients_=None, **shedding):
    return build_scenario(regions=region(vcpus, **shedding),
                          users={"population": 20_000, **ONLY_PASSWORD_USERS},
                          clients=clients_ or clients(), traffic=traffic,
                          run={"duration": duration, "seed": 3})


# --------------------------------------------------------------------------- M/G/1/K


def departure_chain_blocking(arrivals_in_service: np.ndarray, rho: float, k: int) -> float:
    """Blocking probability of M/G/1/K from the number left behind at departures (states
    0..K−1): P_K = 1 − 1/(π₀ + ρ). ``arrivals_in_service[j]``: P(j arrivals during one
    service)."""
    a = arrivals_in_service
    p = np.zeros((k, k))
    for i in range(k):
        base = max(i - 1, 0)  # left behind before the arrivals of the next service
        for j in range(base, k - 1):
            p[i, j] = a[j - base]
        p[i, k - 1] = 1.0 - p[i, :k - 1].sum()
    # π P = π, Σπ = 1.
    system = np.vstack([(p.T - np.eye(k))[:-1], np.ones(k)])
    pi = np.linalg.solve(system, np.eye(k)[-1])
    return 1.0 - 1.0 / (pi[0] + rho)


def md1k_blocking(rho: float, k: int) -> float:
    """M/D/1/K: Poisson(ρ) arrivals during a constant service."""
    a = np.array([math.exp(-rho) * rho ** j / math.factorial(j) for j in range(k + 1)])
    return departure_chain_blocking(a, rho, k)


@pytest.mark.parametrize("rho", [0.5, 1.5])
def test_the_departure_chain_gives_mm1k_for_exponential_service(rho):
    """The helper's chain, fed exponential service (geometric arrivals per service),
    reproduces the M/M/1/K closed form — it is the chain, not a fit."""
    k = 5
    a = np.array([rho ** j / (1 + rho) ** (j + 1) for j in range(k + 1)])
    closed = (1 - rho) * rho ** k / (1 - rho ** (k + 1))
    assert departure_chain_blocking(a, rho, k) == pytest.approx(closed, rel=1e-12)


@pytest.mark.parametrize("rho", [0.9, 1.5])
def test_drop_tail_blocking_is_md1k(rho):
    """Sign-ins at 100/s served in s = ρ/100 s each, max_wait = (K − 1)·s with K = 4: the
    share shed is M/D/1/K's blocking probability (batch means over 30 batches)."""
    k, rate = 4, 100.0
    service_ms = 10.0 * rho
    vcpus = 1000.0 / (15.0 * service_ms)
    s = scenario(vcpus, {"sign_in": f"{rate}/s"}, "8m",
                 max_wait=f"{(k - 1) * service_ms}ms")
    records = simulate(s, 0)
    req = records.requests
    outcome = req.outcome.astype(str).to_numpy()
    assert set(outcome) == {"ok", "shed"}
    shed = outcome == "shed"
    expected = md1k_blocking(rho, k)
    batches = np.array([b.mean() for b in np.array_split(shed, 30)])
    standard_error = batches.std(ddof=1) / math.sqrt(len(batches))
    assert abs(shed.mean() - expected) <= Z * standard_error, (shed.mean(), expected)
    assert overload_metrics(records, s)["shed_attempts"] == shed.sum()
    # M/M/1/K's answer (exponential service, more variable) is far outside.
    mm1k = (1 - rho) * rho ** k / (1 - rho ** (k + 1))
    assert abs(mm1k - expected) > 3 * Z * standard_error
    # Shed: no work, told at once; admitted: waited at most max_wait.
    latency = req.latency_s.to_numpy(np.float64)
    assert np.allclose(latency[shed], SIGN_IN_S)
    assert latency[~shed].max() <= SIGN_IN_S + k * service_ms / 1000 + 1e-5


# --------------------------------------------------------------------------- priorities


def _ok_by_completion(req, op: str, start_s: float, end_s: float) -> int:
    ok = req[(req.outcome == "ok") & (req.op == op)]
    done = ok.time_s.to_numpy() + ok.latency_s.to_numpy(np.float64)
    return int(((done >= start_s) & (done < end_s)).sum())


@pytest.mark.parametrize("high_load,low_load", [(0.6, 1.0), (1.3, 0.5)])
def test_priority_admission_gives_the_high_class_min_of_demand_and_capacity(
        high_load, low_load):
    """Profile reads (bound 5 s) before sign-ins (bound 1 s), at 1 vCPU (240 reads/s or
    15 sign-ins/s), offered ``high_load`` and ``low_load`` of the capacity. The queue is
    never empty after the first seconds and settles at the lower bound the traffic fills:
    reads complete min(demand, capacity), sign-ins the capacity left over."""
    read_rate, sign_in_rate = 240.0 * high_load, 15.0 * low_load
    s = scenario(1.0, {"profile_read": f"{read_rate}/s", "sign_in": f"{sign_in_rate}/s"},
                 "6m", admission=[{"categories": ["user_read"], "max_wait": "5s"},
                                  {"categories": ["sign_in"], "max_wait": "1s"}])
    req = simulate(s, 0).requests
    start, end = 60.0, 360.0 - 6.0
    span = end - start
    reads = _ok_by_completion(req, "profile_read", start, end)
    sign_ins = _ok_by_completion(req, "sign_in", start, end)
    # Service times are whole microseconds: 1/240 s → 4 167 µs, 1/15 s → 66 667 µs.
    read_s, sign_in_s = service_ticks(s)[0, [OP_CODE["profile_read"], OP_CODE["sign_in"]]] / 1e6
    expected_reads = min(read_rate, 1.0 / read_s) * span
    expected_sign_ins = max(0.0, 1.0 - read_rate * read_s) / sign_in_s * span
    # Reads are Poisson when under the capacity; the sign-ins take the rest of a busy
    # server's time: 16 reads' work per sign-in.
    sd_reads = math.sqrt(read_rate * span) if high_load < 1 else 0.0
    assert abs(reads - expected_reads) <= Z * sd_reads + 2, (reads, expected_reads)
    assert abs(sign_ins - expected_sign_ins) <= Z * sd_reads / 16 + 2, (
        sign_ins, expected_sign_ins)
    if high_load < 1:
        assert not ((req.op == "profile_read") & (req.outcome == "shed")).any()


# --------------------------------------------------------------------------- drop_expired


def test_drop_expired_keeps_goodput_at_capacity_where_fifo_collapses():
    """Sign-ins at 2× what 2 vCPUs serve (30/s), clients time out after 10 s: the region
    skips what it cannot finish in time, so from the first minute on it completes 30
    sign-ins/s that are still wanted (FIFO: 0 once the backlog passes 10 s)."""
    s = scenario(2.0, {"sign_in": "60/s"}, "5m", clients(timeout="10s"),
                 discipline="drop_expired")
    records = simulate(s, 0)
    req = records.requests
    assert set(req.outcome.astype(str)) == {"ok", "timeout"}
    ok = req[req.outcome == "ok"]
    done = ok.time_s.to_numpy() + ok.latency_s.to_numpy(np.float64) - SIGN_IN_S
    per_minute = np.histogram(done, bins=np.arange(60.0, 241.0, 60.0))[0]
    assert np.all(np.abs(per_minute - 30 * 60) <= 1), per_minute
    assert ok.latency_s.max() <= 10.0
    # The timed-out attempts did no work: the work done is the ok attempts'.
    sojourn = sojourn_s(s, req.time_s.to_numpy(), req.op.cat.codes.to_numpy(),
                        req.region.cat.codes.to_numpy(), req.outcome.cat.codes.to_numpy())
    assert (sojourn[(req.outcome == "timeout").to_numpy()] == 0).all()
    # The work offered counts the skipped attempts: 60/s × 1/15 vCPU-s on 2 vCPUs = 2.0
    # (Poisson: ±4 SD of 3,600 arrivals a minute is ±0.13).
    utilisation = overload_timeline(records, s)["utilisation"].to_numpy()
    assert np.all(np.abs(utilisation - 2.0) < 0.14), utilisation
    assert overload_metrics(records, s)["overloaded_minutes.r1"] == 5


# --------------------------------------------------------------------------- the queue


def test_take_sheds_above_the_bound_and_books_batches_as_one_at_a_time():
    """A wait ahead above the category's bound is shed without changing the queue; a
    batch's promise covers the bound (a sojourn past it breaks the promise)."""
    s = scenario(1.0, {"sign_in": "10/s"}, "1m",
                 admission=[{"categories": ["sign_in"], "max_wait": "250ms"}])
    ticks = service_ticks(s)
    queues = Queues(s, ticks, shed_ticks(s), shortest_bound_s(s))
    sign_in = OP_CODE["sign_in"]
    service = 66_667 / 1e6  # 1/15 s in whole microseconds
    waits = [queues.take(0, sign_in, 1.0) for _ in range(5)]
    # Sojourns 1, 2, 3, 4 services; the 5th would wait 4 × 1/15 s > 250 ms: shed.
    assert waits[:4] == pytest.approx([service * n for n in (1, 2, 3, 4)], abs=1e-9)
    assert waits[4] == SHED
    assert queues.take(0, OP_CODE["profile_read"], 1.0) > 4 * service  # not bounded
    batched = Queues(s, ticks, shed_ticks(s), shortest_bound_s(s))
    batched.limit_ticks = np.minimum(np.array([10**12]), round(0.25e6))
    batched.open_batch()
    for _ in range(4):
        batched.take(0, sign_in, 1.0)
    assert not batched.book()  # the 4th's sojourn (4/15 s) passes the 250 ms bound


@pytest.mark.parametrize("shedding", [
    {"max_wait": "2s"},
    {"discipline": "drop_expired"},
    {"admission": [{"categories": ["user_read"], "max_wait": "4s"},
                   {"categories": ["sign_in"], "max_wait": "1s"}]},
])
def test_a_burst_served_in_batches_matches_one_at_a_time(shedding):
    """Quiet (utilisation ≈ 0.4), a 6× burst of sign-ins (≈ 1.4) that sheds or drops,
    quiet again: batches before and after, one at a time through the burst — the same
    tables."""
    s = build_scenario(
        regions=region(2.0, **shedding),
        users={"population": 5_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "timeout": "5s", "retry": {"attempts": 2, "backoff": "0s",
                                             "jitter": "0%"}}],
        traffic={"sign_in": "6/s", "profile_read": "100/s", "bursts": [
            {"operation": "sign_in", "start": "2m", "duration": "1m", "multiplier": 6}]},
        run={"duration": "5m", "seed": 2})
    batched, reference = simulate(s, 0), simulate(s, 0, batch=False)
    outcomes = set(reference.requests.outcome.astype(str))
    assert outcomes & {"shed", "timeout"}
    for name in ("requests", "writes"):
        a, b = getattr(batched, name), getattr(reference, name)
        assert a.equals(b), name
