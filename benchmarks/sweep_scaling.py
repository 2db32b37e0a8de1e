"""Sweep scaling: the same sweep with 1 and with N local worker processes.

A design review sweeps thousands of points, so how a sweep scales with
workers matters as much as one run's speed. The sweep is the experiments
layer's own (:func:`drsim.experiment.sweep.plan_sweep` /
:func:`~drsim.experiment.sweep.run_sweep`, what ``drsim sweep --jobs N``
runs): 8 DNS TTLs × 2 replications of the reference scenario shrunk to
100 k users and 1 h (a few seconds per run), written to a throw-away sweep
directory without charts. Parallel efficiency = T1 / (N × TN). The process's
one-time costs are paid before either is timed (:func:`warm_up`).
"""

from __future__ import annotations

import functools
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from workload import REFERENCE_SCENARIO

from drsim.experiment.design import SweepDesign, parse_param
from drsim.experiment.sweep import SweepRequest, plan_sweep, run_sweep

SWEEP_PARAM = "dns.ttl=10s,20s,30s,60s,90s,120s,300s,600s"
SWEEP_SETS = ("users.population=100k", "run.duration=1h")
SWEEP_REPS = 2
TOY_PARAM = "dns.ttl=30s,60s"
TOY_SETS = ("users.population=2000", "run.duration=10m", "faults.0.start=2m",
            "faults.0.duration=3m", "traffic.refresh=5/s", "traffic.sign_in=2/s",
            "traffic.profile_read=1/s", "attackers.0.rate=0.5/s")
"""A sweep of two ~0.3 s runs: the harness's own tests."""


def sweep_request(param: str = SWEEP_PARAM, sets: tuple[str, ...] = SWEEP_SETS,
                  reps: int = SWEEP_REPS) -> SweepRequest:
    """The benchmark sweep: one swept parameter over the reference scenario."""
    return SweepRequest(scenario=Path(REFERENCE_SCENARIO),
                        design=SweepDesign(params=(parse_param(param),)),
                        sets=tuple(sets), replications=reps)


@functools.cache
def warm_up() -> None:
    """Pay this process's one-time costs before anything is timed, once.

    A toy sweep in this process imports the model, numpy and pandas, runs the
    model once and writes the tables (pyarrow's writers). These costs (≈ 1–2 s)
    come once per process, so otherwise whichever of T1 and TN is measured
    first would carry them: T1 in its first run, or TN before forking its
    workers, which then inherit them.
    """
    with tempfile.TemporaryDirectory(prefix="drsim-bench-warm-") as tmp:
        plan = plan_sweep(sweep_request(TOY_PARAM, TOY_SETS, 1))
        run_sweep(plan, Path(tmp) / "sweep", jobs=1)


def measure_sweep(jobs: int, param: str = SWEEP_PARAM, sets: tuple[str, ...] = SWEEP_SETS,
                  reps: int = SWEEP_REPS) -> dict[str, Any]:
    """Run the benchmark sweep with ``jobs`` local workers into a temporary directory.

    Returns:
        ``wall_s`` of :func:`run_sweep` (worker start-up included; planning and
        :func:`warm_up` excluded), ``busy_s`` (the runs' own wall times added
        up: time the workers spent simulating), ``runs``, ``done``, ``failed``,
        ``points`` and ``jobs``.
    """
    plan = plan_sweep(sweep_request(param, sets, reps))
    warm_up()
    with tempfile.TemporaryDirectory(prefix="drsim-bench-sweep-") as tmp:
        started = time.perf_counter()
        outcome = run_sweep(plan, Path(tmp) / "sweep", jobs=jobs)
        wall = time.perf_counter() - started
    busy = float(outcome.summary["wall_s"].sum()) if "wall_s" in outcome.summary else math.nan
    return {"wall_s": wall, "busy_s": busy, "runs": outcome.total, "done": outcome.done,
            "failed": outcome.failed, "points": len(plan.points), "jobs": jobs,
            "users": plan.base.users.population, "sim_s": plan.base.run.duration}


def parallel_efficiency(t1_s: float, tn_s: float, workers: int) -> float:
    """T1 / (N × TN): 1.0 is perfect scaling."""
    return t1_s / (workers * tn_s)


def efficiency_parts(one: dict[str, Any], many: dict[str, Any]) -> dict[str, float]:
    """Why the efficiency is what it is: T1 / (N × TN) = utilisation × overhead₁ / slowdown.

    * ``slowdown`` — the runs' busy time with N workers ÷ with one: above 1 when
      the N workers do not each get a core (other load on the machine, memory
      bandwidth) — nothing the executor can fix;
    * ``utilisation`` — busy time ÷ (N × TN): the share of the workers' time
      spent simulating (worker start-up, scheduling, the last runs' tail);
    * ``overhead_1`` — T1 ÷ the runs' busy time with one worker (≈ 1).
    """
    n = many["jobs"]
    return {"slowdown": many["busy_s"] / one["busy_s"],
            "utilisation": many["busy_s"] / (n * many["wall_s"]),
            "overhead_1": one["wall_s"] / one["busy_s"]}
