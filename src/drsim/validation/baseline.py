"""The null case: with zero lag and no fault, every metric but the traffic totals is zero.

MODEL.md's last known answer. The reference design (``cognito-active-passive``)
with a constant replication lag of 0 s, no fault and no attacker: no sign-in or
other operation may fail, no read may be stale, no write may be lost or
reconciled, no lock may be bypassed, and every write must apply at the other
region at its acknowledgement instant. Administrators' disables are switched
off: refusing a disabled user is the intended outcome of that traffic. A non-zero value here is a mechanism
that acts without a cause.
"""

from __future__ import annotations

import math

import numpy as np

from drsim.api import load
from drsim.metrics import compute_metrics
from drsim.model import simulate
from drsim.validation.core import Case, Check, Estimate, Outcome, case_seed, exact

FAMILY = "1. Closed forms (known answers, queueing theory)"
ZERO = ("failed_logins", "failed_operations", "stale_reads", "rpo_lost_writes", "writes_lost",
        "failback_conflicts", "lockout_extra_guesses", "lockout_bypass_windows",
        "stale_credential_signins", "revoked_token_accepts", "disabled_user_signins",
        "sessions_disrupted")


def run_baseline(quick: bool) -> Outcome:
    reps = 1 if quick else 3
    design = load("cognito-active-passive", [
        "replication.lag=0s", "faults=[]", "attackers=[]", "traffic.admin_disable=0/s",
        "users.population=100k",
        "run.duration=20m", f"run.seed={case_seed('baseline')}",
    ])
    worst = dict.fromkeys(ZERO, 0.0)
    late_writes = 0
    totals = []
    for rep in range(reps):
        records = simulate(design, rep)
        metrics = compute_metrics(records, design)
        for name in ZERO:
            value = metrics.get(name, math.nan)  # a missing metric must fail, not pass
            if math.isnan(value) or value > worst[name]:
                worst[name] = value
        writes = records.writes
        late_writes += int(np.count_nonzero(
            writes["applied_s"].to_numpy() != writes["time_s"].to_numpy()))
        totals.append(metrics["requests_total"])
    checks = [Check(name, 0.0, Estimate.exact(value, f"{reps} reps, worst"), exact(),
                    unit="count") for name, value in worst.items()]
    checks.append(Check("writes not applied at their acknowledgement instant", 0.0,
                        Estimate.exact(late_writes, f"{reps} reps"), exact(), unit="count"))
    setup = (
        "`cognito-active-passive` with `replication.lag=0s`, `faults=[]`, `attackers=[]` and "
        "`traffic.admin_disable=0/s` (a user disabled by an administrator is refused by design: "
        "an outcome of the traffic, not of the DR machinery — the first full run of this case "
        "failed on exactly one such sign-in and one refresh), "
        f"100 000 users, 20 minutes, {reps} replication(s) "
        f"({', '.join(f'{t:.0f}' for t in totals)} legitimate requests): every listed metric "
        "must be exactly zero (NaN would count as a failure)."
    )
    return Outcome(checks, setup)


CASES = [
    Case("1.13", "null-case", FAMILY, "Zero lag, no fault: nothing fails",
         "Known answer (every metric but traffic totals is zero)", run_baseline),
]
