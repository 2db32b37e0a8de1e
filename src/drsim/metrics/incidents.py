"""Incidents: a run's faults grouped, each with its own timeline (MODEL.md 8).

**The incident rule.** Every fault is a window ``[start, end)`` (end clipped
to the run; a fault without an end lasts to the end of the run). Faults are
sorted by start and grouped while the next one starts at or before the end of
the group so far (windows that overlap or touch form one incident). An
incident *observes* from its first fault's start until the next incident's
first fault starts (the end of the run for the last one): the recovery
actions its faults cause — the health verdicts, DNS answers, promotion and
failback recorded in that span — are its own.

**The anchor.** An incident's times are measured from the fault that made the
endpoint unhealthy: the first ``unhealthy`` health verdict of the incident
(on the scenario's primary region when there is one, else on any region)
names a region; the anchor is the earliest region outage or gray failure of
that region in the incident still active at the verdict (else the latest one
started before it). Without such a verdict or fault — the operator acted, or
nothing went unhealthy — the anchor is the incident's first fault.

**The headline incident** (the unprefixed keys ``detection_s``, ``rto_s`` …)
is the first incident whose verdict made the primary's endpoint unhealthy,
else the first incident with any unhealthy verdict, else the first incident.

Faults come from the ``fault_start``/``fault_end`` events (their ``value`` is
the fault's index in the scenario's schedule), else from the schedule, else
from ``meta`` (``fault_start_s``/``fault_end_s``: one fault). Records without
fault events and with one incident (hand-built tables) take its timeline from
:func:`~drsim.metrics.facts.run_facts` (meta first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, as_seconds, is_number
from drsim.metrics.facts import (
    _NO_EVENT,
    RunFacts,
    _dns_flip_from_events,
    _events_of,
    _first_event,
    _promoted_region,
    _Promotion,
    run_facts,
)
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario

HEALTH_FAULT_KINDS: tuple[str, ...] = ("region_outage", "gray_failure")
"""Fault kinds that fail a region's health probes (they can make its endpoint unhealthy)."""


@dataclass(frozen=True)
class FaultSpan:
    """One fault of the run: its schedule index, kind, region (None: not one region) and window."""

    index: int
    kind: str
    region: str | None
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Incident:
    """A group of overlapping faults and its timeline.

    Attributes:
        number: 1-based, in order of start.
        faults: the faults grouped, by start.
        start_s: the first fault's start (s).
        end_s: the last end of its faults, clipped to the run (s).
        observe_end_s: the next incident's start, else the run end (s).
        anchor: the fault that made the endpoint unhealthy (see the module).
        verdict_region: the region of the first unhealthy verdict (None: none).
        facts: the timeline, with ``fault_start_s`` = the anchor's start and
            ``fault_end_s`` = the incident's end.
    """

    number: int
    faults: tuple[FaultSpan, ...]
    start_s: float
    end_s: float
    observe_end_s: float
    anchor: FaultSpan
    verdict_region: str | None
    facts: RunFacts

    @property
    def anchor_s(self) -> float:
        """Start of the anchor fault (s)."""
        return self.anchor.start_s


def fault_spans(records: RunRecords, scenario: Scenario) -> list[FaultSpan]:
    """Every fault of the run with its window, by start (see the module for the sources)."""
    duration = float(scenario.run.duration)
    starts = _events_of(records.events, "fault_start")
    if len(starts):
        ends = _events_of(records.events, "fault_end")
        spans = [_span_from_events(row, ends, scenario, duration) for _, row in starts.iterrows()]
    elif scenario.faults:
        spans = [
            _span(i, f.kind, _region_of(f), float(f.start), float(f.start + f.duration), duration)
            for i, f in enumerate(scenario.faults)
        ]
    else:
        meta = records.meta or {}
        start = as_seconds(meta.get("fault_start_s"))
        if not is_number(start):
            return []
        spans = [_span(0, "fault", None, start, as_seconds(meta.get("fault_end_s")), duration)]
    return sorted(spans, key=lambda s: (s.start_s, s.index))


def _region_of(fault: object) -> str | None:
    region = getattr(fault, "region", None)
    return None if region is None else str(region)


def _span(index: int, kind: str, region: str | None, start: float, end: float,
          duration: float) -> FaultSpan:
    end = min(end if is_number(end) else duration, duration)
    return FaultSpan(index, kind, region, start, end)


def _span_from_events(row: pd.Series, ends: pd.DataFrame, scenario: Scenario,
                      duration: float) -> FaultSpan:
    index = int(row["value"])
    start = float(row["time_s"])
    same = ends[ends["value"].to_numpy(dtype=np.float64) == index] if len(ends) else ends
    end = _first_event(same, start).time_s if len(same) else NAN
    scheduled = scenario.faults[index] if 0 <= index < len(scenario.faults) else None
    kind = str(row["detail"]) or (scheduled.kind if scheduled is not None else "fault")
    region = _region_of(scheduled) if scheduled is not None else None
    return _span(index, kind, region, start, end, duration)


def group_faults(spans: list[FaultSpan]) -> list[tuple[FaultSpan, ...]]:
    """Faults whose windows overlap or touch, grouped (input sorted by start)."""
    groups: list[list[FaultSpan]] = []
    end = -np.inf
    for span in spans:
        if groups and span.start_s <= end:
            groups[-1].append(span)
            end = max(end, span.end_s)
        else:
            groups.append([span])
            end = span.end_s
    return [tuple(g) for g in groups]


def incidents(records: RunRecords, scenario: Scenario) -> list[Incident]:
    """The run's incidents, in order of start (empty without a fault).

    Args:
        records: the run's record tables.
        scenario: the scenario that produced them (schedule, primary, run length).

    Returns:
        One :class:`Incident` per group of overlapping faults.
    """
    duration = float(scenario.run.duration)
    groups = group_faults(fault_spans(records, scenario))
    legacy = len(_events_of(records.events, "fault_start")) == 0 and len(groups) == 1
    out = []
    for i, group in enumerate(groups):
        observe_end = groups[i + 1][0].start_s if i + 1 < len(groups) else duration
        if legacy:
            facts = run_facts(records, scenario)
            out.append(Incident(1, group, group[0].start_s, max(f.end_s for f in group),
                                duration, group[0], None, facts))
        else:
            out.append(_incident(i + 1, group, observe_end, records, scenario))
    return out


def _incident(number: int, group: tuple[FaultSpan, ...], observe_end: float,
              records: RunRecords, scenario: Scenario) -> Incident:
    """One incident's timeline from the events in ``[first start, observe_end)``."""
    events = records.events
    start, end = group[0].start_s, max(f.end_s for f in group)
    verdict_s, verdict_region = _first_verdict(events, start, observe_end, scenario)
    anchor = _anchor(group, verdict_s, verdict_region)
    a = anchor.start_s
    promotion = _promotion_in(events, a, observe_end, scenario.failover.promotion_time)
    flip = _dns_flip_from_events(events, a)
    flip_s, flip_region = (flip.time_s, flip.region) if flip.time_s < observe_end else (NAN, None)
    if is_number(flip_s) and flip_region is None:
        flip_region = _promoted_region(promotion, scenario)
    failback = _within(_first_event(_events_of(events, "failback"), a).time_s, observe_end)
    base = run_facts(records, scenario)
    facts = replace(
        base, fault_start_s=a, fault_end_s=end, detection_s=verdict_s, dns_flip_s=flip_s,
        dns_flip_region=flip_region, promotion_start_s=promotion.start_s,
        writable_s=promotion.writable_s, failback_s=failback,
    )
    return Incident(number, group, start, end, observe_end, anchor, verdict_region, facts)


def _within(time_s: float, end_s: float) -> float:
    return time_s if is_number(time_s) and time_s < end_s else NAN


def _first_verdict(events: pd.DataFrame, start_s: float, end_s: float,
                   scenario: Scenario) -> tuple[float, str | None]:
    """First unhealthy verdict in ``[start, end)``: on the primary if any, else on any region.
    Under a heartbeat or an arbiter, its verdict that the primary is lost."""
    if scenario.failover.detector != "health_checks":
        lost = _events_of(events, "detector")
        t = lost["time_s"].to_numpy(dtype=np.float64)
        t = t[(lost["detail"].astype(str).to_numpy() == "lost") & (t >= start_s) & (t < end_s)]
        return (float(t[0]), primary_region(scenario)) if len(t) else (NAN, None)
    health = _events_of(events, "health")
    if len(health) == 0:
        return NAN, None
    t = health["time_s"].to_numpy(dtype=np.float64)
    rows = health[(health["detail"].astype(str).to_numpy() == "unhealthy")
                  & (t >= start_s) & (t < end_s)]
    if len(rows) == 0:
        return NAN, None
    on_primary = rows[rows["region"].astype(str).to_numpy() == primary_region(scenario)]
    first = (on_primary if len(on_primary) else rows).iloc[0]
    return float(first["time_s"]), str(first["region"])


def _anchor(group: tuple[FaultSpan, ...], verdict_s: float, region: str | None) -> FaultSpan:
    """The fault that made ``region`` unhealthy at ``verdict_s`` (the first fault without one)."""
    if region is None:
        return group[0]
    causes = [f for f in group if f.kind in HEALTH_FAULT_KINDS and f.region == region
              and f.start_s <= verdict_s]
    active = [f for f in causes if f.end_s >= verdict_s]
    if active:
        return active[0]
    return causes[-1] if causes else group[0]


def _promotion_in(
    events: pd.DataFrame, after_s: float, end_s: float, promotion_time_s: float
) -> _Promotion:
    """The first promotion started in ``[after, end)`` and when its region became writable.

    Peers (``promotion_start`` with detail ``fenced``) log the fence when it is
    done: the group took writes without the site at the event, the promotion
    time before it.
    """
    started = _first_event(_events_of(events, "promotion_start"), after_s)
    if not (is_number(started.time_s) and started.time_s < end_s):
        return _Promotion(NAN, NAN, (None, None))
    if str(started.row["detail"]) == "fenced":  # type: ignore[index]
        start = started.time_s - float(promotion_time_s)
        return _Promotion(start, started.time_s, (None, None))
    writable = _first_event(_events_of(events, "writable"), started.time_s)
    if writable is _NO_EVENT:
        return _Promotion(started.time_s, NAN, (None, started.row))
    return _Promotion(started.time_s, writable.time_s, (writable.row, started.row))


def primary_region(scenario: Scenario) -> str | None:
    """The scenario's primary region (None with peers)."""
    return next((r.name for r in scenario.regions if r.role == "primary"), None)


def headline_incident(found: list[Incident], scenario: Scenario) -> Incident | None:
    """The incident the unprefixed keys describe (see the module); None without one."""
    unhealthy = [i for i in found if i.verdict_region is not None]
    on_primary = [i for i in unhealthy if i.verdict_region == primary_region(scenario)]
    for candidates in (on_primary, unhealthy, found):
        if candidates:
            return candidates[0]
    return None


def headline_facts(records: RunRecords, scenario: Scenario) -> tuple[RunFacts, int, int]:
    """The headline incident's timeline (``fault_start_s``: its anchor), its number and the
    number of incidents; without an incident, the run's facts and (0, 0)."""
    found = incidents(records, scenario)
    incident = headline_incident(found, scenario)
    if incident is None:
        return run_facts(records, scenario), 0, 0
    return incident.facts, incident.number, len(found)
