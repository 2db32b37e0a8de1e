"""A quota-limited region as a loss system: throttled share of Poisson sign-ins.

drsim's quota is a token bucket refilled at μ per second up to a capacity C.
With C = 1 the bucket is a single server with a deterministic service time
1/μ: an admitted request empties the bucket, and the next one is admitted
only when 1/μ seconds have refilled it; refused requests do not consume
anything. Under Poisson arrivals of rate λ this is exactly the M/D/1/1 loss
system, whose blocking probability is Erlang-B with one server (insensitive to
the service law): ``B = ρ/(1 + ρ)``, ρ = λ/μ. (Renewal argument: a cycle is
one admitted request, 1/μ busy, then an exponential idle time of mean 1/λ;
arrivals per cycle 1 + ρ, admitted 1.)

With a deep bucket (C = μ × 1 s, the reference quota) saturated by λ > μ, the
bucket drains once and then stays near empty (a random walk with drift μ − λ
never climbs back to C): over a run of length T it admits ``μ·T + C`` requests
up to O(1), so the throttled share is ``1 − (μ·T + C)/(λ·T)``, the
token-bucket bound tightened by the initial burst.

Setup: one sign-in quota per case on ``r1`` (the others unlimited), Poisson
sign-ins, no retries. drsim's value: ``failed_logins.throttled /
sign_ins_total`` (compute_metrics).
"""

from __future__ import annotations

from drsim.metrics import compute_metrics
from drsim.model import simulate
from drsim.validation.core import (
    Case,
    Check,
    Estimate,
    Outcome,
    at_most,
    case_seed,
    statistical,
)
from drsim.validation.scenarios import UNLIMITED, scenario, seconds

FAMILY = "1. Closed forms (known answers, queueing theory)"


def _throttling(quota: str, burst: str, rate: float, duration_s: float, reps: int,
                seed: int) -> tuple[list[float], list[float]]:
    """Per replication: (throttled share of sign-ins, admitted sign-ins)."""
    design = scenario(
        regions=[{"name": "r1", "role": "primary",
                  "quotas": {**UNLIMITED, "sign_in": quota, "burst": burst}},
                 {"name": "r2", "role": "secondary", "quotas": dict(UNLIMITED)}],
        users={"population": 100_000, "mfa": {"none": "100%", "sms": "0%", "email": "0%",
                                              "totp": "0%"}, "federated": "0%"},
        traffic={"sign_in": f"{rate:g}/s"},
        run={"duration": seconds(duration_s), "seed": seed},
    )
    shares, admitted = [], []
    for rep in range(reps):
        metrics = compute_metrics(simulate(design, rep), design)
        throttled = metrics["failed_logins.throttled"]
        shares.append(throttled / metrics["sign_ins_total"])
        admitted.append(metrics["sign_ins_total"] - throttled)
    return shares, admitted


def run_quota(quick: bool) -> Outcome:
    checks = []
    lines = []
    mu = 1.0
    reps, duration = (5, 3600.0) if quick else (12, 7200.0)
    for rate in (0.5, 2.0):
        rho = rate / mu
        shares, _ = _throttling("1/s", "1s", rate, duration, reps,
                                case_seed("quota") + int(rate * 10))
        expected = rho / (1.0 + rho)
        checks.append(Check(f"C = 1, ρ = {rho:g}: Erlang-B", expected,
                            Estimate.over_replications(shares), statistical(), unit="%"))
        lines.append(f"C = 1, μ = {mu:g}/s, λ = {rate:g}/s: B = ρ/(1+ρ) = {expected:.4f}")
    mu, capacity, rate = 120.0, 120.0, 150.0
    reps, duration = (3, 300.0) if quick else (8, 600.0)
    shares, admitted = _throttling("120/s", "1s", rate, duration, reps, case_seed("quota") + 1)
    expected = 1.0 - (mu * duration + capacity) / (rate * duration)
    checks.append(Check(f"C = {capacity:g}, ρ = {rate / mu:g}: throttled share", expected,
                        Estimate.over_replications(shares), statistical(), unit="%"))
    excess = [a - (mu * duration + capacity) for a in admitted]
    checks.append(Check(f"C = {capacity:g}, ρ = {rate / mu:g}: admitted − (μ·T + C), worst rep",
                        0.0, Estimate.exact(max(excess), f"{reps} reps"),
                        at_most(0.0, "a token bucket cannot hand out more than its initial "
                                     "content plus its refill: admitted ≤ μ·T + C in every "
                                     "replication"),
                        unit="count", expected_text="≤ 0"))
    lines.append(f"C = {capacity:g}, μ = {mu:g}/s, λ = {rate:g}/s, T = {duration:g} s: "
                 f"1 − (μT + C)/(λT) = {expected:.5f} (the throttled share also carries the "
                 "Poisson noise of the number of arrivals, ≈ 0.4 pp per replication; the "
                 "admitted count does not); admitted − (μT + C) per replication: "
                 + ", ".join(f"{x:g}" for x in excess) + " (the bucket's unused content at the "
                 "end and the refill wasted before the first arrival)")
    setup = "; ".join(lines) + "."
    return Outcome(checks, setup)


CASES = [
    Case("1.12", "quota-loss", FAMILY, "Quota-limited region as a loss system",
         "Erlang-B (M/D/1/1); token-bucket bound", run_quota),
]
