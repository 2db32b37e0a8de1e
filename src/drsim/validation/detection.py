"""Health-check detection time: uniform over one probe interval, or an order statistic with a vote.

A checker probing every I seconds whose status flips after k consecutive
failures sees a fault that starts at a uniformly random phase of its probe
cycle after ``(k−1)·I + U·I`` with U uniform on [0, 1): detection is uniform
on ``[(k−1)·I, k·I]``, mean ``(k − ½)·I`` (MODEL.md). With n independent
checkers and "healthy while more than a share h of them say so", the verdict
flips when the ``m``-th checker flips, ``m = n − ⌊h·n⌋`` (for 16 checkers and
18 %: the 14th), so detection is ``(k−1)·I + I·U₍ₘ:ₙ₎`` where the order
statistic ``U₍ₘ:ₙ₎`` is Beta(m, n − m + 1). ``⌊h·n⌋`` is computed exactly on
the percentage as written: at an exact boundary (50 checkers at 58 %: 29 of 50
is exactly 58 %, not more) a float product says 28 and picks the wrong checker.
Besides the law, the number of checkers still passing at the unhealthy verdict
must be ``⌊h·n⌋`` in every replication (read from the ``health`` event).

Setup: two regions, no traffic, region outage of ``r1`` at 100 s lasting past
the run; each replication draws new checker phases. drsim's value is the
detection part of the incident timeline (``run_facts``: unhealthy verdict −
fault start).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from drsim.metrics import run_facts
from drsim.model import simulate
from drsim.validation.core import (
    Case,
    Check,
    Estimate,
    Outcome,
    absolute,
    case_seed,
    exact,
    statistical,
)
from drsim.validation.scenarios import deciding_checker, scenario, seconds, unhealthy_at_most

FAMILY = "1. Closed forms (known answers, queueing theory)"
FAULT_S = 100.0
VOTES = ((16, "18%"), (50, "58%"))
"""(checkers, share) voting: the reference design's, and the one exact float boundary."""


def detection_runs(interval_s: float, threshold: int, checkers: int, share: str,
                   reps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: detection − fault start (s), and the checkers passing at that verdict."""
    design = scenario(
        users={"population": 1},
        health_check={"interval": seconds(interval_s), "failure_threshold": threshold,
                      "checkers": checkers, "healthy_fraction": share},
        faults=[{"kind": "region_outage", "region": "r1", "start": seconds(FAULT_S),
                 "duration": "forever"}],
        run={"duration": seconds(FAULT_S + (threshold + 2) * interval_s), "seed": seed},
    )
    delays, passing = [], []
    for rep in range(reps):
        records = simulate(design, rep, script=[])
        facts = run_facts(records, design)
        delays.append(facts.detection_s - facts.fault_start_s)
        events = records.events
        verdict = events[(events.kind == "health") & (events.detail == "unhealthy")
                         & (events.time_s == facts.detection_s)]
        passing.append(float(verdict.value.iloc[0]) if len(verdict) else math.nan)
    return np.asarray(delays), np.asarray(passing)


def detection_delays(interval_s: float, threshold: int, checkers: int, share: str,
                     reps: int, seed: int) -> np.ndarray:
    """Detection − fault start (seconds) over ``reps`` replications."""
    return detection_runs(interval_s, threshold, checkers, share, reps, seed)[0]


def _vote_check(passing: np.ndarray, checkers: int, share: str, label: str) -> Check:
    """Checkers passing at the unhealthy verdict: ⌊h·n⌋ (exact) in every replication."""
    expected = unhealthy_at_most(checkers, share)
    worst = passing[np.argmax(np.abs(passing - expected))] if passing.size else math.nan
    return Check(f"{label}: checkers passing at the unhealthy verdict",
                 expected, Estimate.exact(worst, f"{passing.size} reps (the farthest)"),
                 exact(f"⌊h·n⌋ in exact arithmetic: healthy while more than {share} of "
                       f"{checkers} pass"), unit="count")


def _checks(delays: np.ndarray, label: str, low: float, width: float, mean: float,
            cdf) -> list[Check]:
    n = delays.size
    critical = float(stats.kstwo.ppf(0.999, n))
    distance = float(stats.kstest(delays, cdf).statistic)
    outside = int(np.count_nonzero((delays < low - 1e-9) | (delays > low + width + 1e-9)))
    return [
        Check(f"{label}: mean", mean, Estimate.over_replications(delays), statistical(),
              unit="s"),
        Check(f"{label}: KS distance to the law", 0.0,
              Estimate.exact(distance, f"{n} reps"),
              absolute(critical, f"Kolmogorov–Smirnov critical value at 99.9 % for n = {n}"),
              unit="ratio"),
        Check(f"{label}: delays outside [(k−1)·I, k·I]", 0.0,
              Estimate.exact(outside, f"{n} reps"), exact("a support bound"), unit="count"),
    ]


def run_detection(quick: bool) -> Outcome:
    reps = 60 if quick else 400
    seed = case_seed("detection")
    checks: list[Check] = []
    lines = []
    for interval, k in ((30.0, 3), (10.0, 1)):
        delays = detection_delays(interval, k, 1, "18%", reps, seed + k)
        low = (k - 1) * interval
        uniform = stats.uniform(loc=low, scale=interval)
        checks += _checks(delays, f"1 checker, {interval:g} s × {k}", low, interval,
                          (k - 0.5) * interval, uniform.cdf)
        lines.append(f"{interval:g} s × {k}, 1 checker: uniform on [{low:g}, "
                     f"{low + interval:g}] s, mean {(k - 0.5) * interval:g} s")
    interval, k = 10.0, 3
    for i, (n_checkers, share) in enumerate(VOTES):
        m = deciding_checker(n_checkers, share)
        delays, passing = detection_runs(interval, k, n_checkers, share, reps, seed + 99 + i)
        law = stats.beta(m, n_checkers - m + 1, loc=(k - 1) * interval, scale=interval)
        label = f"{n_checkers} checkers / {share.replace('%', ' %')}"
        checks += _checks(delays, f"{label}, {interval:g} s × {k}",
                          (k - 1) * interval, interval, float(law.mean()), law.cdf)
        checks.append(_vote_check(passing, n_checkers, share, label))
        lines.append(f"{interval:g} s × {k}, {label.replace(' / ', ' voting at ')}: "
                     f"checker number {m} to flip decides, (k−1)·I + I·Beta({m}, "
                     f"{n_checkers - m + 1}), mean {float(law.mean()):.3f} s")
    setup = (f"{reps} replications per configuration. Expected laws: " + "; ".join(lines)
             + ". Besides the mean, the whole law is checked (Kolmogorov–Smirnov distance) "
             "and the support (no delay outside one probe interval).")
    return Outcome(checks, setup)


CASES = [
    Case("1.7", "detection", FAMILY, "Health-check detection time",
         "Known answer (uniform on [(k−1)·I, k·I]); order statistics",
         run_detection),
]
