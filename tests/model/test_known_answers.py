"""Known answers of MODEL.md reproduced from the model's records, within statistical tolerance.

Each test builds a scenario whose answer can be computed by hand, runs the
model (all of it, or the control plane alone, or the data plane fed with
hand-made arrivals) and compares the records with the hand answer. Seeds are
fixed, so the tests are deterministic; tolerances are ~4 standard errors so
that a change of seed would not make them fail either:

1. replication lag ⇒ stale probability (exponential: exp(−d/m); constant L:
   stale iff d < L);
2. health-check detection time uniform on [(k−1)·I, k·I] (one checker), and
   the 14th order statistic of 16 for the 16-checker/18 % vote;
3. the DNS failover tail: failed sign-ins ≈ rate × (D + T/2);
4. lockout: k·L guesses with per-region counters over k reachable regions, L
   with a global counter;
5. Poisson arrivals: counts per window with mean = variance = rate × window
   (also under a burst and a daily profile);
6. zero lag, no faults, no attackers ⇒ nothing fails, nothing is stale,
   every write applies at its acknowledgement instant.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from drsim.metrics.compute import compute_metrics
from drsim.model import dns_outages, simulate
from drsim.model.control import run_control_plane
from drsim.model.dataplane import DataPlane
from drsim.model.directory import Directory
from drsim.model.recorder import DataPlaneOutput
from drsim.model.routing import build_router
from drsim.model.streams import Streams
from drsim.model.traffic import Arrivals, scripted_arrivals
from drsim.records import OP_CODE, OUTCOME_CODE
from drsim.scenario.schema import Scenario

from .conftest import build_scenario

Z = 4.0  # tolerance in standard errors

ONLY_PASSWORD_USERS = {
    "mfa": {"none": "100%", "sms": "0%", "email": "0%", "totp": "0%"},
    "federated": "0%",
}
NO_RETRY_CLIENTS = [
    {"name": "app", "share": "100%", "dns": {"behaviour": "honour"}, "retry": {"attempts": 1}}
]


# --------------------------------------------------------------------------- helpers


class SplitRouter:
    """Sends the first request of each listed ``(time_s, user)`` to one region, all others
    to another.

    The model routes all of a user's requests by the same DNS answer, so it
    has no "write in the primary, read the replica d seconds later" traffic;
    this stand-in for :class:`Router` builds it.
    """

    def __init__(self, to_first: set[tuple[float, int]], first: int, other: int) -> None:
        self.to_first = to_first
        self.first = first
        self.other = other

    # A user's operations reach different regions by design, as with dns.endpoints: the
    # batch must not serve a writer's later requests in rounds (these known answers then fail).
    per_operation = True

    def route(self, t: float, user: int, op: int) -> int:
        if (t, user) in self.to_first:  # once: a read at the write's instant goes elsewhere
            self.to_first.discard((t, user))
            return self.first
        return self.other

    def route_many(self, t: np.ndarray, users: np.ndarray, ops: np.ndarray) -> np.ndarray:
        return np.array([self.route(float(a), int(b), int(c))
                         for a, b, c in zip(t, users, ops, strict=True)], dtype=np.int64)


def serve(scenario: Scenario, arrivals: Arrivals, router: object | None = None,
          replication: int = 0) -> DataPlaneOutput:
    """Run the control plane, then the data plane on hand-made ``arrivals``."""
    streams = Streams(scenario.run.seed, replication)
    control = run_control_plane(scenario, streams)
    directory = Directory(scenario, streams, scenario.users.population)
    if router is None:
        router = build_router(scenario, control, directory, dns_outages(control))
    return DataPlane(scenario, streams, control, arrivals, directory, router).run()


def read_after_write(lag: dict | str, delay_s: float, pairs: int,
                     spacing_s: float = 0.25) -> tuple[np.ndarray, np.ndarray, DataPlaneOutput]:
    """``pairs`` users each update their profile in r1 and read it in r2 ``delay_s`` later.

    Returns:
        (stale flag per read, staleness age per read (NaN when fresh), the raw output).
    """
    duration = pairs * spacing_s + delay_s + 60.0
    scenario = build_scenario(
        users={"population": pairs},
        replication={"mode": "async", "lag": lag},
        run={"duration": f"{duration}s", "seed": 11},
    )
    rows: list[tuple[float, str, int]] = []
    writes: set[tuple[float, int]] = set()
    for user in range(pairs):
        t = 1.0 + user * spacing_s
        rows.append((t, "profile_update", user))
        rows.append((t + delay_s, "profile_read", user))
        writes.add((t, user))
    out = serve(scenario, scripted_arrivals(rows, pairs), SplitRouter(writes, first=0, other=1))
    assert np.all(out.outcome == OUTCOME_CODE["ok"]), "every update and read must succeed"
    reads = np.nonzero(out.op == OP_CODE["profile_read"])[0]
    assert np.all(out.region[reads] == 1) and len(reads) == pairs
    updates = out.op == OP_CODE["profile_update"]
    assert np.all(out.region[updates] == 0)
    stale = np.zeros(len(out.op), dtype=bool)
    stale[out.stale_index] = True
    age = np.full(len(out.op), np.nan)
    age[out.stale_index] = out.staleness_s
    return stale[reads], age[reads], out


def binomial_ok(successes: int, n: int, p: float, z: float = Z) -> bool:
    """|successes − n·p| within ``z`` binomial standard deviations."""
    return abs(successes - n * p) <= z * math.sqrt(n * p * (1.0 - p))


# --------------------------------------------------------------------------- 1. lag ⇒ staleness


@pytest.mark.parametrize("delay_s", [0.5, 2.0, 5.0])
def test_exponential_lag_stale_fraction_is_exp_minus_d_over_m(delay_s):
    mean_s = 2.0
    pairs = 2000
    stale, age, _ = read_after_write({"distribution": "exponential", "mean": f"{mean_s}s"},
                                     delay_s, pairs)
    expected = math.exp(-delay_s / mean_s)
    assert binomial_ok(int(stale.sum()), pairs, expected), (stale.mean(), expected)
    # A stale read missed exactly the update made d seconds before it.
    np.testing.assert_allclose(age[stale], delay_s, rtol=1e-5)
    assert np.all(np.isnan(age[~stale]))


@pytest.mark.parametrize(
    ("lag_s", "delay_s", "stale_expected"),
    [
        (3.0, 0.5, True),
        (3.0, 2.999, True),
        (3.0, 3.0, False),  # applied at t + L, the read at t + L sees it (applies first)
        (3.0, 3.001, False),
        (3.0, 30.0, False),
        (0.0, 0.0, False),  # zero lag: even a read at the write's instant is fresh
        (0.0, 0.001, False),
    ],
)
def test_constant_lag_stale_iff_delay_below_lag(lag_s, delay_s, stale_expected):
    stale, _, _ = read_after_write(f"{lag_s}s", delay_s, pairs=50)
    assert stale.tolist() == [stale_expected] * 50


# --------------------------------------------------------------------------- 2. detection time


def detection_delays(interval: str, threshold: int, checkers: int,
                     replications: int) -> tuple[np.ndarray, float, float]:
    """Detection − fault start over replications (control plane only)."""
    fault_s = 500.0
    scenario = build_scenario(
        health_check={"interval": interval, "failure_threshold": threshold,
                      "checkers": checkers},
        faults=[{"kind": "region_outage", "region": "r1", "start": f"{fault_s}s",
                 "duration": "forever"}],
        run={"duration": f"{fault_s + (threshold + 1) * 30.0}s", "seed": 5},
    )
    delays = []
    for rep in range(replications):
        meta = run_control_plane(scenario, Streams(scenario.run.seed, rep)).meta
        assert meta["fault_start_s"] == fault_s
        delays.append(meta["detection_s"] - fault_s)
    interval_s = scenario.health_check.interval
    return np.array(delays), (threshold - 1) * interval_s, interval_s


@pytest.mark.parametrize(("interval", "threshold"), [("30s", 3), ("10s", 1), ("10s", 5)])
def test_detection_time_is_uniform_over_one_interval(interval, threshold):
    n = 400
    delays, low, width = detection_delays(interval, threshold, checkers=1, replications=n)
    assert delays.min() >= low - 1e-9
    assert delays.max() <= low + width + 1e-9
    # Mean (k − ½)·I within 4 standard errors of a uniform's mean.
    assert abs(delays.mean() - (low + width / 2)) <= Z * width / math.sqrt(12 * n)
    assert stats.kstest(delays, stats.uniform(loc=low, scale=width).cdf).pvalue > 1e-4
    # It really spreads over the interval (not a constant phase).
    assert delays.max() - delays.min() > 0.9 * width


def test_detection_with_a_vote_is_an_order_statistic():
    """16 checkers, healthy while > 18 % say so: unhealthy when the 14th checker flips.

    Each checker flips (k−1)·I + U·I after the fault (U uniform, independent),
    so the detection delay is (k−1)·I + I·Beta(14, 3).
    """
    n = 300
    delays, low, width = detection_delays("30s", 3, checkers=16, replications=n)
    assert delays.min() >= low and delays.max() <= low + width
    order_statistic = stats.beta(14, 3, loc=low, scale=width)
    assert abs(delays.mean() - order_statistic.mean()) <= Z * order_statistic.std() / math.sqrt(n)
    assert stats.kstest(delays, order_statistic.cdf).pvalue > 1e-4


# --------------------------------------------------------------------------- 3. DNS failover tail


@pytest.mark.parametrize(
    ("dns", "ttl_s", "period_s"),
    [
        ({"behaviour": "honour"}, 60.0, 60.0),
        ({"behaviour": "clamp", "min_ttl": "120s"}, 30.0, 120.0),
    ],
)
def test_failed_sign_ins_after_failover_are_rate_times_d_plus_half_ttl(dns, ttl_s, period_s):
    """All sign-ins fail from the fault until the record flips (D), then the
    share of clients still holding the old answer falls linearly over one
    caching period P: failed ≈ rate × (D + P/2)."""
    rate = 20.0
    fault_s = 100.0
    scenario = build_scenario(
        users={"population": 20_000, **ONLY_PASSWORD_USERS},
        clients=[{**NO_RETRY_CLIENTS[0], "dns": dns}],
        traffic={"sign_in": f"{rate}/s"},
        dns={"ttl": f"{ttl_s}s"},
        health_check={"interval": "10s", "failure_threshold": 3, "checkers": 1},
        failover={"mode": "automatic"},
        faults=[{"kind": "region_outage", "region": "r1", "start": f"{fault_s}s",
                 "duration": "forever"}],
        run={"duration": f"{fault_s + 30 + period_s + 30}s", "seed": 7},
    )
    replications = 30
    residuals, failed_total, predicted_total = [], 0, 0.0
    for rep in range(replications):
        records = simulate(scenario, rep)
        req = records.requests
        assert not req.attacker.any() and (req.attempt == 0).all()
        failed = req[(req.op == "sign_in") & (req.outcome != "ok")]
        assert set(failed.outcome.astype(str)) <= {"region_down"}
        flip = records.meta["dns_flip_s"] - records.meta["fault_start_s"]
        assert 20.0 <= flip <= 30.0
        predicted = rate * (flip + period_s / 2)
        residuals.append(len(failed) - predicted)
        failed_total += len(failed)
        predicted_total += predicted
        # Nothing fails after the last client re-resolved.
        assert failed.time_s.max() < records.meta["dns_flip_s"] + period_s
    residuals = np.array(residuals)
    standard_error = residuals.std(ddof=1) / math.sqrt(replications)
    assert abs(residuals.mean()) <= Z * standard_error, (residuals.mean(), standard_error)
    # The tail is really there: leaving out P/2 would be off by rate·P/2 per run.
    assert rate * period_s / 2 > 10 * Z * standard_error
    assert abs(failed_total / predicted_total - 1.0) < 0.03


# --------------------------------------------------------------------------- 4. lockout k·L


def lockout_run(regions: int, threshold: int, scope: str, endpoint_choice: str,
                down: list[str] | None = None):
    names = ["r1", "r2", "r3"][:regions]
    roles = ["primary"] + ["secondary"] * (regions - 1)
    scenario = build_scenario(
        regions=[{"name": n, "role": r} for n, r in zip(names, roles, strict=True)],
        lockout={"threshold": threshold, "first_lock": "1h", "cap": "1h",
                 "reset_after": "1d", "scope": scope},
        attackers=[{"name": "stuffer", "kind": "credential_stuffing", "rate": "5/s",
                    "targets": 1, "success_probability": "0%",
                    "endpoint_choice": endpoint_choice}],
        faults=[{"kind": "region_outage", "region": r, "start": "0s", "duration": "forever"}
                for r in (down or [])],
        run={"duration": "2m", "seed": 3},
    )
    records = simulate(scenario)
    guesses = records.requests[records.requests.op == "guess"]
    assert len(guesses) > 100
    assert guesses.user.nunique() == 1
    return guesses, records


def guesses_before_first_locked_out(guesses) -> int:
    outcome = guesses.outcome.astype(str).to_numpy()
    first = int(np.argmax(outcome == "locked_out"))
    assert outcome[first] == "locked_out"
    return int(np.count_nonzero(outcome[:first] == "wrong_password"))


@pytest.mark.parametrize("endpoint_choice", ["round_robin", "avoid_locked"])
@pytest.mark.parametrize("regions", [1, 2, 3])
@pytest.mark.parametrize("threshold", [3, 5])
def test_per_region_counters_give_k_times_l_guesses(regions, threshold, endpoint_choice):
    guesses, records = lockout_run(regions, threshold, "region", endpoint_choice)
    budget = regions * threshold
    # Evaluated guesses (wrong_password) before the first refusal everywhere, and in total:
    # locks last 1 h, so once every region holds a lock no guess is evaluated again.
    assert guesses_before_first_locked_out(guesses) == budget
    assert int((guesses.outcome == "wrong_password").sum()) == budget
    # Guesses the shadow global counter would have refused: all beyond the first L.
    assert int(guesses.extra_guess.sum()) == budget - threshold
    locks = records.locks
    assert sorted(locks.scope.astype(str)) == sorted(["global", *["r1", "r2", "r3"][:regions]])
    # The instant every reachable region is locked is the budget-th evaluated guess.
    all_locked = locks[locks.scope != "global"].start_s.max()
    evaluated = guesses[guesses.outcome == "wrong_password"]
    assert all_locked == evaluated.time_s.iloc[budget - 1]
    assert locks[locks.scope == "global"].start_s.iloc[0] == evaluated.time_s.iloc[threshold - 1]


@pytest.mark.parametrize("regions", [1, 3])
def test_global_counter_gives_l_guesses(regions):
    guesses, records = lockout_run(regions, 5, "global", "avoid_locked")
    assert guesses_before_first_locked_out(guesses) == 5
    assert int((guesses.outcome == "wrong_password").sum()) == 5
    assert not guesses.extra_guess.any()
    assert records.locks.scope.astype(str).tolist() == ["shared"]


@pytest.mark.parametrize("endpoint_choice", ["round_robin", "avoid_locked"])
def test_only_reachable_regions_count(endpoint_choice):
    """Three regions, one down all along: k = 2 reachable regions ⇒ 2·L guesses."""
    guesses, _ = lockout_run(3, 4, "region", endpoint_choice, down=["r3"])
    assert guesses_before_first_locked_out(guesses) == 8
    assert int((guesses.outcome == "wrong_password").sum()) == 8
    assert not ((guesses.region == "r3") & (guesses.outcome != "region_down")).any()


# --------------------------------------------------------------------------- 5. Poisson counts


def window_counts(times: np.ndarray, start: float, end: float, window: float) -> np.ndarray:
    edges = np.arange(start, end + window / 2, window)
    counts, _ = np.histogram(times, bins=edges)
    return counts


def assert_poisson(counts: np.ndarray, mean: float) -> None:
    """Sample mean within 4 s.e. of ``mean`` and an index-of-dispersion test (χ², n−1)."""
    n = len(counts)
    assert abs(counts.mean() - mean) <= Z * math.sqrt(mean / n), (counts.mean(), mean)
    dispersion = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    chi2 = stats.chi2(n - 1)
    p = 2 * min(chi2.cdf(dispersion), chi2.sf(dispersion))
    assert p > 1e-4, (dispersion, n - 1)
    # mean = variance, directly: the variance's standard error is about mean·sqrt(2/(n−1)).
    assert abs(counts.var(ddof=1) - mean) <= Z * mean * math.sqrt(2 / (n - 1))


def test_poisson_counts_mean_equals_variance():
    rate, window = 20.0, 10.0
    scenario = build_scenario(traffic={"profile_read": f"{rate}/s"},
                              run={"duration": "1h", "seed": 9})
    req = simulate(scenario).requests
    assert (req.op == "profile_read").all() and (req.attempt == 0).all()
    counts = window_counts(req.time_s.to_numpy(), 0.0, 3600.0, window)
    assert len(counts) == 360
    assert_poisson(counts, rate * window)


def test_poisson_counts_under_a_burst_and_a_daily_profile():
    rate, window = 5.0, 20.0
    profile = [1.0] * 24
    profile[3], profile[4] = 3.0, 0.5  # hours simulated (start_hour 3)
    scenario = build_scenario(
        traffic={"sign_up": f"{rate}/s", "daily_profile": profile, "start_hour": 3,
                 "bursts": [{"operation": "sign_up", "start": "20m", "duration": "20m",
                             "multiplier": 4}]},
        users={"population": 100},
        run={"duration": "2h", "seed": 4},
        regions=[{"name": "r1", "role": "primary",
                  "quotas": {"sign_up": "1000/s", "burst": "10s"}},
                 {"name": "r2", "role": "secondary"}],
    )
    req = simulate(scenario).requests
    first = req[req.attempt == 0]
    assert (first.op == "sign_up").all()
    times = first.time_s.to_numpy()
    scale = np.mean(profile)
    hour3, hour4 = rate * 3.0 / scale, rate * 0.5 / scale
    assert_poisson(window_counts(times, 0.0, 1200.0, window), hour3 * window)
    assert_poisson(window_counts(times, 1200.0, 2400.0, window), 4 * hour3 * window)
    assert_poisson(window_counts(times, 2400.0, 3600.0, window), hour3 * window)
    assert_poisson(window_counts(times, 3600.0, 7200.0, window), hour4 * window)
    # Every sign-up got a fresh user id, in order.
    ok = first[first.outcome == "ok"]
    assert len(ok) == len(first)
    assert ok.user.tolist() == list(range(100, 100 + len(ok)))


# --------------------------------------------------------------------------- 6. zero lag, no faults


ZERO_LAG_TRAFFIC = {
    "sign_in": "3/s", "federated_sign_in": "0.5/s", "refresh": "3/s", "sign_up": "0.5/s",
    "profile_read": "3/s", "profile_update": "1/s", "password_change": "0.5/s",
    "sign_out": "0.5/s", "admin_disable": "0/s", "m2m_token": "0.2/s",
}


def test_zero_lag_no_faults_nothing_fails_nothing_is_stale():
    scenario = build_scenario(
        users={"population": 2000},
        replication={"mode": "async", "lag": "0s"},
        traffic=ZERO_LAG_TRAFFIC,
        run={"duration": "30m", "seed": 2},
    )
    records = simulate(scenario)
    req = records.requests
    assert len(req) > 15_000
    assert (req.outcome == "ok").all(), req.outcome.value_counts()
    assert (req.attempt == 0).all() and (req.region == "r1").all()
    assert not req.stale.any() and req.staleness_s.isna().all()
    assert not req.extra_guess.any() and not req.shadow_locked.any()
    writes = records.writes
    assert len(writes) > 1000 and (writes.target == "r2").all()
    np.testing.assert_array_equal(writes.applied_s.to_numpy(), writes.time_s.to_numpy())
    assert not (writes.lost.any() or writes.stuck.any() or writes.conflict.any())
    assert records.locks.empty
    assert set(records.events.kind.astype(str)) == {"region_state", "health", "dns_answer",
                                                    "writable"}
    assert (records.events.time_s == 0).all()

    metrics = compute_metrics(records, scenario)
    # a share of windows is undefined without any window (NaN, with its reason)
    undefined_without_fault = ("during_fault", "of_fault", "per_account", "staleness_",
                               "censored_share")
    zero_prefixes = ("failed_", "stale_", "lockout_", "accounts_compromised", "exposure_",
                     "revoked_token", "disabled_user", "sessions_disrupted", "rpo_",
                     "writes_lost", "failback_conflicts", "forced_reauthentications")
    checked = 0
    for name, value in metrics.items():
        if not name.startswith(zero_prefixes):
            continue
        checked += 1
        if any(part in name for part in undefined_without_fault):
            assert value == 0 or math.isnan(value), (name, value)
        else:
            assert value == 0, (name, value)
    assert checked > 50
    assert metrics["availability"] == 1.0
    assert metrics["requests_total"] == len(req)
