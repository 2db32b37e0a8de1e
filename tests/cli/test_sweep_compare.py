"""`drsim sweep` and `drsim compare` from the command line: errors for people, outputs, JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from tiny_scenario import tiny_scenario

from drsim.cli import main

TINY_SCENARIO = tiny_scenario(seed=5)

TINY_SETS = [
    "users.population=2000", "run.duration=10m", "faults.0.start=2m", "faults.0.duration=5m",
    "traffic.sign_in=2/s", "traffic.refresh=4/s", "traffic.profile_read=1/s",
    "traffic.federated_sign_in=0.2/s", "traffic.sign_up=0.1/s", "traffic.profile_update=0.2/s",
    "traffic.sign_out=0.1/s", "attackers.0.rate=2/s", "attackers.0.targets=50",
]


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SCENARIO, encoding="utf-8")
    return path


def drsim(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "dns.nosuch=1s,2s"],
         "--param dns.nosuch=1s: dns.nosuch: unknown key 'nosuch'"),
        (["--param", "dns.ttl=30s,sixty"],
         "--param dns.ttl=sixty: dns.ttl: expected a duration such as"),
        (["--param", "dns.ttl="], "--param dns.ttl: empty list of values"),
        (["--param", "dns.ttl=30s,,60s"], "--param dns.ttl: empty value in the list"),
        (["--param", "lockout.scope=region,galactic"],
         "--param lockout.scope=galactic: lockout.scope: expected one of 'region', 'global'"),
        (["--sample", "lhs:4", "--range", "dns.ttl=300s..10s"],
         "--range dns.ttl: low end '300s' must be below high end '10s'"),
        (["--sample", "lhs:4", "--range", "dns.ttl=10s..50%"],
         "--range dns.ttl: '10s' (duration) and '50%' (percent) are not of the same unit"),
        (["--sample", "lhs:4", "--range", "dns.nosuch=1s..5s"],
         "--range dns.nosuch=1s..5s: dns.nosuch: unknown key"),
        (["--sample", "lhs:4"], "--sample needs at least one --range"),
        (["--range", "dns.ttl=1s..5s"], "--range needs --sample"),
        (["--sample", "grid:4", "--range", "dns.ttl=1s..5s"], "--sample 'grid:4'"),
        (["--param", "dns.ttl=1s,2s", "--param", "lockout.scope=region", "--zip"],
         "--zip needs lists of the same length"),
        (["--param", "faults.0.start=1m,20m"],
         "--param faults.0.start=20m: faults.0.start: fault starts after the run ends"),
        (["--param", "dns.ttl=1s,2s", "--set", "dns.ttl=5s"],
         "--set dns.ttl clashes with the swept parameter dns.ttl"),
        (["--param", "dns.ttl=1s", "--set", "dns.ttl=x"], "--set dns.ttl=x: dns.ttl: expected"),
        ([], "nothing to sweep"),
    ],
)
def test_bad_sweep_input_exits_2_with_one_line_naming_the_param(scenario, tmp_path, args,
                                                                 message):
    result = drsim("sweep", scenario, *args, "-o", tmp_path / "out", "--jobs", 1)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("drsim sweep: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing written for a bad definition


def test_missing_scenario_file_exits_2(tmp_path):
    result = drsim("sweep", tmp_path / "nope.yaml", "--param", "dns.ttl=1s")
    assert result.exit_code == 2 and "nope.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_lhs_sweep_respects_units_and_draws_one_point_per_stratum(scenario, tmp_path):
    out = tmp_path / "lhs"
    result = drsim("sweep", scenario, "--sample", "lhs:4", "--range", "dns.ttl=10s..5m",
                   "--range", "lockout.threshold=3..6", "--reps", 1, "--jobs", 1, "-o", out,
                   "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 runs: 4 done, 0 failed, 0 skipped (already done), wall ")
    summary = pd.read_parquet(out / "summary.parquet")
    ttl = summary["dns.ttl_s"].to_numpy()
    assert summary["dns.ttl_s"].dtype == np.float64
    assert sorted(((ttl - 10) // (290 / 4)).astype(int).tolist()) == [0, 1, 2, 3]
    assert str(summary["lockout.threshold"].dtype) == "Int64"  # integers stay integers
    assert sorted(summary["lockout.threshold"].tolist()) == [3, 4, 5, 6]
    assert (out / "sweep_scatter.png").is_file()
    # the stored definition shows the points as overrides with units
    definition = (out / "sweep.yaml").read_text()
    assert "dns.ttl: " in definition and "sample: lhs:4" in definition


def test_one_parameter_sweep_draws_lines_with_ci_bands(scenario, tmp_path):
    out = tmp_path / "lines"
    result = drsim("sweep", scenario, "--param", "health_check.interval=10s,30s", "--reps", 2,
                   "--jobs", 1, "-o", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "sweep_lines.png").stat().st_size > 10_000
    points = pd.read_csv(out / "points.csv")
    assert points["health_check.interval_s"].tolist() == [10.0, 30.0]
    # faster health checks detect the outage sooner
    assert points["detection_s.mean"][0] < points["detection_s.mean"][1]


def test_compare_json_is_exactly_one_object_and_files_are_written(tmp_path):
    out = tmp_path / "cmp"
    args = [x for s in TINY_SETS for x in ("--set", s)]
    result = drsim("compare", "cognito-active-passive", "global-lockout", "--reps", 3,
                   "--jobs", 1, "--json", "-o", out, "--quiet", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # exactly one JSON document
    assert data["baseline"] == "cognito-active-passive"
    assert [d["name"] for d in data["designs"]] == ["cognito-active-passive", "global-lockout"]
    diff = data["differences"][0]
    assert diff["design"] == "global-lockout" and diff["versus"] == "cognito-active-passive"
    extra = diff["metrics"]["lockout_extra_guesses"]
    assert extra["mean"] < 0 and extra["ci95"][1] < 0 and extra["significant"] is True
    assert json.loads((out / "compare.json").read_text()) == data
    assert len(pd.read_parquet(out / "compare.parquet")) == 6
    assert (out / "compare.png").is_file()


def test_compare_prints_a_readable_table(tmp_path):
    args = [x for s in TINY_SETS for x in ("--set", s)]
    result = drsim("compare", "cognito-active-passive", "cognito-active-passive", "--reps", 2,
                   "--jobs", 1, "-o", tmp_path / "cmp", "--no-charts", *args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Comparison of 2 designs, 2 replications each, common random "
                               "numbers")
    assert "The designs differ in no design setting." in lines
    header = next(line for line in lines if "Δ " in line)
    assert "Δ cognito-active-passive#2" in header
    rows = [line for line in lines if line.startswith("failed_logins ")]
    assert len(rows) == 2 and rows[1].rstrip().endswith("0 [0, 0]")  # exactly zero
    assert max(len(line) for line in lines) <= 100


def test_compare_bad_input_exits_2(tmp_path):
    one = drsim("compare", "cognito-active-passive")
    assert one.exit_code == 2 and "at least two" in one.stderr
    bad = drsim("compare", "cognito-active-passive", "global-lockout", "--set", "dns.ttl=x")
    assert bad.exit_code == 2 and "dns.ttl" in bad.stderr and "Traceback" not in bad.output
