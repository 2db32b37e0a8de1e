"""Lockout across regions: k reachable regions with per-region counters give k·L guesses.

With a lockout threshold of L failures (Cognito: the 5th failure locks;
Keycloak: the 30th) an attacker who can reach k regional endpoints, each
counting failures on its own, has L wrong guesses evaluated in each region
before the account is locked everywhere: k·L. With one counter shared by all
regions (a global scope, as Keycloak multi-site replicates it), L. Of the
per-region k·L, the (k − 1)·L evaluated after a global counter would already
have locked the account are drsim's *extra guesses* (MODEL.md metric 4).

Setup: one attacker aims scripted guesses (all wrong: success probability 0)
at one account, 10 ms apart — far shorter than the first lock — choosing a
region where the account is not locked (``avoid_locked``). drsim's values: the
number of guesses answered ``wrong_password`` before the first
``locked_out``, and ``lockout_extra_guesses`` (compute_metrics).
"""

from __future__ import annotations

import numpy as np

from drsim.metrics import compute_metrics
from drsim.model import simulate
from drsim.scenario.schema import LOCKOUT_PRESETS
from drsim.validation.core import Case, Check, Estimate, Outcome, exact
from drsim.validation.scenarios import UNLIMITED, scenario

FAMILY = "1. Closed forms (known answers, queueing theory)"


def _design(regions: int, preset: str, scope: str):
    names = [f"r{i + 1}" for i in range(regions)]
    return scenario(
        regions=[{"name": n, "role": "primary" if i == 0 else "secondary",
                  "quotas": dict(UNLIMITED)} for i, n in enumerate(names)],
        replication={"mode": "async" if regions > 1 else "none"},
        users={"population": 10},
        attackers=[{"name": "stuffer", "kind": "credential_stuffing", "rate": "1/s",
                    "targets": 1, "regions": "all", "endpoint_choice": "avoid_locked",
                    "success_probability": "0%"}],
        lockout={"preset": preset, "scope": scope},
        run={"duration": "60s", "seed": 1},
    )


def guesses_before_lock(regions: int, preset: str, scope: str) -> tuple[int, float]:
    """(wrong guesses before the first locked_out, lockout_extra_guesses) of one run."""
    threshold = int(LOCKOUT_PRESETS[preset]["threshold"])
    design = _design(regions, preset, scope)
    script = [(1.0 + 0.01 * i, "guess", 0) for i in range(regions * threshold + 5)]
    records = simulate(design, 0, script=script)
    guesses = records.requests[records.requests["attacker"].to_numpy(dtype=bool)]
    outcomes = guesses.sort_values("time_s")["outcome"].astype(str).to_numpy()
    locked = np.flatnonzero(outcomes == "locked_out")
    first = int(locked[0]) if locked.size else len(outcomes)
    before = int(np.count_nonzero(outcomes[:first] == "wrong_password"))
    extra = compute_metrics(records, design)["lockout_extra_guesses"]
    return before, extra


def run_lockout(quick: bool) -> Outcome:
    checks = []
    configs = [(1, "cognito", "region"), (2, "cognito", "region"), (3, "cognito", "region"),
               (3, "cognito", "global"), (2, "keycloak", "region")]
    for regions, preset, scope in configs:
        threshold = int(LOCKOUT_PRESETS[preset]["threshold"])
        before, extra = guesses_before_lock(regions, preset, scope)
        per_region = scope == "region"
        label = f"{preset} (L = {threshold}), k = {regions}, {scope} counters"
        expected = regions * threshold if per_region else threshold
        checks.append(Check(f"{label}: guesses before lock", expected,
                            Estimate.exact(before, "1 run"), exact(), unit="count",
                            expected_text=f"{'k·L' if per_region else 'L'} = {expected}"))
        expected_extra = (regions - 1) * threshold if per_region else 0
        checks.append(Check(f"{label}: extra guesses", expected_extra,
                            Estimate.exact(extra, "1 run"), exact(), unit="count",
                            expected_text=f"(k−1)·L = {expected_extra}" if per_region
                            else "0"))
    setup = ("Lockout presets from `LOCKOUT_PRESETS` (Cognito: lock at the 5th failure; "
             "Keycloak: at the 30th); k regions, one primary and k − 1 secondaries, users "
             "replicated to all of them. Deterministic: one run per configuration.")
    return Outcome(checks, setup)


CASES = [
    Case("1.9", "lockout", FAMILY, "Lockout guesses across regions",
         "Known answer (k·L per region, L global); Amazon Cognito Developer Guide (lockout per Region)", run_lockout),
]
