"""Run facts: the timeline of one incident (fault, detection, DNS flip, promotion, failback).

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
from typing import Any

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


def _events_of(events: pd.DataFrame, kind: str) -> pd.DataFrame:
    if events is None or len(events) == 0:
        return events.iloc[0:0] if events is not None else pd.DataFrame()
    rows = events[events["kind"].astype(str).to_numpy() == kind]
    return rows.sort_values("time_s", kind="stable")


def _first_time(rows: pd.DataFrame, after_s: float = -math.inf) -> tuple[float, pd.Series | None]:
    if len(rows) == 0:
        return NAN, None
    after = (
        rows[rows["time_s"].to_numpy(dtype=np.float64) >= after_s] if is_number(after_s) else rows
    )
    if len(after) == 0:
        return NAN, None
    first = after.iloc[0]
    return float(first["time_s"]), first


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
    duration = float(scenario.run.duration)

    fault_rows = _events_of(events, "fault_start")
    ev_fault_start, fault_row = _first_time(fault_rows)

    def fault_start_fallback() -> float:
        if is_number(ev_fault_start):
            return ev_fault_start
        if scenario.faults:
            return float(min(f.start for f in scenario.faults))
        return NAN

    fault_start = as_seconds(_meta_or(meta, ("fault_start_s",), fault_start_fallback))

    def fault_end_fallback() -> float:
        if fault_row is not None:
            ends = _events_of(events, "fault_end")
            if len(ends):
                same = ends[ends["value"].to_numpy(dtype=np.float64) == float(fault_row["value"])]
                t, _ = _first_time(same, ev_fault_start)
                if is_number(t):
                    return t
        if scenario.faults and is_number(fault_start):
            first = min(scenario.faults, key=lambda f: f.start)
            if first.start == fault_start:
                return float(first.start + first.duration)
        return NAN

    fault_end = NAN
    if is_number(fault_start):
        fault_end = as_seconds(_meta_or(meta, ("fault_end_s",), fault_end_fallback))
        if not is_number(fault_end):
            fault_end = duration
        fault_end = min(fault_end, duration)

    detection = as_seconds(
        _meta_or(
            meta,
            ("detection_s",),
            lambda: _first_unhealthy(events, fault_start),
        )
    )

    flip_time, _ = _dns_flip_from_events(events, fault_start)
    dns_flip = as_seconds(_meta_or(meta, ("dns_flip_s",), flip_time))
    dns_region = meta.get("dns_flip_region")
    if dns_region is None and is_number(dns_flip):
        _, dns_region = _dns_flip_from_events(events, dns_flip)

    promo_t, promo_row = _first_time(_events_of(events, "promotion_start"), fault_start)
    promotion_start = as_seconds(_meta_or(meta, ("promotion_start_s",), promo_t))

    writable_t, writable_row = _first_time(_events_of(events, "writable"), promotion_start)
    if not is_number(promotion_start):
        writable_t, writable_row = NAN, None
    writable = as_seconds(_meta_or(meta, ("writable_s", "promotion_end_s"), writable_t))

    if dns_region is None and is_number(dns_flip):
        for row in (writable_row, promo_row):
            if row is not None and str(row["region"]):
                dns_region = str(row["region"])
                break
        else:
            secondaries = [r.name for r in scenario.regions if r.role == "secondary"]
            dns_region = secondaries[0] if secondaries else None

    failback_t, _ = _first_time(_events_of(events, "failback"), fault_start)
    failback = as_seconds(_meta_or(meta, ("failback_s",), failback_t))

    users_created = meta.get("users_created")
    if not is_number(users_created):
        req = records.requests
        sign_ups = legit_mask(req) & op_mask(req, "sign_up") & ok_mask(req)
        users_created = float(np.count_nonzero(sign_ups))

    return RunFacts(
        duration_s=duration,
        fault_start_s=fault_start,
        fault_end_s=fault_end,
        detection_s=detection,
        dns_flip_s=dns_flip,
        dns_flip_region=None if dns_region is None else str(dns_region),
        promotion_start_s=promotion_start,
        writable_s=writable,
        failback_s=failback,
        users_created=float(users_created),
    )


def _first_unhealthy(events: pd.DataFrame, fault_start: float) -> float:
    if not is_number(fault_start):
        return NAN
    health = _events_of(events, "health")
    if len(health) == 0:
        return NAN
    unhealthy = health[health["detail"].astype(str).to_numpy() == "unhealthy"]
    t, _ = _first_time(unhealthy, fault_start)
    return t


def _dns_flip_from_events(events: pd.DataFrame, after_s: float) -> tuple[float, str | None]:
    """First DNS answer change at or after ``after_s``: (time, region answered).

    With several client homes (latency routing) this is the first home to flip.
    """
    if not is_number(after_s):
        return NAN, None
    answers = _events_of(events, "dns_answer")
    if len(answers) == 0:
        return NAN, None
    times = answers["time_s"].to_numpy(dtype=np.float64)
    details = answers["detail"].astype(str).to_numpy()
    before = details[times < after_s]
    current = before[-1] if before.size else None
    for t, d in zip(times[times >= after_s], details[times >= after_s], strict=True):
        if d != current:
            return float(t), str(d)
    return NAN, None
