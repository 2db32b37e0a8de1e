"""`drsim run`: one JSON object, complete output files, reproducibility, exit codes.

Every run here is the real model and metrics on a tiny variant of the reference
scenario (2,000 users, 15 simulated minutes, a 6-minute outage).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from drsim.cli import main
from drsim.scenario.units import parse_duration, parse_percent

TINY = """\
extends: cognito-active-passive
name: tiny-outage
description: |
  What does a 6-minute outage cost a tiny pool?
users: {population: 2000}
traffic: {sign_in: 5/s, federated_sign_in: 0.5/s, refresh: 5/s, sign_up: 0.5/s,
          profile_read: 5/s, profile_update: 1/s, password_change: 0.2/s, sign_out: 0.5/s}
attackers:
  - {name: stuffer, kind: credential_stuffing, rate: 2/s, targets: 50}
faults:
  - {kind: region_outage, region: us-east-1, start: 4m, duration: 6m}
run: {duration: 15m, replications: 2, seed: 11}
"""

REQUIRED_METRICS = (
    "failed_logins",
    "failed_login_users",
    "failed_operations",
    "stale_reads",
    "stale_read_fraction",
    "staleness_p99_s",
    "lockout_extra_guesses",
    "lockout_bypass_windows",
    "lockout_bypass_max_s",
    "accounts_compromised",
    "stale_credential_signins",
    "revoked_token_accepts",
    "sessions_disrupted",
    "rpo_lost_writes",
    "rpo_span_s",
    "rto_s",
    "detection_s",
    "dns_convergence_s",
    "availability",
    "cost_per_month_usd",
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "tiny-outage.yaml"
    path.write_text(TINY)
    return path


def invoke(*args: str):
    """`drsim run ARGS` in this process (one worker unless ARGS say otherwise)."""
    jobs = [] if "--jobs" in args else ["--jobs", "1"]
    return CliRunner().invoke(main, ["run", *args, *jobs], catch_exceptions=False)


@pytest.fixture(scope="module")
def json_run(tiny: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("json-run")
    result = invoke(str(tiny), "-o", str(out), "--json", "--no-charts")
    return result, out


@pytest.fixture(scope="module")
def full_run(tiny: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("full-run")
    result = invoke(str(tiny), "-o", str(out), "--seed", "5", "--reps", "3", "--records", "all")
    return result, out


def test_by_default_only_replication_0_records_are_written(json_run):
    result, out = json_run
    assert result.exit_code == 0, result.stderr
    requests = pd.read_parquet(out / "records.parquet")
    assert sorted(requests["replication"].unique()) == [0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 2  # every replication is still summarised


def test_json_is_exactly_one_object_with_the_required_metrics(json_run):
    result, out = json_run
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)  # the whole stdout is one JSON document
    assert set(summary) == {"scenario", "seed", "replications", "headline", "notes", "metrics"}
    assert summary["headline"].endswith(".")  # the recovery in words
    for name, note in summary["notes"].items():  # a NaN metric says why
        in_every_replication = not note.endswith("replications)")
        if in_every_replication and "censored" not in note:
            assert summary["metrics"][name]["mean"] is None, (name, note)
    assert summary["scenario"] == "tiny-outage"
    assert summary["seed"] == 11 and summary["replications"] == 2
    metrics = summary["metrics"]
    for name in REQUIRED_METRICS:
        entry = metrics[name]
        assert set(entry) == {"mean", "ci95", "interval", "per_replication"}, name
        assert len(entry["ci95"]) == 2 and len(entry["per_replication"]) == 2, name
        if entry["mean"] is not None:  # defined (two values): a finite interval of its kind
            assert None not in entry["ci95"] and entry["interval"] != "none", name
    # the outage fails sign-ins with region_down, and the cause is reported
    assert metrics["failed_logins.region_down"]["mean"] > 0
    assert metrics["failed_logins"]["mean"] >= metrics["failed_logins.region_down"]["mean"]
    causes = [m for m in metrics if m.startswith("failed_logins.")]
    assert sum(metrics[c]["mean"] for c in causes) == pytest.approx(
        metrics["failed_logins"]["mean"]
    )
    # stdout is byte for byte the summary.json written to the run directory
    assert result.stdout == (out / "summary.json").read_text()
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout


def test_json_via_the_installed_command_keeps_stdout_clean(tiny: Path, tmp_path: Path):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from drsim.cli import main; main()",
            "run",
            str(tiny),
            "--json",
            "--no-charts",
            "--reps",
            "1",
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    decoder = json.JSONDecoder()
    obj, end = decoder.raw_decode(proc.stdout)
    assert proc.stdout[end:].strip() == ""  # exactly one object, nothing after it
    assert obj["replications"] == 1 and obj["seed"] == 11


def test_output_files_exist_and_are_complete(full_run):
    result, out = full_run
    assert result.exit_code == 0, result.stderr
    for name in (
        "manifest.yaml",
        "summary.json",
        "records.parquet",
        "writes.parquet",
        "locks.parquet",
        "events.parquet",
        "timeline.csv",
        "signin_success.png",
        "failures_by_cause.png",
        "staleness.png",
        "lockout_bypass.png",
    ):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp"))  # no temporary file left behind

    manifest = yaml.safe_load((out / "manifest.yaml").read_text())
    assert manifest["status"] == "ok" and manifest["failed_replications"] == []
    assert manifest["seed"] == 5 and manifest["replications"] == 3
    from drsim import __version__

    assert manifest["drsim_version"] == __version__
    assert manifest["wall_time_s"] > 0
    assert manifest["python"] and manifest["platform"]
    resolved = manifest["scenario"]  # fully resolved: defaults and inherited keys included
    assert resolved["name"] == "tiny-outage"
    assert resolved["run"]["seed"] == 5 and resolved["run"]["replications"] == 3
    assert parse_duration(resolved["dns"]["ttl"]) == 60.0  # inherited from the reference
    assert parse_percent(resolved["health_check"]["healthy_fraction"]) == 0.18  # a default
    assert [m["replication"] for m in manifest["meta"]] == [0, 1, 2]
    assert manifest["meta"][0]["fault_start_s"] == 240.0
    assert set(manifest["files"]) >= {"summary.json", "records.parquet", "timeline.csv"}

    requests = pd.read_parquet(out / "records.parquet")
    assert list(requests.columns[:2]) == ["replication", "time_s"]
    assert sorted(requests["replication"].unique()) == [0, 1, 2]
    summary = json.loads((out / "summary.json").read_text())
    per_rep = summary["metrics"]["requests_total"]["per_replication"]
    legit = requests[~requests["attacker"]].groupby("replication").size()
    assert list(legit) == per_rep  # the parquet holds every request of every replication
    for name in ("writes", "locks", "events"):
        table = pd.read_parquet(out / f"{name}.parquet")
        assert table.columns[0] == "replication" and len(table) > 0, name

    timeline = pd.read_csv(out / "timeline.csv")
    assert list(timeline.columns) == ["replication", "minute", "region", "outcome", "count"]
    rep0 = timeline[timeline["replication"] == 0]
    assert rep0["count"].sum() == per_rep[0]  # every legitimate request, once
    down = rep0[(rep0["outcome"] == "region_down")]
    assert down["minute"].min() >= 4  # nothing fails before the outage starts

    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_readable_summary(full_run):
    result, out = full_run
    text = result.stdout
    assert "drsim run: tiny-outage — seed 5, 3 of 3 replications ok" in text
    assert "What does a 6-minute outage cost a tiny pool?" in text
    assert "Headline metrics" in text and "95% CI" in text
    assert "failed sign-in attempts" in text and "RTO" in text and "cost per month" in text
    assert "Failed sign-ins by cause:" in text and "region_down" in text
    # A write refused by the passive secondary shows in the terminal, by cause.
    operations = text.split("Failed other operations")[1].split("Fault timeline:")[0]
    assert "read_only" in operations and "%]" in operations
    assert "Fault timeline:" in text
    assert "Users who could not complete what they came to do" in text
    assert "population honour" in text and "home region us-east-1" in text
    assert "00:04:00  fault start" in text
    for instant in ("detection", "DNS flip", "promotion start", "failback", "recovery (RTO)"):
        assert instant in text
    assert f"Results written to {out}/" in text


def test_same_seed_gives_byte_identical_summary(tiny: Path, tmp_path: Path, json_run):
    _, first = json_run
    again = invoke(str(tiny), "-o", str(tmp_path / "again"), "--no-charts", "--quiet")
    assert again.exit_code == 0
    assert (tmp_path / "again" / "summary.json").read_bytes() == (
        first / "summary.json"
    ).read_bytes()
    other = invoke(
        str(tiny), "-o", str(tmp_path / "other"), "--no-charts", "--quiet", "--seed", "12"
    )
    assert other.exit_code == 0
    assert (tmp_path / "other" / "summary.json").read_bytes() != (
        first / "summary.json"
    ).read_bytes()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("dns.ttl=sixty", "--set dns.ttl=sixty"),
        ("dns.tttl=20s", "dns.tttl"),
        ("nokeyvalue", "--set nokeyvalue"),
    ],
)
def test_bad_set_exits_2_with_a_message_and_no_traceback(
    tiny: Path, tmp_path: Path, override, expected
):
    result = invoke(str(tiny), "-o", str(tmp_path / "x"), "--set", override)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert not (tmp_path / "x").exists()  # nothing run, nothing written


def test_bad_scenario_file_exits_2_with_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: cognito-active-passive\nname: bad\ndns:\n  ttl: sixty\n")
    result = invoke(str(bad), "-o", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "bad.yaml:4: dns.ttl:" in result.stderr
    assert "Traceback" not in result.stderr
    missing = invoke(str(tmp_path / "missing.yaml"))
    assert missing.exit_code == 2 and "missing.yaml" in missing.stderr


def test_bad_options_exit_2(tiny: Path):
    assert invoke(str(tiny), "--reps", "0").exit_code == 2
    assert invoke(str(tiny), "--seed", "-1").exit_code == 2


def test_failed_replication_is_reported_and_exits_1(tiny: Path, tmp_path: Path, monkeypatch):
    import drsim.model

    real = drsim.model.simulate

    def flaky(scenario, replication):
        if replication == 1:
            raise RuntimeError("model exploded in replication 1")
        return real(scenario, replication)

    monkeypatch.setattr(drsim.model, "simulate", flaky)
    out = tmp_path / "failed"
    result = invoke(str(tiny), "-o", str(out), "--no-charts", "--json")
    assert result.exit_code == 1
    assert "replication 1 failed" in result.stderr and "model exploded" in result.stderr
    summary = json.loads(result.stdout)  # still one object: the surviving replication
    assert summary["metrics"]["failed_logins"]["per_replication"] == [
        summary["metrics"]["failed_logins"]["mean"]
    ]
    manifest = yaml.safe_load((out / "manifest.yaml").read_text())
    assert manifest["status"] == "failed"
    assert manifest["failed_replications"][0]["replication"] == 1
    assert "model exploded" in manifest["failed_replications"][0]["error"]
    assert not math.isnan(summary["metrics"]["failed_logins"]["mean"])


def test_default_output_dir_is_results_scenario_timestamp(tiny: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(str(tiny), "--reps", "1", "--no-charts", "--quiet")
    assert result.exit_code == 0
    runs = list((tmp_path / "results" / "tiny-outage").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("Z")
    assert (runs[0] / "manifest.yaml").is_file()
    assert result.stdout == ""  # --quiet


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (0.0, "s", "0 s"),
        (0.25, "s", "250 ms"),
        (84.8, "s", "84.8 s"),
        (1920.0, "s", "32.0 min"),
        (9000.0, "s", "2.50 h"),
        (0.9038, "pct", "90.38 %"),
        (11741.2, "usd", "$11,741.20"),
        (26743.4, "count", "26,743.4"),
        (5.0, "count", "5"),
        (None, "s", "–"),
        (float("inf"), "s", "∞"),
    ],
)
def test_format_value(value, kind, text):
    from drsim.report.formatting import terminal_value

    assert terminal_value(value, kind) == text


def test_people_lines_in_words():
    """Ages by cause for the causes that occurred, read-your-writes in words, the users who
    could not complete a request overall, by population and by home region."""
    from drsim.cli.run_cmd import people_lines, staleness_age_lines

    metrics = {
        "stale_reads.replication_lag": {"mean": 12.0},
        "stale_reads.other": {"mean": 0.0},
        "staleness_p50_s.replication_lag": {"mean": 0.5},
        "staleness_p90_s.replication_lag": {"mean": 2.0},
        "staleness_p99_s.replication_lag": {"mean": None},
        "read_your_writes_violations": {"mean": 3.0},
        "read_your_writes_read_backs": {"mean": 40.0},
        "read_your_writes_violation_share": {"mean": 0.075},
        "users_failed_share": {"mean": 0.25, "ci95": [0.2, 0.3]},
        "users_failed_share.east": {"mean": 0.5},
        "users_failed_share.home.us-east-1": {"mean": 0.5},
    }
    assert staleness_age_lines(metrics) == [f"  {'replication lag':<38} 500 ms / 2.0 s / –"]
    text = "\n".join(people_lines(metrics))
    assert ("Read-your-writes: 3 of 40 profile read-backs (7.50 %) missed the user's own "
            "update") in text
    assert "all active users" in text and "25.00 %  (95% CI 20.00 % – 30.00 %)" in text
    lines = text.splitlines()
    assert [ln.split()[:2] for ln in lines if "population" in ln or "home region" in ln][-2:] \
        == [["population", "east"], ["home", "region"]]
    assert not any("population home" in ln for ln in lines)


def test_overload_lines_only_with_a_capacity():
    """The sustaining effect with its censored note when a region has a capacity; nothing
    otherwise."""
    from drsim.cli.run_cmd import overload_lines
    from drsim.scenario import load_scenario

    summary = {"metrics": {"overload_sustained_s": {"mean": 1380.0, "ci95": [1380.0, 1380.0]},
                           "overload_end_state": {"mean": 1.0},
                           "timeouts": {"mean": 358870.0},
                           "shed_attempts": {"mean": 10199.0}},
               "notes": {"overload_sustained_s": "censored at the end of the run"}}
    small = load_scenario("failover-to-small-secondary")
    text = "\n".join(overload_lines(summary, small))
    assert "overload outlived its trigger by" in text and "23.0 min" in text
    assert "runs that ended overloaded" in text and "100.00 %" in text
    assert "358,870" in text and "censored at the end of the run" in text
    assert "attempts shed (admission control)" in text and "10,199" in text
    assert overload_lines(summary, load_scenario("cognito-active-passive")) == []


def test_capacity_over_time_in_words():
    from drsim.cli.run_cmd import overload_lines
    from drsim.scenario import load_scenario

    text = "\n".join(overload_lines({"metrics": {}}, load_scenario(
        "failover-to-cold-small-secondary")))
    assert ("eu-west-1: scales from 3 to 6 vCPUs after failover; cache cold at failover "
            "(cost × 2, warm after 10 min)") in text
    text = "\n".join(overload_lines({"metrics": {}}, load_scenario(
        "thundering-herd-at-failback-reopen")))
    assert "admits 20 % → 100 % of its capacity over 10 min after failback" in text
    assert "eu-west-1:" not in text


def test_relying_party_lines_only_when_modelled():
    from drsim.cli.run_cmd import headline_lines

    base = {"failed_logins": {"mean": 3.0, "ci95": [1.0, 5.0]}}
    assert not any("API calls" in line for line in headline_lines(base))
    relying = {**base, "relying_party_rejections": {"mean": 1200.0, "ci95": [1000.0, 1400.0]},
               "relying_party_rejection_s": {"mean": 300.0, "ci95": [250.0, 350.0]}}
    text = "\n".join(headline_lines(relying))
    assert "API calls rejected with valid tokens" in text and "1,200" in text
    assert "time a relying party rejects" in text and "5.0 min" in text
