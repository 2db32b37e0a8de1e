"""Vendor statements: Auth0's 2014 DNS failover and Keycloak multi-site.

*Auth0, 2014* (DOMAIN.md §5–6, [report]): a read-only standby behind a DNS
failover record, health checks every 10 s with a threshold of 3, TTL 60 s,
"about 2 minutes of worst-case downtime". *Keycloak multi-site* (DOMAIN.md §6,
[doc]): synchronous replication between two nearby sites, RPO 0, failover
"under 2 minutes" (active-active), health check 30 s × 1.

Both are built from the shipped scenarios with overrides, so everything the
statement does not fix stays the reference design's (traffic, 16 checkers
voting at 18 %, automatic failover, the 30-minute outage from minute 30):

- Auth0 2014 from ``cognito-active-passive``: health check 10 s × 3, TTL 60 s,
  a standby that serves every sign-in (TOTP and first-time federated users
  included: those are Cognito-specific limits) but never becomes writable
  (promotion 24 h), tokens not replicated. Not from ``auth0-contract.yaml``,
  which models the *contract's* bounds (RPO ≤ 1 h, RTO ≤ 24 h) instead.
- Keycloak from ``keycloak-multisite``: as shipped.

In both, every client honours the TTL (a vendor's downtime figure is the
service's, not the tail of misbehaving resolvers: with the ``internet`` mix
1.8 % of clients never follow the change), attackers are dropped, the pool
has 200 000 users and the run stops at 45 minutes, 15 minutes into the outage.

Downtime theory used by both: the record flips at the health-check verdict D
(the m-th of n checkers: ``E[D] = (k−1)·I + I·m/(n+1)``); the last sign-in
reaching the failed region comes just before ``D + T``; sign-ins to the old
region after the flip form a Poisson process of intensity ``λ·(1 − s/T)``, so
the last one precedes ``D + T`` by a gap G with ``P(G > g) = exp(−λg²/(2T))``.
Expected time from the fault to the last failed sign-in: ``E[D] + T − E[G]``;
its worst case ``k·I + T``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from drsim.api import load
from drsim.metrics import compute_metrics
from drsim.model import simulate
from drsim.validation.core import (
    Case,
    Check,
    Estimate,
    Outcome,
    absolute,
    at_most,
    case_seed,
    exact,
    statistical,
)
from drsim.validation.scenarios import deciding_checker

FAMILY = "4. Vendor statements"
HONOUR = "clients=[{name: all, share: 100%, dns: {behaviour: honour}}]"
COMMON = [HONOUR, "attackers=[]", "users.population=200k", "run.duration=45m"]
CHECKERS, SHARE = 16, "18%"


def expected_detection_s(interval_s: float, threshold: int) -> float:
    m = deciding_checker(CHECKERS, SHARE)
    return (threshold - 1) * interval_s + interval_s * m / (CHECKERS + 1)


def expected_gap_s(rate_per_s: float, ttl_s: float) -> float:
    """E[G]: the last failing sign-in's distance to D + T (see the module docstring)."""
    value, _ = integrate.quad(lambda g: math.exp(-rate_per_s * g * g / (2 * ttl_s)), 0, ttl_s)
    return value


def _incidents(design, reps: int) -> dict[str, list[float]]:
    """Per replication: RTO, the last failed sign-in after the fault, RPO counts."""
    out: dict[str, list[float]] = {"rto": [], "downtime": [], "rpo": [], "unapplied": []}
    for rep in range(reps):
        records = simulate(design, rep)
        metrics = compute_metrics(records, design)
        fault = float(records.meta["fault_start_s"])
        req = records.requests
        down = (~req["attacker"].to_numpy(dtype=bool)
                & (req["attempt"].to_numpy() == 0)
                & req["op"].astype(str).isin(["sign_in", "federated_sign_in"]).to_numpy()
                & (req["outcome"].astype(str).to_numpy() == "region_down"))
        out["rto"].append(metrics["rto_s"])
        out["downtime"].append(float(req["time_s"].to_numpy()[down].max()) - fault)
        out["rpo"].append(metrics["rpo_lost_writes"] + metrics["writes_lost"])
        writes = records.writes
        before = writes["time_s"].to_numpy() < fault
        applied = writes["applied_s"].to_numpy()
        late = np.isnan(applied) | (applied > fault)
        out["unapplied"].append(float(np.count_nonzero(before & late)))
    return out


def _downtime_check(data, interval: float, threshold: int, ttl: float, rate: float) -> Check:
    detection = expected_detection_s(interval, threshold)
    gap = expected_gap_s(rate, ttl)
    return Check("fault → last failed sign-in (mean)", detection + ttl - gap,
                 Estimate.over_replications(data["downtime"]), statistical(), unit="s",
                 expected_text=f"E[D] + T − E[G] = {detection:.2f} + {ttl:g} − {gap:.2f} "
                               f"= {detection + ttl - gap:.2f} s")


def run_auth0(quick: bool) -> Outcome:
    reps = 2 if quick else 12
    interval, threshold, ttl = 10.0, 3, 60.0
    design = load("cognito-active-passive", [
        *COMMON,
        f"run.seed={case_seed('auth0')}",
        "health_check.interval=10s", "health_check.failure_threshold=3", "dns.ttl=60s",
        "secondary_limits.totp_mfa=true",
        "secondary_limits.federated_needs_primary_sign_in=false",
        "failover.promotion_time=24h",
        "sessions.cross_region_tokens=false",
        # The 2014 figure is the DNS switch: refused refreshes give up here. (When they sign
        # in again instead, the standby's sign-in quota throttles that wave and sign-ins
        # take 5–7 minutes to recover: forced_reauthentications, not DNS.)
        "sessions.on_refused_refresh=give_up",
    ])
    data = _incidents(design, reps)
    rate = design.traffic.sign_in + design.traffic.federated_sign_in
    checks = [
        Check("worst-case downtime (RTO, worst rep)", 120.0,
              Estimate.exact(max(data["rto"]), f"{reps} reps, worst"),
              absolute(30.0, "the statement is in whole minutes ('about 2 minutes'): "
                             "2 min ± 30 s"),
              unit="s", expected_text="≈ 2 min"),
        _downtime_check(data, interval, threshold, ttl, rate),
    ]
    setup = (
        f"{reps} replications. drsim's RTO (docs/metrics.md: fault start → per-minute sign-in "
        "success back to 99 % of its baseline for good; 1-minute resolution, rounded up) per "
        f"replication: {', '.join(f'{x:g}' for x in data['rto'])} s. Exact time from the fault "
        f"to the last sign-in that reached the failed region: "
        f"{', '.join(f'{x:.1f}' for x in data['downtime'])} s; theory's worst case "
        f"k·I + T = {threshold * interval + ttl:g} s. Sign-in rate λ = {rate:g}/s "
        "(password + federated)."
    )
    notes = [
        "Reading: drsim puts the 2014 design's worst case at k·I + T = 1.5 min of DNS "
        "failover; its RTO metric, rounded up to the minute, says 2 minutes, as Auth0 did. "
        "What drsim leaves out and could account for the rest of Auth0's figure: the health "
        "checkers' own timeouts (4 s + 2 s per probe), Route 53's propagation of the record "
        "change, and clients that do not honour the TTL (see 3.1). The standby does not "
        "accept the primary's refresh tokens here, and their clients give up: when they sign "
        "in again instead (the default), the wave of forced sign-ins exceeds the standby's "
        "sign-in quota and recovery takes 5–7 minutes."
    ]
    return Outcome(checks, setup, notes)


def run_keycloak(quick: bool) -> Outcome:
    reps = 2 if quick else 12
    interval, threshold, ttl = 30.0, 1, 60.0
    design = load("keycloak-multisite", [*COMMON, f"run.seed={case_seed('keycloak')}"])
    data = _incidents(design, reps)
    rate = design.traffic.sign_in + design.traffic.federated_sign_in
    worst_rpo = max(r + u for r, u in zip(data["rpo"], data["unapplied"], strict=True))
    checks = [
        Check("RPO: writes lost or not at the other site at the fault", 0.0,
              Estimate.exact(worst_rpo, f"{reps} reps, worst"), exact("RPO 0 [doc]"),
              unit="count", expected_text="0"),
        Check("failover time (RTO, worst rep)", 120.0,
              Estimate.exact(max(data["rto"]), f"{reps} reps, worst"),
              at_most(0.0, "'under 2 minutes': the RTO metric is the end of the last bad "
                           "minute, an upper bound of the recovery instant, so ≤ 120 s "
                           "means recovered within 2 minutes"),
              unit="s", expected_text="< 2 min"),
        _downtime_check(data, interval, threshold, ttl, rate),
    ]
    setup = (
        f"{reps} replications of the shipped multi-site design (two peers, synchronous "
        "replication, 30 s × 1 health check, no promotion). RPO: per replication, "
        "`rpo_lost_writes` + `writes_lost` plus the writes acknowledged before the fault that "
        f"the other site had not applied by then: {', '.join(f'{r + u:g}' for r, u in zip(data['rpo'], data['unapplied'], strict=True))}. "
        f"RTO per replication: {', '.join(f'{x:g}' for x in data['rto'])} s; fault → last "
        f"failed sign-in: {', '.join(f'{x:.1f}' for x in data['downtime'])} s (theory's worst "
        f"case k·I + T = {threshold * interval + ttl:g} s)."
    )
    return Outcome(checks, setup)


CASES = [
    Case("4.1", "vendor-auth0-2014", FAMILY, "Auth0 2014 DNS failover design",
         "Auth0 (Romaniello, High Scalability, 2014) [report]: 10 s × 3, TTL 60 s, ≈ 2 min", run_auth0),
    Case("4.2", "vendor-keycloak", FAMILY, "Keycloak multi-site",
         "Keycloak High Availability Guide, multi-site [doc]: RPO 0, failover < 2 min",
         run_keycloak),
]
