"""Why a metric is NaN, or censored, in words: the notes a reviewer reads beside the numbers.

:func:`metric_notes` is a pure function of a run's records, its scenario and
its metrics (:func:`~drsim.metrics.compute.compute_metrics`). It returns a
note for every NaN metric (the reason it is undefined — "no fault in this
run", "no legitimate sign-ins during the fault" …) and for every value that
is censored (an RTO or a DNS convergence not reached before the end of the
observation; exposure windows still open at the end of the run), so that no
NaN and no lower bound is shown without its reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from drsim.metrics._common import (
    is_number,
    legit_mask,
    legit_sign_in_mask,
    min_sample,
    time_mask,
)
from drsim.metrics.corruption import REASONS as CORRUPTION_REASONS
from drsim.metrics.exposure import EXPOSURE_KINDS
from drsim.metrics.headline import percent_words
from drsim.metrics.incident_metrics import INCIDENT_PREFIX
from drsim.metrics.incidents import Incident, headline_incident, incidents
from drsim.metrics.recovery import DNS_BUCKET_S, dns_end
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario

NO_FAULT = "no fault in this run"
UNDEFINED = "undefined for this run: what it measures did not happen (see its definition)"

_NO_TRIGGER = ("no trigger to outlive (no fault and no traffic burst ending before the run's "
               "end) or no region with a capacity")
_RUN_REASONS: dict[str, str] = {
    "availability": "no legitimate sign-ins in this run",
    "stale_read_fraction": "no successful profile read in this run",
    "staleness_p50_s": "no stale profile read in this run",
    "staleness_p99_s": "no stale profile read in this run",
    "staleness_max_s": "no stale profile read in this run",
    "lockout_extra_guesses_per_account": "no attacker targeted an account in this run",
    "overload_sustained_s": _NO_TRIGGER,
    "overload_end_state": _NO_TRIGGER,
    "relying_party_rejected_share": "no user held an access token in this run (no API call)",
}
_QUANTILES = {"staleness_p50_s": 0.50, "staleness_p99_s": 0.99}
"""Quantile metrics of the stale reads, and their level (see min_sample)."""
ValueOf = Callable[[str], float]
"""Looks up a sibling metric of the same incident (NaN when absent)."""
_FAULT_WINDOW_KEYS = ("availability_during_fault", "failed_logins_during_fault",
                      "failed_login_users_during_fault", "users_locked_out_of_fault")


@dataclass(frozen=True)
class _Context:
    """What the reasons of one incident's metrics depend on."""

    incident: Incident | None
    sign_ins: int  # legitimate sign-ins from the anchor to the end of the observation
    min_attempts: int


def _context(records: RunRecords, scenario: Scenario, incident: Incident | None) -> _Context:
    n = 0
    if incident is not None:
        window = time_mask(records.requests, incident.anchor_s, incident.observe_end_s)
        n = int(np.count_nonzero(legit_sign_in_mask(records.requests) & window))
    return _Context(incident, n, scenario.run.min_attempts_per_window)


def metric_notes(
    records: RunRecords, scenario: Scenario, values: dict[str, float]
) -> dict[str, str]:
    """The reason for every NaN metric and a warning for every censored one.

    Args:
        records: the run's record tables.
        scenario: the scenario that produced them.
        values: the run's metrics (:func:`~drsim.metrics.compute.compute_metrics`).

    Returns:
        ``{metric name: sentence}``: every NaN metric of ``values`` has a note;
        censored values (RTO or DNS convergence not reached, exposure windows
        open at the end of the run) have one too.
    """
    found = incidents(records, scenario)
    by_number = {i.number: _context(records, scenario, i) for i in found}
    headline = _context(records, scenario, headline_incident(found, scenario))
    notes: dict[str, str] = {}
    for name, value in values.items():
        context, base = headline, name
        if name.startswith(INCIDENT_PREFIX):
            number, _, base = name[len(INCIDENT_PREFIX):].partition(".")
            context = by_number.get(int(number), _Context(None, 0, 0))
        prefix = name[: len(name) - len(base)]

        def value_of(key: str, p: str = prefix) -> float:
            return values.get(p + key, math.nan)

        if is_number(value):
            note = _censored_note(base, value_of)
        else:
            note = _nan_reason(base, context, records, value_of) or UNDEFINED
        if note:
            notes[name] = note
    return notes


def _nan_reason(
    base: str, ctx: _Context, records: RunRecords, value_of: ValueOf
) -> str | None:
    """Why metric ``base`` of the incident in ``ctx`` is NaN (None: no specific reason)."""
    if base in _QUANTILES and value_of("stale_reads") > 0:
        q = _QUANTILES[base]
        n = value_of("stale_reads")
        return (f"only {n:.0f} stale profile read{'s' if n != 1 else ''}: a "
                f"{100 * q:g}th percentile needs at least {min_sample(q)}")
    people = _people_reason(base, ctx, value_of)
    if people:
        return people
    if base in _RUN_REASONS:
        return _RUN_REASONS[base]
    if base in CORRUPTION_REASONS:
        return CORRUPTION_REASONS[base]
    if base.startswith("exposure_") and base.endswith("_censored_share"):
        return f"no {base[len('exposure_'):-len('_censored_share')]} exposure window in this run"
    incident = ctx.incident
    if incident is None:
        return NO_FAULT if _is_incident_metric(base) else None
    if base == "availability_during_fault":
        return "no legitimate sign-ins during the fault"
    for reason in (_timeline_reason, _dns_reason, _rto_reason, _users_reason):
        found = reason(base, ctx, records, value_of)
        if found:
            return found
    return None


_AGE_BY_CAUSE = re.compile(r"^staleness_p(\d+)_s\.(.+)$")


def _people_reason(base: str, ctx: _Context, value_of: ValueOf) -> str | None:
    """Why a staleness age by cause, the read-your-writes share or a share of users who
    could not complete a request is NaN (None: not one of those)."""
    age = _AGE_BY_CAUSE.match(base)
    if age:
        quantile, cause = int(age.group(1)), age.group(2)
        n = value_of(f"stale_reads.{cause}")
        if not n:
            return f"no stale profile read caused by {cause.replace('_', ' ')} in this run"
        return (f"only {n:.0f} stale profile read{'s' if n != 1 else ''} caused by "
                f"{cause.replace('_', ' ')}: a {quantile}th percentile needs at least "
                f"{min_sample(quantile / 100)}")
    if base == "read_your_writes_violation_share":
        return "no user read their profile back right after updating it in this run"
    window = ("from the headline incident's first fault to the end of the run"
              if ctx.incident is not None else "in the run")
    if base == "users_failed_share":
        return f"no user made a request of their own {window}"
    if base.startswith("users_failed_share.home."):
        return (f"no user homed in {base[len('users_failed_share.home.'):]} made a request "
                f"{window}")
    if base.startswith("users_failed_share."):
        return (f"no user of the population {base[len('users_failed_share.'):]} made a "
                f"request {window}")
    return None


def _is_incident_metric(base: str) -> bool:
    timeline = ("headline_incident", "detection_s", "decision_s", "promotion_s",
                "time_to_failback_s", "affected_users", "sign_in_users_after_fault")
    return (base in timeline or base in _FAULT_WINDOW_KEYS or base.startswith("rto_")
            or base.startswith("dns_") or base.startswith("time_to_first_success_")
            or base.startswith("never_recovered_users"))


def _timeline_reason(
    base: str, ctx: _Context, records: RunRecords, value_of: ValueOf
) -> str | None:
    facts = ctx.incident.facts  # type: ignore[union-attr]
    never_unhealthy = ("the health check never declared a region unhealthy during the "
                       "incident, so nothing was detected")
    no_promotion = ("no promotion started during the incident (no failover, or the region "
                    "came back before the decision)")
    if base == "detection_s":
        return never_unhealthy
    if base == "decision_s":
        return never_unhealthy if not is_number(facts.detection_s) else no_promotion
    if base == "promotion_s":
        if not is_number(facts.promotion_start_s):
            return no_promotion
        return "the promoted region did not take writes before the run ended"
    if base == "time_to_failback_s":
        return "no failback during the incident (failback policy, or the run ended first)"
    return None


def _dns_reason(
    base: str, ctx: _Context, records: RunRecords, value_of: ValueOf
) -> str | None:
    if not base.startswith("dns_"):
        return None
    incident = ctx.incident
    facts = incident.facts  # type: ignore[union-attr]
    if not is_number(facts.dns_flip_s):
        return "the DNS answer did not change during the incident"
    end = dns_end(facts, incident.observe_end_s)  # type: ignore[union-attr]
    if base == "dns_share_moved_60s" and facts.dns_flip_s + 60.0 + DNS_BUCKET_S > end:
        return "the window 60–70 s after the DNS flip ends after the observation"
    window = time_mask(records.requests, facts.dns_flip_s, end) & legit_mask(records.requests)
    if not window.any():
        return "no legitimate requests after the DNS flip"
    return (f"fewer than {ctx.min_attempts} legitimate requests in every "
            f"{DNS_BUCKET_S:g}-s window: too few to judge where the traffic went")


def _rto_reason(
    base: str, ctx: _Context, records: RunRecords, value_of: ValueOf
) -> str | None:
    if not base.startswith("rto_"):
        return None
    if ctx.sign_ins == 0:
        return "no legitimate sign-ins during the fault"
    return (f"fewer than {ctx.min_attempts} legitimate sign-ins in every minute after the "
            "fault: no minute to judge, so recovery is unknown")


def _users_reason(
    base: str, ctx: _Context, records: RunRecords, value_of: ValueOf
) -> str | None:
    if not base.startswith("time_to_first_success_"):
        return None
    if ctx.sign_ins == 0:
        return "no legitimate sign-ins during the fault"
    affected = value_of("affected_users")
    if not affected:
        return "no legitimate user failed a sign-in during the incident"
    quantile = int(base[len("time_to_first_success_p"):-len("_s")])
    if affected < min_sample(quantile / 100):
        return (f"only {affected:.0f} users failed a sign-in: a {quantile}th percentile needs "
                f"at least {min_sample(quantile / 100)}")
    return (f"more than {100 - quantile} % of the {affected:.0f} users who failed a sign-in "
            "had no successful sign-in before the end of the observation (censored)")


def _censored_note(base: str, value_of: ValueOf) -> str | None:
    """The warning for a value that is a lower bound (None when it is not censored)."""
    if base.startswith("rto_") and base.endswith("_s"):
        if value_of(base[: -len("_s")] + "_recovered") == 0.0:
            return ("not recovered before the end of the observation: the value is the time "
                    "observed (censored), a lower bound")
        if value_of(base) == 0.0:
            return ("sign-ins never fell below this level of their baseline after the fault: "
                    "0 s means nothing to recover, not a fast failover")
    if base == "dns_convergence_s" and value_of("dns_converged") == 0.0:
        return ("the converged share was not reached and held before the fault ended: the "
                "value is censored at the end of the observation")
    if base == "overload_sustained_s" and value_of("overload_end_state") == 1.0:
        return ("a region was still overloaded at the end of the run (the bad state): the "
                "value is censored at the end of the run, a lower bound")
    if base in ("split_brain_s", "split_brain_max_s") and value_of("split_brain_recovered") == 0.0:
        return ("two regions still took writes at the end of the run: the split is censored "
                "there (a lower bound) and its conflicts were never reconciled")
    if base == "corruption_exposure_s" and value_of("corruption_recovered") == 0.0:
        return ("no restore before the end of the run (no backups, or detected too late): "
                "the bad data was still served; the value is censored at the run end, a "
                "lower bound")
    for kind in EXPOSURE_KINDS:
        if base in (f"exposure_{kind}_max_s", f"exposure_{kind}_total_s"):
            censored = value_of(f"exposure_{kind}_censored")
            windows = value_of(f"exposure_{kind}_windows")
            if is_number(censored) and censored > 0:
                return (f"{censored:.0f} of {windows:.0f} {kind} exposure windows "
                        f"({percent_words(censored / windows)}) were still open at the end of the run: "
                        "they stop at the run end (censored), so this grows with the run "
                        "length and is a lower bound")
    return None
