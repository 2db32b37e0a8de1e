"""Validation: drsim reproduces what theory, a published paper and published measurements say.

A simulator is trusted when it reproduces what is known. Each *case* here is
code that builds a scenario, runs drsim's replications, and compares drsim's
value (with a confidence interval) against an expected value the validation
code computes itself — from a closed form of MODEL.md, from Bailis et al.'s
Probabilistically Bounded Staleness (VLDB 2012), from Flavel et al.'s DNS
measurements (LANMAN 2014), or from vendor statements (Auth0, Keycloak) — with
a stated tolerance and a verdict.

``python -m drsim.validation [--quick] [-o docs/validation.md]`` runs every
case, writes the report and exits non-zero when a case falls outside its
tolerance. One module per case family:

- :mod:`~drsim.validation.staleness` — stale reads vs the lag distribution;
- :mod:`~drsim.validation.rpo` — missed writes, Little's law at promotion;
- :mod:`~drsim.validation.detection` — health-check detection time;
- :mod:`~drsim.validation.dns_failover` — failed sign-ins ≈ rate × (D + T/2);
- :mod:`~drsim.validation.lockout` — k·L guesses;
- :mod:`~drsim.validation.poisson` — Poisson arrival counts;
- :mod:`~drsim.validation.availability` — MTBF/(MTBF + MTTR);
- :mod:`~drsim.validation.quota` — a quota as a loss system;
- :mod:`~drsim.validation.baseline` — zero lag, no fault: nothing fails;
- :mod:`~drsim.validation.pbs` — Probabilistically Bounded Staleness;
- :mod:`~drsim.validation.dns_wild` — DNS in the wild (Flavel et al.);
- :mod:`~drsim.validation.vendors` — Auth0 2014 and Keycloak multi-site statements.
"""

from __future__ import annotations

from drsim.validation.core import Case, CaseResult, Check, Estimate, Outcome, run_case


def all_cases() -> list[Case]:
    """Every validation case, in report order."""
    from drsim.validation import (
        availability,
        baseline,
        detection,
        dns_failover,
        dns_wild,
        lockout,
        pbs,
        poisson,
        quota,
        rpo,
        staleness,
        vendors,
    )

    cases: list[Case] = []
    for module in (staleness, rpo, detection, dns_failover, lockout, poisson, availability,
                   quota, baseline, pbs, dns_wild, vendors):
        cases.extend(module.CASES)
    return cases


__all__ = ["Case", "CaseResult", "Check", "Estimate", "Outcome", "all_cases", "run_case"]
