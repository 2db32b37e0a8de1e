"""Availability under repeated outages: MTBF / (MTBF + MTTR).

A region that alternates between up periods (exponential, mean MTBF) and
outages (exponential, mean MTTR) is up a long-run fraction
``π = MTBF / (MTBF + MTTR)`` of the time. Over a finite run [0, L] that starts
up, the expected fraction is exactly ``π + (1 − π)·(1 − e^(−sL))/(sL)`` with
``s = 1/MTBF + 1/MTTR`` (the two-state Markov chain's transient, computed
here, not fitted). With Poisson sign-ins, no retries and no failover, the
share of sign-ins that succeed (drsim's ``availability``) estimates the same
fraction; replication by replication it must also match the up-time fraction
of that replication's own outage schedule.

Setup: one region (no replica, ``failover.mode: none``), sign-ins at 0.2/s, a
fault schedule of ``region_outage`` entries drawn per replication by the
validation code (its own random generator, not drsim's).
"""

from __future__ import annotations

import math

import numpy as np

from drsim.metrics import compute_metrics
from drsim.model import simulate
from drsim.validation.core import Case, Check, Estimate, Outcome, case_seed, rng_for, statistical
from drsim.validation.scenarios import UNLIMITED, scenario, seconds

FAMILY = "1. Closed forms (known answers, queueing theory)"
MTBF_S = 2 * 3600.0
MTTR_S = 15 * 60.0


def outage_schedule(rng: np.random.Generator, duration_s: float) -> list[tuple[float, float]]:
    """Alternating exponential up and down periods from t = 0 (up): [(start, length), ...]."""
    schedule = []
    t = 0.0
    while True:
        t += float(rng.exponential(MTBF_S))
        if t >= duration_s:
            return schedule
        down = float(rng.exponential(MTTR_S))
        schedule.append((t, down))
        t += down


def up_fraction(schedule: list[tuple[float, float]], duration_s: float) -> float:
    """Share of [0, duration] the region is up under ``schedule``."""
    down = sum(min(start + length, duration_s) - start for start, length in schedule)
    return 1.0 - down / duration_s


def expected_availability(duration_s: float) -> tuple[float, float]:
    """(finite-horizon expectation starting up, long-run MTBF/(MTBF+MTTR))."""
    pi = MTBF_S / (MTBF_S + MTTR_S)
    s = 1.0 / MTBF_S + 1.0 / MTTR_S
    return pi + (1.0 - pi) * (1.0 - math.exp(-s * duration_s)) / (s * duration_s), pi


def run_availability(quick: bool) -> Outcome:
    reps, days = (8, 2) if quick else (30, 7)
    duration = days * 86400.0
    availabilities, differences, outages = [], [], []
    for rep in range(reps):
        schedule = outage_schedule(rng_for("availability", rep), duration)
        outages.append(len(schedule))
        design = scenario(
            regions=[{"name": "r1", "role": "primary", "quotas": dict(UNLIMITED)}],
            replication={"mode": "none"},
            users={"population": 50_000, "mfa": {"none": "100%", "sms": "0%", "email": "0%",
                                                 "totp": "0%"}, "federated": "0%"},
            traffic={"sign_in": "0.2/s"},
            failover={"mode": "none", "failback": {"policy": "never"}},
            faults=[{"kind": "region_outage", "region": "r1", "start": seconds(start),
                     "duration": seconds(length)} for start, length in schedule],
            run={"duration": seconds(duration), "seed": case_seed("availability")},
        )
        value = compute_metrics(simulate(design, rep), design)["availability"]
        availabilities.append(value)
        differences.append(value - up_fraction(schedule, duration))
    expected, long_run = expected_availability(duration)
    checks = [
        Check("availability vs MTBF/(MTBF+MTTR)", expected,
              Estimate.over_replications(availabilities), statistical(), unit="%"),
        Check("availability − the schedule's up fraction", 0.0,
              Estimate.over_replications(differences), statistical(), unit="pp"),
    ]
    setup = (
        f"MTBF {MTBF_S / 3600:g} h, MTTR {MTTR_S / 60:g} min: π = {long_run:.5f}; over a run of "
        f"{days} days starting up the expected up fraction is {expected:.5f} (finite-horizon "
        f"term {expected - long_run:+.5f}). {reps} replications, each with its own schedule "
        f"({min(outages)}–{max(outages)} outages). The second check pairs each replication's "
        "sign-in availability with its schedule's exact up-time fraction: only the Poisson "
        "sampling of sign-ins separates them."
    )
    return Outcome(checks, setup)


CASES = [
    Case("1.11", "availability", FAMILY, "Availability under repeated outages",
         "Alternating renewal: MTBF/(MTBF+MTTR)", run_availability),
]
