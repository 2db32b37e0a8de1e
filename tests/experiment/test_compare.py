"""Design comparisons: common random numbers, paired differences, outputs."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from drsim.experiment.compare import load_designs, run_compare, write_compare
from drsim.experiment.errors import SweepError

TINY = [
    "users.population=2000", "run.duration=10m", "faults.0.start=2m", "faults.0.duration=5m",
    "traffic.sign_in=2/s", "traffic.refresh=4/s", "traffic.profile_read=1/s",
    "traffic.federated_sign_in=0.2/s", "traffic.sign_up=0.1/s", "traffic.profile_update=0.2/s",
    "traffic.sign_out=0.1/s", "attackers.0.rate=2/s", "attackers.0.targets=50",
]
"""The shipped reference designs at a tiny scale: 2000 users, 10 minutes, a 5-minute outage,
a credential stuffer on 50 accounts."""


def test_a_design_against_itself_differs_by_exactly_zero():
    designs = load_designs(["cognito-active-passive", "cognito-active-passive"], TINY)
    assert [d.label for d in designs] == ["cognito-active-passive", "cognito-active-passive#2"]
    comparison = run_compare(designs, 3, jobs=1)
    (diffs,) = comparison.differences()
    assert diffs, "no metrics compared"
    for metric, entry in diffs.items():
        if entry["n"] == 0:  # NaN in every replication (e.g. a metric with no events)
            continue
        assert entry["mean"] == 0.0, metric
        assert entry["ci95"] == [0.0, 0.0], metric
    assert diffs["failed_logins"]["n"] == 3


def test_common_random_numbers_make_the_paired_interval_narrower():
    designs = load_designs(["cognito-active-passive", "global-lockout"], TINY)
    comparison = run_compare(designs, 4, jobs=1)
    (diffs,) = comparison.differences()
    estimates = comparison.estimates()
    # the designs differ: a global counter removes the extra guesses of per-region counters
    assert estimates[0]["lockout_extra_guesses"]["mean"] > 0
    assert estimates[1]["lockout_extra_guesses"]["mean"] == 0
    entry = diffs["failed_logins"]
    paired = entry["ci95"][1] - entry["ci95"][0]
    unpaired = entry["ci95_unpaired"][1] - entry["ci95_unpaired"][0]
    assert 0 < paired < unpaired / 3
    base = estimates[0]["failed_logins"]["per_replication"]
    other = estimates[1]["failed_logins"]["per_replication"]
    assert entry["per_replication"] == [b - a for a, b in zip(base, other, strict=True)]
    assert entry["mean"] == pytest.approx(
        estimates[1]["failed_logins"]["mean"] - estimates[0]["failed_logins"]["mean"])


def test_outputs_are_written_and_failed_runs_are_left_out(tmp_path, monkeypatch):
    import drsim.model

    real = drsim.model.simulate

    def simulate(scenario, replication=0):
        if scenario.name == "global-lockout" and replication == 1:
            raise RuntimeError("boom")
        return real(scenario, replication)

    monkeypatch.setattr(drsim.model, "simulate", simulate)
    designs = load_designs(["cognito-active-passive", "global-lockout"], TINY)
    comparison = run_compare(designs, 3, jobs=1)
    written = write_compare(comparison, tmp_path)
    assert {p.name for p in written} == {"compare.json", "compare.parquet", "compare.csv",
                                         "cognito-active-passive.yaml", "global-lockout.yaml"}
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["baseline"] == "cognito-active-passive" and data["replications"] == 3
    assert data["common_random_numbers"] is True
    assert [d["runs_ok"] for d in data["designs"]] == [3, 2]
    assert data["failures"][0]["design"] == "global-lockout"
    assert data["failures"][0]["replication"] == 1
    assert data["differences"][0]["metrics"]["failed_logins"]["n"] == 2
    runs = pd.read_parquet(tmp_path / "compare.parquet")
    assert len(runs) == 6
    assert runs.columns[:6].tolist() == ["design", "file", "replication", "status", "error",
                                         "wall_s"]
    assert runs["status"].tolist().count("failed") == 1
    assert math.isnan(runs[runs["status"] == "failed"]["failed_logins"].iloc[0])


def test_compare_needs_two_valid_designs():
    with pytest.raises(SweepError, match="at least two"):
        load_designs(["cognito-active-passive"])
    with pytest.raises(SweepError, match="dns.ttl"):
        load_designs(["cognito-active-passive", "global-lockout"], ["dns.ttl=sixty"])
