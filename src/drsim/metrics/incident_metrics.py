"""Per-incident metrics as flat keys, and the headline incident's under the usual names.

For every incident ``N`` (1-based, :mod:`drsim.metrics.incidents`) the keys
``incident.N.<name>`` hold: ``start_s``, ``end_s`` and ``anchor_s`` (absolute
seconds: first fault start, last fault end, start of the fault that made the
endpoint unhealthy), ``faults`` (count), the recovery metrics of
:func:`~drsim.metrics.recovery.recovery_metrics` (``detection_s``,
``decision_s``, ``promotion_s``, ``dns_convergence_s``, ``dns_converged``,
``dns_share_moved_60s``, ``rto_s``, ``rto_recovered``, ``rto_<level>_s``,
``rto_<level>_recovered``; durations from the anchor), ``time_to_failback_s``
(failback − anchor), ``affected_users``, ``time_to_first_success_p50_s`` and
``…_p90_s``, ``never_recovered_users`` (:mod:`drsim.metrics.users`; still
failing after the lowest RTO level was reached, no success before failback) and
``rpo_writes`` (writes stuck at the incident's promotion).

Unprefixed, ``incidents`` counts them and ``headline_incident`` names the one
the headline keys describe (NaN without a fault); the headline keys are the
same names without the prefix, plus ``never_recovered_users.<cause>`` and
``sign_in_users_after_fault``. The run-level RPO keys
(:mod:`drsim.metrics.rpo`) stay totals over the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, one_row_per_write
from drsim.metrics.evidence import level_label
from drsim.metrics.facts import run_facts
from drsim.metrics.incidents import FaultSpan, Incident, headline_incident, incidents
from drsim.metrics.recovery import recovery_metrics
from drsim.metrics.users import user_recovery_metrics
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario

INCIDENT_PREFIX = "incident."


def incident_key(number: int, name: str) -> str:
    """The flat key of metric ``name`` of incident ``number``: ``incident.<number>.<name>``."""
    return f"{INCIDENT_PREFIX}{number}.{name}"


def _one_incident(records: RunRecords, scenario: Scenario, incident: Incident,
                  baseline_before_s: float) -> dict[str, float]:
    """Every metric of one incident, unprefixed (recovery, users, failback)."""
    run = scenario.run
    facts = incident.facts
    out = recovery_metrics(
        records.requests, facts, run.rto_threshold, run.dns_converged, run.rto_levels,
        run.min_attempts_per_window, incident.observe_end_s, baseline_before_s,
    )
    out["time_to_failback_s"] = facts.failback_s - facts.fault_start_s
    lowest = level_label(min(run.rto_levels))
    restored = (facts.fault_start_s + out[f"rto_{lowest}_s"]
                if out[f"rto_{lowest}_recovered"] == 1.0 else NAN)
    out.update(user_recovery_metrics(records.requests, incident.anchor_s,
                                     incident.observe_end_s, facts.failback_s, restored))
    return out


def rpo_by_incident(writes: pd.DataFrame, found: list[Incident]) -> list[float]:
    """Distinct writes ``stuck`` at each incident's promotion.

    A stuck write belongs to the first incident whose promotion started at or
    after its acknowledgement (incidents without a promotion get 0).
    """
    counts = [0.0] * len(found)
    promoted = [(i, inc.facts.promotion_start_s) for i, inc in enumerate(found)
                if np.isfinite(inc.facts.promotion_start_s)]
    if not promoted or "stuck" not in writes.columns or len(writes) == 0:
        return counts
    keep = one_row_per_write(writes, writes["stuck"].to_numpy(dtype=bool))
    times = writes["time_s"].to_numpy(dtype=np.float64)[keep]
    starts = np.asarray([s for _, s in promoted], dtype=np.float64)
    slot = np.searchsorted(starts, times, side="left")
    for j, n in enumerate(np.bincount(slot[slot < starts.size], minlength=starts.size)):
        counts[promoted[j][0]] = float(n)
    return counts


def incident_metrics(
    records: RunRecords, scenario: Scenario, found: list[Incident] | None = None
) -> dict[str, float]:
    """Per-incident keys and the headline incident's recovery metrics.

    Args:
        records: the run's record tables.
        scenario: the scenario that produced them.
        found: the run's incidents when already computed (default: computed here).

    Returns:
        The flat keys listed in the module docstring.
    """
    found = incidents(records, scenario) if found is None else found
    out: dict[str, float] = {"incidents": float(len(found))}
    headline = headline_incident(found, scenario)
    rpo = rpo_by_incident(records.writes, found)
    baseline_before = found[0].start_s if found else NAN
    for incident, rpo_writes in zip(found, rpo, strict=True):
        values = _one_incident(records, scenario, incident, baseline_before)
        if incident is headline:
            out["headline_incident"] = float(incident.number)
            out.update(values)
        shown = {
            "start_s": incident.start_s, "end_s": incident.end_s, "anchor_s": incident.anchor_s,
            "faults": float(len(incident.faults)),
            **{k: v for k, v in values.items() if not k.startswith("never_recovered_users.")
               and k != "sign_in_users_after_fault"},
            "rpo_writes": rpo_writes,
        }
        out.update({incident_key(incident.number, k): v for k, v in shown.items()})
    if headline is None:
        out["headline_incident"] = NAN
        out.update(_one_incident(records, scenario, _no_incident(records, scenario), NAN))
    return out


def _no_incident(records: RunRecords, scenario: Scenario) -> Incident:
    """A placeholder incident without a fault: every metric of it is NaN."""
    facts = run_facts(records, scenario)
    none = FaultSpan(-1, "none", None, NAN, NAN)
    return Incident(0, (none,), NAN, NAN, facts.duration_s, none, None, facts)
