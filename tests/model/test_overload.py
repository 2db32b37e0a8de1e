"""Known answers of the overload layer (MODEL.md "Capacity"), through scenarios alone.

1. M/D/1: Poisson sign-ins at one region whose queue serves them in a constant
   time s at utilisation ρ wait, on average, ρ·s / (2(1 − ρ)) (Pollaczek–Khinchine).
2. Offered load above capacity: the queue completes exactly its capacity (one
   sign-in per service time); without timeouts every completion is goodput, with
   FIFO timeouts the region does the abandoned work anyway and goodput collapses
   to 0 once the backlog exceeds the timeout.
3. Retry amplification: every attempt fails with probability p (a gray failure)
   and is retried up to n attempts in all: attempts ÷ first attempts =
   (1 − pⁿ)/(1 − p).
4. A retry budget of C tokens at k tokens a retry, nothing refunded (every
   attempt fails): exactly ⌊C/k⌋ retries, then none; after timeouts, ⌊C/10⌋.
5. A batch's queue, booked at its end, equals the queue served one at a time.
6. Full jitter waits U(0, b) before a retry, equal jitter U(b/2, b).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from drsim.model import simulate
from drsim.model.capacity import TICKS_PER_S, Queues, service_ticks
from drsim.model.replay import sojourn_s
from drsim.records import OP_CODE

from .conftest import build_scenario
from .test_known_answers import ONLY_PASSWORD_USERS, Z

ONE_REGION = [{"name": "r1", "role": "primary"}]
QUOTAS = {"sign_in": "100000/s"}  # never throttles
SIGN_IN_S = 0.15  # the base latency of a sign-in (operations.base_latency_s)


def one_region(vcpus: float, rate: float, duration: str, clients: list[dict],
               seed: int = 3, **sections) -> object:
    """One region with a capacity, Poisson sign-ins at ``rate`` and nothing else."""
    return build_scenario(
        regions=[{**ONE_REGION[0], "quotas": QUOTAS, "capacity": {"vcpus": vcpus}}],
        users={"population": 20_000, **ONLY_PASSWORD_USERS},
        clients=clients,
        traffic={"sign_in": f"{rate}/s"},
        run={"duration": duration, "seed": seed},
        **sections,
    )


def app(**extra) -> list[dict]:
    return [{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
             "retry": {"attempts": 1}, **extra}]


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_md1_mean_wait_is_pollaczek_khinchine(rho):
    """M/D/1 at ρ: mean sojourn − s = ρ·s / (2(1 − ρ)). The waits are correlated, so the
    standard error comes from batch means (40 batches of 3 minutes, each ≫ the queue's
    relaxation time (1 − ρ)⁻² · s)."""
    rate = 100.0
    service_s = rho / rate
    vcpus = 1.0 / (15.0 * service_s)  # a sign-in costs 1/15 vCPU-s [Keycloak]
    records = simulate(one_region(vcpus, rate, "2h", app()), 0)
    req = records.requests
    assert (req.outcome == "ok").all() and len(req) > 500_000
    wait = req.latency_s.to_numpy(np.float64) - SIGN_IN_S - service_s
    assert wait.min() > -1e-5  # float32 latency, 1 µs ticks
    expected = rho * service_s / (2 * (1 - rho))
    batches = np.array([w.mean() for w in np.array_split(wait, 40)])
    standard_error = batches.std(ddof=1) / math.sqrt(len(batches))
    assert abs(wait.mean() - expected) <= Z * standard_error + 2e-6, (
        wait.mean(), expected, standard_error)
    # A wrong formula (M/M/1's ρ·s/(1 − ρ), twice as long) would be far outside.
    assert expected > 10 * Z * standard_error


def _completions_per_minute(req, start_s: float, end_s: float) -> np.ndarray:
    done = req.time_s.to_numpy() + req.latency_s.to_numpy(np.float64) - SIGN_IN_S
    return np.histogram(done, bins=np.arange(start_s, end_s + 1, 60.0))[0]


def test_offered_load_above_capacity_gives_goodput_equal_to_capacity():
    """Sign-ins at 2× what 2 vCPUs serve (30/s): from the first minute on the queue is
    never empty, so it completes exactly 30/s (±1 per minute for the edges)."""
    records = simulate(one_region(2.0, 60.0, "20m", app()), 0)
    req = records.requests
    assert (req.outcome == "ok").all()
    per_minute = _completions_per_minute(req, 60.0, 1140.0)
    assert np.all(np.abs(per_minute - 30 * 60) <= 1), per_minute


def test_fifo_timeouts_do_abandoned_work_and_goodput_collapses():
    """The same overload with a 10 s client timeout: the region still completes 30/s
    (the work of abandoned attempts included), but once the backlog is longer than the
    timeout every attempt times out: goodput 0, latency = the timeout."""
    records = simulate(one_region(2.0, 60.0, "20m", app(timeout="10s")), 0)
    req = records.requests
    ok = req[req.outcome == "ok"]
    timed_out = req[req.outcome == "timeout"]
    assert set(req.outcome.astype(str)) == {"ok", "timeout"}
    # 2 s of work arrive each second and 1 s is served: the backlog grows by 1 s a second
    # and passes 10 s − 0.15 s after ≈ 9.85 s: nothing succeeds after that.
    assert 8.0 < ok.time_s.max() < 12.0
    assert (timed_out.latency_s == 10.0).all()
    # Work done: 30 sign-ins/s = 2 vCPUs fully busy, whatever the clients do: the
    # queue's completions (arrival + its sojourn, timed out or not).
    scenario = one_region(2.0, 60.0, "20m", app(timeout="10s"))
    sojourn = sojourn_s(scenario, req.time_s.to_numpy(), req.op.cat.codes.to_numpy(),
                        req.region.cat.codes.to_numpy(), req.outcome.cat.codes.to_numpy())
    done = req.time_s.to_numpy() + sojourn
    per_minute = np.histogram(done, bins=np.arange(60.0, 1141.0, 60.0))[0]
    assert np.all(np.abs(per_minute - 30 * 60) <= 1), per_minute


@pytest.mark.parametrize("p,n", [(0.3, 3), (0.5, 4), (0.8, 2)])
def test_retry_amplification_is_one_minus_p_to_the_n_over_one_minus_p(p, n):
    """Gray failure with error rate p for the whole run; each client makes up to n
    attempts of each sign-in (retrying region_error)."""
    scenario = build_scenario(
        regions=ONE_REGION,
        users={"population": 20_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "retry": {"attempts": n, "backoff": "1s"}}],
        traffic={"sign_in": "50/s"},
        faults=[{"kind": "gray_failure", "region": "r1", "error_rate": f"{100 * p}%",
                 "start": "0s", "duration": "forever"}],
        run={"duration": "30m", "seed": 5},
    )
    req = simulate(scenario, 0).requests
    first = int((req.attempt == 0).sum())
    expected = (1 - p ** n) / (1 - p)
    # Attempts per arrival lie in [1, n]: variance ≤ (n − 1)² / 4. The retries due after
    # the run's end (≈ rate × a few seconds of them) are a bias below 0.001.
    standard_error = (n - 1) / 2 / math.sqrt(first)
    assert abs(len(req) / first - expected) <= Z * standard_error + 0.001, (
        len(req) / first, expected)
    # Retrying nothing would give 1; retrying once more, (1 − pⁿ⁺¹)/(1 − p).
    assert expected - 1 > 10 * Z * standard_error
    assert set(req.outcome.astype(str)) <= {"ok", "region_error"}


def test_retry_budget_allows_capacity_over_cost_retries():
    """Every attempt fails (error rate 100 %), so nothing refunds the budget: with 500
    tokens at 5 a retry the clients make exactly 100 retries, the first 100 failures'."""
    scenario = build_scenario(
        regions=ONE_REGION,
        users={"population": 20_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "retry": {"attempts": 3, "backoff": "1s",
                            "budget": {"capacity": 500, "retry_cost": 5}}}],
        traffic={"sign_in": "10/s"},
        faults=[{"kind": "gray_failure", "region": "r1", "error_rate": "100%",
                 "start": "0s", "duration": "forever"}],
        run={"duration": "10m", "seed": 5},
    )
    for batch in (True, False):
        req = simulate(scenario, 0, batch=batch).requests
        retries = req[req.attempt > 0]
        assert len(retries) == 500 // 5
        assert retries.time_s.max() < 30.0  # spent in the first seconds, then none


def test_a_retry_after_a_timeout_costs_the_timeout_cost():
    """A region 10× over its capacity times every attempt out after its first fraction of
    a second, so nothing refunds the budget once it is drawn: 50 tokens at 10 per retry
    after a timeout pay for exactly 5 retries (the successes before were at a full
    bucket)."""
    scenario = one_region(2.0, 300.0, "2m", app(
        timeout="1s", retry={"attempts": 2, "backoff": "100ms", "jitter": "0%",
                             "budget": {"capacity": 50}}), seed=4)
    for batch in (True, False):
        req = simulate(scenario, 0, batch=batch).requests
        assert (req.outcome == "timeout").sum() > 1000
        assert int((req.attempt > 0).sum()) == 50 // 10


def test_a_batch_books_its_queue_as_one_at_a_time_would():
    """The queue after a batch (attempts logged, booked at its end, in any order) is the
    queue after the same attempts one at a time: the next attempt's sojourn agrees to the
    microsecond."""
    scenario = one_region(1.0, 10.0, "1m", app(timeout="10s"))
    ticks = service_ticks(scenario)
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0.0, 2.0, 200))
    op = np.full(len(t), OP_CODE["sign_in"])
    one_by_one = Queues(scenario, ticks)
    for when in t.tolist():
        one_by_one.take(0, OP_CODE["sign_in"], when)
    batched = Queues(scenario, ticks)
    batched.limit_ticks = np.array([10**12])
    batched.open_batch()
    half = rng.permutation(len(t))
    batched.take_many(np.zeros(100, np.int64), op[:100], t[half[:100]])
    for k in half[100:].tolist():
        batched.take(0, OP_CODE["sign_in"], float(t[k]))
    assert batched.book()
    assert batched.free == one_by_one.free and one_by_one.free[0] > 2.0 * TICKS_PER_S
    assert batched.take(0, 0, 2.5) == one_by_one.take(0, 0, 2.5) > 0


@pytest.mark.parametrize("kind,low,high", [("full", 0.0, 1.0), ("equal", 0.5, 1.0)])
def test_full_and_equal_jitter_draw_the_backoff_uniformly(kind, low, high):
    """Full jitter: the first retry waits U(0, b); equal jitter: U(b/2, b) (b = 2 s)."""
    scenario = build_scenario(
        regions=ONE_REGION,
        users={"population": 200_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "retry": {"attempts": 2, "backoff": "2s", "jitter_kind": kind}}],
        traffic={"sign_in": "10/s"},
        faults=[{"kind": "gray_failure", "region": "r1", "error_rate": "100%",
                 "start": "0s", "duration": "forever"}],
        run={"duration": "10m", "seed": 5},
    )
    req = simulate(scenario, 0).requests
    once = req.groupby("user").filter(lambda g: len(g) == 2)
    first = once[once.attempt == 0].set_index("user").time_s
    retry = once[once.attempt == 1].set_index("user").time_s
    delay = (retry - first.reindex(retry.index)).to_numpy() / 2.0
    assert len(delay) > 5000
    assert delay.min() >= low and delay.max() <= high
    # Uniform on [low, high]: mean (low + high)/2, SD (high − low)/√12.
    standard_error = (high - low) / math.sqrt(12 * len(delay))
    assert abs(delay.mean() - (low + high) / 2) <= Z * standard_error


def test_a_timed_out_attempt_is_retried_a_timeout_plus_its_backoff_later():
    """The client learns of a timeout when its timer fires: the retry comes the timeout
    plus the backoff (2 s, no jitter) after the attempt, not the backoff alone."""
    scenario = one_region(2.0, 60.0, "3m", [{
        "name": "app", "share": "100%", "dns": {"behaviour": "honour"}, "timeout": "10s",
        "retry": {"attempts": 2, "backoff": "2s", "jitter": "0%"}}])
    req = simulate(scenario, 0).requests
    twice = req.groupby("user").filter(lambda g: len(g) == 2 and set(g.attempt) == {0, 1})
    first = twice[twice.attempt == 0].set_index("user")
    retry = twice[twice.attempt == 1].set_index("user").time_s
    timed_out = first[first.outcome == "timeout"].time_s
    gap = (retry.reindex(timed_out.index) - timed_out).dropna().to_numpy()
    assert len(gap) > 1000
    assert np.allclose(gap, 10.0 + 2.0)


def test_queueing_added_region_by_region_equals_adding_the_sojourn_column():
    """The requests table adds each region's sojourns to its rows only (no column of
    zeros): the latencies equal adding :func:`sojourn_s`'s whole column in float32."""
    from drsim.model import _add_queueing

    scenario = one_region(2.0, 40.0, "2m", app(timeout="2s"))
    req = simulate(scenario, 0).requests
    t, op = req.time_s.to_numpy(), req.op.cat.codes.to_numpy()
    codes = req.region.cat.codes.to_numpy()
    region = np.where(codes == len(scenario.regions), -1, codes)
    outcome = req.outcome.cat.codes.to_numpy()
    latency = np.random.default_rng(5).uniform(0.0, 1.0, len(t)).astype(np.float32)
    got = latency.copy()
    _add_queueing(scenario, got, t, op, region, outcome, req.client.cat.codes.to_numpy(),
                  np.full(len(t), -1))
    expected = latency + sojourn_s(scenario, t, op, region, outcome).astype(np.float32)
    timed_out = req.outcome.to_numpy() == "timeout"
    assert 0 < timed_out.sum() < len(t)
    assert np.array_equal(got[~timed_out], expected[~timed_out])
    assert (got[timed_out] == np.float32(2.0)).all()
