"""Metric kinds from names, and each kind's interval: known numbers, ranges, fallbacks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from drsim.metrics.confidence import KINDS, interval_rows, metric_kind
from drsim.metrics.summary import estimate, mean_ci
from drsim.report.formatting import metric_kind as report_kind

GOLDEN = Path(__file__).parents[1] / "golden"
T4 = stats.t.ppf(0.975, 4)  # five replications
Z = stats.norm.ppf(0.975)


@pytest.mark.parametrize(("name", "kind"), [
    ("rto_s", "duration"), ("incident.1.rto_s", "duration"), ("rto_90_s", "duration"),
    ("staleness_p99_s", "duration"), ("cost_per_month_usd", "money"),
    ("availability", "share"), ("availability_during_fault", "share"),
    ("incident.2.availability", "share"), ("stale_read_fraction", "share"),
    ("dns_share_moved_60s", "share"), ("dns_converged", "yes_no"), ("rto_recovered", "yes_no"),
    ("overload_end_state", "yes_no"),
    ("lockout_extra_guesses_per_account", "ratio"), ("failed_logins", "count"),
    ("failed_logins.idp_unavailable", "count"), ("failed_logins_by_region.us-east-1", "count"),
    ("writes_lost", "count"), ("incident.1.writes_lost", "count"),
    ("lockout_extra_guesses", "count"), ("accounts_compromised", "count"),
    ("failed_logins_delta", "other"), ("net_change", "other"),
    # the stem decides, not the member (a cause, a region, a client kind)
    ("staleness_p90_s.replication_lag", "duration"),
    ("incident.1.staleness_p99_s.other", "duration"),
    ("users_failed_share.home.us-east-1", "share"), ("users_failed_share.mobile_s", "share"),
    ("failed_operations.password_change", "count"), ("read_your_writes_violations", "count"),
])
def test_metric_kind_by_pattern(name: str, kind: str) -> None:
    assert metric_kind(name) == kind


def test_every_golden_metric_has_the_kind_its_values_and_the_report_say() -> None:
    """Shares lie in [0, 1], counts are whole and ≥ 0 (MAU excepted: an estimate), and
    the report writes shares as %, durations as time and money as $."""
    written = {"share": "pct", "yes_no": "pct", "duration": "s", "money": "usd"}
    for path in sorted(GOLDEN.glob("*.json")):
        for name, value in json.loads(path.read_text()).items():
            kind = metric_kind(name)
            assert written.get(kind, "count") == report_kind(name), (path.name, name)
            if value is None or math.isnan(value):
                continue
            if kind in ("share", "yes_no"):
                assert 0.0 <= value <= 1.0, (path.name, name)
            elif kind == "count" and name != "monthly_active_users":
                assert value >= 0 and float(value).is_integer(), (path.name, name)
            else:
                assert value >= 0, (path.name, name)


def test_the_issues_rare_counts_stay_at_or_above_zero() -> None:
    """The shipped report's 0.2 (−0.4 – 0.8): one account in five replications."""
    mean, lo, hi, method = estimate([0, 0, 1, 0, 0], "count")
    assert method == "poisson-exact+student-t"
    assert lo == 0.0
    # s²/mean = 1: the exact Poisson upper limit of a total of 1, over 5 replications
    assert hi == pytest.approx(stats.chi2.ppf(0.975, 4) / 2 / 5, rel=1e-9)
    assert estimate([0, 0, 0, 27, 0.5], "count")[1] == 0.0


def test_count_never_seen_still_has_an_upper_limit() -> None:
    assert mean_ci([0.0] * 5, kind="count") == pytest.approx(
        (0.0, 0.0, stats.chi2.ppf(0.975, 2) / 2 / 5), rel=1e-9)  # 3.689 / 5


def test_over_dispersed_count_is_poisson_scaled_at_the_t_level() -> None:
    x = np.array([30.0, 45.0, 120.0, 60.0, 38.0])
    phi = x.var(ddof=1) / x.mean()
    tail = stats.norm.sf(T4)
    events = x.sum() / phi
    t_half = T4 * x.std(ddof=1) / math.sqrt(5)
    _, lo, hi = mean_ci(x, kind="count")
    assert hi == pytest.approx(phi * stats.chi2.ppf(1 - tail, 2 * (events + 1)) / 2 / 5, rel=1e-9)
    assert hi > x.mean() + t_half  # wider than Student-t above
    poisson_lo = phi * stats.chi2.ppf(tail, 2 * events) / 2 / 5
    assert lo == pytest.approx(min(x.mean() - t_half, poisson_lo), rel=1e-9)
    assert lo > 0


def test_two_replications_give_a_finite_count_interval() -> None:
    """With n = 2 the Student-t tail level is 3e-37: the upper Poisson limit must not
    round to the quantile at probability 1 (infinite)."""
    _, lo, hi = mean_ci([743.0, 846.0], kind="count")
    t_hi = 794.5 + stats.t.ppf(0.975, 1) * np.std([743.0, 846.0], ddof=1) / math.sqrt(2)
    assert 0 < lo < 794.5 and t_hi < hi < 2 * t_hi


def test_poisson_like_count_keeps_student_t_when_it_is_wider() -> None:
    x = [10.0, 12.0, 17.0]
    assert mean_ci(x, kind="count") == mean_ci(x, kind="other")


def test_yes_no_share_is_wilson_over_replications() -> None:
    assert mean_ci([1.0] * 5, kind="yes_no") == pytest.approx((1.0, 5 / (5 + Z**2), 1.0))
    _, lo, hi, method = estimate([1.0, 0.0, 1.0, 1.0, 1.0], "yes_no")
    p, n = 0.8, 5
    centre, half = p + Z**2 / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    t_lo = p - T4 * math.sqrt(0.2 / n)  # s² = 0.2
    assert (lo, hi) == pytest.approx((min(t_lo, (centre - half) / (1 + Z**2 / n)), 1.0))
    assert method == "wilson+student-t"


def test_values_the_design_fixes_are_points() -> None:
    """A share equal in every replication (no sign-in succeeded during the fault) and a
    count equal and non-zero in every replication (the accounts on the attacker's list)
    are what the design fixes: a point, not a binomial or Poisson spread."""
    assert estimate([0.0] * 5, "share") == (0.0, 0.0, 0.0, "constant")
    assert estimate([1000.0] * 5, "count") == (1000.0, 1000.0, 1000.0, "constant")
    assert estimate([0.0] * 5, "count")[2] > 0  # a rare event never seen: an upper limit


def test_share_uses_wilson_with_the_effective_sample_size() -> None:
    x = np.array([0.001, 0.004, 0.0, 0.02, 0.002])
    p, var = x.mean(), x.var(ddof=1)
    m = p * (1 - p) / (var / 5)
    centre, half = p + T4**2 / (2 * m), T4 * math.sqrt(p * (1 - p) / m + T4**2 / (4 * m * m))
    _, lo, hi = mean_ci(x, kind="share")
    assert lo == 0.0  # Student-t, clipped, is lower
    assert hi == pytest.approx((centre + half) / (1 + T4**2 / m), rel=1e-9)


def test_duration_is_cox_log_normal_or_clipped_student_t_with_a_zero() -> None:
    x = np.array([100.0, 130.0, 120.0, 260.0, 90.0])
    y = np.log(x)
    s2 = y.var(ddof=1)
    half = T4 * math.sqrt(s2 / 5 + s2 * s2 / 8)
    t_half = T4 * x.std(ddof=1) / math.sqrt(5)
    _, lo, hi, method = estimate(x, "duration")
    assert method == "lognormal-cox+student-t"
    assert hi == pytest.approx(max(x.mean() + t_half, math.exp(y.mean() + s2 / 2 + half)),
                               rel=1e-9)
    assert hi > x.mean() + t_half  # right-skewed
    assert lo == pytest.approx(min(x.mean() - t_half, math.exp(y.mean() + s2 / 2 - half)),
                               rel=1e-9)
    assert lo > 0
    _, lo, hi, method = estimate([100.0, 300.0, 120.0, 0.0, 90.0], "duration")
    assert (lo, method) == (0.0, "student-t-clipped")


def test_duration_keeps_cox_out_where_it_is_absurd() -> None:
    """Two replications (1 degree of freedom), or a value near 0 among larger ones (logs
    varying more than s² = 2.25): Cox's upper limit would be 10⁶ – 10²⁵ × the mean; the
    clipped Student-t interval is reported instead, and says so."""
    for x in ([1.0, 59.0], [0.5, 31.0, 44.0, 58.0, 12.0]):
        mean, lo, hi, method = estimate(x, "duration")
        assert method == "student-t-clipped", x
        assert (mean, lo, hi) == mean_ci(x, kind="money"), x
        assert hi < 15 * mean, x  # Student-t: t(0.975, 1) = 12.7 on 2 values
    x = np.array([20.0, 31.0, 44.0, 58.0, 12.0])  # the same spread without the near-0 value
    assert np.log(x).var(ddof=1) <= 2.25
    assert estimate(x, "duration")[3] == "lognormal-cox+student-t"


def test_values_outside_the_kinds_range_get_plain_student_t() -> None:
    for kind, x in (("count", [-3.0, 1.0, 2.0]), ("share", [0.5, 1.5, 0.9]),
                    ("duration", [-1.0, 2.0, 4.0]), ("money", [-5.0, 1.0, 1.0])):
        mean, lo, hi, method = estimate(x, kind)
        assert method == "student-t", kind
        assert (mean, lo, hi) == mean_ci(x, kind="other"), kind


@pytest.mark.parametrize("kind", KINDS)
def test_one_replication_is_a_point_and_no_value_is_nan(kind: str) -> None:
    assert estimate([7.0], kind) == (7.0, 7.0, 7.0, "none")
    assert all(math.isnan(v) for v in estimate([math.nan], kind)[:3])


@pytest.mark.parametrize("kind", ["share", "duration", "money", "ratio", "other"])
def test_equal_replications_give_a_zero_width_interval(kind: str) -> None:
    assert mean_ci([0.25] * 5, kind=kind) == (0.25, 0.25, 0.25)


FINITE = {"allow_nan": False, "allow_infinity": False}
SAMPLES = {
    "count": st.lists(st.integers(0, 10**6).map(float), min_size=2, max_size=12),
    "share": st.lists(st.floats(0.0, 1.0, **FINITE), min_size=2, max_size=12),
    "duration": st.lists(st.floats(0.0, 1e6, **FINITE), min_size=2, max_size=12),
    "money": st.lists(st.floats(0.0, 1e6, **FINITE), min_size=2, max_size=12),
    "ratio": st.lists(st.floats(0.0, 10.0, **FINITE), min_size=2, max_size=12),
}
RANGE = {"count": (0.0, math.inf), "share": (0.0, 1.0), "duration": (0.0, math.inf),
         "money": (0.0, math.inf), "ratio": (0.0, math.inf)}


@pytest.mark.parametrize("kind", list(SAMPLES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_intervals_stay_in_the_kinds_range_and_hold_the_mean(kind: str, data) -> None:
    x = np.array(data.draw(SAMPLES[kind]))
    mean, lo, hi, _ = interval_rows(x[None, :], kind)
    low, high = RANGE[kind]
    assert low <= lo[0] <= hi[0] <= high
    assert math.isfinite(hi[0])
    assert lo[0] <= mean[0] * (1 + 1e-12) + 1e-300 and mean[0] <= hi[0] * (1 + 1e-12) + 1e-300
