"""Benchmark cases, and running each one in a fresh process to read its own peak memory.

A case is a small JSON-able dict (``name``, ``kind`` and the workload's
parameters). :func:`run_case` executes it in this process;
:func:`run_case_isolated` starts ``python harness.py --child CASE`` and reads
the child's resource usage with ``os.wait4`` — ``ru_maxrss`` of that child
alone (``RUSAGE_CHILDREN`` would report the largest child so far, so the
cases would pollute each other).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULT_PREFIX = "BENCH-RESULT "
KINDS = ("baseline", "model", "floor", "side_by_side", "sweep")


def case(name: str, kind: str, **params: Any) -> dict[str, Any]:
    """A case description: ``kind`` is one of :data:`KINDS`."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    return {"name": name, "kind": kind, **params}


def _workload(spec: dict[str, Any]):  # noqa: ANN202 - workload.Workload
    from workload import TARGET_RATE_PER_S, Workload

    return Workload(name=spec["name"], users=int(spec["users"]),
                    rate_per_s=spec.get("rate_per_s", TARGET_RATE_PER_S),
                    sets=tuple(spec.get("sets", ())), utilisation=spec.get("utilisation"))


def run_case(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one case in this process; returns its measurements (see :mod:`measure`)."""
    kind = spec["kind"]
    if kind == "sweep":
        from sweep_scaling import SWEEP_PARAM, SWEEP_REPS, SWEEP_SETS, measure_sweep

        return measure_sweep(int(spec["jobs"]), spec.get("param", SWEEP_PARAM),
                             tuple(spec.get("sets", SWEEP_SETS)), int(spec.get("reps", SWEEP_REPS)))
    from measure import best_of, measure_baseline, measure_model

    if kind == "side_by_side":
        # The parts take turns in one process, so that all meet the same machine: a VM's
        # speed drifts by tens of percent within minutes.
        parts = {name: {**spec, **part} for name, part in spec["parts"].items()}
        loaded = {name: _workload(part).load() for name, part in parts.items()}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in parts}
        for _ in range(max(1, int(spec.get("repeat", 1)))):
            for name, part in parts.items():
                runs[name].append(_floor(loaded[name]) if part["kind"] == "floor" else
                                  measure_model(loaded[name], batch=bool(part.get("batch", True))))
        return {name: best_of(measured) for name, measured in runs.items()}
    scenario = _workload(spec).load()
    if kind == "baseline":
        return measure_baseline(scenario)
    if kind == "floor":
        return _floor(scenario, int(spec.get("repeat", 1)))
    return measure_model(scenario, batch=bool(spec.get("batch", True)),
                         repeat=int(spec.get("repeat", 1)))


def _floor(scenario: Any, repeat: int = 1) -> dict[str, Any]:
    """The SimPy floor of a workload (:func:`simpy_floor.measure_floor`), with its size."""
    from simpy_floor import measure_floor

    result = measure_floor(scenario, repeat=repeat)
    return {**result, "users": scenario.users.population, "sim_s": scenario.run.duration}


def side_by_side(name: str, parts: dict[str, dict[str, Any]], **params: Any) -> dict[str, Any]:
    """A case whose parts (cases by name: their own ``kind`` and parameters over ``params``)
    take turns in one process, ``repeat`` times; each part is reported as its own case."""
    return case(name, "side_by_side", parts=parts, **params)


def split_side_by_side(spec: dict[str, Any], result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A ``side_by_side`` case's result as one result per part, by part name (with the
    names of the others, ``turns_with``); a failed case stays one result under its name."""
    if result.get("status") != "ok":
        return {spec["name"]: result}
    common = {k: v for k, v in spec.items() if k != "parts"}
    return {name: {**common, **part, "name": name, **result[name],
                   "turns_with": [other for other in spec["parts"] if other != name],
                   "status": "ok", "process_wall_s": result["process_wall_s"],
                   "peak_rss_bytes": result["peak_rss"][name],
                   "peak_rss_side_by_side_bytes": result["peak_rss_bytes"]}
            for name, part in spec["parts"].items()}


def child_main(text: str) -> int:
    """Entry point of a case's process: run it, print one result line."""
    result = run_case(json.loads(text))
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def run_case_isolated(spec: dict[str, Any], python: str | None = None) -> dict[str, Any]:
    """Run one case in a fresh process.

    Returns:
        The case's measurements plus ``peak_rss_bytes`` (the child's
        ``ru_maxrss``), ``process_wall_s`` (start-up and imports included) and
        ``status`` (``"ok"``, or ``"failed"`` with ``error``): a failed case is
        reported, never raised. A model case timed over several runs is run once
        more, alone in a fresh process, for its peak RSS: back-to-back runs in
        one process leave the heap fragmented, which is not one run's cost.
    """
    command = [python or sys.executable, str(HERE / "harness.py"), "--child", json.dumps(spec)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE)
    assert child.stdout is not None
    output = child.stdout.read()
    child.stdout.close()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    result: dict[str, Any] = {"process_wall_s": time.perf_counter() - started,
                              "peak_rss_bytes": usage.ru_maxrss * 1024}
    lines = [line for line in output.splitlines() if line.startswith(RESULT_PREFIX)]
    if child.returncode != 0 or not lines:
        tail = output.strip().splitlines()[-3:]
        return {**spec, **result, "status": "failed",
                "error": f"exit code {child.returncode}; {' | '.join(tail) or 'no output'}"}
    measured = {**spec, **json.loads(lines[-1][len(RESULT_PREFIX):]), **result, "status": "ok"}
    if spec.get("kind") == "side_by_side":  # each part's peak memory: a run alone
        common = {k: v for k, v in spec.items() if k != "parts"}
        measured["peak_rss"] = {
            name: run_case_isolated({**common, **part, "name": name, "repeat": 1}, python).get(
                "peak_rss_bytes", float("nan"))
            for name, part in spec["parts"].items()}
    if spec.get("kind") == "model" and int(spec.get("repeat", 1)) > 1:
        single = run_case_isolated({**spec, "repeat": 1}, python)
        if single["status"] == "ok":
            measured["peak_rss_repeated_bytes"] = measured["peak_rss_bytes"]
            measured["peak_rss_bytes"] = single["peak_rss_bytes"]
    return measured
