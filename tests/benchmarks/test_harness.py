"""The benchmark harness (``make bench``) keeps working: its pieces, run at toy sizes.

No timing is asserted — only that every case measures what it says (requests,
events, memory of its own process), that the SimPy floor consumes exactly the
model's arrival stream, that the workload reaches its target traffic, and that
the table and ``RESULTS.md`` are written as documented.
"""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    """The harness modules, imported from ``benchmarks/`` (not a package)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        names = ("workload", "simpy_floor", "measure", "cases", "sweep_scaling",
                 "bench_report", "harness")
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_workload_scales_every_rate_and_quota_by_one_factor(bench):
    workload = bench["workload"]
    base = workload.Workload("base", users=2_000, rate_per_s=None).load()
    scaled = workload.toy(users=2_000, rate_per_s=20.0).load()
    factor = 20.0 / workload.legit_rate_per_s(base)
    assert workload.legit_rate_per_s(scaled) == pytest.approx(20.0, rel=1e-12)
    assert scaled.traffic.refresh == pytest.approx(base.traffic.refresh * factor, rel=1e-12)
    for name in workload.QUOTA_NAMES:
        for before, after in zip(base.regions, scaled.regions, strict=True):
            assert getattr(after.quotas, name) == pytest.approx(
                getattr(before.quotas, name) * factor, rel=1e-12)
    assert scaled.attackers[0].rate == base.attackers[0].rate  # the attacker is unchanged
    assert scaled.users.population == 2_000
    assert scaled.run.duration == 1200.0


def test_reference_workload_is_300_requests_per_second_for_2_hours(bench):
    scenario = bench["workload"].reference(users=1_000).load()
    assert bench["workload"].legit_rate_per_s(scenario) == pytest.approx(300.0, rel=1e-12)
    assert scenario.run.duration == 7200.0
    assert [(f.kind, f.start, f.duration) for f in scenario.faults] == [
        ("region_outage", 1800.0, 1800.0)]


def test_capacity_workload_keeps_the_serving_region_half_busy(bench):
    """Known answer: vCPUs = offered work ÷ utilisation, so before the outage the primary's
    queue is busy (Σ of its attempts' service times ÷ elapsed time) ≈ 50 % of the time."""
    from drsim.model import simulate
    from drsim.model.capacity import NO_WORK_OUTCOMES, TICKS_PER_S, service_ticks
    from drsim.records import OP_CODE

    workload = bench["workload"]
    toy = workload.toy(users=20_000, rate_per_s=20.0)
    scenario = workload.Workload(toy.name, toy.users, toy.rate_per_s, toy.sets,
                                 utilisation=0.5).load()
    assert scenario.regions[0].capacity.vcpus == pytest.approx(
        workload.offered_work(toy.load()) / 0.5, rel=1e-12)
    assert {k.timeout for k in scenario.clients} == {10.0}
    requests = simulate(scenario, 0).requests
    before = requests[(requests["time_s"] < scenario.faults[0].start)
                      & (requests["region"] == "us-east-1")
                      & ~requests["outcome"].isin(NO_WORK_OUTCOMES)]
    ticks = service_ticks(scenario)[0, before["op"].map(OP_CODE).to_numpy(dtype=int)]
    busy = ticks.sum() / TICKS_PER_S / scenario.faults[0].start
    assert busy == pytest.approx(0.5, rel=0.1)


def test_floor_consumes_exactly_the_model_arrival_stream(bench):
    scenario = bench["workload"].toy().load()
    times = bench["simpy_floor"].arrival_times(scenario)
    result = bench["simpy_floor"].run_floor(times)
    assert result["requests"] == len(times) > 10_000
    assert result["sim_end_s"] == times[-1]


def test_control_plane_events_are_counted_step_by_step(bench):
    # No fault: 2 regions × 16 health checkers, each started once and then probing
    # every 30 s from a phase in [0, 30 s): 40 probes in 20 minutes → 32 × (1 + 40).
    workload = bench["workload"]
    quiet = workload.Workload("quiet", users=2_000, rate_per_s=1.0,
                              sets=(*workload.TOY_SETS[:1], "faults=[]")).load()
    assert bench["measure"].count_control_events(quiet) == 32 * 41


def test_model_case_reports_requests_and_events(bench):
    scenario = bench["workload"].toy().load()
    result = bench["measure"].measure_model(scenario, repeat=2)
    assert result["repeat"] == len(result["cpu_runs_s"]) == 2
    assert result["cpu_s"] == min(result["cpu_runs_s"])
    assert result["requests"] > 10_000
    assert result["applies"] > 0
    assert result["events"] == result["requests"] + result["applies"] + result["control_events"]
    assert result["directory_bytes"] > 50 * scenario.users.population
    assert result["records_bytes"] > 0
    assert result["batch_fallback"] is False
    assert result["wall_s"] > 0 and result["cpu_s"] > 0


def test_isolated_case_reads_its_own_child_memory_and_reports_failures(bench):
    cases = bench["cases"]
    spec = cases.case("floor", "floor", users=2_000, rate_per_s=5.0,
                      sets=list(bench["workload"].TOY_SETS))
    result = cases.run_case_isolated(spec)
    assert result["status"] == "ok", result.get("error")
    assert result["peak_rss_bytes"] > 20 * 1024 * 1024  # an interpreter with numpy loaded
    in_process = cases.run_case(spec)
    assert result["requests"] == in_process["requests"]
    broken = cases.run_case_isolated(cases.case("broken", "model", users=-5))
    assert broken["status"] == "failed" and "exit code" in broken["error"]


def test_side_by_side_case_gives_the_floor_and_the_reference_their_own_figures(bench):
    cases = bench["cases"]
    spec = cases.side_by_side("floor+reference", {"floor": {"kind": "floor"},
                                                  "reference": {"kind": "model"}},
                              users=2_000, rate_per_s=5.0,
                              sets=list(bench["workload"].TOY_SETS), repeat=2)
    results = bench["harness"].run_cases([spec])
    assert sorted(results) == ["floor", "reference"]
    floor, model = results["floor"], results["reference"]
    assert floor["status"] == model["status"] == "ok"
    assert floor["requests"] < model["requests"]  # the floor has no retries
    assert floor["repeat"] == model["repeat"] == len(model["cpu_runs_s"]) == 2
    assert model["turns_with"] == ["floor"] and floor["turns_with"] == ["reference"]
    assert model["cpu_s"] == min(model["cpu_runs_s"]) and model["events"] > model["requests"]
    # Each one's peak memory is a run alone (at toy size mostly the imports), and the two
    # runs together in one process peak at least as high as either.
    assert 20 * 2**20 < floor["peak_rss_bytes"] <= model["peak_rss_bytes"]
    assert model["peak_rss_side_by_side_bytes"] >= model["peak_rss_bytes"] * 0.9
    ratio = (model["requests"] / model["cpu_runs_s"][1]) / (floor["requests"]
                                                         / floor["cpu_runs_s"][1])
    assert bench["bench_report"].turn_ratios(model, floor)[1] == pytest.approx(ratio)


def test_sweep_scaling_runs_the_experiments_sweep(bench):
    sweep = bench["sweep_scaling"]
    result = sweep.measure_sweep(1, sweep.TOY_PARAM, sweep.TOY_SETS, reps=1)
    assert (result["runs"], result["done"], result["failed"], result["points"]) == (2, 2, 0, 2)
    assert 0 < result["busy_s"] <= result["wall_s"]
    assert sweep.parallel_efficiency(30.0, 15.0, 2) == 1.0
    assert sweep.parallel_efficiency(30.0, 20.0, 2) == 0.75


def test_quick_plan_has_every_case_at_toy_size(bench):
    cases = bench["harness"].bench_cases(quick=True)
    names = [c["name"] for c in cases]
    assert names == ["baseline", "floor+reference", "reference-sequential", "scale-100k",
                     "scale-10M", "full+half-traffic", "sweep-1", "sweep-2"]
    assert max(c.get("users", 0) for c in cases) <= 20_000
    full = bench["harness"].bench_cases(quick=False, sequential=False)
    assert [c["users"] for c in full if c["name"].startswith("scale-")] == [
        100_000, 10_000_000]
    traffic = next(c for c in full if c["name"] == "full+half-traffic")
    assert traffic["users"] == 1_000_000 and traffic["parts"]["scale-half-traffic"] == {
        "kind": "model", "rate_per_s": traffic["rate_per_s"] / 2}
    assert "reference-sequential" not in [c["name"] for c in full]
    repeats = {c["name"]: c.get("repeat") for c in full}
    assert repeats["floor+reference"] == 4 and repeats["scale-10M"] == 2


def _fake_results() -> dict:
    def model(users, requests, wall, cpu, rss_mib):
        return {"status": "ok", "users": users, "sim_s": 7200.0, "requests": requests,
                "applies": 10, "control_events": 5, "events": requests + 15, "wall_s": wall,
                "cpu_s": cpu, "peak_rss_bytes": rss_mib * 2**20,
                "directory_bytes": 90 * users, "records_bytes": 30 * requests}

    return {
        "baseline": {"status": "ok", "users": 1_000_000, "sim_s": 7200.0,
                     "peak_rss_bytes": 100 * 2**20},
        "floor": {"status": "ok", "users": 1_000_000, "sim_s": 7200.0, "requests": 2_000_000,
                  "wall_s": 10.0, "cpu_s": 8.0, "peak_rss_bytes": 200 * 2**20},
        "reference": model(1_000_000, 2_000_000, 5.0, 4.0, 400),
        "reference-sequential": model(1_000_000, 2_000_000, 20.0, 16.0, 400),
        "reference-capacity": model(1_000_000, 2_000_000, 6.0, 5.0, 420),
        "scale-100k": model(100_000, 2_000_000, 4.0, 3.0, 200),
        "scale-10M": model(10_000_000, 2_000_000, 8.0, 7.0, 1500),
        "scale-half-traffic": model(1_000_000, 1_000_000, 2.5, 2.0, 300),
        "sweep-1": {"status": "ok", "users": 100_000, "sim_s": 3600.0, "runs": 16, "done": 16,
                    "failed": 0, "points": 8, "jobs": 1, "wall_s": 40.0, "busy_s": 38.0,
                    "peak_rss_bytes": 300 * 2**20},
        "sweep-2": {"status": "ok", "users": 100_000, "sim_s": 3600.0, "runs": 16, "done": 16,
                    "failed": 0, "points": 8, "jobs": 2, "wall_s": 25.0, "busy_s": 45.0,
                    "peak_rss_bytes": 300 * 2**20},
    }


def test_table_ratios_and_goals_from_known_figures(bench):
    report = bench["bench_report"]
    results = _fake_results()
    table = report.render_table(results)
    assert table.count("\n") == 17  # header, rule, 16 rows
    assert "| 2.00× · 2.00× |" in table  # reference 400 k/s ÷ floor 200 k/s (wall), 500 ÷ 250 k
    assert "| 1.67× · 1.60× |" in table  # capacity on: 333 k/s ÷ 200 k/s, 400 k ÷ 250 k
    assert "80%" in table  # 40 / (2 × 25)
    # 1 M users: (400 − 100) MiB over a goal of 200 B × 1 M + 64 B × 2 M
    assert f"300 MiB ÷ {(200e6 + 128e6) / 2**20:,.0f} MiB" in table
    goals = "\n".join(report.goals(results))
    assert "2.00× wall, 2.00× CPU — met" in goals
    assert ("Reference with capacity on (issue 17) ≥ 1.0× the SimPy floor (requests/s): "
            "1.67× wall, 1.60× CPU — met") in goals
    assert "Sweep parallel efficiency ≥ 90 % on 2 workers: 80% — NOT met" in goals
    assert "half the requests (0.50×) cost 0.50× the CPU — met" in goals
    results["scale-full-traffic"] = {**results["reference"], "cpu_s": 3.0,
                                     "cpu_runs_s": [3.0, 3.5]}
    results["scale-half-traffic"].update(cpu_runs_s=[2.0, 1.75], turns_with=["scale-full-traffic"])
    assert ("half the requests (0.50×) cost 0.67× the CPU (each turn: 0.67×, 0.50×) — NOT met"
            in "\n".join(report.goals(results)))
    assert "10 M users fit in 4 GiB: peak RSS 1.46 GiB — met" in goals
    # 80 % = utilisation 45 / (2 × 25) × overhead 40 / 38 ÷ slowdown 45 / 38
    assert "runs took 1.18× as long each on 2 workers" in goals
    assert "the 2 workers were busy 90% of the time" in goals
    assert report.efficiency({"sweep-1": results["sweep-1"]}) != report.efficiency(results)
    assert math.isnan(report.efficiency({"sweep-1": results["sweep-1"]}))


def test_failed_case_is_a_row_not_a_crash(bench):
    report = bench["bench_report"]
    results = _fake_results()
    results["scale-10M"] = {"status": "failed", "error": "exit code -9; killed"}
    table = report.render_table(results)
    assert "FAILED: exit code -9; killed" in table


def test_results_md_keeps_hand_written_text_and_appends_history(bench, tmp_path):
    report = bench["bench_report"]
    path = tmp_path / "RESULTS.md"
    machine = {"date": "2030-01-01 00:00 UTC", "nproc": 2, "cpu": "Test CPU", "python": "3.11",
               "numpy": "2.0", "simpy": "4.1", "pandas": "2.2", "load_start": 0.5,
               "load_end": 1.5}
    results = _fake_results()
    report.update_results(path, report.render_report(results, machine, 99.0),
                          report.history_row(results, machine))
    text = path.read_text()
    text = text.replace("## History", "## Analysis\n\nHand-written.\n\n## History")
    text += "\nTrailing notes.\n"
    path.write_text(text)
    machine["date"] = "2030-01-02 00:00 UTC"
    report.update_results(path, report.render_report(results, machine, 98.0),
                          report.history_row(results, machine))
    text = path.read_text()
    assert text.count(report.LATEST_BEGIN) == 1 and text.count("## Latest run") == 1
    latest = text.split(report.LATEST_BEGIN)[1].split(report.LATEST_END)[0]
    assert "2030-01-02" in latest and "2030-01-01" not in latest
    assert "Hand-written." in text and "Trailing notes." in text
    history = [line for line in text.split(report.HISTORY_MARK)[1].splitlines()
               if line.startswith("| 2030-")]
    assert [line[:12] for line in history] == ["| 2030-01-01", "| 2030-01-02"]
