"""The public Python API: load a DR scenario, run its replications, read the answers.

It mirrors ``drsim run`` for notebooks and scripts::

    import drsim
    scenario = drsim.load("scenarios/cognito-active-passive.yaml", ["users.population=2000"])
    out = drsim.run(scenario, reps=3, seed=7)
    print(out.summary["metrics"]["failed_logins"])     # mean, ci95, per_replication
    out.records(0).requests.groupby("outcome").size()  # pandas tables of replication 0

A run is a set of independent replications of one scenario (seeds spawned
from ``run.seed``); each replication's metrics are summarised as a mean with a
95 % Student-t confidence interval. Failed replications never raise: they are
reported in :attr:`RunOutput.failed` and in the saved manifest.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from drsim.experiment.runner import RunResult, run_one
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario

__all__ = ["RunOutput", "load", "run"]


def load(path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file.

    Args:
        path: A scenario YAML file (it may ``extends:`` another).
        overrides: ``"PATH=VALUE"`` strings, as ``--set`` on the command line,
            e.g. ``"dns.ttl=20s"`` or ``"users.population=2000"``.

    Returns:
        The frozen, validated :class:`~drsim.scenario.schema.Scenario`.

    Raises:
        drsim.scenario.ScenarioError: The file or an override is invalid; the
            message says ``FILE:LINE: key.path: expected …, got …``.
    """
    from drsim.scenario import load_scenario

    return load_scenario(path, list(overrides))


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

    def save(self, directory: str | os.PathLike[str], charts: bool = True) -> Path:
        """Write the run directory (manifest, summary, records, timeline, charts).

        See :mod:`drsim.output` for the files. Returns the directory.
        """
        from drsim.output import write_run

        return write_run(self, directory, charts=charts)


def summary_dict(scenario: Scenario, results: Sequence[RunResult]) -> dict[str, Any]:
    """The summary of a run from its replications' results (JSON-able, NaN → None)."""
    from drsim.metrics import summarise
    from drsim.output import jsonable

    ok = [r.metrics for r in results if r.status == "ok"]
    metrics = summarise(ok) if ok else {}
    return jsonable(
        {
            "scenario": scenario.name,
            "seed": int(scenario.run.seed),
            "replications": int(scenario.run.replications),
            "metrics": {name: metrics[name] for name in sorted(metrics)},
        }
    )


def run(
    scenario: Scenario | str | os.PathLike[str],
    reps: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    keep_records: bool = True,
    progress: bool = False,
    *,
    on_result: Callable[[RunResult], None] | None = None,
    command: Sequence[str] | None = None,
) -> RunOutput:
    """Run a scenario's replications and summarise them.

    Args:
        scenario: A loaded scenario, or a path to a scenario file.
        reps: Number of replications (default ``run.replications``).
        seed: Root seed (default ``run.seed``); replication seeds are spawned
            from it, so the same scenario and seed give the same numbers.
        jobs: Worker processes (1 runs in this process; None: every usable
            core, at most one per replication). Workers are started
            with ``forkserver``: in a script, call ``run`` under
            ``if __name__ == "__main__":`` (notebooks need nothing).
        keep_records: Keep every replication's record tables (memory: about
            100 bytes per request).
        progress: Show a progress bar over replications on stderr.
        on_result: Called with each replication's result as it finishes
            (e.g. to report a failure at once).
        command: The command line, recorded in the manifest.

    Returns:
        A :class:`RunOutput`; failed replications are in ``.failed``, never raised.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    scenario = with_run_settings(scenario, reps, seed)
    if jobs is None:
        from drsim.experiment.executors import usable_cores

        jobs = usable_cores()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs: expected a whole number ≥ 1, got {jobs!r}")
    n = scenario.run.replications
    started_utc = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.perf_counter()

    from tqdm import tqdm

    bar = tqdm(
        total=n,
        desc=scenario.name,
        unit="rep",
        file=sys.stderr,
        disable=not progress,
        leave=False,
        dynamic_ncols=True,
    )
    results: list[RunResult] = []

    def finished(result: RunResult) -> None:
        results.append(result)
        bar.update(1)
        if on_result is not None:
            on_result(result)

    try:
        if jobs == 1 or n == 1:
            for rep in range(n):
                finished(run_one(scenario, rep, keep_records))
        else:
            from drsim.experiment.executors import open_executor

            with open_executor(jobs, tasks=n) as handle:
                pool = handle.executor
                futures = {
                    pool.submit(run_one, scenario, rep, keep_records): rep for rep in range(n)
                }
                for future in as_completed(futures):
                    finished(_result_of(future, futures[future]))
    finally:
        bar.close()

    results.sort(key=lambda r: r.replication)
    return RunOutput(
        scenario=scenario,
        results=results,
        summary=summary_dict(scenario, results),
        wall_s=time.perf_counter() - started,
        started_utc=started_utc,
        command=command,
    )


def _result_of(future: Any, rep: int) -> RunResult:
    """A future's RunResult; a worker that died becomes a failed replication."""
    try:
        return future.result()
    except Exception as exc:  # e.g. BrokenProcessPool: still a result, never a crash
        return RunResult(replication=rep, status="failed", error=f"{type(exc).__name__}: {exc}")
