"""Every report's Reproduce line gives the same numbers again: run, compare and sweep.

Each test makes a tiny result from the command line with overrides, reads the
command its report prints, runs that command in a fresh directory and checks
the numbers are identical.
"""

from __future__ import annotations

import html
import json
import shlex

import pandas as pd
import pytest
from click.testing import CliRunner
from tiny_scenario import tiny_scenario

from drsim.cli import main
from drsim.report.reproduce import (
    command_text,
    run_command,
    stored_designs_command,
    sweep_command,
)
from drsim.report.sources import read_run, read_sweep

TINY = tiny_scenario(seed=5, attacker=True, head="name: tiny\n")
GLOBAL = "extends: tiny.yaml\nname: tiny-global\nlockout:\n  scope: global\n"
BUSY = "extends: tiny.yaml\nname: busy\ntraffic:\n  sign_in: 3/s\nattackers: []\n"
SETS = ("--set", "users.population=1500", "--set", "faults.0.duration=4m")


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in {"tiny.yaml": TINY, "tiny-global.yaml": GLOBAL, "busy.yaml": BUSY}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def drsim(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def reproduce(line, out):
    """Run a reproduce command line (``drsim …``) writing to ``out``."""
    args = shlex.split(line)
    assert args[0] == "drsim"
    return drsim(*args[1:], "-o", out, "--jobs", 1, "--quiet", "--no-charts")


def report_text(directory):
    drsim("report", directory)
    return html.unescape((directory / "report.html").read_text(encoding="utf-8"))


def test_a_comparison_report_reproduces_it_with_overrides_and_same_workload(here):
    drsim("compare", "tiny.yaml", "tiny-global.yaml", "busy.yaml", *SETS,
          "--same-workload", "busy.yaml", "--reps", 2, "--jobs", 1, "--quiet", "--no-charts",
          "-o", "cmp")
    data = json.loads((here / "cmp" / "compare.json").read_text())
    line = command_text(data["command"])
    assert "--set users.population=1500" in line and "--same-workload busy.yaml" in line
    assert "--set run.seed=5" in line and line.endswith("--reps 2")
    text = report_text(here / "cmp")
    assert line in text
    assert f"drsim {data['drsim_version']}" in text
    reproduce(line, "again")
    again = json.loads((here / "again" / "compare.json").read_text())
    for key in ("designs", "differences", "settings", "warnings"):
        assert again[key] == data[key], key
    stored_line = command_text(stored_designs_command([d["name"] for d in data["designs"]], 2))
    assert stored_line in text
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(here / "cmp")
        reproduce(stored_line, here / "stored")
    from_stored = json.loads((here / "stored" / "compare.json").read_text())
    assert [d["metrics"] for d in from_stored["designs"]] == [d["metrics"]
                                                             for d in data["designs"]]


def test_a_comparison_of_different_workloads_has_a_warning_box_at_the_top(here):
    drsim("compare", "tiny.yaml", "busy.yaml", "--reps", 1, "--jobs", 1, "--quiet",
          "--no-charts", "-o", "cmp")
    drsim("report", here / "cmp")
    page = html.unescape((here / "cmp" / "report.html").read_text(encoding="utf-8"))
    first_section = page[page.index("<section"):page.index("</section>")]
    assert '<p class="warning">Not a like-for-like comparison' in first_section
    assert "traffic.sign_in" in first_section and "--same-workload" in first_section
    assert "under their own workloads" in first_section


def test_a_run_report_reproduces_the_run(here):
    drsim("run", "tiny.yaml", *SETS, "--reps", 2, "--seed", 3, "--jobs", 1, "--quiet",
          "--no-charts", "-o", "run")
    command = run_command(read_run(here / "run").manifest)
    line = command_text(command)
    assert line == ("drsim run tiny.yaml --set users.population=1500 --set "
                    "faults.0.duration=4m --seed 3 --reps 2")
    assert line in report_text(here / "run")
    reproduce(line, "again")
    first = json.loads((here / "run" / "summary.json").read_text())
    again = json.loads((here / "again" / "summary.json").read_text())
    assert again["metrics"] == first["metrics"]


def test_a_sweep_report_reproduces_the_sweep(here):
    drsim("sweep", "tiny.yaml", "--param", "dns.ttl=10s,2m", *SETS, "--reps", 1, "--jobs", 1,
          "--quiet", "--no-charts", "-o", "sweep")
    line = command_text(sweep_command(read_sweep(here / "sweep").definition))
    assert "--param dns.ttl=10s,2m" in line and "--set users.population=1500" in line
    assert "--set run.seed=5" in line
    assert line in report_text(here / "sweep")
    reproduce(line, "again")
    first = pd.read_parquet(here / "sweep" / "points.parquet")
    again = pd.read_parquet(here / "again" / "points.parquet")
    pd.testing.assert_frame_equal(first, again)
