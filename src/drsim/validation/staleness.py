"""Stale reads against the lag distribution: a read Δ after a write is stale iff the lag exceeds Δ.

MODEL.md's first known answer. With one asynchronous replica, a write acknowledged
at the primary at ``w`` applies at the replica at ``w + D`` (D the replication
lag); a read of the replica at ``w + Δ`` sees it iff ``D ≤ Δ`` (an apply and a
read at the same instant: the apply first). So the stale fraction is the lag's
survival function at Δ: ``P(D > Δ)`` — 1 or 0 for a constant lag L (stale iff
Δ < L), ``exp(−Δ/m)`` for an exponential lag of mean m, and
``1 − Φ((ln Δ − μ)/σ)`` for a lognormal lag given by its median ``e^μ`` and
99th percentile ``e^(μ + z₀.₉₉·σ)``. The expected values below are computed
with scipy from those formulas; drsim's value is its stale-read metric over
the reads of :mod:`drsim.validation.harness`.
"""

from __future__ import annotations

import math

from scipy import stats

from drsim.validation.core import (
    Case,
    Check,
    Estimate,
    Outcome,
    absolute,
    case_seed,
    exact,
    statistical,
    thousands,
)
from drsim.validation.harness import read_after_write

FAMILY = "1. Closed forms (known answers, queueing theory)"


def _fmt_delay(delay: float) -> str:
    return f"Δ = {delay:g} s"


def _run(slug: str, lag: dict, delays: list[float], survival, quick: bool,
         description: str, deterministic: bool = False) -> Outcome:
    pairs, reps = (600, 2) if quick else (4000, 5)
    if deterministic:
        pairs, reps = (50, 1) if quick else (200, 2)
    result = read_after_write(lag, delays, pairs, reps, case_seed(slug))
    checks = []
    for i, delay in enumerate(delays):
        estimate = Estimate.proportion(result.stale[i], result.reads[i], "reads")
        expected = survival(delay)
        tolerance = exact("lag and read instants are deterministic") if deterministic \
            else statistical()
        checks.append(Check(_fmt_delay(delay), expected, estimate, tolerance, unit="%"))
    ages = max(result.age_error_s)
    checks.append(Check("staleness age of stale reads − Δ, largest", 0.0,
                        Estimate.exact(ages, f"{thousands(sum(result.stale))} stale reads"),
                        absolute(1e-5, "a stale read missed exactly the write made Δ before "
                                       "it; the age column is float32 (≈ 1e-7 relative)"),
                        unit="s"))
    setup = (
        f"{description} Each replication runs {pairs} write-then-read users per read delay "
        f"through the DNS-flip harness (writes reach `r1`, reads reach `r2` Δ later; "
        f"see `drsim.validation.harness`), {reps} replication(s); DNS flips at "
        + ", ".join(f"{f:.3f} s" for f in result.flips_s)
        + ". drsim's value is its stale-read metric (`stale_read_metrics`) over each "
        "delay's reads, pooled: reads are independent trials (one write per user, "
        "independent lag draws), so the interval is a binomial (Wilson) one."
    )
    return Outcome(checks, setup)


def run_constant(quick: bool) -> Outcome:
    lag_s = 3.0
    delays = [2.9, 3.0, 3.1]
    return _run("stale-constant", {"distribution": "constant", "value": "3s"}, delays,
                lambda d: 1.0 if d < lag_s else 0.0, quick,
                f"Constant lag L = {lag_s:g} s: stale iff Δ < L, so 100 %, 0 %, 0 % at Δ = "
                "2.9, 3.0 (the apply precedes a read at the same instant), 3.1 s.",
                deterministic=True)


def run_exponential(quick: bool) -> Outcome:
    mean_s = 2.0
    delays = [0.5, 1.0, 2.0, 5.0]
    return _run("stale-exponential", {"distribution": "exponential", "mean": "2s"}, delays,
                lambda d: math.exp(-d / mean_s), quick,
                f"Exponential lag, mean m = {mean_s:g} s: P(stale) = exp(−Δ/m).")


def run_lognormal(quick: bool) -> Outcome:
    median_s, p99_s = 1.0, 10.0
    mu = math.log(median_s)
    sigma = (math.log(p99_s) - mu) / float(stats.norm.ppf(0.99))
    delays = [0.25, 1.0, 3.0, 10.0]
    return _run("stale-lognormal",
                {"distribution": "lognormal", "median": "1s", "p99": "10s"}, delays,
                lambda d: float(stats.norm.sf((math.log(d) - mu) / sigma)), quick,
                f"Lognormal lag with median {median_s:g} s and p99 {p99_s:g} s (the reference's "
                f"guess for Cognito): μ = ln(median) = {mu:.3f}, σ = (ln p99 − μ)/z₀.₉₉ = "
                f"{sigma:.4f}; P(stale) = 1 − Φ((ln Δ − μ)/σ).")


CASES = [
    Case("1.1", "stale-constant", FAMILY, "Stale-read probability, constant lag",
         "Known answer (stale iff Δ < L)", run_constant),
    Case("1.2", "stale-exponential", FAMILY, "Stale-read probability, exponential lag",
         "Known answer (exp(−Δ/m))", run_exponential),
    Case("1.3", "stale-lognormal", FAMILY, "Stale-read probability, lognormal lag",
         "Closed form P(lag > Δ); the reference's lag assumption", run_lognormal),
]
