"""Writes in flight when the primary fails: Little's law and the chance a user loses a write.

An asynchronous channel is an M/G/∞ system: writes arrive as a Poisson process
of rate λ, each stays "acknowledged but not applied" for its lag D. At an
instant t after the start, the number in flight is Poisson with mean
``λ·E[min(D, t)]`` (→ λ·E[D], Little's law, once t is well past the lag's
tail). When the primary region fails at t, its channel stops and every write
in flight is still unapplied when the secondary is promoted: that count is
MODEL.md's RPO (``rpo_lost_writes``). A single user writing at rate λᵤ has at
least one write in flight with probability ``1 − exp(−λᵤ·E[min(D, t)])``
(the per-user order of applies does not change this event: some write is
unapplied iff some write's own lag has not elapsed).

Setup common to these cases: two regions, profile updates as drsim's Poisson
traffic (users picked uniformly, so each user writes at λ/population),
region outage of ``r1`` at ``t_f``, one health checker (10 s × 1), automatic
failover, promotion 30 s. The failure instant is fixed, but Poisson arrivals
make it a random instant of the write process.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, stats

from drsim.metrics.rpo import rpo_metrics
from drsim.model import simulate
from drsim.validation.core import (
    CONFIDENCE,
    VERDICT_CONFIDENCE,
    Case,
    Check,
    Estimate,
    Outcome,
    case_seed,
    exact,
    statistical,
    thousands,
)
from drsim.validation.scenarios import scenario, seconds

FAMILY = "1. Closed forms (known answers, queueing theory)"

LOGNORMAL = {"distribution": "lognormal", "median": "1s", "p99": "10s"}
EXPONENTIAL = {"distribution": "exponential", "mean": "2s"}


def lognormal_params(median_s: float, p99_s: float) -> tuple[float, float]:
    """(μ, σ) of a lognormal given by its median and 99th percentile."""
    mu = math.log(median_s)
    return mu, (math.log(p99_s) - mu) / float(stats.norm.ppf(0.99))


def mean_truncated_lag(lag: dict, horizon_s: float) -> tuple[float, float]:
    """(E[min(D, horizon)], E[D]) of :data:`EXPONENTIAL` or :data:`LOGNORMAL` (seconds).

    E[min(D, t)] = ∫₀ᵗ P(D > x) dx, integrated numerically for the lognormal.
    """
    if lag == EXPONENTIAL:
        m = 2.0
        return m * (1.0 - math.exp(-horizon_s / m)), m
    if lag != LOGNORMAL:
        raise ValueError(f"no closed form here for {lag}")
    mu, sigma = lognormal_params(1.0, 10.0)
    survival = stats.lognorm(s=sigma, scale=math.exp(mu)).sf
    value, _ = integrate.quad(survival, 0.0, horizon_s, limit=200, points=[1.0, 10.0, 100.0])
    return value, math.exp(mu + sigma**2 / 2)


def outage_design(lag: dict, rate_per_s: float, population: int, fault_s: float,
                  outage: str, seed: int):
    """The common scenario: profile updates at ``rate``, ``r1`` fails at ``fault_s``."""
    return scenario(
        users={"population": population, "mfa": {"none": "100%", "sms": "0%", "email": "0%",
                                                  "totp": "0%"}, "federated": "0%"},
        replication={"mode": "async", "lag": lag},
        traffic={"profile_update": f"{rate_per_s:g}/s"},
        health_check={"interval": "10s", "failure_threshold": 1, "checkers": 1},
        failover={"mode": "automatic", "promotion_time": "30s"},
        faults=[{"kind": "region_outage", "region": "r1", "start": seconds(fault_s),
                 "duration": outage}],
        run={"duration": seconds(fault_s + 120.0), "seed": seed},
    )


# --------------------------------------------------------------------------- 1.4


def run_missed_write(quick: bool) -> Outcome:
    reps = 6 if quick else 40
    population = 200
    fault_s = 60.0
    settings = [("exponential, m = 2 s, λᵤ = 0.5/s", EXPONENTIAL, 100.0),
                ("lognormal 1 s / 10 s, λᵤ = 0.1/s", LOGNORMAL, 20.0)]
    checks = []
    lines = []
    for label, lag, rate in settings:
        design = outage_design(lag, rate, population, fault_s, "60s",
                               case_seed("missed-write") + int(rate))
        hit = 0
        for rep in range(reps):
            writes = simulate(design, rep).writes
            stuck = writes["stuck"].to_numpy(dtype=bool)
            hit += int(np.unique(writes["user"].to_numpy()[stuck]).size)
        truncated, mean = mean_truncated_lag(lag, fault_s)
        per_user = rate / population
        expected = 1.0 - math.exp(-per_user * truncated)
        checks.append(Check(label, expected,
                            Estimate.proportion(hit, population * reps, "users"),
                            statistical(), unit="%"))
        lines.append(f"{label}: E[min(D, t_f)] = {truncated:.4f} s (E[D] = {mean:.4f} s), "
                     f"expected 1 − exp(−λᵤ·E[min(D, t_f)]) = {expected:.4f}")
    setup = (
        f"{population} users, profile updates at {settings[0][2]:g}/s and "
        f"{settings[1][2]:g}/s in total (λᵤ = rate/{population}), `r1` fails at "
        f"t_f = {fault_s:g} s for 60 s, {reps} replications per setting. drsim's value: the "
        "share of users with at least one write `stuck` at promotion (writes table), pooled "
        "over replications — users write independently (Poisson thinning), so the interval "
        "is binomial. " + "; ".join(lines) + "."
    )
    return Outcome(checks, setup)


# --------------------------------------------------------------------------- 1.5 and 1.6


def _rpo_counts(design, reps: int) -> list[float]:
    return [rpo_metrics(simulate(design, rep).writes)["rpo_lost_writes"] for rep in range(reps)]


def _dispersion(values: list[float]) -> Estimate:
    """Variance/mean of Poisson-like counts with chi-square intervals (n−1 df)."""
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    ratio = float(x.var(ddof=1) / x.mean())
    intervals = []
    for level in (CONFIDENCE, VERDICT_CONFIDENCE):
        lo = (n - 1) * ratio / float(stats.chi2.ppf(0.5 + level / 2, n - 1))
        hi = (n - 1) * ratio / float(stats.chi2.ppf(0.5 - level / 2, n - 1))
        intervals.append((lo, hi))
    return Estimate(ratio, intervals[0], intervals[1], f"{n} reps")


def run_littles_law(quick: bool) -> Outcome:
    reps = 12 if quick else 60
    rate, population, fault_s = 20.0, 200_000, 300.0
    design = outage_design(LOGNORMAL, rate, population, fault_s, "60s",
                           case_seed("littles-law"))
    counts = _rpo_counts(design, reps)
    truncated, mean = mean_truncated_lag(LOGNORMAL, fault_s)
    expected = rate * truncated
    checks = [
        Check("mean writes stuck at promotion", expected, Estimate.over_replications(counts),
              statistical(), unit="count"),
        Check("variance / mean (Poisson)", 1.0, _dispersion(counts),
              statistical(reason="chi-square interval of the sample variance, n − 1 df; "
                          "the count is Poisson (M/G/∞)"), unit="ratio"),
    ]
    setup = (
        f"λ = {rate:g} profile updates/s over {thousands(population)} users (per-user rate "
        f"{rate / population:.0e}/s, so per-user ordering of applies is negligible), lag "
        f"lognormal median 1 s, p99 10 s (E[D] = {mean:.4f} s), `r1` fails at "
        f"t_f = {fault_s:g} s for 60 s, {reps} replications. Expected "
        f"λ·E[min(D, t_f)] = {expected:.3f} writes (λ·E[D] = {rate * mean:.3f}). drsim's value: "
        "`rpo_lost_writes` (writes stuck at promotion) per replication."
    )
    return Outcome(checks, setup)


def run_outage_beyond_run(quick: bool) -> Outcome:
    reps = 8 if quick else 30
    rate, population, fault_s = 20.0, 200_000, 300.0
    seed = case_seed("littles-law")  # same seeds as 1.5: common random numbers
    finite = outage_design(LOGNORMAL, rate, population, fault_s, "60s", seed)
    forever = outage_design(LOGNORMAL, rate, population, fault_s, "forever", seed)
    counts_forever = _rpo_counts(forever, reps)
    counts_finite = _rpo_counts(finite, reps)
    truncated, _ = mean_truncated_lag(LOGNORMAL, fault_s)
    difference = [a - b for a, b in zip(counts_forever, counts_finite, strict=True)]
    checks = [
        Check("mean writes stuck at promotion", rate * truncated,
              Estimate.over_replications(counts_forever), statistical(), unit="count"),
        Check("paired difference vs a 60 s outage", 0.0,
              Estimate.exact(max(difference, key=abs), f"{reps} rep pairs, largest |Δ|"),
              exact("common random numbers: the same writes are in flight at promotion "
                    "whether or not the region returns before the run ends"), unit="count"),
    ]
    setup = (
        "The same design, seeds and traffic as 1.5, but the region outage lasts `forever` "
        "(beyond the end of the run). Promotion happens at the same instant, with the same "
        "writes in flight, so the RPO must be the same as in 1.5 — replication by replication. "
        "History: this case first failed with an RPO of 0 in every replication — a record whose "
        "apply time fell after the end of the run was never registered as pending, so the "
        "promotion did not mark it (`DataPlane._commit`, `if applied < self.horizon:`); the "
        "same undercount hit the shipped `auth0-contract` (5 563 writes counted of 5 587 "
        "unapplied at promotion). Fixed in the model ('RPO marks every unapplied write'); the "
        "case stays as a regression check."
    )
    notes = [
        f"drsim: RPO per replication (outage forever) "
        f"{', '.join(f'{c:g}' for c in counts_forever[:10])}{' …' if reps > 10 else ''}; "
        f"with a 60 s outage {', '.join(f'{c:g}' for c in counts_finite[:10])}"
        f"{' …' if reps > 10 else ''}.",
    ]
    return Outcome(checks, setup, notes)


CASES = [
    Case("1.4", "missed-write", FAMILY, "A replica misses ≥ 1 of a user's writes",
         "M/G/∞: 1 − exp(−λᵤ·E[D])", run_missed_write),
    Case("1.5", "littles-law", FAMILY, "Writes in flight at a failure (RPO count)",
         "Little's law / M/G/∞: λ·E[D]", run_littles_law),
    Case("1.6", "rpo-outage-beyond-run", FAMILY, "RPO when the outage outlasts the run",
         "Little's law (as 1.5); common random numbers", run_outage_beyond_run),
]
