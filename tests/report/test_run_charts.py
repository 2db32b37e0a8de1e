"""Run charts: pure DataFrame → Figure functions with labelled axes and known contents."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from drsim.report import run_charts as rc


def _labels(fig: Figure) -> list[tuple[str, str]]:
    return [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]


def _assert_units_everywhere(fig: Figure, categorical: tuple[str, ...] = ()) -> None:
    """Every axis is labelled; every numeric axis names its unit in brackets."""
    for xlabel, ylabel in _labels(fig):
        assert xlabel and ylabel
        for axis, label in (("x", xlabel), ("y", ylabel)):
            if axis not in categorical:
                assert "(" in label and ")" in label, label


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _requests() -> pd.DataFrame:
    # minute 0: 4 sign-ins at us-east-1, all ok; minute 1: 2 at us-east-1 failing,
    # 2 at eu-west-1 ok; an attacker guess and a profile read that must be ignored
    return pd.DataFrame(
        {
            "time_s": [1.0, 10.0, 20.0, 59.0, 61.0, 62.0, 70.0, 80.0, 81.0, 82.0],
            "op": ["sign_in"] * 4
            + ["sign_in", "federated_sign_in", "sign_in", "sign_in", "guess", "profile_read"],
            "attacker": [False] * 8 + [True, False],
            "region": ["us-east-1"] * 6 + ["eu-west-1"] * 2 + ["us-east-1", "eu-west-1"],
            "outcome": ["ok"] * 4
            + ["region_down", "region_down", "ok", "ok", "wrong_password", "ok"],
            "stale": [False] * 9 + [True],
            "staleness_s": [np.nan] * 9 + [2.5],
        }
    )


def test_overall_success_by_minute_counts_legitimate_sign_ins():
    overall = rc.overall_success_by_minute(_requests())
    assert list(overall.index) == [0.0, 1.0]
    assert list(overall) == [1.0, 0.5]  # minute 1: 2 of 4 sign-ins ok (guess/read ignored)


def test_signin_success_chart_draws_regions_and_incident_marks():
    by_region = pd.DataFrame(
        {"us-east-1": [1.0, 0.0], "eu-west-1": [np.nan, 1.0]},
        index=pd.Index([0, 1], name="minute"),
    )
    marks = {"fault_start_s": 60.0, "detection_s": 90.0, "dns_flip_s": None, "writable_s": 120.0}
    fig = rc.signin_success_chart(
        by_region, marks, overall=rc.overall_success_by_minute(_requests())
    )
    assert isinstance(fig, Figure)
    _assert_units_everywhere(fig)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert {"all sign-ins", "served by us-east-1", "served by eu-west-1"} <= set(lines)
    assert list(np.asarray(lines["all sign-ins"].get_ydata(), dtype=float)) == [100.0, 50.0]
    assert list(np.asarray(lines["served by us-east-1"].get_ydata(), dtype=float)) == [100.0, 0.0]
    # three incident instants drawn as numbered vertical lines at 1, 1.5 and 2 min (None skipped)
    vertical = {
        line.get_label(): float(line.get_xdata()[0])
        for line in ax.get_lines()
        if len(set(line.get_xdata())) == 1
    }
    assert vertical == {
        "(1) fault start: 1.0 min": 1.0,
        "(2) detection: 1.5 min": 1.5,
        "(3) promotion end (writable): 2.0 min": 2.0,
    }
    assert [t.get_text() for t in ax.texts] == ["(1)", "(2)", "(3)"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == ["all sign-ins", "served by us-east-1", "served by eu-west-1"]
    assert "(2) detection: 1.5 min" in legend
    assert _png(fig).startswith(b"\x89PNG")


def test_signin_success_chart_from_metrics_helper():
    from drsim.metrics import signin_success_by_minute
    from drsim.records import RunRecords

    req = _requests()
    for column in ("op", "region", "outcome"):
        req[column] = req[column].astype("category")
    records = RunRecords(req, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {})
    fig = rc.signin_success_chart(signin_success_by_minute(records))
    _assert_units_everywhere(fig)
    labels = {line.get_label() for line in fig.axes[0].get_lines()}
    assert {"served by us-east-1", "served by eu-west-1"} <= labels


def test_failures_by_cause_frame_and_chart():
    metrics = {
        "failed_logins": {"mean": 30.0, "ci95": [20.0, 40.0]},
        "failed_logins.region_down": {"mean": 25.0, "ci95": [15.0, 35.0]},
        "failed_logins.throttled": {"mean": 5.0, "ci95": [None, None]},
        "failed_logins.locked_out": {"mean": 0.0, "ci95": [0.0, 0.0]},
        "stale_reads": {"mean": 3.0, "ci95": [1.0, 5.0]},
    }
    frame = rc.failures_by_cause_frame(metrics)
    assert list(frame["cause"]) == ["region_down", "throttled"]
    assert frame.loc[0, "ci_low"] == 15.0 and np.isnan(frame.loc[1, "ci_low"])
    fig = rc.failures_by_cause_chart(frame)
    _assert_units_everywhere(fig, categorical=("y",))
    ax = fig.axes[0]
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == [5.0, 25.0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["throttled", "region down"]  # largest on top
    assert _png(fig).startswith(b"\x89PNG")


def test_failures_by_cause_chart_without_failures_still_has_axes():
    fig = rc.failures_by_cause_chart(rc.failures_by_cause_frame({}))
    assert fig.axes[0].get_xlabel() and "no failed sign-ins" in fig.axes[0].texts[0].get_text()


def test_staleness_chart_ecdf_and_percentiles():
    stale = pd.DataFrame({"staleness_s": [1.0, 2.0, 3.0, 4.0, np.nan]})
    fig = rc.staleness_chart(stale)
    _assert_units_everywhere(fig)
    ax = fig.axes[0]
    ecdf = ax.get_lines()[0]
    assert list(ecdf.get_xdata()) == [1.0, 2.0, 3.0, 4.0]
    assert list(ecdf.get_ydata()) == [25.0, 50.0, 75.0, 100.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "4 stale reads"
    assert legend[1] == "p50 = 2.5 s" and legend[3] == "max = 4.0 s"
    assert ax.get_xscale() == "log"


def test_staleness_chart_without_stale_reads():
    fig = rc.staleness_chart(pd.DataFrame({"staleness_s": []}))
    _assert_units_everywhere(fig)
    assert "no stale reads" in fig.axes[0].texts[0].get_text()


def test_lockout_bypass_chart():
    from drsim.metrics import lockout_bypass_windows

    # user 1: global lock [60, 240); us-east-1 locked all along, eu-west-1 locked
    # [90, 180) → windows [60, 90) and [180, 240); user 2: global [120, 150), no region lock.
    locks = pd.DataFrame(
        {
            "user": [1, 1, 1, 2],
            "scope": ["global", "us-east-1", "eu-west-1", "global"],
            "start_s": [60.0, 60.0, 90.0, 120.0],
            "end_s": [240.0, 240.0, 180.0, 150.0],
        }
    )
    windows = lockout_bypass_windows(locks, ("us-east-1", "eu-west-1"), 300.0)
    assert sorted(windows["duration_s"]) == [30.0, 30.0, 60.0]
    fig = rc.lockout_bypass_chart(windows)
    _assert_units_everywhere(fig)
    hist_ax, account_ax = fig.axes
    assert sum(p.get_height() for p in hist_ax.patches) == 3  # three windows counted
    assert [t.get_text() for t in account_ax.get_yticklabels()] == ["1", "2"]  # most time first
    assert _png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("empty", [pd.DataFrame(columns=["user", "start_s", "end_s"])])
def test_lockout_bypass_chart_empty(empty):
    fig = rc.lockout_bypass_chart(empty)
    _assert_units_everywhere(fig)
    assert "no lockout bypass windows" in fig.axes[0].texts[0].get_text()
