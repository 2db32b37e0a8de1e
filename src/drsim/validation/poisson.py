"""Poisson arrivals: request counts per window have mean = variance = rate × window.

drsim's legitimate traffic is a Poisson process per operation (MODEL.md). The
number of arrivals in a window of length W is then Poisson(λ·W): mean λ·W and
dispersion index (variance / mean) 1, and counts of disjoint windows are
independent. Setup: sign-ins at λ = 5/s for one hour, nothing failing; each
replication's first attempts are counted in 360 windows of 10 s; drsim's
values are the per-replication mean count and dispersion index.
"""

from __future__ import annotations

import numpy as np

from drsim.model import simulate
from drsim.validation.core import Case, Check, Estimate, Outcome, case_seed, statistical
from drsim.validation.scenarios import scenario

FAMILY = "1. Closed forms (known answers, queueing theory)"


def run_poisson(quick: bool) -> Outcome:
    reps = 6 if quick else 30
    rate, window, duration = 5.0, 10.0, 3600.0
    design = scenario(users={"population": 10_000, "mfa": {"none": "100%", "sms": "0%",
                                                           "email": "0%", "totp": "0%"},
                             "federated": "0%"},
                      traffic={"sign_in": f"{rate:g}/s"},
                      run={"duration": "1h", "seed": case_seed("poisson")})
    means, dispersions = [], []
    edges = np.arange(0.0, duration + window, window)
    for rep in range(reps):
        requests = simulate(design, rep).requests
        first = requests[(requests["attempt"].to_numpy() == 0)
                         & (requests["op"].astype(str).to_numpy() == "sign_in")]
        counts, _ = np.histogram(first["time_s"].to_numpy(), bins=edges)
        means.append(float(counts.mean()))
        dispersions.append(float(counts.var(ddof=1) / counts.mean()))
    checks = [
        Check("mean count per 10 s window", rate * window, Estimate.over_replications(means),
              statistical(), unit="count"),
        Check("dispersion index (variance / mean)", 1.0,
              Estimate.over_replications(dispersions), statistical(), unit="ratio"),
    ]
    setup = (f"λ = {rate:g}/s, W = {window:g} s, {int(duration / window)} windows per "
             f"replication, {reps} replications: expected mean λ·W = {rate * window:g} and "
             "dispersion index 1.")
    return Outcome(checks, setup)


CASES = [
    Case("1.10", "poisson", FAMILY, "Poisson arrival counts",
         "Known answer (mean = variance = λ·W)", run_poisson),
]
