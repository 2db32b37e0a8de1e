"""One run: a scenario and a replication index in, metrics (and optionally records) out.

This is the unit every executor ships: a plain, picklable function of
``(Scenario, replication)``. Its result never raises — a failed run is a
:class:`RunResult` with ``status == "failed"`` and the error text, so a sweep
goes on (a run never dies silently).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

from drsim.records import RunRecords
from drsim.scenario.schema import Scenario


@dataclass
class RunResult:
    """The outcome of one replication of one scenario."""

    replication: int
    status: str  # "ok" | "failed"
    metrics: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # why a metric is NaN or censored
    records: RunRecords | None = None
    wall_s: float = 0.0
    error: str | None = None


def run_one(scenario: Scenario, replication: int, keep_records: bool = False) -> RunResult:
    """Simulate one replication and compute its metrics.

    Args:
        scenario: The validated scenario.
        replication: Replication index; its random streams derive from
            ``(scenario.run.seed, replication)`` only, never from execution order.
        keep_records: Return the record tables too (large; only for `drsim run`).

    Returns:
        A :class:`RunResult`; failures are captured, not raised.
    """
    started = time.perf_counter()
    try:
        from drsim.metrics import compute_metrics, metric_notes
        from drsim.model import simulate

        records = simulate(scenario, replication)
        metrics = compute_metrics(records, scenario)
        notes = metric_notes(records, scenario, metrics)
    except Exception as exc:  # a failed run is data, not a crash
        return RunResult(
            replication=replication,
            status="failed",
            wall_s=time.perf_counter() - started,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}",
        )
    return RunResult(
        replication=replication,
        status="ok",
        metrics=metrics,
        notes=notes,
        records=records if keep_records else None,
        wall_s=time.perf_counter() - started,
    )
