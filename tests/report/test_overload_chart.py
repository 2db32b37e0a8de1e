"""The overload chart and its reading: offered load, goodput and latency per region, the
trigger's end marked, the sustaining effect in words; in the run report only when a region
has a capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tiny_scenario import tiny_scenario

from drsim.report.document import Image, Paragraph
from drsim.report.overload_chart import overload_chart
from drsim.report.readings import breaker_text, overload_text


def _timeline() -> pd.DataFrame:
    # two minutes of r1: offered 10 → 40/s, goodput 10 → 0/s, latency 0.1 s → 10 s;
    # r2 idle (no latency: NaN)
    return pd.DataFrame({
        "start_s": [0.0, 60.0, 0.0, 60.0], "region": ["r1", "r1", "r2", "r2"],
        "offered_per_s": [10.0, 40.0, 0.0, 0.0], "goodput_per_s": [10.0, 0.0, 0.0, 0.0],
        "latency_p50_s": [0.1, 10.0, np.nan, np.nan],
        "latency_p99_s": [0.2, 10.0, np.nan, np.nan]})


def test_overload_chart_draws_offered_goodput_and_latency_per_region():
    fig = overload_chart(_timeline(), trigger_end_s=90.0)
    assert isinstance(fig, Figure)
    load, latency = fig.axes
    lines = {ln.get_label(): ln for ln in load.get_lines()}
    assert list(lines["r1: offered"].get_ydata()) == [10.0, 40.0]
    assert list(lines["r1: goodput"].get_ydata()) == [10.0, 0.0]
    assert list(lines["r1: offered"].get_xdata()) == [0.0, 1.0]  # minutes
    assert "r2: offered" in lines
    assert float(lines["trigger end"].get_xdata()[0]) == 1.5
    lat = {ln.get_label(): list(ln.get_ydata()) for ln in latency.get_lines()}
    assert lat["r1: p50"] == [0.1, 10.0] and lat["r1: p99"] == [0.2, 10.0]
    assert "r2: p50" not in lat  # nothing reached r2
    assert latency.get_yscale() == "log"
    for ax in fig.axes:
        assert "(" in ax.get_ylabel() and "(min)" in ax.get_xlabel()


def test_overload_chart_without_requests_or_trigger():
    fig = overload_chart(_timeline().iloc[0:0], trigger_end_s=float("nan"))
    assert not fig.axes[0].get_lines()
    assert any("no requests" in t.get_text() for t in fig.axes[0].texts)


def _metrics(sustained: float, ends: list[float]) -> dict:
    return {"overload_sustained_s": {"mean": sustained, "ci95": [sustained, sustained],
                                     "per_replication": [sustained] * len(ends)},
            "overload_end_state": {"mean": float(np.mean(ends)), "per_replication": ends},
            "attempts_per_first_attempt": {"mean": 2.25}}


def test_overload_reading_in_words():
    stuck = overload_text(_metrics(2700.0, [1.0, 1.0, 0.0]))
    assert stuck.startswith("The overload outlived its trigger")
    assert "45 min" in stuck and "2 of 3 replications" in stuck and "censored" in stuck
    assert "each first attempt brought 2.25 attempts in all" in stuck
    drained = overload_text(_metrics(180.0, [0.0, 0.0]))
    assert drained.startswith("The overload ended 3 min") and "every replication recovered" \
        in drained
    assert overload_text(_metrics(0.0, [0.0])).startswith("No region was overloaded")
    assert overload_text({}).startswith("No trigger to outlive")
    shed = overload_text({**_metrics(0.0, [0.0, 0.0]),
                          "shed_attempts": {"mean": 10013.0, "ci95": [9000.0, 11000.0]}})
    assert shed.endswith("; admission control refused 10,013 attempts at once or pushed them "
                         "out of a full queue (shed, no work done) (95 % CI 9,000–11,000).")
    assert "refused" not in overload_text({**_metrics(0.0, [0.0]),
                                           "shed_attempts": {"mean": 0.0}})


def test_the_run_report_has_an_overload_section_only_with_a_capacity(tmp_path):
    import drsim
    from drsim.report.build_run import build_run_report
    from drsim.report.sources import read_run

    text = tiny_scenario(seed=5) + """\
regions:
  - {name: us-east-1, role: primary, capacity: {vcpus: 1}}
  - {name: eu-west-1, role: secondary, capacity: {vcpus: 1}}
"""
    (tmp_path / "tiny.yaml").write_text(text, encoding="utf-8")
    drsim.run(drsim.load(tmp_path / "tiny.yaml"), reps=1, seed=5, jobs=1).save(tmp_path / "run")
    report = build_run_report(read_run(tmp_path / "run"))
    overload = [s for s in report.sections if s.title == "Overload"]
    assert len(overload) == 1
    blocks = overload[0].blocks
    assert isinstance(blocks[0], Paragraph) and "trigger" in blocks[0].text
    assert any(isinstance(b, Image) and b.key == "overload" for b in blocks)
    assert (tmp_path / "run" / "overload.png").is_file()


def test_breaker_reading_counts_the_attempts_failed_fast():
    metrics = {"failed_operations_by_cause.circuit_open": {
        "mean": 1234.0, "ci95": [1000.0, 1500.0], "per_replication": [1234.0]}}
    text = breaker_text(metrics)
    assert text == ("1,234 attempts failed fast in the clients while their circuit breaker "
                    "was open (95 % CI 1,000–1,500): they reached no region and were not "
                    "retried.")
