"""Known answers of homes, time zones, run.start, weekly profiles and activity weights.

Every scenario is written as a dict (the YAML a person would write) and run through
``simulate``; the answers are computed here by hand, independently of the model:

1. per-population hourly counts of first attempts = ∫ share × rate × daily(local hour)
   over each UTC hour (chi-square over all cells; a local hour with a zero multiplier
   has no request at all);
2. per-population counts per UTC weekday = ∫ share × rate × weekly(local weekday);
3. lognormal(σ) activity weights: the top q of a population's users make
   1 − Φ(Φ⁻¹(1 − q) − σ) of its requests;
4. invariant: a user created by a sign-up never acts before the sign-up succeeded;
5. ``run.start: Monday 05:00`` is ``traffic.start_hour: 5``, bit for bit;
6. sessions in progress at t = 0 belong to the populations whose local profile is busy
   then (refreshes in the first token lifetime: Little's law per population).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from drsim.model import simulate
from drsim.model.traffic import rate_multiplier
from drsim.scenario.schema import Scenario

QUIET = {op: "0/s" for op in ("sign_in", "federated_sign_in", "refresh", "sign_up",
                              "profile_read", "profile_update", "password_change",
                              "sign_out", "admin_disable")}
DAILY = [1, 0.5, 0.5, 0, 0.5, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def scenario_of(clients: list[dict], traffic: dict, run: dict, **sections) -> Scenario:
    kinds = [{"dns": {"behaviour": "honour"}, **c} for c in clients]
    return Scenario.model_validate({"name": "homes", "clients": kinds,
                                    "traffic": {**QUIET, **traffic}, "run": run, **sections})


def first_attempts(scenario: Scenario, ops: tuple[str, ...]):
    req = simulate(scenario).requests
    return req[(req.attempt == 0) & ~req.attacker & req.op.isin(ops)]


def expected_counts(rate: float, shares: list[float], offsets_min: list[int], origin_min: int,
                    cells: int, cell_min: int, multiplier) -> np.ndarray:
    """[kind, cell] expected counts: the rate integrated minute by minute (exact, as every
    offset and origin is a whole number of minutes) in each kind's local time."""
    minutes = np.arange(cells * cell_min)
    out = np.empty((len(shares), cells))
    for k, (share, offset) in enumerate(zip(shares, offsets_min, strict=True)):
        local = origin_min + offset + minutes
        per_minute = share * rate * 60.0 * multiplier(local)
        out[k] = per_minute.reshape(cells, cell_min).sum(axis=1)
    return out


def assert_chi_square(observed: np.ndarray, expected: np.ndarray) -> None:
    """Poisson cells: Σ (o − e)² / e against χ² with as many degrees of freedom as cells
    (p > 0.001); a cell expected empty must be empty."""
    zero = expected == 0
    assert (observed[zero] == 0).all(), "requests where the profile is zero"
    statistic = float((((observed - expected) ** 2)[~zero] / expected[~zero]).sum())
    dof = int((~zero).sum())
    assert statistic < stats.chi2.ppf(0.999, dof), (statistic, dof)


def test_daily_profile_applies_in_each_populations_local_time():
    """Two markets, UTC−5 and UTC+05:30 (half-hour offset: a UTC hour spans two local
    hours), a day from Tuesday 00:00 UTC, reads and sign-ups (whose new users then read):
    each kind's first attempts per UTC hour are share × rate × local profile."""
    rate = 4.0  # profile_read 3.5/s + sign_up 0.5/s
    scenario = scenario_of(
        [{"name": "us", "share": "60%", "home": "us-east-1", "time_zone": "UTC-5"},
         {"name": "in", "share": "40%", "home": "eu-west-1", "time_zone": "+05:30"}],
        {"profile_read": "3.5/s", "sign_up": "0.5/s", "daily_profile": DAILY},
        {"start": "Tuesday 00:00", "duration": "24h", "seed": 3},
        users={"population": 5000})
    first = first_attempts(scenario, ("profile_read", "sign_up"))
    profile = np.asarray(DAILY) / np.mean(DAILY)
    expected = expected_counts(rate, [0.6, 0.4], [-300, 330], 24 * 60, 24, 60,
                               lambda local: profile[(local // 60) % 24])
    hour = (first.time_s.to_numpy() // 3600).astype(int)
    observed = np.array([np.bincount(hour[(first.client == kind).to_numpy()], minlength=24)
                         for kind in ("us", "in")])
    assert observed.sum() > 250_000
    assert_chi_square(observed, expected)
    newcomers = first[first.user >= 5000]
    assert (newcomers.op == "profile_read").sum() > 1000  # users created by sign-ups act


@pytest.mark.parametrize("zoned", [True, False], ids=["two-time-zones", "utc"])
def test_weekly_profile_gives_the_counts_per_weekday(zoned):
    """A week from Monday 00:00 UTC, a weekly profile with an empty Sunday: each kind's
    first attempts per UTC day are share × rate × its local weekday's multiplier."""
    weekly = [1, 1, 1, 1, 2, 0.5, 0]
    offsets = [0, 600] if zoned else [0, 0]  # UTC and UTC+10
    zones = [{"time_zone": "UTC"}, {"time_zone": "UTC+10"}] if zoned else [{}, {}]
    scenario = scenario_of(
        [{"name": "a", "share": "70%", **zones[0]}, {"name": "b", "share": "30%", **zones[1]}],
        {"profile_read": "0.1/s", "weekly_profile": weekly},
        {"start": "Monday 00:00", "duration": "7d", "seed": 5},
        users={"population": 1000}, health_check={"interval": "5m", "checkers": 1})
    first = first_attempts(scenario, ("profile_read",))
    profile = np.asarray(weekly) / np.mean(weekly)
    expected = expected_counts(0.1, [0.7, 0.3], offsets, 0, 7, 1440,
                               lambda local: profile[(local // 1440) % 7])
    day = (first.time_s.to_numpy() // 86400).astype(int)
    observed = np.array([np.bincount(day[(first.client == kind).to_numpy()], minlength=7)
                         for kind in ("a", "b")])
    if not zoned:  # one population: a kind's requests are its realised share of the users
        observed, expected = observed.sum(axis=0), expected.sum(axis=0)
    assert_chi_square(observed, expected)


def top_share(users: np.ndarray, q: float) -> float:
    """Share of the odd rows' requests made by the top q of users ranked on the even rows
    (split halves: ranking and measuring on the same counts would favour lucky users)."""
    ids, ranked_on = np.unique(users[0::2], return_counts=True)
    measured = dict(zip(*np.unique(users[1::2], return_counts=True), strict=True))
    top = ids[np.argsort(-ranked_on, kind="stable")[:round(q * len(ids))]]
    return sum(measured.get(u, 0) for u in top) / len(users[1::2])


@pytest.mark.parametrize("zoned", [False, True], ids=["one-population", "two-time-zones"])
def test_lognormal_activity_gives_the_top_users_share_of_requests(zoned):
    """σ = 1.5, 2000 users per population, ≈ 150 requests per user: the top 10 % make
    1 − Φ(Φ⁻¹(0.9) − 1.5) = 58.6 % of the requests, the top half 93.3 %. Tolerances: four
    standard deviations of the finite population's share (Monte Carlo: 2.1 and 0.47
    points) plus the split-half ranking's bias (0.1 and 0.2 points)."""
    sigma, per_kind = 1.5, 2000
    kinds = ([{"name": "a", "share": "50%", "time_zone": "UTC-5"},
              {"name": "b", "share": "50%", "time_zone": "UTC+1"}] if zoned
             else [{"name": "a", "share": "100%"}])
    population = per_kind * len(kinds)
    scenario = scenario_of(kinds, {"profile_read": f"{population * 150 / 3600:.3f}/s"},
                           {"duration": "1h", "seed": 11},
                           users={"population": population,
                                  "activity": {"distribution": "lognormal", "sigma": sigma}})
    first = first_attempts(scenario, ("profile_read",))
    for kind in [k["name"] for k in kinds]:
        users = first.user[first.client == kind].to_numpy()
        for q, tolerance in ((0.1, 0.085), (0.5, 0.021)):
            expected = 1 - stats.norm.cdf(stats.norm.ppf(1 - q) - sigma)
            assert top_share(users, q) == pytest.approx(expected, abs=tolerance), (kind, q)


def test_uniform_activity_has_no_heavy_users():
    """Without activity weights the top 10 % make ≈ 10 % of the requests (the control)."""
    scenario = scenario_of([{"name": "a", "share": "100%", "time_zone": "UTC"}],
                           {"profile_read": "100/s"}, {"duration": "1h", "seed": 2},
                           users={"population": 2000})
    users = first_attempts(scenario, ("profile_read",)).user.to_numpy()
    assert top_share(users, 0.1) < 0.13


def test_no_user_acts_before_signing_up():
    """Sign-ups in two time zones with heavy-tailed weights, some refused while the
    primary is down (their ids are then stood in for): every request of a created user
    comes after that user's successful sign-up, from the same client kind."""
    scenario = scenario_of(
        [{"name": "us", "share": "50%", "time_zone": "UTC-5"},
         {"name": "eu", "share": "50%", "time_zone": "UTC+1"}],
        {"profile_read": "40/s", "sign_in": "20/s", "sign_up": "3/s", "daily_profile": DAILY},
        {"start": "Monday 12:00", "duration": "1h", "seed": 7},
        users={"population": 2000, "activity": {"distribution": "lognormal", "sigma": 2}},
        faults=[{"kind": "region_outage", "region": "us-east-1", "start": "20m",
                 "duration": "15m"}])
    req = simulate(scenario).requests
    created = req[(req.op == "sign_up") & (req.outcome == "ok")]
    born = dict(zip(created.user, created.time_s, strict=True))
    acts = req[(req.user >= 2000) & (req.op != "sign_up")]
    assert len(acts) > 1000 and len(created) < (req.op == "sign_up").sum()
    assert acts.user.isin(list(born)).all()
    assert (acts.time_s.to_numpy() >= acts.user.map(born).to_numpy()).all()
    kind_of = dict(zip(created.user, created.client, strict=True))
    assert (acts.client.astype(str) == acts.user.map(kind_of).astype(str)).all()


def test_run_start_at_a_whole_hour_monday_is_start_hour_bit_for_bit():
    """``run.start: Monday 05:00`` is the old ``traffic.start_hour: 5``: the same run, and
    the old hour formula ⌊t / 3600⌋ + start_hour is kept exactly (existing results do not
    move)."""
    traffic = {"profile_read": "5/s", "sign_up": "1/s", "daily_profile": DAILY}
    kinds = [{"name": "a", "share": "100%"}]
    old = scenario_of(kinds, {**traffic, "start_hour": 5}, {"duration": "3h", "seed": 4},
                      users={"population": 500})
    new = scenario_of(kinds, traffic, {"start": "Monday 05:00", "duration": "3h", "seed": 4},
                      users={"population": 500})
    assert simulate(old).requests.equals(simulate(new).requests)
    t = np.random.default_rng(0).uniform(0, 3 * 3600, 10_000)
    profile = np.asarray(DAILY) / np.mean(DAILY)
    legacy = profile[((t / 3600.0).astype(np.int64) + 5) % 24]
    assert np.array_equal(rate_multiplier(old, "profile_read", t), legacy)


def test_sessions_in_progress_at_the_start_follow_each_populations_local_time():
    """At Monday 00:00 UTC the profile (2 in local hours 0–11, 0 after) is at its peak in
    UTC and at zero at UTC+12: only UTC's users have sessions in progress. With sign-ins
    at λ = share × rate × 2 = 1/s there, exponential sessions of mean m = 1 h (the
    length-biased residual is exponential too) and tokens refreshed every I = 10 min
    (reactive), the first 10 minutes hold Poisson(λ·m · (m/I)(1 − e^{−I/m})) refreshes
    of UTC's users and none of UTC+12's (their first sign-ins come 12 h later)."""
    scenario = scenario_of(
        [{"name": "utc", "share": "50%", "time_zone": "UTC"},
         {"name": "far", "share": "50%", "time_zone": "UTC+12"}],
        {"sign_in": "1/s", "daily_profile": [1] * 12 + [0] * 12},
        {"start": "Monday 00:00", "duration": "20m", "seed": 6},
        users={"population": 50_000, "with_session": "100%"},
        sessions={"access_token": "10m", "refresh_policy": "reactive", "active_for":
                  {"distribution": "exponential", "mean": "1h"}, "in_progress_at_start": True})
    first = first_attempts(scenario, ("refresh",))
    window = first[first.time_s < 600]
    rate, mean_s, interval_s = 1.0, 3600.0, 600.0
    expected = rate * mean_s * (mean_s / interval_s) * (1 - np.exp(-interval_s / mean_s))
    assert (window.client == "far").sum() == 0
    count = int((window.client == "utc").sum())
    assert abs(count - expected) < 4 * np.sqrt(expected), (count, expected)
