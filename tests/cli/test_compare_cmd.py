"""`drsim compare`: every setting that differs, a warning when the workloads differ,
--same-workload, and a table that fits 100 columns."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from tiny_scenario import tiny_scenario

from drsim.cli import main
from drsim.cli.compare_text import comparison_text

TINY = tiny_scenario(seed=5, attacker=True, head="name: tiny\n")

BUSIER = """\
extends: tiny.yaml
name: busier-fast-dns
dns:
  ttl: 30s
traffic:
  sign_in: 3/s
attackers: []
run:
  duration: 12m
"""

LOCKOUT_PRESET = "extends: tiny.yaml\nname: tiny-preset\nlockout: cognito\n"

LOCKOUT_BY_HAND = """\
extends: tiny.yaml
name: tiny-by-hand
lockout:
  threshold: 5
  ladder: exponential
  first_lock: 1s
  factor: 2
  cap: 15m
  reset_after: 15m
"""


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in {"tiny.yaml": TINY, "busier.yaml": BUSIER,
                       "preset.yaml": LOCKOUT_PRESET, "by-hand.yaml": LOCKOUT_BY_HAND}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def drsim(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def compare(*args):
    return drsim("compare", *args, "--reps", 1, "--jobs", 1, "--quiet", "--no-charts")


def test_differing_workloads_are_warned_about_and_listed(files):
    result = compare("tiny.yaml", "busier.yaml", "-o", "out")
    assert result.exit_code == 0, result.output
    assert "drsim compare: warning: the designs differ in their workload" in result.stderr
    for key in ("traffic.sign_in", "attackers", "run.duration"):
        assert key in result.stderr
    data = json.loads((files / "out" / "compare.json").read_text())
    assert data["workload_differs"] is True
    assert any("traffic.sign_in" in w and "--same-workload" in w for w in data["warnings"])
    settings = {s["key"]: s for s in data["settings"]}
    assert settings["dns.ttl"]["kind"] == "design"
    assert settings["dns.ttl"]["values"] == {"tiny": "1m", "busier-fast-dns": "30s"}
    assert settings["traffic.sign_in"]["kind"] == "workload"
    assert settings["traffic.sign_in"]["values"]["busier-fast-dns"] == "3/s"
    assert settings["run.duration"]["values"] == {"tiny": "10m", "busier-fast-dns": "12m"}
    assert "dns.ttl" in result.stdout and "warning: the workloads differ" in result.stdout


def test_same_workload_runs_every_design_on_one_workload(files):
    result = compare("tiny.yaml", "busier.yaml", "--same-workload", "tiny.yaml", "-o", "out")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    data = json.loads((files / "out" / "compare.json").read_text())
    assert data["warnings"] == [] and data["workload_differs"] is False
    assert data["same_workload"] == "tiny.yaml"
    assert [s["key"] for s in data["settings"]] == ["dns.ttl"]  # the design difference only
    busier = data["designs"][1]["resolved_scenario"]
    assert busier["name"] == "busier-fast-dns" and busier["dns"]["ttl"] == "30s"
    assert busier["traffic"]["sign_in"] == "2/s" and busier["run"]["duration"] == "10m"
    assert len(busier["attackers"]) == 1
    assert "Every design ran on the workload of tiny.yaml." in result.stdout


def test_identical_settings_are_never_labelled_different(files):
    result = compare("preset.yaml", "by-hand.yaml", "-o", "out")
    assert result.exit_code == 0, result.output
    data = json.loads((files / "out" / "compare.json").read_text())
    assert data["settings"] == [] and data["warnings"] == []
    assert "The designs differ in no design setting." in result.stdout
    assert "lockout" not in result.stdout.split("Mean [95 % CI]")[0]


@pytest.mark.parametrize(("workload", "expected"), [
    ("missing.yaml", "missing.yaml: cannot read the scenario"),
    ("bad.yaml", "bad.yaml:3: traffic.sign_in: expected"),
    ("other-region.yaml", "other-region.yaml:4: faults.0.region: "),
])
def test_a_bad_same_workload_file_is_located_and_exits_2(files, workload, expected):
    (files / "bad.yaml").write_text("extends: tiny.yaml\ntraffic:\n  sign_in: lots\n",
                                    encoding="utf-8")
    (files / "other-region.yaml").write_text(
        "extends: tiny.yaml\nfaults:\n  - kind: region_outage\n    region: ap-south-1\n"
        "    start: 2m\n    duration: 5m\nregions:\n  - {name: ap-south-1, role: primary}\n"
        "  - {name: eu-west-1, role: secondary}\n", encoding="utf-8")
    result = compare("tiny.yaml", "busier.yaml", "--same-workload", workload, "-o", "out")
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert not (files / "out").exists()


def _design(name, mean, lo, hi):
    return {"name": name, "metrics": {
        "failed_logins": {"mean": mean, "ci95": [lo, hi]},
        "failed_logins.throttled": {"mean": 0.0, "ci95": [0.0, 0.0]},
        "failed_operations_by_cause.password_reset_required": {"mean": None, "ci95": [None, None]},
        "cost_per_month_usd": {"mean": 12345.678 + mean, "ci95": [12000.0, 13000.0]}}}


def test_the_table_fits_100_columns_and_hides_rows_zero_everywhere():
    names = ["cognito-active-passive-reference-design",
             "cognito-active-passive-with-global-lockout-counters",
             "keycloak-multisite-with-fast-health-checks"]
    designs = [_design(n, 123_456.5 + 1000 * i, 120_000.25, 130_000.75)
               for i, n in enumerate(names)]
    diff = {"failed_logins": {"mean": -12_551.5, "ci95": [-13_000.25, -12_000.75]},
            "failed_logins.throttled": {"mean": 0.0, "ci95": [0.0, 0.0]}}
    data = {"replications": 5, "common_random_numbers": True, "designs": designs,
            "differences": [{"design": n, "versus": names[0], "metrics": diff}
                            for n in names[1:]],
            "settings": [{"key": "lockout.scope", "kind": "design",
                          "values": dict(zip(names, ["region", "global", "global"], strict=True))}]}
    text = comparison_text(data)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "  A = cognito-active-passive-reference-design (baseline)" in lines
    assert any(line.startswith("metric") and "Δ C − A" in line for line in lines)
    assert not any("throttled" in line or "password_reset" in line for line in lines)
    assert "2 metrics are zero or undefined in every design" in text
    every = comparison_text(data, show_all=True)
    assert "throttled" in every and "password_reset_required" in every
    assert max(len(line) for line in every.splitlines()) <= 100


def test_three_long_named_designs_fit_100_columns_from_the_command_line(files):
    for name in ("a-rather-long-design-name-number-one", "a-rather-long-design-name-number-two"):
        (files / f"{name}.yaml").write_text(f"extends: tiny.yaml\nname: {name}\n",
                                            encoding="utf-8")
    result = compare("tiny.yaml", "a-rather-long-design-name-number-one.yaml",
                     "a-rather-long-design-name-number-two.yaml", "-o", "out")
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert "  C = a-rather-long-design-name-number-two" in result.stdout.splitlines()
