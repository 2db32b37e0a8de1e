"""The committed sweep example over secondary size × retry policy
(``results/examples/retry-x-secondary-size``): its definition still validates against
the scenario language, and a tiny version of it runs end to end in seconds."""

from __future__ import annotations

from pathlib import Path

import yaml

from drsim.experiment.design import SweepDesign, parse_param
from drsim.experiment.sweep import SweepRequest, plan_sweep, request_from_definition, run_sweep

EXAMPLE = Path(__file__).parents[2] / "results" / "examples" / "retry-x-secondary-size"
TINY = ["users.population=2000", "run.duration=5m", "faults.0.start=1m",
        "faults.0.duration=1m", "traffic.bursts.0.start=2m", "traffic.sign_in=5/s",
        "traffic.bursts.0.multiplier=10"]


def _definition() -> SweepRequest:
    document = yaml.safe_load((EXAMPLE / "sweep.yaml").read_text(encoding="utf-8"))
    return request_from_definition(document, None)


def test_the_example_sweep_definition_validates():
    request = _definition()
    assert request.design.paths == ("regions.1.capacity.vcpus", "clients.0.retry.backoff",
                                    "clients.0.retry.budget")
    plan = plan_sweep(request)
    assert len(plan.points) == 5 * 2 * 2
    policies = {(s.clients[0].retry.backoff, s.clients[0].retry.budget is not None)
                for s in plan.scenarios.values()}
    assert policies == {(0.0, False), (0.0, True), (0.1, False), (0.1, True)}
    assert {s.regions[1].capacity.vcpus for s in plan.scenarios.values()} == {3, 6, 7, 8, 9}


def test_a_tiny_version_of_the_example_runs(tmp_path):
    """Two points of the example (no backoff, no budget; backoff and budget) on a tiny
    load: every run completes and the tables carry the tipping metric."""
    request = _definition()
    tiny = SweepRequest(
        scenario=request.scenario,
        design=SweepDesign(params=(parse_param("regions.1.capacity.vcpus=1"),
                                   parse_param("clients.0.retry.budget=null,{}"))),
        sets=(*request.sets, *TINY), replications=1)
    outcome = run_sweep(plan_sweep(tiny), tmp_path / "tiny", jobs=1)
    points = outcome.points
    assert len(points) == 2 and (points["runs_ok"] == 1).all()
    assert {"overload_end_state.mean", "overload_sustained_s.mean",
            "attempts_per_first_attempt.mean"} <= set(points.columns)
