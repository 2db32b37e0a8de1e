"""Design comparisons: several DR designs under the same traffic, and what each difference is worth.

``drsim compare A.yaml B.yaml …`` runs every design for the same replication
indices. Because a run's random streams derive from the scenario seed and the
replication index only, replication *r* of every design sees the same users,
arrivals and attacks (**common random numbers**). The difference of a metric
between a design and the first one (the baseline) is then estimated from the
per-replication *paired* differences, whose confidence interval is much
narrower than the one of two independent estimates when the designs react
similarly to the same luck. Both intervals are reported: ``ci95`` (paired)
and ``ci95_unpaired`` (what independent runs would give:
``mean ± √(h_A² + h_B²)`` with ``h`` each design's own CI half-width).

Designs should share ``run.seed`` for common random numbers; when they do not,
a warning says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from drsim.experiment import atomic
from drsim.experiment.batch import RunTask, run_batch
from drsim.experiment.errors import SweepError
from drsim.experiment.executors import open_executor
from drsim.experiment.jsondata import json_text
from drsim.experiment.runner import RunResult
from drsim.scenario.schema import Scenario

COMPARE_JSON = "compare.json"
COMPARE_PARQUET = "compare.parquet"
COMPARE_CSV = "compare.csv"


@dataclass(frozen=True)
class Design:
    """One design of a comparison: a label (unique), its file and its scenario."""

    label: str
    file: Path
    scenario: Scenario


def load_designs(files: Sequence[Path], sets: Sequence[str] = ()) -> list[Design]:
    """Load and validate every design with the same ``--set`` overrides.

    Labels are the scenario names, made unique with ``#2``, ``#3`` when repeated.

    Raises:
        SweepError: Fewer than two designs, or an invalid file or override.
    """
    from drsim.scenario import ScenarioError, load_scenario

    if len(files) < 2:
        raise SweepError("compare needs at least two scenario files (the first is the baseline)")
    designs: list[Design] = []
    seen: dict[str, int] = {}
    for file in files:
        try:
            scenario = load_scenario(file, list(sets))
        except ScenarioError as exc:
            raise SweepError("; ".join(str(exc).splitlines())) from None
        except OSError as exc:
            raise SweepError(f"{file}: cannot read the scenario: {exc.strerror or exc}") from None
        seen[scenario.name] = seen.get(scenario.name, 0) + 1
        label = scenario.name if seen[scenario.name] == 1 else f"{scenario.name}#{seen[scenario.name]}"
        designs.append(Design(label, Path(file), scenario))
    return designs


def _half_width(entry: dict[str, Any]) -> float:
    mean = entry.get("mean")
    hi = (list(entry.get("ci95") or [None, None]) + [None, None])[1]
    if mean is None or hi is None:
        return math.nan
    return float(hi) - float(mean)


def _none_if_nan(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass
class Comparison:
    """The runs of a comparison and the estimates derived from them."""

    designs: list[Design]
    replications: int
    results: dict[tuple[int, int], RunResult]
    warnings: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> Design:
        return self.designs[0]

    def per_replication(self, index: int) -> list[dict[str, float] | None]:
        """Metric dicts of design ``index`` by replication (None for a failed run)."""
        out: list[dict[str, float] | None] = []
        for rep in range(self.replications):
            result = self.results.get((index, rep))
            out.append(result.metrics if result is not None and result.status == "ok" else None)
        return out

    def metric_names(self) -> list[str]:
        """Every metric seen, in first-seen order (design by design, replication by replication)."""
        names: dict[str, None] = {}
        for i in range(len(self.designs)):
            for metrics in self.per_replication(i):
                names.update(dict.fromkeys(metrics or {}))
        return list(names)

    def estimates(self) -> list[dict[str, dict[str, Any]]]:
        """Per design: ``{metric: {"mean", "ci95", "per_replication"}}`` over its successful runs."""
        from drsim.metrics import summarise

        names = self.metric_names()
        out = []
        for i in range(len(self.designs)):
            runs = [m for m in self.per_replication(i) if m is not None]
            summary = summarise(runs)
            out.append({name: summary.get(name, {"mean": None, "ci95": [None, None],
                                                  "per_replication": []}) for name in names})
        return out

    def differences(self) -> list[dict[str, dict[str, Any]]]:
        """Per design after the first: paired difference (design − baseline) of every metric.

        Each entry is :func:`drsim.metrics.paired_difference`'s dict plus
        ``ci95_unpaired``; replications where either run failed or the metric
        is NaN are left out of that metric's pairs.
        """
        from drsim.metrics import paired_difference

        names = self.metric_names()
        estimates = self.estimates()
        base = self.per_replication(0)
        out = []
        for i in range(1, len(self.designs)):
            other = self.per_replication(i)
            diffs: dict[str, dict[str, Any]] = {}
            for name in names:
                a = [math.nan if m is None else float(m.get(name, math.nan)) for m in other]
                b = [math.nan if m is None else float(m.get(name, math.nan)) for m in base]
                entry = paired_difference(a, b)
                half = math.hypot(_half_width(estimates[i][name]), _half_width(estimates[0][name]))
                mean_i, mean_0 = estimates[i][name].get("mean"), estimates[0][name].get("mean")
                if mean_i is None or mean_0 is None or not math.isfinite(half):
                    entry["ci95_unpaired"] = [None, None]
                else:
                    centre = float(mean_i) - float(mean_0)
                    entry["ci95_unpaired"] = [_none_if_nan(centre - half),
                                              _none_if_nan(centre + half)]
                diffs[name] = entry
            out.append(diffs)
        return out

    def failures(self) -> list[dict[str, Any]]:
        """Failed runs: design, replication and error."""
        return [
            {"design": self.designs[i].label, "replication": rep, "error": result.error}
            for (i, rep), result in sorted(self.results.items())
            if result.status != "ok"
        ]

    def to_json(self) -> dict[str, Any]:
        """The comparison as one JSON-ready object (NaN as null)."""
        estimates = self.estimates()
        differences = self.differences()
        designs = []
        for i, design in enumerate(self.designs):
            statuses = [self.results.get((i, r)) for r in range(self.replications)]
            designs.append({
                "name": design.label,
                "scenario": design.scenario.name,
                "file": str(design.file),
                "seed": design.scenario.run.seed,
                "runs_ok": sum(1 for s in statuses if s is not None and s.status == "ok"),
                "runs_failed": sum(1 for s in statuses if s is not None and s.status != "ok"),
                "metrics": estimates[i],
                # The design exactly as run (overrides included): enough to reproduce it.
                "resolved_scenario": design.scenario.model_dump(mode="json"),
            })
        return {
            "baseline": self.baseline.label,
            "replications": self.replications,
            "common_random_numbers": len({d.scenario.run.seed for d in self.designs}) == 1,
            "designs": designs,
            "differences": [
                {"design": self.designs[i + 1].label, "versus": self.baseline.label,
                 "metrics": diffs}
                for i, diffs in enumerate(differences)
            ],
            "failures": self.failures(),
            "warnings": list(self.warnings),
        }

    def runs_table(self) -> pd.DataFrame:
        """One row per design × replication: design, file, replication, status, error,
        wall_s and every metric."""
        names = self.metric_names()
        rows = []
        for i, design in enumerate(self.designs):
            for rep in range(self.replications):
                result = self.results.get((i, rep))
                if result is None:
                    continue
                row: dict[str, Any] = {
                    "design": design.label,
                    "file": str(design.file),
                    "replication": rep,
                    "status": result.status,
                    "error": result.error,
                    "wall_s": float(result.wall_s),
                }
                for name in names:
                    row[name] = float(result.metrics.get(name, math.nan))
                rows.append(row)
        frame = pd.DataFrame(rows, columns=["design", "file", "replication", "status", "error",
                                            "wall_s", *names])
        return frame.astype({"replication": "int64", "wall_s": "float64",
                             **{n: "float64" for n in names}})

    def estimates_table(self) -> pd.DataFrame:
        """Long table ``design, metric, mean, ci95_lo, ci95_hi`` (for the bar chart)."""
        rows = []
        for design, estimates in zip(self.designs, self.estimates(), strict=True):
            for metric, entry in estimates.items():
                lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
                rows.append({
                    "design": design.label,
                    "metric": metric,
                    "mean": math.nan if entry.get("mean") is None else float(entry["mean"]),
                    "ci95_lo": math.nan if lo is None else float(lo),
                    "ci95_hi": math.nan if hi is None else float(hi),
                })
        return pd.DataFrame(rows, columns=["design", "metric", "mean", "ci95_lo", "ci95_hi"])


def run_compare(
    designs: Sequence[Design],
    replications: int | None = None,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> Comparison:
    """Run every design for replications ``0 … N−1`` (common random numbers).

    Args:
        designs: The designs; the first is the baseline.
        replications: Replications per design; None uses the baseline's ``run.replications``.
        jobs: Local worker processes (1: in this process; None: all cores).
        scheduler: Dask scheduler address; overrides ``jobs``.
        progress: Show a progress bar on stderr.

    Returns:
        The :class:`Comparison`; failed runs are recorded, never raised.

    Raises:
        SweepError: Bad ``replications``/``jobs`` or an unreachable scheduler.
    """
    reps = designs[0].scenario.run.replications if replications is None else replications
    if reps < 1:
        raise SweepError(f"--reps must be at least 1, got {reps}")
    warnings = []
    seeds = {d.label: d.scenario.run.seed for d in designs}
    if len(set(seeds.values())) > 1:
        listed = ", ".join(f"{k}: {v}" for k, v in seeds.items())
        warnings.append(f"designs use different run.seed ({listed}): no common random numbers, "
                        "so paired intervals lose their advantage")
    tasks = [RunTask(i, d.scenario, rep) for i, d in enumerate(designs) for rep in range(reps)]
    results: dict[tuple[int, int], RunResult] = {}

    def collect(task: RunTask, result: RunResult) -> None:
        result.replication = task.replication
        results[(int(task.key), task.replication)] = result

    with open_executor(jobs, scheduler, tasks=len(tasks)) as handle:
        run_batch(tasks, handle, collect, total=len(tasks), progress=progress,
                  description="compare")
    return Comparison(list(designs), reps, results, warnings)


def write_compare(comparison: Comparison, directory: Path) -> list[Path]:
    """Write ``compare.json`` and ``compare.parquet``/``.csv`` (one row per design × replication).

    Every file is written atomically; NaN and ±∞ are ``null`` in the JSON
    (:mod:`drsim.experiment.jsondata`). The bar chart is drawn by the report
    layer (:func:`drsim.report.chart_files.write_compare_chart`). Returns the
    paths written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    runs = comparison.runs_table()
    return [
        atomic.write_text(directory / COMPARE_JSON, json_text(comparison.to_json())),
        atomic.write_with(directory / COMPARE_PARQUET, lambda p: runs.to_parquet(p, index=False)),
        atomic.write_with(directory / COMPARE_CSV, lambda p: runs.to_csv(p, index=False)),
    ]
