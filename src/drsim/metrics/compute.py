"""One run's record tables → the flat dictionary of headline metrics.

:func:`compute_metrics` is the entry point the run command and the
experiments call per replication; every value is a float in the unit its name
says (``_s`` seconds, ``_usd`` US dollars, fractions in 0..1, plain names are
counts). NaN means "undefined for this run" (e.g. ``rto_s`` without a fault or
without sign-ins to judge, ``staleness_p99_s`` without a stale read) and
:func:`~drsim.metrics.notes.metric_notes` says why; 0 means truly zero.
"""

from __future__ import annotations

from drsim.metrics.availability import availability_metrics
from drsim.metrics.corruption import corruption_metrics
from drsim.metrics.cost import cost_metrics
from drsim.metrics.dependencies import dependency_metrics
from drsim.metrics.exposure import exposure_metrics
from drsim.metrics.facts import run_facts
from drsim.metrics.failures import failed_login_metrics, failed_operation_metrics
from drsim.metrics.incident_metrics import incident_metrics
from drsim.metrics.incidents import headline_incident, incidents
from drsim.metrics.lockout import lockout_metrics, reachable_regions
from drsim.metrics.metastable import sustained_overload_metrics
from drsim.metrics.oscillation import oscillation_metrics
from drsim.metrics.overload import models_overload, overload_metrics
from drsim.metrics.people import final_attempt_mask, read_your_writes_metrics, users_failed_metrics
from drsim.metrics.relying import relying_party_metrics
from drsim.metrics.rpo import rpo_metrics
from drsim.metrics.sessions import sessions_disrupted_metrics
from drsim.metrics.splitbrain import split_brain_by_incident, split_brain_metrics
from drsim.metrics.staleness import stale_read_causes, stale_read_metrics
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario


def compute_metrics(records: RunRecords, scenario: Scenario) -> dict[str, float]:
    """All metrics of one replication.

    Args:
        records: the run's record tables.
        scenario: the scenario that produced them.

    Returns:
        A flat ``{name: value}`` dict; the names and their definitions are
        documented in the metric modules (failures, staleness, lockout, exposure,
        sessions, rpo, incident_metrics — recovery and users per incident —,
        availability, cost, people, overload — only when capacity or timeouts are
        modelled —, relying parties — only with a relying_parties section —, dependencies —
        only with a dependencies section). Fault-window
        metrics (``*_during_fault``) use the headline incident's
        window: from its anchor to its last fault's end; the users who could not complete
        a request count from the headline incident's first fault to the end of the run
        (the whole run without a fault).
    """
    req = records.requests
    found = incidents(records, scenario)
    headline = headline_incident(found, scenario)
    facts = headline.facts if headline is not None else run_facts(records, scenario)
    duration = facts.duration_s
    out: dict[str, float] = {}
    out.update(failed_login_metrics(req, scenario.region_names, *facts.fault_window))
    out.update(failed_operation_metrics(req))
    out.update(stale_read_metrics(req))
    out.update(stale_read_causes(req, records.writes, records.events))
    final = final_attempt_mask(req, scenario)
    out.update(read_your_writes_metrics(req, final))
    people_from = headline.start_s if headline is not None else 0.0
    out.update(users_failed_metrics(req, final, scenario, people_from, duration))
    out.update(lockout_metrics(req, records.locks, reachable_regions(scenario), duration))
    out.update(exposure_metrics(req, records.writes, duration))
    sessions = scenario.sessions
    out.update(sessions_disrupted_metrics(
        req, duration - sessions.reauthentication_delay
        if sessions.on_refused_refresh == "sign_in" else None))
    out.update(rpo_metrics(records.writes))
    out.update(incident_metrics(records, scenario, found))
    out.update(availability_metrics(req, facts))
    out.update(cost_metrics(req, scenario, facts.users_created))
    out.update(overload_metrics(records, scenario))
    if models_overload(scenario):
        out.update(sustained_overload_metrics(records, scenario, headline))
    out.update(oscillation_metrics(records.events, scenario.run.duration))
    out.update(relying_party_metrics(records, scenario))
    out.update(dependency_metrics(records, scenario))
    if scenario.failover.detector != "health_checks":
        out.update(split_brain_metrics(records.events, records.writes, scenario.run.duration))
        out.update(split_brain_by_incident(records.events, found, scenario.run.duration))
    out.update(corruption_metrics(records, scenario))
    return {name: float(value) for name, value in out.items()}
