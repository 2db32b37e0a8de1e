"""A run: one DR scenario's replications, summarised — what ``drsim run`` and :func:`drsim.run` do.

This is the one run loop of drsim: every replication is a
:class:`~drsim.experiment.batch.RunTask` executed by
:func:`~drsim.experiment.batch.run_batch`, exactly like the runs of a sweep
or a comparison, so a replication that fails (an exception in the model, a
worker process that dies, a task that cannot be shipped) is recorded the same
way everywhere: a :class:`~drsim.experiment.runner.RunResult` with status
``failed`` and the error text, never an exception.

A run is a set of independent replications (seeds spawned from
``run.seed``); each metric is summarised as a mean with a 95 % confidence
interval of its kind (:mod:`drsim.metrics.confidence`) over the successful
replications.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Self

import pandas as pd

from drsim.experiment.batch import RunTask, run_batch
from drsim.experiment.executors import open_executor, usable_cores
from drsim.experiment.jsondata import FLOAT_DIGITS, jsonable
from drsim.experiment.runner import RunResult
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario

KEEP_RECORDS = (True, False, "first")
"""Whose record tables a run keeps: every replication's, none, or replication 0's only."""


def with_run_settings(
    scenario: Scenario, reps: int | None = None, seed: int | None = None
) -> Scenario:
    """The scenario with ``run.replications`` / ``run.seed`` replaced (None keeps them).

    Raises:
        ValueError: ``reps`` < 1 or > 10 000, or ``seed`` < 0.
    """
    update: dict[str, Any] = {}
    if reps is not None:
        if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= 10_000:
            raise ValueError(f"reps: expected a whole number from 1 to 10000, got {reps!r}")
        update["replications"] = reps
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed: expected a whole number ≥ 0, got {seed!r}")
        update["seed"] = seed
    if not update:
        return scenario
    return scenario.model_copy(update={"run": scenario.run.model_copy(update=update)})


@dataclass
class RunOutput:
    """The result of running one scenario's replications.

    Attributes:
        scenario: The scenario as run (seed and replications applied).
        results: One :class:`~drsim.experiment.runner.RunResult` per
            replication, in replication order.
        summary: The JSON-able summary (the content of ``summary.json`` and
            of ``drsim run --json``): ``{"scenario", "seed", "replications",
            "metrics": {METRIC: {"mean", "ci95": [lo, hi], "per_replication"}}}``,
            NaN as None. Only successful replications enter the metrics.
        wall_s: Wall-clock time of the whole run (s).
        started_utc: When the run started (ISO 8601, UTC).
        command: The command line that produced it, if any (for the manifest).
    """

    scenario: Scenario
    results: list[RunResult]
    summary: dict[str, Any]
    wall_s: float = 0.0
    started_utc: str = ""
    command: Sequence[str] | None = None
    _per_rep: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def of(cls, output: RunOutput) -> Self:
        """The same run as an instance of ``cls`` (a subclass that adds behaviour)."""
        return cls(**{f.name: getattr(output, f.name) for f in fields(output)})

    @property
    def ok(self) -> bool:
        """True when every replication succeeded."""
        return all(r.status == "ok" for r in self.results)

    @property
    def failed(self) -> list[RunResult]:
        """The failed replications (with their error text)."""
        return [r for r in self.results if r.status != "ok"]

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        """``summary["metrics"]``: per metric its mean, ci95 and per-replication values."""
        return self.summary["metrics"]

    @property
    def per_replication(self) -> pd.DataFrame:
        """One row per replication (index ``replication``), one column per metric.

        Failed replications are rows of NaN; a ``status`` column says which.
        """
        if self._per_rep is None:
            rows = {r.replication: {"status": r.status, **r.metrics} for r in self.results}
            frame = pd.DataFrame.from_dict(rows, orient="index")
            frame.index.name = "replication"
            metric_cols = sorted(c for c in frame.columns if c != "status")
            self._per_rep = frame[["status", *metric_cols]]
        return self._per_rep

    def records(self, rep: int = 0) -> RunRecords:
        """The record tables of replication ``rep`` (pandas DataFrames).

        Raises:
            KeyError: The replication's records were not kept (``keep_records``)
                or the replication failed.
        """
        for result in self.results:
            if result.replication == rep:
                if result.records is None:
                    why = result.error if result.status != "ok" else "keep_records was off"
                    raise KeyError(f"no records for replication {rep}: {why}")
                return result.records
        raise KeyError(f"no replication {rep} (replications: 0..{len(self.results) - 1})")


def summary_dict(scenario: Scenario, results: Sequence[RunResult]) -> dict[str, Any]:
    """The summary of a run from its replications' results (JSON-able, NaN → None)."""
    from drsim.metrics import summarise

    ok = [r.metrics for r in results if r.status == "ok"]
    metrics = summarise(ok) if ok else {}
    return jsonable(
        {
            "scenario": scenario.name,
            "seed": int(scenario.run.seed),
            "replications": int(scenario.run.replications),
            "metrics": {name: metrics[name] for name in sorted(metrics)},
        },
        digits=FLOAT_DIGITS,
    )


def run_replications(
    scenario: Scenario,
    jobs: int | None = 1,
    keep_records: bool | str = True,
    progress: bool = False,
    *,
    on_result: Callable[[RunResult], None] | None = None,
    command: Sequence[str] | None = None,
) -> RunOutput:
    """Run ``scenario``'s ``run.replications`` replications and summarise them.

    Args:
        scenario: The validated scenario (seed and replications as wanted).
        jobs: Worker processes (1 runs in this process; None: every usable
            core, at most one per replication); see
            :mod:`drsim.experiment.executors`.
        keep_records: Keep every replication's record tables (``True``), only
            replication 0's (``"first"``), or none (``False``).
        progress: Show a progress bar over replications on stderr.
        on_result: Called with each replication's result as it finishes.
        command: The command line, recorded in the manifest.

    Returns:
        A :class:`RunOutput`; failed replications are in ``.failed``, never raised.

    Raises:
        ValueError: A bad ``jobs`` or ``keep_records``.
    """
    if jobs is None:
        jobs = usable_cores()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs: expected a whole number ≥ 1, got {jobs!r}")
    if keep_records not in KEEP_RECORDS:
        raise ValueError(f"keep_records: expected True, False or 'first', got {keep_records!r}")
    n = scenario.run.replications
    started_utc = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.perf_counter()
    tasks = [RunTask(rep, scenario, rep, keep_records is True or (keep_records == "first"
                                                                  and rep == 0))
             for rep in range(n)]
    results: list[RunResult] = []

    def collect(task: RunTask, result: RunResult) -> None:
        result.replication = task.replication
        results.append(result)
        if on_result is not None:
            on_result(result)

    with open_executor(jobs, tasks=n) as handle:
        run_batch(tasks, handle, collect, total=n, progress=progress, description=scenario.name)
    results.sort(key=lambda r: r.replication)
    return RunOutput(
        scenario=scenario,
        results=results,
        summary=summary_dict(scenario, results),
        wall_s=time.perf_counter() - started,
        started_utc=started_utc,
        command=command,
    )

