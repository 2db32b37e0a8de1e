"""Sweeps over the real model, in-process: tables, failures recorded, resume, refusals."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import drsim.model
from drsim.cli.sweep_cmd import sweep_command
from drsim.experiment.design import SweepDesign, parse_param
from drsim.experiment.errors import SweepError
from drsim.experiment.sweep import SweepRequest, plan_sweep, run_sweep


def _sweep(*args):
    result = CliRunner().invoke(sweep_command, [str(a) for a in args])
    return result


def test_grid_sweep_writes_every_table_with_units_in_column_names(tiny_scenario, tmp_path):
    out = tmp_path / "out"
    result = _sweep(tiny_scenario, "--param", "dns.ttl=20s,2m", "--param",
                    "lockout.scope=region,global", "--reps", 2, "--jobs", 1, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == result.stdout.strip().splitlines()[-1]
    assert result.stdout.startswith("8 runs: 8 done, 0 failed, 0 skipped (already done), wall ")
    for name in ("sweep.yaml", "summary.parquet", "summary.csv", "points.parquet", "points.csv",
                 "sweep_heatmap.png"):
        assert (out / name).is_file(), name
    assert len(list((out / "runs").glob("*.json"))) == 8
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary.columns[:7]) == ["point", "replication", "dns.ttl_s", "lockout.scope",
                                         "status", "error", "wall_s"]
    assert {"failed_logins", "rto_s", "availability", "cost_per_month_usd"} <= set(summary.columns)
    assert len(summary) == 8 and (summary["status"] == "ok").all()
    assert sorted(summary["dns.ttl_s"].unique()) == [20.0, 120.0]
    assert summary.groupby("point").size().tolist() == [2, 2, 2, 2]
    assert pd.read_csv(out / "summary.csv").shape == summary.shape
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 4 and (points["runs_ok"] == 2).all()
    # the per-point mean is the mean of the point's replications; the CI brackets it
    first = summary[summary["point"] == points["point"][0]]
    assert points["failed_logins.mean"][0] == pytest.approx(first["failed_logins"].mean())
    assert points["failed_logins.ci95_lo"][0] <= points["failed_logins.mean"][0] \
        <= points["failed_logins.ci95_hi"][0]


def test_common_random_numbers_across_points(tiny_scenario, tmp_path):
    """A parameter that cannot matter leaves every replication's result unchanged: same
    replication index, same traffic, whatever the point."""
    out = tmp_path / "out"
    assert _sweep(tiny_scenario, "--param", "pricing.monthly_active=50%,60%", "--reps", 2,
                  "--jobs", 1, "-o", out, "--no-charts").exit_code == 0
    summary = pd.read_parquet(out / "summary.parquet")
    a = summary[summary["pricing.monthly_active_frac"] == 0.5].set_index("replication")
    b = summary[summary["pricing.monthly_active_frac"] == 0.6].set_index("replication")
    assert (a["failed_logins"] == b["failed_logins"]).all()
    assert (a["requests_total"] == b["requests_total"]).all()
    assert a["failed_logins"][0] != a["failed_logins"][1]  # replications differ
    assert (a["cost_per_month_usd"] != b["cost_per_month_usd"]).all()


def test_a_failing_point_is_recorded_and_the_rest_completes_then_resume_retries_it(
    tiny_scenario, tmp_path, monkeypatch
):
    real = drsim.model.simulate

    def simulate(scenario, replication=0):
        if scenario.dns.ttl == 20.0:
            raise RuntimeError("model exploded at ttl 20s")
        return real(scenario, replication)

    monkeypatch.setattr(drsim.model, "simulate", simulate)
    out = tmp_path / "out"
    args = [tiny_scenario, "--param", "dns.ttl=20s,60s,2m", "--reps", 2, "--jobs", 1, "-o", out,
            "--no-charts"]
    result = _sweep(*args)
    assert result.exit_code == 1
    assert result.stdout.startswith("6 runs: 4 done, 2 failed, 0 skipped (already done)")
    assert "2 runs failed" in result.stderr and "Traceback" not in result.stderr
    summary = pd.read_parquet(out / "summary.parquet")
    failed = summary[summary["status"] == "failed"]
    assert failed["dns.ttl_s"].tolist() == [20.0, 20.0]
    assert failed["error"].str.startswith("RuntimeError: model exploded at ttl 20s").all()
    assert failed["failed_logins"].isna().all()
    assert (summary[summary["status"] == "ok"]["dns.ttl_s"] != 20.0).all()
    points = pd.read_parquet(out / "points.parquet")
    assert points["runs_failed"].tolist() == [2, 0, 0]
    assert points["runs_ok"].tolist() == [0, 2, 2]

    monkeypatch.setattr(drsim.model, "simulate", real)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    result = _sweep(*args, "--resume")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("6 runs: 2 done, 0 failed, 4 skipped (already done)")
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    unchanged = [n for n in before if before[n] == after[n]]
    assert len(unchanged) == 4  # finished runs were not recomputed
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 6 and (summary["status"] == "ok").all()


def test_rerunning_into_the_same_directory_resumes_and_more_reps_extend(tiny_scenario, tmp_path):
    out = tmp_path / "out"
    args = [tiny_scenario, "--param", "dns.ttl=20s,60s", "--jobs", 1, "-o", out, "--no-charts"]
    assert _sweep(*args, "--reps", 1).exit_code == 0
    again = _sweep(*args, "--reps", 1)
    assert again.exit_code == 0
    assert again.stdout.startswith("2 runs: 0 done, 0 failed, 2 skipped (already done)")
    more = _sweep(*args, "--reps", 2)
    assert more.stdout.startswith("4 runs: 2 done, 0 failed, 2 skipped (already done)")
    # the definition alone is enough to resume
    alone = CliRunner().invoke(sweep_command, ["--resume", "-o", str(out), "--no-charts"])
    assert alone.exit_code == 0, alone.output
    assert alone.stdout.startswith("4 runs: 0 done, 0 failed, 4 skipped (already done)")
    assert len(pd.read_parquet(out / "summary.parquet")) == 4


def test_a_different_definition_in_the_same_directory_is_refused(tiny_scenario, tmp_path):
    out = tmp_path / "out"
    assert _sweep(tiny_scenario, "--param", "dns.ttl=20s,60s", "--reps", 1, "--jobs", 1,
                  "-o", out, "--no-charts").exit_code == 0
    other = _sweep(tiny_scenario, "--param", "dns.ttl=20s,90s", "--reps", 1, "--jobs", 1,
                   "-o", out, "--no-charts")
    assert other.exit_code == 2
    assert "holds a different sweep (the swept parameters differ)" in other.stderr
    changed = _sweep(tiny_scenario, "--param", "dns.ttl=20s,60s", "--set", "run.seed=3",
                     "--reps", 1, "--jobs", 1, "-o", out, "--resume", "--no-charts")
    assert changed.exit_code == 2
    assert "the base scenario (file or --set) differ" in changed.stderr
    assert "Traceback" not in other.output + changed.output


def test_resume_needs_a_sweep_and_foreign_directories_are_refused(tiny_scenario, tmp_path):
    empty = tmp_path / "empty"
    result = _sweep(tiny_scenario, "--param", "dns.ttl=20s", "--resume", "-o", empty)
    assert result.exit_code == 2 and "--resume" in result.stderr and "holds no sweep" in \
        result.stderr
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = _sweep(tiny_scenario, "--param", "dns.ttl=20s", "-o", foreign)
    assert result.exit_code == 2 and "not empty and holds no sweep" in result.stderr


def test_plan_validates_each_value_and_names_it(tiny_scenario):
    design = SweepDesign(params=(parse_param("dns.ttl=20s,sixty"),))
    with pytest.raises(SweepError, match=r"^--param dns.ttl=sixty: .*dns.ttl: .*'sixty'"):
        plan_sweep(SweepRequest(tiny_scenario, design))


def test_run_sweep_api_returns_the_tables(tiny_scenario, tmp_path):
    plan = plan_sweep(SweepRequest(tiny_scenario, SweepDesign(
        params=(parse_param("lockout.threshold=3,5"),)), replications=1))
    outcome = run_sweep(plan, tmp_path / "api", jobs=1)
    assert (outcome.total, outcome.done, outcome.failed, outcome.skipped) == (2, 2, 0, 0)
    assert outcome.summary["lockout.threshold"].tolist() == [3, 5]
    assert str(outcome.summary["lockout.threshold"].dtype) == "Int64"
