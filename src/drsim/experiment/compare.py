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
a warning says so. More generally the difference is only the *design's* when
the designs face the same workload (users, clients, traffic, attackers, faults,
run — :mod:`drsim.experiment.scenario_diff`): every differing setting is
listed in ``compare.json`` (``settings``), a differing workload is warned
about, and :func:`apply_workload` (``--same-workload FILE``) runs every design
on one workload.
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
from drsim.experiment.scenario_diff import (
    WORKLOAD_SECTIONS,
    SettingDifference,
    section_kind,
    setting_differences,
    with_workload,
    workload_keys,
)
from drsim.experiment.version import DRSIM_VERSION
from drsim.scenario.schema import Scenario

COMPARE_JSON = "compare.json"
COMPARE_PARQUET = "compare.parquet"
COMPARE_CSV = "compare.csv"
DESIGNS_DIR = "designs"


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


def apply_workload(designs: Sequence[Design], source: str | Path,
                   sets: Sequence[str] = ()) -> list[Design]:
    """Every design on the workload sections of ``source`` (``--same-workload FILE``).

    The workload scenario is loaded with the same ``--set`` overrides as the
    designs; its users, clients, traffic, attackers, faults and run settings
    replace each design's, so paired differences measure the design only.

    Args:
        designs: The loaded designs.
        source: A scenario file or shipped scenario name whose workload to use.
        sets: The comparison's ``--set`` overrides.

    Returns:
        The designs, each with the shared workload.

    Raises:
        ScenarioError: The workload scenario is missing or invalid, or does not
            fit a design (a fault in a region the design lacks), each problem as
            ``FILE:LINE: key.path: message``.
    """
    from drsim.scenario import Problem, ScenarioError, load_scenario

    workload = load_scenario(source, list(sets))
    out, problems = [], []
    for design in designs:
        scenario, found = with_workload(design.scenario, workload)
        for path, message in found:
            in_workload = section_kind(str(path[0])) == "workload"
            file, line = _locate(Path(source) if in_workload else design.file, path)
            problems.append(Problem(file, line, ".".join(str(p) for p in path),
                                    f"{message} (with the workload of {source} "
                                    f"in design {design.label})"))
        out.append(Design(design.label, design.file, scenario))
    if problems:
        raise ScenarioError(problems)
    return out


def _locate(file: Path, path: tuple[Any, ...]) -> tuple[str, int]:
    """Where ``path`` is written in ``file`` (a path or shipped name): the line of the key
    or of its nearest ancestor written there, 0 when there is none."""
    from drsim.scenario import ScenarioError, scenarios_dir
    from drsim.scenario.yamlsource import read_yaml

    shipped = scenarios_dir() / f"{file}.yaml"
    readable = file if file.is_file() or not shipped.is_file() else shipped
    try:
        _data, source_map = read_yaml(readable.read_text(encoding="utf-8"), str(file))
    except (OSError, UnicodeDecodeError, ScenarioError):
        return str(file), 0
    return str(file), source_map.locate(tuple(path))[1]


def reproduce_command(designs: Sequence[Design], files: Sequence[str | Path],
                      sets: Sequence[str], same_workload: str | Path | None,
                      replications: int) -> list[str]:
    """The ``drsim compare`` command that runs this comparison again, result for result.

    The files as given, every ``--set``, ``--same-workload``, the replications,
    and the seed pinned as ``--set run.seed=S`` when every design shares one
    and no override names it (so that editing a file's seed does not change
    the result). Output options (``-o``, ``--jobs``, ``--json`` …) are left out:
    they change no number.
    """
    command = ["drsim", "compare", *(str(f) for f in files)]
    for item in sets:
        command += ["--set", item]
    if same_workload is not None:
        command += ["--same-workload", str(same_workload)]
    seeds = {d.scenario.run.seed for d in designs}
    if len(seeds) == 1 and not any(s.split("=")[0].strip() == "run.seed" for s in sets):
        command += ["--set", f"run.seed={seeds.pop()}"]
    return [*command, "--reps", str(replications)]


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
    command: list[str] | None = None
    same_workload: str | None = None

    def settings(self) -> list[SettingDifference]:
        """Every resolved setting that differs between the designs (design keys first)."""
        return setting_differences([d.scenario for d in self.designs])

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
        labels = [d.label for d in self.designs]
        return {
            "baseline": self.baseline.label,
            "replications": self.replications,
            "common_random_numbers": len({d.scenario.run.seed for d in self.designs}) == 1,
            "drsim_version": DRSIM_VERSION,
            "command": list(self.command) if self.command else None,
            "same_workload": self.same_workload,
            "workload_differs": bool(workload_keys(self.settings())),
            "settings": [d.to_json(labels) for d in self.settings()],
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


def workload_warning(designs: Sequence[Design]) -> str | None:
    """The warning for designs that do not face the same workload, or None when they do."""
    keys = workload_keys(setting_differences([d.scenario for d in designs]))
    if not keys:
        return None
    sections = [s for s in WORKLOAD_SECTIONS if any(k.split(".")[0] == s for k in keys)]
    shown = ", ".join(keys[:12]) + (f" and {len(keys) - 12} more" if len(keys) > 12 else "")
    return (f"the designs differ in their workload ({', '.join(sections)}: {shown}), so each "
            "difference mixes the design with the workload; run every design on one workload "
            "with --same-workload FILE")


def run_compare(
    designs: Sequence[Design],
    replications: int | None = None,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    command: Sequence[str] | None = None,
    same_workload: str | None = None,
) -> Comparison:
    """Run every design for replications ``0 … N−1`` (common random numbers).

    Args:
        designs: The designs; the first is the baseline.
        replications: Replications per design; None uses the baseline's ``run.replications``.
        jobs: Local worker processes (1: in this process; None: all cores).
        scheduler: Dask scheduler address; overrides ``jobs``.
        progress: Show a progress bar on stderr.
        command: The command line that asked for it (recorded in ``compare.json``).
        same_workload: The ``--same-workload`` scenario the designs were given, if any.

    Returns:
        The :class:`Comparison`; failed runs are recorded, never raised.

    Raises:
        SweepError: Bad ``replications``/``jobs`` or an unreachable scheduler.
    """
    reps = designs[0].scenario.run.replications if replications is None else replications
    if reps < 1:
        raise SweepError(f"--reps must be at least 1, got {reps}")
    warnings = [w for w in [workload_warning(designs)] if w]
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
    return Comparison(list(designs), reps, results, warnings,
                      list(command) if command else None, same_workload)


def write_compare(comparison: Comparison, directory: Path) -> list[Path]:
    """Write ``compare.json``, ``compare.parquet``/``.csv`` (one row per design × replication)
    and ``designs/<name>.yaml`` (each design's resolved scenario, as it ran).

    Every file is written atomically; NaN and ±∞ are ``null`` in the JSON
    (:mod:`drsim.experiment.jsondata`). The bar chart is drawn by the report
    layer (:func:`drsim.report.chart_files.write_compare_chart`). Returns the
    paths written.
    """
    from drsim.scenario import resolved_yaml

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    runs = comparison.runs_table()
    return [
        atomic.write_text(directory / COMPARE_JSON, json_text(comparison.to_json())),
        atomic.write_with(directory / COMPARE_PARQUET, lambda p: runs.to_parquet(p, index=False)),
        atomic.write_with(directory / COMPARE_CSV, lambda p: runs.to_csv(p, index=False)),
        *(atomic.write_text(directory / DESIGNS_DIR / f"{d.label}.yaml", resolved_yaml(d.scenario))
          for d in comparison.designs),
    ]
