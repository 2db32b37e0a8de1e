"""Known answers of capacity over time (docs/model.md, "Scale-up, cold caches and a reopen
rate"): scripted sign-ins at a constant rate into one region, so the fluid closed forms
hold to within a service time.

1. Scale-up: λ above c1 until the new capacity c2 > λ serves at t_s: the backlog peaks
   at (λ − c1)·t_s requests and drains (λ − c1)·t_s / (c2 − λ) later; every request
   finishes when the cumulative capacity reaches the work that arrived up to it.
2. Cold cache: utilisation ρ0 warm, cost × k right after a restart falling linearly to
   × 1 over W: work arrives at ρ(t) = ρ0·(1 + (k − 1)(1 − t/W)); the wait is the fluid
   backlog ∫(ρ − 1) dt (k = 3, ρ0 = ½: 0.5t − t²/2W, peak W/8 at W/2, empty at W).
3. Reopen ramp: offered above the ramp, the admitted work is ∫ share(t)·c(t) dt over the
   window (to one request), minute by minute, and the queue never builds.
4. The virtual clock: the one-at-a-time and vectorised forms agree exactly; a batch's
   bound on sojourns is the queue's own.
5. Moments come from the control timeline: a cache restarts at the outage's end, the
   scale-up follows the promotion by its delay, the ramp starts at failback.
"""

from __future__ import annotations

import numpy as np
import pytest

from drsim.metrics.overload import overload_metrics, overload_timeline
from drsim.model import simulate
from drsim.model.capacity import TICKS_PER_S, Queues, service_ticks
from drsim.model.capacity_schedule import SCALE, RegionClock, clocks_of

from .conftest import build_scenario
from .test_known_answers import ONLY_PASSWORD_USERS

SIGN_IN_S = 0.15  # a sign-in's base latency (operations.base_latency_s)


def one_region(vcpus: float, duration: str, **capacity) -> object:
    """One region with ``vcpus`` (a sign-in costs 1/15 vCPU-s) and ``capacity`` extras."""
    return build_scenario(
        regions=[{"name": "r1", "role": "primary", "quotas": {"sign_in": "100000/s"},
                  "capacity": {"vcpus": vcpus, **capacity}}],
        users={"population": 20_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "retry": {"attempts": 1}}],
        run={"duration": duration, "seed": 3},
    )


def steady(rate: float, seconds: float) -> list[tuple[float, str, int]]:
    """Sign-ins at exactly ``rate`` per second, each by another user."""
    n = int(rate * seconds)
    return [(k / rate, "sign_in", k % 20_000) for k in range(n)]


def sojourns(records) -> tuple[np.ndarray, np.ndarray]:
    req = records.requests
    return req.time_s.to_numpy(), req.latency_s.to_numpy(np.float64) - SIGN_IN_S


@pytest.mark.parametrize("scale_up", [
    {"to": 6, "after": "5m", "trigger": "start"},
    # Minute 0 brings 240 vCPU-s for 120: past 80 % → the end of minute 0 + 4 min = 300 s.
    {"to": 6, "after": "4m", "trigger": "utilisation", "threshold": "80%"},
], ids=["start", "utilisation"])
def test_scale_up_backlog_peaks_at_excess_times_delay_and_drains_at_the_closed_form(scale_up):
    """λ = 60/s sign-ins at 2 vCPUs (30/s) until 6 vCPUs (90/s) serve at t_s = 300 s:
    9 000 requests wait at t_s, the queue empties 9 000 / 30 = 300 s later, and request k
    finishes when ∫c = (k + 1)/15 vCPU-s (the server is busy throughout)."""
    scenario = one_region(2.0, "15m", scale_up=scale_up)
    records = simulate(scenario, 0, script=steady(60.0, 900.0))
    capacity = records.events[records.events.kind == "capacity"]
    assert capacity.time_s.tolist() == [300.0] and capacity.value.tolist() == [6.0]
    t, sojourn = sojourns(records)
    finish = t + sojourn
    assert ((finish <= 300.0).sum(), (t <= 300.0).sum()) == pytest.approx((9000, 18001), abs=1)
    busy = t < 595.0
    need = (np.arange(len(t))[busy] + 1) / 15.0  # vCPU-s of work up to each request
    expected = np.where(need <= 600.0, need / 2.0, 300.0 + (need - 600.0) / 6.0)
    assert np.abs(finish[busy] - expected).max() < 0.02
    drained = t[np.flatnonzero(sojourn > 0.02)[-1]]  # the last arrival that waited
    assert 599.0 <= drained <= 601.0
    # The longest wait: the arrival at 150 s, whose 300 vCPU-s ahead end as 6 vCPUs serve.
    assert sojourn.max() == pytest.approx(150.0, abs=0.05)
    assert t[np.argmax(sojourn)] == pytest.approx(150.0, abs=0.5)


def test_a_cold_cache_adds_the_fluid_backlog_of_its_extra_cost():
    """60 sign-ins/s at 8 vCPUs (ρ0 = ½), cold cost × 3 warming over W = 600 s from t = 0:
    the wait at t is 0.5t − t²/1200 (peak 75 s at 300 s), nothing after 600 s."""
    scenario = one_region(8.0, "15m", cache={"cold_cost": 3, "warm_up": "10m",
                                             "cold_at": ["start"]})
    t, sojourn = sojourns(simulate(scenario, 0, script=steady(60.0, 900.0)))
    cold = t < 590.0
    expected = 0.5 * t[cold] - t[cold] ** 2 / 1200.0
    assert np.abs(sojourn[cold] - expected).max() < 0.1
    assert sojourn.max() == pytest.approx(75.0, abs=0.1)
    assert sojourn[t > 610.0].max() < 1.0 / 120 + 1e-3  # a warm sign-in's service only
    # The work the region did: λ·s·(T + (k − 1)·W/2) vCPU-s over the run.
    clock = clocks_of(scenario, simulate(scenario, 0, script=steady(60.0, 60.0)).events)[0]
    a = np.ceil(t * TICKS_PER_S).astype(np.int64)
    work = clock.work(np.full(len(a), service_ticks(scenario)[0, 0]), a).sum()
    assert work / SCALE / TICKS_PER_S * 8 == pytest.approx(60 * (900 + 2 * 600 / 2) / 15,
                                                           rel=1e-4)


@pytest.mark.parametrize("scale_up,rate,expected", [
    (None, 30.0, 15 * 600 * 0.55),  # 15/s × ∫ (0.1 + 0.9 t/600) dt
    ({"to": 2, "after": "5m", "trigger": "start"}, 40.0, 15 * 97.5 + 30 * 232.5),
])
def test_a_reopen_ramp_admits_its_integral_and_the_queue_never_builds(scale_up, rate,
                                                                      expected):
    """Offered above the ramp (10 % → 100 % of 1 vCPU over 10 min, from t = 0; 2 vCPUs
    from 300 s in the second case, ∫ share = 97.5 s before and 232.5 s after): the
    sign-ins admitted in the window are ∫ share·c dt / cost (within two), minute by minute,
    the rest are refused at once, and no admitted request waits."""
    extra = {"scale_up": scale_up} if scale_up else {}
    scenario = one_region(1.0, "12m", reopen={"initial": "10%", "over": "10m",
                                              "at": ["start"]}, **extra)
    records = simulate(scenario, 0, script=steady(rate, 720.0))
    req = records.requests
    t = req.time_s.to_numpy()
    ok = (req.outcome == "ok").to_numpy()
    window = t < 600.0
    assert set(req.outcome[window].astype(str)) == {"ok", "throttled"}
    # Never more than the integral; less by the bucket's remainder at the window's end (under
    # one request) and what the last gap between arrivals brought (under one request).
    assert 0 <= expected - ok[window].sum() < 2
    if scale_up is None:
        per_minute = np.bincount((t[window & ok] // 60).astype(int), minlength=10)
        share = 0.1 + 0.9 * (np.arange(10) + 0.5) / 10
        assert np.all(np.abs(per_minute - 15 * 60 * share) <= 1 + 1e-9), per_minute
    wait = req.latency_s.to_numpy(np.float64)[window & ok] - SIGN_IN_S
    assert wait.max() < 2 / 15  # at most one request ahead: the bucket is never full
    assert ok[~window].all()  # the gate is open after the ramp


@pytest.mark.parametrize("capacity", [
    {"scale_up": {"to": 6, "after": "5m", "trigger": "start"}},  # ρ = 2 until 300 s, then ⅔
    {"cache": {"cold_cost": 3, "warm_up": "10m", "cold_at": ["start"]}},  # ρ = 1.5 − t/600
], ids=["scale-up", "cold-cache"])
def test_overloaded_minutes_follow_the_scale_up_and_the_warm_up(capacity):
    """60 sign-ins/s: at 2 vCPUs scaling to 6 at 300 s, minutes 0–4 are overloaded; at 8
    vCPUs with a cold cache (× 3 warming over 10 min) minute m's mean utilisation is
    1.5 − (m + ½)/10, above 1 for m = 0–4: 5 minutes either way."""
    scenario = one_region(2.0 if "scale_up" in capacity else 8.0, "15m", **capacity)
    records = simulate(scenario, 0, script=steady(60.0, 900.0))
    assert overload_metrics(records, scenario)["overloaded_minutes.r1"] == 5.0
    utilisation = overload_timeline(records, scenario)["utilisation"].to_numpy()
    expected = (np.r_[[2.0] * 5, [2 / 3] * 10] if "scale_up" in capacity
                else np.maximum(1.5 - (np.arange(15) + 0.5) / 10, 0.5))
    assert np.abs(utilisation - expected).max() < 0.01


def test_the_virtual_clock_forms_agree_and_invert():
    """Scalar and vectorised forms give the same integers; real(virtual(a)) = a; the
    first tick reaching a virtual instant is the inverse's ceiling."""
    rng = np.random.default_rng(5)
    clock = RegionClock([0, 7_000_001, 9_500_000], [SCALE, 2 * SCALE + 333, 3 * SCALE],
                        [1_000_000, 8_000_000], 2.5, 3_000_000)
    a = np.sort(rng.integers(0, 20_000_000, 5_000))
    s = rng.integers(1, 200_000, len(a))
    v = clock.virtual(a)
    assert np.array_equal(clock.real(v), a)
    assert np.array_equal(v, [clock.virtual1(int(x)) for x in a])
    w = clock.work(s, a)
    assert np.array_equal(w, [clock.work1(int(x), int(y)) for x, y in zip(s, a, strict=True)])
    probe = v + rng.integers(1, 4000, len(v))
    real = clock.real(probe)
    assert np.array_equal(real, [clock.real1(int(x)) for x in probe])
    assert (clock.virtual(real) >= probe).all() and (clock.virtual(real - 1) < probe).all()
    m = clock.multiplier(np.array([0, 1_000_000, 2_500_000, 4_000_000, 8_000_000]))
    assert m.tolist() == pytest.approx([1.0, 3.5, 2.25, 1.0, 3.5])


def test_a_batch_booked_on_a_clock_equals_the_queue_served_one_at_a_time():
    scenario = one_region(2.0, "10m", scale_up={"to": 5, "after": "1m", "trigger": "start"},
                          cache={"cold_cost": 2, "warm_up": "2m", "cold_at": ["start"]})
    ticks = service_ticks(scenario)
    clock = RegionClock([0, 60_000_000], [SCALE, 2500], [0], 1.0, 120_000_000)
    rng = np.random.default_rng(2)
    t = np.sort(rng.uniform(0, 300, 12_000))
    one = Queues(scenario, ticks, clocks=[clock])
    sojourn = [one.take(0, 0, x) for x in t.tolist()]
    many = Queues(scenario, ticks, clocks=[clock])
    many.limit_ticks = np.array([10**15])
    many.open_batch()
    many.take_many(np.zeros(len(t), dtype=np.int64), np.zeros(len(t), dtype=np.int64), t)
    assert many.book() and many.free == one.free
    assert max(sojourn) > 10  # it did queue


def test_a_utilisation_watch_fires_on_the_first_minute_past_its_threshold():
    """45 sign-ins/s for 2 min, then 60/s, at 4 vCPUs (60/s): minutes at 75 % then 100 %
    of the capacity. At 75 % the watch fires after minute 0, at 80 % and 100 % after
    minute 2 (≥), the new capacity serving 1 min later; 45/s alone never reaches 80 %."""
    ramp = steady(45.0, 120.0) + [(120.0 + t, op, u) for t, op, u in steady(60.0, 300.0)]
    fired = {}
    for threshold, script in (("75%", ramp), ("80%", ramp), ("100%", ramp),
                              ("80% flat", steady(45.0, 420.0))):
        scenario = one_region(4.0, "7m", scale_up={"to": 8, "after": "1m",
                                                   "trigger": "utilisation",
                                                   "threshold": threshold.split()[0]})
        events = simulate(scenario, 0, script=script).events
        fired[threshold] = events[events.kind == "capacity"].time_s.tolist()
    assert fired == {"75%": [120.0], "80%": [240.0], "100%": [240.0], "80% flat": []}


def test_moments_come_from_the_control_timeline():
    """An outage of the primary: its cache restarts at the outage's end and its ramp
    starts at failback; the secondary's scale-up serves its delay after promotion."""
    scenario = build_scenario(
        regions=[{"name": "r1", "role": "primary", "capacity": {
                     "vcpus": 4, "cache": {"cold_cost": 2, "warm_up": "5m"},
                     "reopen": {"initial": "20%", "over": "5m", "at": ["failback"]}}},
                 {"name": "r2", "role": "secondary", "capacity": {
                     "vcpus": 2, "scale_up": {"to": 4, "after": "90s"}}}],
        faults=[{"kind": "region_outage", "region": "r1", "start": "2m", "duration": "3m"}],
        run={"duration": "15m", "seed": 1})
    events = simulate(scenario, 0).events
    at = {kind: events[events.kind == kind] for kind in
          ("cache_cold", "reopen", "capacity", "promotion_start", "failback")}
    assert at["cache_cold"].time_s.tolist() == [300.0]  # the outage's end, not failover
    assert at["reopen"].time_s.tolist() == at["failback"].time_s.tolist()
    assert at["capacity"].time_s.tolist() == [at["promotion_start"].time_s.iloc[0] + 90.0]
    assert at["capacity"].region.astype(str).tolist() == ["r2"]
    assert at["capacity"].value.tolist() == [4.0]
