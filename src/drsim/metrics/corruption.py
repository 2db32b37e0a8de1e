"""Replicated corruption and the restore from backups (issue 18).

A corruption fault's bad write replicates like any write (``drsim.model.corruption``);
these metrics say how far it went, how long bad data was served, and what the restore
from a point-in-time backup cost. The model writes the plan's instants and the
restore's counts into the run's ``meta``; the requests and writes tables give the rest.
Reported only when the scenario has a corruption fault.
"""

from __future__ import annotations

import math

import numpy as np

from drsim.metrics._common import is_number, legit_mask
from drsim.records import RunRecords
from drsim.scenario.schema import Corruption, Scenario

REASONS = {
    "restore_rpo_s": "no backups in this design (no backups section): nothing to restore from",
    "corruption_replicated_s": "the bad data reached no other region (not replicated, or "
                               "after the run)",
    "corruption_detection_s": "the corruption is detected only after the run",
    "corruption_exposure_s": "the bad write was refused (its region did not take writes)",
}
"""Why a corruption metric is NaN, in words (``drsim.metrics.notes``)."""


def _meta(records: RunRecords, key: str) -> float:
    value = (records.meta or {}).get(key)
    return float(value) if is_number(value) else math.nan


def corruption_metrics(records: RunRecords, scenario: Scenario) -> dict[str, float]:
    """The corruption fault's reach, exposure and restore.

    Returns (empty without a corruption fault):
        ``corrupted_users`` — users whose profile the bad write corrupted (0 for a
        configuration, or when the write was refused); ``corrupt_reads`` — legitimate
        profile reads that served corrupt data, and ``corrupt_reads_by_region.<region>``;
        ``corruption_affected_users`` — distinct legitimate users with a ``corrupt`` read
        or a ``misconfigured`` sign-in; ``corruption_replicated_s`` — from the bad write
        to its last arrival at another region (the last corrupted profile's record, or the
        configuration's; NaN if it reached none); ``corruption_detection_s`` — bad write
        → detected; ``corruption_exposure_s`` — bad write → restore written back at the
        region taking writes (censored at the run's end, and ``corruption_recovered`` 0,
        when there is no restore in the run); ``restore_rpo_s`` — bad write − the last
        snapshot before it (NaN without backups); ``users_restored`` and
        ``writes_lost_by_restore`` — profile writes of the restored users acknowledged
        between the snapshot and the restore (the bad write aside), whose content the
        restore overwrote (0 before a restore).
    """
    if not any(isinstance(f, Corruption) for f in scenario.faults):
        return {}
    req = records.requests
    legit = legit_mask(req)
    outcome = req["outcome"].astype(str).to_numpy()
    corrupt = legit & (outcome == "corrupt")
    affected = legit & ((outcome == "corrupt") | (outcome == "misconfigured"))
    start = _meta(records, "corruption_start_s")
    restored = _meta(records, "corruption_restored_s")
    refused = _meta(records, "corruption_refused") == 1.0
    detected = _meta(records, "corruption_detected_s")
    end = scenario.run.duration
    out: dict[str, float] = {
        "corrupted_users": _meta(records, "corrupted_users"),
        "corrupt_reads": float(np.count_nonzero(corrupt)),
    }
    region = req["region"].astype(str).to_numpy()
    for name in scenario.region_names:
        out[f"corrupt_reads_by_region.{name}"] = float(np.count_nonzero(corrupt
                                                                        & (region == name)))
    out["corruption_affected_users"] = float(len(np.unique(req["user"].to_numpy()[affected])))
    out["corruption_replicated_s"] = _replicated_s(records, scenario, start)
    out["corruption_detection_s"] = detected - start if detected < end else math.nan
    out["corruption_recovered"] = float(math.isfinite(restored))
    out["corruption_exposure_s"] = (math.nan if refused
                                    else (restored if math.isfinite(restored) else end) - start)
    out["restore_rpo_s"] = start - _meta(records, "backup_snapshot_s")
    out["users_restored"] = _meta(records, "users_restored") if math.isfinite(restored) else 0.0
    out["writes_lost_by_restore"] = (_meta(records, "writes_lost_by_restore")
                                     if math.isfinite(restored) else 0.0)
    return out


def _replicated_s(records: RunRecords, scenario: Scenario, start: float) -> float:
    """From the bad write to its last arrival at another region (NaN: none arrived)."""
    if _meta(records, "corruption_profiles") == 1.0:
        first = _meta(records, "corruption_first_write_id")
        count = _meta(records, "corrupted_users")
        if not (is_number(first) and count > 0):
            return math.nan
        writes = records.writes
        ids = writes["write_id"].to_numpy(dtype=np.int64)
        applied = writes["applied_s"].to_numpy(dtype=np.float64)
        mine = (ids >= first) & (ids < first + count)
        arrived = applied[mine & ~np.isnan(applied)]
        return float(arrived.max()) - start if arrived.size else math.nan
    origin = _meta(records, "corruption_origin")
    others = [_meta(records, f"misconfigured_from_s.{name}")
              for r, name in enumerate(scenario.region_names) if r != origin]
    others = [t for t in others if math.isfinite(t)]
    return max(others) - start if others else math.nan
