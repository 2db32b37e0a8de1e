"""The experiment API: `drsim.compare`, `drsim.sweep` and `drsim.write_report` as functions."""

from __future__ import annotations

import json

import pytest
from tiny_scenario import tiny_scenario

import drsim
from drsim.experiment.errors import SweepError

TINY = tiny_scenario(seed=3, replications=1, attacker=True)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_compare_files_and_loaded_scenarios_and_stores_the_designs(tiny, tmp_path):
    faster = drsim.load(tiny, ["dns.ttl=10s"])
    out = tmp_path / "cmp"
    comparison = drsim.compare([tiny, faster, tiny], reps=1, jobs=1, directory=out,
                               charts=False)
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert [d["name"] for d in data["designs"]] == ["tiny", "tiny#2", "tiny#3"]
    assert data["common_random_numbers"] is True
    # the same design twice: identical runs, so a zero paired difference
    assert data["differences"][1]["metrics"]["failed_logins"]["mean"] == 0.0
    assert comparison.estimates_table()["design"].nunique() == 3
    # each design's resolved scenario is stored, and loads back equal
    assert drsim.load(out / "designs" / "tiny#2.yaml") == faster
    assert drsim.write_report(out).name == "report.html"


def test_compare_refuses_overrides_for_loaded_scenarios(tiny):
    with pytest.raises(SweepError, match="overrides apply to scenario files"):
        drsim.compare([tiny, drsim.load(tiny)], overrides=["dns.ttl=10s"])
    with pytest.raises(SweepError, match="at least two designs"):
        drsim.compare([tiny])


def test_sweep_grid_as_a_function(tiny, tmp_path):
    outcome = drsim.sweep(tiny, {"dns.ttl": ["10s", "120s"], "lockout.scope": "region,global"},
                          reps=1, jobs=1, directory=tmp_path / "sw", charts=False)
    points = outcome.points
    assert list(points["dns.ttl_s"]) == [10.0, 10.0, 120.0, 120.0]
    assert list(points["lockout.scope"]) == ["region", "global", "region", "global"]
    assert (points["runs_ok"] == 1).all()
    # per-region counters give the attacker extra guesses; a global counter none
    extra = points.set_index(["dns.ttl_s", "lockout.scope"])["lockout_extra_guesses.mean"]
    assert (extra.xs("region", level=1) > 0).all()
    assert (extra.xs("global", level=1) == 0).all()
    with pytest.raises(SweepError, match="--param dns.ttl=soon"):
        drsim.sweep(tiny, {"dns.ttl": ["soon"]}, directory=tmp_path / "bad")
