"""Sweeps: one DR design simulated at many parameter points, for the same replications.

A sweep answers "how does the outage cost change with DNS TTL, health-check
interval, lockout scope …". Each point (see :mod:`drsim.experiment.design`)
is a scenario = base scenario + ``--set`` overrides + the point's values,
loaded and validated by the scenario loader exactly like a hand-written one.
Every point × replication is one run.

**Common random numbers.** A run's random streams derive from the scenario
seed and the replication index only (inside the model), never from the point
or from execution order. Replication *r* of every point therefore sees the
same users, arrivals and attacks: differences between points are differences
of the design, not of luck, and results are identical whichever executor ran
them. (Sweep ``run.seed`` itself to get independent streams per point.)

**Never lose work.** Runs are persisted one by one as they finish (see
:mod:`drsim.experiment.store`); re-running the same definition into the same
directory (or ``--resume``) skips finished runs and retries failed ones; a
different definition (base scenario, ``--set`` or swept parameters) in the same
directory is refused, and so is a second sweep while one is writing the directory
(an OS lock, :mod:`drsim.experiment.lock`). The replication count is not part of the definition:
resuming with a larger ``--reps`` adds replications, a smaller one leaves the
extra runs on disk but out of the tables.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from drsim.experiment import atomic
from drsim.experiment.batch import RunTask, run_batch
from drsim.experiment.design import Point, SweepDesign
from drsim.experiment.errors import SweepError
from drsim.experiment.executors import open_executor
from drsim.experiment.lock import SweepLock
from drsim.experiment.runner import RunResult
from drsim.experiment.store import (
    POINTS_CSV,
    POINTS_PARQUET,
    SUMMARY_CSV,
    SUMMARY_PARQUET,
    SweepDefinition,
    SweepStore,
    fingerprint,
)
from drsim.experiment.tables import points_table, summary_table
from drsim.experiment.version import DRSIM_VERSION
from drsim.scenario.schema import Scenario

SUMMARY_FILES = (SUMMARY_PARQUET, SUMMARY_CSV, POINTS_PARQUET, POINTS_CSV)


@dataclass(frozen=True)
class SweepRequest:
    """What to sweep.

    Attributes:
        scenario: The base scenario file.
        design: The varied parameters (grid, zip or Latin hypercube).
        sets: ``PATH=VALUE`` overrides applied to every point (``--set``).
        replications: Replications per point; None uses the scenario's ``run.replications``.
    """

    scenario: Path
    design: SweepDesign
    sets: tuple[str, ...] = ()
    replications: int | None = None


@dataclass
class SweepPlan:
    """A validated sweep: the base scenario, its points and each point's scenario."""

    request: SweepRequest
    base: Scenario
    points: list[Point]
    scenarios: dict[str, Scenario]
    replications: int

    @property
    def identity(self) -> dict[str, Any]:
        """What identifies the sweep: the resolved base scenario and the design."""
        return {
            "base_scenario": self.base.model_dump(mode="json"),
            "design": self.request.design.to_dict(),
        }

    @property
    def total_runs(self) -> int:
        return len(self.points) * self.replications


@dataclass
class SweepOutcome:
    """What one invocation of a sweep did, and the tables it left.

    ``charts`` lists the PNGs written beside the tables by whoever draws them
    (:func:`drsim.report.chart_files.write_sweep_charts`); the experiment
    layer draws none.
    """

    directory: Path
    total: int
    done: int
    failed: int
    skipped: int
    wall_s: float
    summary: pd.DataFrame
    points: pd.DataFrame
    interrupted: bool = False
    charts: list[Path] = field(default_factory=list)

    def final_line(self) -> str:
        """``N runs: D done, F failed, S skipped (already done), wall Xs``."""
        return (
            f"{self.total} runs: {self.done} done, {self.failed} failed, "
            f"{self.skipped} skipped (already done), wall {self.wall_s:.1f}s"
        )


def _load(
    path: Path, overrides: Sequence[str], what: str, own: Sequence[str] = ()
) -> Scenario:
    """Load a point's scenario; a problem becomes one line prefixed with ``what``.

    ``own`` are the point's overrides: the loader labels their problems
    ``--set PATH=VALUE:``, which ``what`` already says better, so that label goes.
    """
    from drsim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path, list(overrides))
    except ScenarioError as exc:
        lines = []
        for line in str(exc).splitlines():
            for item in own:
                if line.startswith(f"--set {item}: "):
                    line = line[len(f"--set {item}: "):]
                    break
            lines.append(line)
        text = "; ".join(lines)
        raise SweepError(f"{what}: {text}" if what else text) from None
    except OSError as exc:
        raise SweepError(f"{path}: cannot read the scenario: {exc.strerror or exc}") from None


def _set_path(item: str) -> str:
    return item.partition("=")[0].strip()


def plan_sweep(request: SweepRequest) -> SweepPlan:
    """Validate a sweep and build every point's scenario.

    Each parameter value is first checked alone (so an error names the
    parameter and the value), then every point as a whole (cross-field checks).

    Raises:
        SweepError: A bad scenario, ``--set``, parameter value, range end or point.
    """
    design = request.design
    base = _load(request.scenario, request.sets, "")
    clashes = sorted({_set_path(s) for s in request.sets} & set(design.paths))
    if clashes:
        raise SweepError(f"--set {clashes[0]} clashes with the swept parameter {clashes[0]}")
    reps = base.run.replications if request.replications is None else request.replications
    if reps < 1:
        raise SweepError(f"--reps must be at least 1, got {reps}")
    for spec in design.params:
        for value in spec.values:
            item = f"{spec.path}={value}"
            _load(request.scenario, [*request.sets, item], f"--param {item}", [item])
    for spec in design.ranges:
        for end in (spec.low, spec.high):
            item = f"{spec.path}={end}"
            _load(request.scenario, [*request.sets, item],
                  f"--range {spec.path}={spec.low}..{spec.high}", [item])
    points = design.expand(base.run.seed)
    scenarios: dict[str, Scenario] = {}
    for point in points:
        scenarios[point.id] = _load(
            request.scenario, [*request.sets, *point.overrides],
            f"point {point.id} ({point.label()})", point.overrides
        )
    return SweepPlan(request, base, points, scenarios, reps)


def request_from_definition(document: dict[str, Any], replications: int | None) -> SweepRequest:
    """The request stored in a sweep directory's ``sweep.yaml`` (for ``--resume``)."""
    try:
        definition = SweepDefinition.from_dict(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise SweepError(f"sweep.yaml is not a drsim sweep definition ({exc})") from None
    return SweepRequest(
        scenario=Path(definition.scenario),
        design=definition.design,
        sets=tuple(definition.sets),
        replications=definition.replications if replications is None else replications,
    )


def _scenario_reference(scenario: Path) -> str:
    """An absolute path for a file, or the name of a shipped scenario as given."""
    path = Path(scenario)
    return str(path.resolve()) if path.exists() else str(scenario)


def _definition(plan: SweepPlan, created: str | None) -> SweepDefinition:
    identity = plan.identity
    return SweepDefinition(
        drsim_version=DRSIM_VERSION,
        created=created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        fingerprint=fingerprint(identity),
        scenario=_scenario_reference(plan.request.scenario),
        sets=list(plan.request.sets),
        design=plan.request.design,
        replications=plan.replications,
        runs=plan.total_runs,
        points=[{"id": p.id, "values": dict(p.values)} for p in plan.points],
        base_scenario=identity["base_scenario"],
    )


def prepare_directory(store: SweepStore, plan: SweepPlan, *, resume: bool) -> None:
    """Check that ``store`` is empty or holds this very sweep; write ``sweep.yaml``.

    Raises:
        SweepError: ``--resume`` with nothing to resume, a directory holding
            other files, or a different sweep definition.
    """
    existing = store.read_definition()
    where = str(store.directory)
    if existing is None:
        if resume:
            raise SweepError(f"--resume: {where} holds no sweep ({store.definition_path.name} "
                             "not found)")
        if store.holds_other_files():
            raise SweepError(f"-o {where}: the directory is not empty and holds no sweep; "
                             "choose a new or empty directory")
        store.directory.mkdir(parents=True, exist_ok=True)
        store.write_definition(_definition(plan, None).to_dict())
        return
    identity = plan.identity
    if existing.get("fingerprint") != fingerprint(identity):
        differs = []
        if existing.get("design") != identity["design"]:
            differs.append("the swept parameters")
        if existing.get("base_scenario") != identity["base_scenario"]:
            differs.append("the base scenario (file or --set)")
        what = " and ".join(differs) or "the definition"
        raise SweepError(f"-o {where} holds a different sweep ({what} differ); "
                         "use another -o DIR to start a new sweep")
    if existing.get("replications") != plan.replications:
        store.write_definition(_definition(plan, existing.get("created")).to_dict())


def write_tables(store: SweepStore, plan: SweepPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(Re)build ``summary`` and ``points`` (parquet and CSV) from the stored runs, atomically."""
    kinds = plan.request.design.kinds
    summary = summary_table(plan.points, kinds, plan.replications, store.load_runs())
    points = points_table(summary, plan.points, kinds)
    out = store.directory
    atomic.write_with(out / SUMMARY_PARQUET, lambda p: summary.to_parquet(p, index=False))
    atomic.write_with(out / SUMMARY_CSV, lambda p: summary.to_csv(p, index=False))
    atomic.write_with(out / POINTS_PARQUET, lambda p: points.to_parquet(p, index=False))
    atomic.write_with(out / POINTS_CSV, lambda p: points.to_csv(p, index=False))
    return summary, points


def _check_target(store: SweepStore, *, resume: bool) -> None:
    """Refuse a directory that cannot take this sweep before anything is written into it."""
    if store.read_definition() is not None:
        return
    where = str(store.directory)
    if resume:
        raise SweepError(f"--resume: {where} holds no sweep ({store.definition_path.name} "
                         "not found)")
    if store.holds_other_files():
        raise SweepError(f"-o {where}: the directory is not empty and holds no sweep; "
                         "choose a new or empty directory")


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def run_sweep(
    plan: SweepPlan,
    directory: Path,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    warn: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Run (or resume) a sweep into ``directory``, holding its lock throughout.

    Args:
        plan: The validated sweep (:func:`plan_sweep`).
        directory: The sweep directory (created if needed).
        jobs: Local worker processes (1: in this process; None: all cores).
        scheduler: Dask scheduler address; overrides ``jobs``.
        resume: Require an existing sweep in ``directory``.
        progress: Show a progress bar on stderr.
        warn: Receives one-line warnings (a stale lock taken over); default
            :func:`warnings.warn`.

    Returns:
        Counts, wall time and the rebuilt tables. On Ctrl-C the tables are
        rebuilt from the runs finished so far and ``interrupted`` is True.

    Raises:
        SweepError: Another sweep is writing ``directory``
            (:class:`~drsim.experiment.lock.SweepLock`); see also
            :func:`prepare_directory` and
            :func:`~drsim.experiment.executors.open_executor`.
    """
    started = time.perf_counter()
    store = SweepStore(directory)
    _check_target(store, resume=resume)
    store.directory.mkdir(parents=True, exist_ok=True)
    with SweepLock(store.directory, warn or _warn):
        prepare_directory(store, plan, resume=resume)
        return _run_locked(plan, store, jobs, scheduler, progress, started)


def _run_locked(plan: SweepPlan, store: SweepStore, jobs: int | None, scheduler: str | None,
                progress: bool, started: float) -> SweepOutcome:
    """The body of :func:`run_sweep`, once the directory is locked and prepared."""
    store.clean_leftovers()
    stored = store.load_runs()
    todo: list[RunTask] = []
    skipped = 0
    for point in plan.points:
        for rep in range(plan.replications):
            record = stored.get((point.id, rep))
            if record is not None and record.get("status") == "ok":
                skipped += 1
            else:
                todo.append(RunTask((point.id, point.values), plan.scenarios[point.id], rep))

    def persist(task: RunTask, result: RunResult) -> None:
        point_id, values = task.key
        result.replication = task.replication
        store.save_run(point_id, dict(values), result)

    done = failed = 0
    interrupted = False
    if todo:
        try:
            with open_executor(jobs, scheduler, tasks=len(todo)) as handle:
                counts = run_batch(
                    todo, handle, persist, total=len(todo), progress=progress, description="sweep"
                )
            done, failed = counts.done, counts.failed
        except KeyboardInterrupt:
            interrupted = True
            now = store.load_runs()
            done = sum(1 for t in todo if now.get((t.key[0], t.replication), {}).get("status")
                       == "ok")
            failed = sum(1 for t in todo if now.get((t.key[0], t.replication), {}).get("status")
                         == "failed")
    summary, points = write_tables(store, plan)
    return SweepOutcome(
        directory=store.directory,
        total=plan.total_runs,
        done=done,
        failed=failed,
        skipped=skipped,
        wall_s=time.perf_counter() - started,
        summary=summary,
        points=points,
        interrupted=interrupted,
    )

