"""Measurements of one benchmark case, made inside the process that runs it.

A case is one run of the DR model (or of the SimPy floor, or of a sweep);
the harness starts each in a fresh process so that its peak memory is its own.
Here we time the work and count what it did:

* **requests** — request attempts: rows of the ``requests`` table (first
  attempts, retries, attackers' guesses and token replays);
* **events** — request attempts + replication applies (``writes`` rows whose
  change applied at the target, ``applied_s`` not NaN) + control-plane SimPy
  events (every ``env.step`` of the control plane: fault starts/ends, health
  checks, failover steps). The control plane is replayed once more, untimed,
  to count its steps; it is deterministic, so the count is the run's own.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import numpy as np

from drsim.model import simulate
from drsim.model.control import ControlPlane
from drsim.model.streams import Streams
from drsim.scenario.schema import Scenario


def count_control_events(scenario: Scenario, replication: int = 0) -> int:
    """SimPy events the control plane processes in one replication (untimed replay)."""
    plane = ControlPlane(scenario, Streams(scenario.run.seed, replication))
    env = plane.env
    step = env.step
    steps = 0

    def counting_step() -> None:
        nonlocal steps
        steps += 1
        step()

    env.step = counting_step  # type: ignore[method-assign]
    plane.run()
    return steps - 1  # the run's own ``until`` event is not a model event


def measure_model(scenario: Scenario, batch: bool = True, replication: int = 0,
                  repeat: int = 1) -> dict[str, Any]:
    """Run one replication (``repeat`` times) and report its cost and size.

    Args:
        scenario: The workload's scenario.
        batch: ``True`` for the batched core, ``False`` for the one-at-a-time reference.
        replication: Replication index.
        repeat: Runs of the same replication; the best (least) wall and CPU time
            are reported — on a shared machine the least disturbed run.

    Returns:
        ``wall_s`` and ``cpu_s`` of :func:`drsim.model.simulate` (the whole run:
        arrivals, directory, control plane, data plane, tables), best of
        ``repeat`` (every run in ``wall_runs_s`` / ``cpu_runs_s``); ``requests``,
        ``applies``, ``control_events``, ``events``; ``users``, ``sim_s``;
        ``directory_bytes`` (records.meta) and ``records_bytes`` (memory of the
        requests table); ``batch_fallback`` (the batched run was redone one at a time).
    """
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        records = None  # the previous run's tables are freed before the next run
        wall, cpu = time.perf_counter(), time.process_time()
        records = simulate(scenario, replication, batch=batch)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    requests = len(records.requests)
    applies = int(np.count_nonzero(~np.isnan(records.writes["applied_s"].to_numpy())))
    control = count_control_events(scenario, replication)
    return {
        "wall_s": min(walls),
        "cpu_s": min(cpus),
        "wall_runs_s": walls,
        "cpu_runs_s": cpus,
        "repeat": len(walls),
        "requests": requests,
        "applies": applies,
        "control_events": control,
        "events": requests + applies + control,
        "users": scenario.users.population,
        "sim_s": scenario.run.duration,
        "directory_bytes": int(records.meta["directory_bytes"]),
        "records_bytes": int(records.requests.memory_usage(deep=True).sum()),
        "batch_fallback": bool(records.meta.get("batch_fallback", False)),
    }


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The least-CPU run of several one-run measurements, with every run's times."""
    best = min(runs, key=lambda r: r["cpu_s"])
    return {**best, "wall_s": min(r["wall_s"] for r in runs),
            "wall_runs_s": [r["wall_s"] for r in runs], "cpu_runs_s": [r["cpu_s"] for r in runs],
            "repeat": len(runs)}


def measure_baseline(scenario: Scenario) -> dict[str, Any]:
    """Nothing but the imports and a loaded scenario: the memory every case starts from."""
    return {"users": scenario.users.population, "sim_s": scenario.run.duration,
            "self_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
