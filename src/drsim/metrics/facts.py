"""Run facts: the timeline of one incident (fault, detection, DNS flip, promotion, failback).

:func:`run_facts` reads the run's *first* fault and what followed it (the
model's meta). The metrics use one :class:`RunFacts` per incident, built by
:mod:`drsim.metrics.incidents` from the events, anchored on the fault that
made the endpoint unhealthy; :func:`run_facts` remains for records without
fault events and for callers that want the first fault's timeline.

RTO and its parts are differences between these instants. They come from
``RunRecords.meta`` (the model writes them); a key the model did not write is
recovered from the ``events`` level table, and the fault window finally from
the scenario's fault schedule.

Meta keys read (seconds of simulated time, ``None`` when it never happened):

- ``fault_start_s`` — start of the first fault;
- ``fault_end_s`` — its end (``None`` with a fault start: it lasts to the end of the run);
- ``detection_s`` — the health check (or operator) declares the region unhealthy;
- ``dns_flip_s`` and ``dns_flip_region`` — the failover record starts answering
  the new region (and which one; without the key, the ``dns_answer`` event at
  the flip names it, else the promoted region, else the first secondary);
- ``promotion_start_s`` — the secondary starts promoting;
- ``writable_s`` (alias ``promotion_end_s``) — the promoted region accepts writes;
- ``failback_s`` — the old primary takes writes again;
- ``users_created`` — users created during the run (sign-ups).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, as_seconds, is_number, legit_mask, ok_mask, op_mask
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario


@dataclass(frozen=True)
class RunFacts:
    """The instants of one run's incident, in simulated seconds (NaN: did not happen)."""

    duration_s: float
    fault_start_s: float
    fault_end_s: float
    detection_s: float
    dns_flip_s: float
    dns_flip_region: str | None
    promotion_start_s: float
    writable_s: float
    failback_s: float
    users_created: float

    @property
    def has_fault(self) -> bool:
        """True when the run had a fault (its window is defined)."""
        return is_number(self.fault_start_s)

    @property
    def fault_window(self) -> tuple[float, float]:
        """``[start, end)`` of the first fault, end clipped to the run (NaN, NaN without one)."""
        return self.fault_start_s, self.fault_end_s


class _Event(NamedTuple):
    """An event row and its time (NaN and None: no such event)."""

    time_s: float
    row: pd.Series | None


_NO_EVENT = _Event(NAN, None)


class _DnsAnswerChange(NamedTuple):
    """When the DNS answer changed and which region it answers now (NaN, None: never)."""

    time_s: float
    region: str | None


class _Promotion(NamedTuple):
    """The secondary's promotion.

    Attributes:
        start_s: When it started promoting (NaN: never).
        writable_s: When the promoted region took writes (NaN: never).
        events: The ``writable`` and ``promotion_start`` event rows, in that order
            (None: no such event); the region they name is the one promoted.
    """

    start_s: float
    writable_s: float
    events: tuple[pd.Series | None, ...]


def _events_of(events: pd.DataFrame, kind: str) -> pd.DataFrame:
    if events is None or len(events) == 0:
        return events.iloc[0:0] if events is not None else pd.DataFrame()
    rows = events[events["kind"].astype(str).to_numpy() == kind]
    return rows.sort_values("time_s", kind="stable")


def _first_event(rows: pd.DataFrame, after_s: float = -math.inf) -> _Event:
    if len(rows) == 0:
        return _NO_EVENT
    after = (
        rows[rows["time_s"].to_numpy(dtype=np.float64) >= after_s] if is_number(after_s) else rows
    )
    if len(after) == 0:
        return _NO_EVENT
    first = after.iloc[0]
    return _Event(float(first["time_s"]), first)


def _meta_or(meta: dict[str, Any], keys: tuple[str, ...], fallback: Any) -> Any:
    for key in keys:
        if key in meta:
            return meta[key]
    return fallback() if callable(fallback) else fallback


def run_facts(records: RunRecords, scenario: Scenario) -> RunFacts:
    """The incident timeline of one run.

    Args:
        records: the run's record tables.
        scenario: the scenario it ran (run duration; fault schedule as last resort).

    Returns:
        A :class:`RunFacts` whose instants are seconds since the start of the run.
        The fault end is clipped to the run duration; a fault without an end lasts
        to the end of the run.
    """
    meta = records.meta or {}
    events = records.events
    fault_start, fault_end = _fault_window(meta, events, scenario)
    promotion = _promotion(meta, events, fault_start)
    dns_flip, dns_region = _dns_flip(meta, events, fault_start, promotion, scenario)
    detection = _meta_or(meta, ("detection_s",), lambda: _first_unhealthy(events, fault_start))
    failback = _first_event(_events_of(events, "failback"), fault_start)
    return RunFacts(
        duration_s=float(scenario.run.duration),
        fault_start_s=fault_start,
        fault_end_s=fault_end,
        detection_s=as_seconds(detection),
        dns_flip_s=dns_flip,
        dns_flip_region=dns_region,
        promotion_start_s=promotion.start_s,
        writable_s=promotion.writable_s,
        failback_s=as_seconds(_meta_or(meta, ("failback_s",), failback.time_s)),
        users_created=_users_created(meta, records.requests),
    )


def _fault_window(
    meta: dict[str, Any], events: pd.DataFrame, scenario: Scenario
) -> tuple[float, float]:
    """``[start, end)`` of the first fault, end clipped to the run (NaN, NaN without a fault).

    Each instant comes from the meta, else the fault events, else the fault schedule.
    """
    first_fault = _first_event(_events_of(events, "fault_start"))

    def start_from_events_or_schedule() -> float:
        if is_number(first_fault.time_s):
            return first_fault.time_s
        if scenario.faults:
            return float(min(f.start for f in scenario.faults))
        return NAN

    start = as_seconds(_meta_or(meta, ("fault_start_s",), start_from_events_or_schedule))
    if not is_number(start):
        return start, NAN
    end = as_seconds(
        _meta_or(meta, ("fault_end_s",), lambda: _fault_end(events, first_fault, start, scenario))
    )
    duration = float(scenario.run.duration)
    return start, min(end if is_number(end) else duration, duration)


def _fault_end(
    events: pd.DataFrame, first_fault: _Event, start_s: float, scenario: Scenario
) -> float:
    """The first fault's end without a meta key: its ``fault_end`` event, else its schedule."""
    if first_fault.row is not None:
        ends = _events_of(events, "fault_end")
        if len(ends):
            fault_id = float(first_fault.row["value"])
            same_fault = ends[ends["value"].to_numpy(dtype=np.float64) == fault_id]
            end = _first_event(same_fault, first_fault.time_s)
            if is_number(end.time_s):
                return end.time_s
    if scenario.faults:
        scheduled = min(scenario.faults, key=lambda f: f.start)
        if scheduled.start == start_s:
            return float(scheduled.start + scheduled.duration)
    return NAN


def _promotion(meta: dict[str, Any], events: pd.DataFrame, fault_start: float) -> _Promotion:
    """Promotion start (first at or after the fault) and the region becoming writable after it."""
    started = _first_event(_events_of(events, "promotion_start"), fault_start)
    start_s = as_seconds(_meta_or(meta, ("promotion_start_s",), started.time_s))
    writable = (
        _first_event(_events_of(events, "writable"), start_s) if is_number(start_s) else _NO_EVENT
    )
    writable_s = as_seconds(_meta_or(meta, ("writable_s", "promotion_end_s"), writable.time_s))
    return _Promotion(start_s, writable_s, (writable.row, started.row))


def _dns_flip(
    meta: dict[str, Any],
    events: pd.DataFrame,
    fault_start: float,
    promotion: _Promotion,
    scenario: Scenario,
) -> tuple[float, str | None]:
    """When the failover record started answering the new region, and which region.

    The region comes from the meta, else the answer at the flip, else the region
    the promotion events name, else the first secondary.
    """
    flip_s = as_seconds(
        _meta_or(meta, ("dns_flip_s",), _dns_flip_from_events(events, fault_start).time_s)
    )
    region = meta.get("dns_flip_region")
    if region is None and is_number(flip_s):
        region = _dns_flip_from_events(events, flip_s).region
    if region is None and is_number(flip_s):
        region = _promoted_region(promotion, scenario)
    return flip_s, None if region is None else str(region)


def _promoted_region(promotion: _Promotion, scenario: Scenario) -> str | None:
    for row in promotion.events:
        if row is not None and str(row["region"]):
            return str(row["region"])
    secondaries = [r.name for r in scenario.regions if r.role == "secondary"]
    return secondaries[0] if secondaries else None


def _users_created(meta: dict[str, Any], requests: pd.DataFrame) -> float:
    """Users created during the run: the meta count, else the successful sign-ups."""
    created = meta.get("users_created")
    if is_number(created):
        return float(created)
    sign_ups = legit_mask(requests) & op_mask(requests, "sign_up") & ok_mask(requests)
    return float(np.count_nonzero(sign_ups))


def _first_unhealthy(events: pd.DataFrame, fault_start: float) -> float:
    if not is_number(fault_start):
        return NAN
    health = _events_of(events, "health")
    if len(health) == 0:
        return NAN
    unhealthy = health[health["detail"].astype(str).to_numpy() == "unhealthy"]
    return _first_event(unhealthy, fault_start).time_s


def _dns_flip_from_events(events: pd.DataFrame, after_s: float) -> _DnsAnswerChange:
    """First DNS answer change at or after ``after_s``: (time, region answered).

    With several client homes (latency routing) this is the first home to flip.
    """
    no_change = _DnsAnswerChange(NAN, None)
    if not is_number(after_s):
        return no_change
    answers = _events_of(events, "dns_answer")
    if len(answers) == 0:
        return no_change
    times = answers["time_s"].to_numpy(dtype=np.float64)
    regions = answers["detail"].astype(str).to_numpy()
    before = regions[times < after_s]
    current = before[-1] if before.size else None
    later = times >= after_s
    for time_s, region in zip(times[later], regions[later], strict=True):
        if region != current:
            return _DnsAnswerChange(float(time_s), str(region))
    return no_change
