"""Sign-ins lost to a DNS failover: ≈ rate × (D + T/2) when every client honours the TTL.

From the fault until the record flips (D, the detection delay: automatic
failover flips DNS on the unhealthy verdict) every sign-in reaches the dead
region. After the flip, a client still holds the old answer until its cache
expires: with a TTL T and a uniformly random cache phase, a request made s
seconds after the flip still goes to the old region with probability
``max(0, 1 − s/T)``, which integrates to T/2. So the expected number of
failed sign-ins is ``rate × (E[D] + T/2)`` (MODEL.md), exact in expectation
when no client retries and nothing else fails. E[D] comes from the
health-check law of case 1.7: ``(k − ½)·I`` with one checker, or
``(k−1)·I + I·m/(n+1)`` when the m-th of n checkers decides.

Setup: two regions, password-only users, clients honouring the TTL without
retries, sign-ins as drsim's Poisson traffic, region outage of ``r1`` from
120 s for 400 s. drsim's value: ``failed_logins_during_fault`` (compute_metrics).
"""

from __future__ import annotations

from drsim.metrics import compute_metrics
from drsim.model import simulate
from drsim.validation.core import Case, Check, Estimate, Outcome, case_seed, exact, statistical
from drsim.validation.scenarios import deciding_checker, scenario, seconds

FAMILY = "1. Closed forms (known answers, queueing theory)"


def expected_detection_s(interval_s: float, threshold: int, checkers: int, share: str) -> float:
    """E[D]: (k−1)·I + I·E[U₍ₘ:ₙ₎] with m = n − ⌊share·n⌋ exactly (one checker: (k − ½)·I)."""
    m = deciding_checker(checkers, share)
    return (threshold - 1) * interval_s + interval_s * m / (checkers + 1)


def run_dns_failover(quick: bool) -> Outcome:
    reps = 10 if quick else 40
    rate = 20.0
    configs = [(60.0, 10.0, 3, 1), (20.0, 30.0, 3, 16)]
    checks = []
    lines = []
    for ttl, interval, k, checkers in configs:
        design = scenario(
            users={"population": 100_000, "mfa": {"none": "100%", "sms": "0%", "email": "0%",
                                                  "totp": "0%"}, "federated": "0%"},
            traffic={"sign_in": f"{rate:g}/s"},
            replication={"mode": "async"},
            dns={"ttl": seconds(ttl)},
            health_check={"interval": seconds(interval), "failure_threshold": k,
                          "checkers": checkers, "healthy_fraction": "18%"},
            faults=[{"kind": "region_outage", "region": "r1", "start": "120s",
                     "duration": "400s"}],
            run={"duration": "600s", "seed": case_seed("dns-failover") + checkers},
        )
        failed, convergence = [], []
        causes: dict[str, float] = {}
        for rep in range(reps):
            metrics = compute_metrics(simulate(design, rep), design)
            failed.append(metrics["failed_logins_during_fault"])
            convergence.append(metrics["dns_convergence_s"])
            for key, value in metrics.items():
                if key.startswith("failed_logins.") and value:
                    causes[key.split(".", 1)[1]] = causes.get(key.split(".", 1)[1], 0) + value
        detection = expected_detection_s(interval, k, checkers, "18%")
        expected = rate * (detection + ttl / 2)
        label = f"T = {ttl:g} s, {checkers} checker{'s' if checkers > 1 else ''} {interval:g} s × {k}"
        checks.append(Check(f"{label}: failed sign-ins", expected,
                            Estimate.over_replications(failed), statistical(), unit="count"))
        checks.append(Check(f"{label}: DNS convergence (99 %)", ttl,
                            Estimate.over_replications(convergence),
                            exact("with honoured TTLs the share on the new region s seconds "
                                  "after the flip is min(1, s/T): the 10 s bucket ending at T "
                                  "averages ≤ 1 − 5 s/T < 99 %, every later one is at 100 %, "
                                  "so `dns_convergence_s` is T in every replication"),
                            unit="s", expected_text=f"T = {ttl:g} s"))
        lines.append(f"{label}: E[D] = {detection:.3f} s, expected {rate:g} × "
                     f"({detection:.3f} + {ttl / 2:g}) = {expected:.1f} failed sign-ins; "
                     f"drsim's failures by cause: "
                     + ", ".join(f"{c} {v / reps:.1f}/rep" for c, v in sorted(causes.items())))
    setup = (f"Sign-ins at {rate:g}/s over 100 000 users, {reps} replications per "
             "configuration. " + "; ".join(lines) + ".")
    return Outcome(checks, setup)


CASES = [
    Case("1.8", "dns-failover", FAMILY, "DNS failover: failed sign-ins",
         "Known answer (rate × (D + T/2))", run_dns_failover),
]
