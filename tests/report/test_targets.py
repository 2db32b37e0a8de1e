"""Targets (`--target "failed_logins<1000,rto_s<300"`): parsing with units, and the verdicts."""

from __future__ import annotations

import pytest

from drsim.report.errors import ReportError
from drsim.report.targets import Target, check_metrics, describe, evaluate, parse_targets


def test_parse_numbers_and_units():
    targets = parse_targets("failed_logins<1000, rto_s<=5m,cost_per_month_usd<$10000,"
                            "availability>99.5%,rpo_lost_writes>=0")
    assert targets == [
        Target("failed_logins", "<", 1000.0),
        Target("rto_s", "<=", 300.0),
        Target("cost_per_month_usd", "<", 10000.0),
        Target("availability", ">", 0.995),
        Target("rpo_lost_writes", ">=", 0.0),
    ]
    assert parse_targets(None) == [] and parse_targets("  ") == []
    assert describe(targets[:2]) == "failed_logins < 1,000 and rto_s <= 5 min"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rto_s", "expected METRIC<VALUE"),
        ("rto_s=3", "expected METRIC<VALUE"),
        ("rto_s<soon", "--target rto_s: expected a number or a duration"),
        ("availability>high", "--target availability: expected a number or a percentage"),
        ("failed_logins<1000,,rto_s<3", "empty condition between commas"),
    ],
)
def test_bad_targets(text, message):
    with pytest.raises(ReportError, match=message):
        parse_targets(text)


def test_unknown_metric_suggests_the_close_one():
    with pytest.raises(ReportError, match=r"unknown metric 'failed_login' \(did you mean "
                                          r"'failed_logins'"):
        check_metrics(parse_targets("failed_login<3"), ["failed_logins", "rto_s"])
    check_metrics(parse_targets("rto_s<3"), ["failed_logins", "rto_s"])  # no error


def test_mean_and_confidence_verdicts():
    below = Target("failed_logins", "<", 1000.0)
    above = Target("availability", ">", 0.99)
    assert below.check({"mean": 900.0, "ci95": [850.0, 950.0]}) == (True, True)
    assert below.check({"mean": 900.0, "ci95": [700.0, 1100.0]}) == (True, False)
    assert below.check({"mean": 1100.0, "ci95": [900.0, 1300.0]}) == (False, False)
    assert below.check({"mean": 900.0, "ci95": [None, None]}) == (True, True)  # one replication
    assert below.check({"mean": None, "ci95": [None, None]}) == (False, False)
    assert below.check(None) == (False, False)
    assert above.check({"mean": 0.995, "ci95": [0.992, 0.998]}) == (True, True)
    assert above.check({"mean": 0.995, "ci95": [0.985, 0.999]}) == (True, False)
    both = {"failed_logins": {"mean": 900.0, "ci95": [700.0, 1100.0]},
            "availability": {"mean": 0.995, "ci95": [0.992, 0.998]}}
    assert evaluate([below, above], both) == (True, False)
    assert evaluate([above], both) == (True, True)
    assert evaluate([Target("rto_s", "<", 5.0)], both) == (False, False)  # missing metric


def test_a_threshold_is_compared_exactly_as_written():
    """``1.1h`` is 3960 s exactly, not the float 3960.0000000000005: an RTO of 3960 s
    meets ``>=`` and misses ``<``."""
    at_least, below = parse_targets("rto_s>=1.1h,rto_s<1.1h")
    assert at_least.holds(3960.0) and not below.holds(3960.0)
    assert at_least.threshold == 3960
    assert parse_targets("cost_per_month_usd<=$0.0045")[0].holds(0.0045)
    assert parse_targets("failed_logins<=2.5k")[0].holds(2500.0)
    assert parse_targets("rto_s<inf")[0].holds(1e300) and not Target("rto_s", "<", 1.0).holds(
        float("inf"))


@pytest.mark.parametrize("share", ["99.9%", "99.5%", "58%", "66.67%", "0.1%"])
def test_a_ratio_of_counts_at_the_threshold_meets_it_exactly(share):
    """k good of n, computed as the metric is (k / n), against ``availability>=share``:
    exactly at the share it meets ``>=`` and not ``>``; one count below meets neither."""
    at_least, above = parse_targets(f"availability>={share},availability>{share}")
    basis_points = round(float(share[:-1]) * 100)
    boundaries = 0
    for n in range(1, 20_001):
        if basis_points * n % 10_000:
            continue
        k = basis_points * n // 10_000
        boundaries += 1
        assert at_least.holds(k / n) and not above.holds(k / n), (k, n)
        if k:
            assert not at_least.holds((k - 1) / n), (k - 1, n)
        if k < n:
            assert above.holds((k + 1) / n), (k + 1, n)
    assert boundaries >= 2
