"""`make bench`: how fast drsim simulates a multi-region identity-service outage, on this machine.

Runs, side by side in one invocation, the benchmark cases of issue 6 — each
in a fresh process so that its peak memory is its own — prints one table and
records it in ``benchmarks/RESULTS.md``:

1. the reference workload (the Cognito active-passive scenario at 1 M users,
   2 h around a 30-min primary outage, ≈ 300 legitimate requests/s plus a
   credential-stuffing attacker), batched and one request at a time, and batched
   with capacity on (each region's queue ≈ 50 % busy, clients timing out);
2. the SimPy floor (:mod:`simpy_floor`): the same arrivals, one ``env.timeout``
   each, no model;
3. the ratio of the two in requests per second (the floor and the batched
   references take turns in one process, so that both meet the same machine;
   each one's peak memory comes from a run alone in a fresh process);
4. scale points at 100 k, 1 M and 10 M users (same traffic), and half the traffic
   (taking turns with the full traffic in one process);
5. sweep scaling (:mod:`sweep_scaling`): 8 points × 2 replications on 1 and 2 workers.

Usage::

    python benchmarks/harness.py              # everything (< 10 min on 2 cores)
    python benchmarks/harness.py --quick      # toy sizes: checks the harness in seconds
    python benchmarks/harness.py --profile    # cProfile of the reference workload, top entries
    python benchmarks/harness.py --no-write   # print only, leave RESULTS.md alone
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script or loaded by path: siblings importable
    sys.path.insert(0, str(HERE))

from bench_report import history_row, machine_info, render_report, update_results  # noqa: E402
from cases import (  # noqa: E402
    case,
    child_main,
    run_case_isolated,
    side_by_side,
    split_side_by_side,
)

RESULTS_MD = HERE / "RESULTS.md"
REPEAT = 3
"""Runs per timed case (best kept; 2 for 10 M users, 1 for the slow one-at-a-time reference)."""
PAIRS = 4
"""Turns of the floor and the batched reference, side by side (best of each kept)."""
UTILISATION = 0.5
"""The reference with capacity on: every region sized to serve all the traffic this busy,
clients timing out (issue 17; ``workload.capacity_overrides``)."""


def bench_cases(quick: bool = False, sequential: bool = True) -> list[dict[str, Any]]:
    """The cases of one harness run, in the order they run.

    Args:
        quick: Toy sizes (2 k – 20 k users, 20 simulated minutes, 20 req/s; a
            2-point sweep) — for the harness's own tests.
        sequential: Include the one-at-a-time (``batch=False``) reference run.
    """
    from sweep_scaling import SWEEP_PARAM, SWEEP_REPS, SWEEP_SETS, TOY_PARAM, TOY_SETS
    from workload import TARGET_RATE_PER_S
    from workload import TOY_SETS as TOY_RUN

    if quick:
        rate, sets = 20.0, list(TOY_RUN)
        users = {"small": 2_000, "ref": 5_000, "big": 20_000}
        sweep = {"param": TOY_PARAM, "sets": list(TOY_SETS), "reps": 1}
    else:
        rate, sets = TARGET_RATE_PER_S, []
        users = {"small": 100_000, "ref": 1_000_000, "big": 10_000_000}
        sweep = {"param": SWEEP_PARAM, "sets": list(SWEEP_SETS), "reps": SWEEP_REPS}
    ref = {"users": users["ref"], "rate_per_s": rate, "sets": sets}
    best_of = {"repeat": 1 if quick else REPEAT}
    cases = [
        case("baseline", "baseline", **ref),
        side_by_side("floor+reference", {"floor": {"kind": "floor"},
                                         "reference": {"kind": "model", "batch": True},
                                         "reference-capacity": {
                                             "kind": "model", "utilisation": UTILISATION}},
                     **ref, repeat=1 if quick else PAIRS),
    ]
    if sequential:
        cases.append(case("reference-sequential", "model", batch=False, **ref))
    cases += [
        case("scale-100k", "model", **{**ref, "users": users["small"]}, **best_of),
        case("scale-10M", "model", **{**ref, "users": users["big"]}, repeat=1 if quick else 2),
        side_by_side("full+half-traffic", {"scale-full-traffic": {"kind": "model"},
                                           "scale-half-traffic": {"kind": "model",
                                                                  "rate_per_s": rate / 2}},
                     **ref, **best_of),
        case("sweep-1", "sweep", jobs=1, **sweep),
        case("sweep-2", "sweep", jobs=2, **sweep),
    ]
    return cases


def run_cases(cases: list[dict[str, Any]],
              runner: Callable[[dict[str, Any]], dict[str, Any]] = run_case_isolated,
              log: Callable[[str], None] | None = None) -> dict[str, dict[str, Any]]:
    """Run every case (by default each in a fresh process); results by case name."""
    results: dict[str, dict[str, Any]] = {}
    for spec in cases:
        if log:
            log(f"bench: {spec['name']} …")
        started = time.perf_counter()
        result = runner(spec)
        if spec["kind"] == "side_by_side":
            results.update(split_side_by_side(spec, result))
        else:
            results[spec["name"]] = result
        if log:
            status = result.get("status", "ok")
            log(f"bench: {spec['name']} {status} in {time.perf_counter() - started:.1f} s"
                + (f": {result.get('error')}" if status != "ok" else ""))
    return results


def profile_reference(top: int = 25, users: int = 1_000_000) -> str:
    """cProfile of one batched run of the reference workload: top entries by own and total time."""
    import cProfile
    import io
    import pstats

    from workload import reference

    from drsim.model import simulate

    scenario = reference(users).load()
    profiler = cProfile.Profile()
    profiler.enable()
    simulate(scenario, 0)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Command line of the harness (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes (seconds)")
    parser.add_argument("--no-sequential", action="store_true",
                        help="skip the batch=False reference run")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--results", type=Path, default=RESULTS_MD, help="RESULTS.md to update")
    parser.add_argument("--profile", action="store_true",
                        help="only profile the reference workload (cProfile) and print the top")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child_main(args.child)
    if args.profile:
        print(profile_reference(users=5_000 if args.quick else 1_000_000))
        return 0

    started = time.perf_counter()
    machine = machine_info()
    results = run_cases(bench_cases(args.quick, not args.no_sequential),
                        log=lambda m: print(m, file=sys.stderr, flush=True))
    machine["load_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    block = render_report(results, machine, time.perf_counter() - started)
    print(block)
    if not args.no_write:
        update_results(args.results, block, history_row(results, machine))
        print(f"recorded in {args.results}")
    failed = [name for name, r in results.items() if r.get("status") != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
