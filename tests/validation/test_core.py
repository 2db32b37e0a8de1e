"""The validation framework itself: estimates, tolerances, expected-value helpers, the runner."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import drsim.validation.__main__ as runner
from drsim.validation.availability import expected_availability
from drsim.validation.core import (
    Case,
    Check,
    Estimate,
    Outcome,
    absolute,
    at_least,
    at_most,
    exact,
    statistical,
    wilson,
)
from drsim.validation.dns_failover import expected_detection_s
from drsim.validation.dns_wild import old_answer_probability
from drsim.validation.pbs import LNKD_DISK_W, YMMR_W
from drsim.validation.report import markdown
from drsim.validation.scenarios import deciding_checker, unhealthy_at_most


def test_estimate_over_replications_uses_student_t():
    est = Estimate.over_replications([1.0, 2.0, 3.0, 4.0])
    half95 = stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert est.mean == 2.5
    assert est.ci95 == pytest.approx((2.5 - half95, 2.5 + half95))
    assert est.ci999[0] < est.ci95[0] and est.ci999[1] > est.ci95[1]
    assert est.basis == "4 reps"


def test_wilson_interval_contains_the_proportion_and_stays_in_bounds():
    lo, hi = wilson(0, 50, 0.95)
    assert lo == pytest.approx(0.0, abs=1e-12) and 0.0 < hi < 0.1
    lo, hi = wilson(30, 100, 0.95)
    assert lo < 0.3 < hi
    assert Estimate.proportion(3, 40_000).basis == "40 000 trials"


@pytest.mark.parametrize(
    ("tolerance", "estimate", "expected", "passes"),
    [
        (statistical(), Estimate(1.0, (0.9, 1.1), (0.8, 1.2), "x"), 1.15, True),
        (statistical(), Estimate(1.0, (0.9, 1.1), (0.8, 1.2), "x"), 1.25, False),
        (statistical(0.1), Estimate(1.0, (0.9, 1.1), (0.8, 1.2), "x"), 1.25, True),
        (absolute(0.01, "r"), Estimate.exact(0.5, "x"), 0.509, True),
        (absolute(0.01, "r"), Estimate.exact(0.5, "x"), 0.52, False),
        (exact(), Estimate.exact(3.0, "x"), 3.0, True),
        (exact(), Estimate.exact(3.0, "x"), 2.0, False),
        (at_least(), Estimate(0.93, (0.92, 0.94), (0.91, 0.95), "x"), 0.90, True),
        (at_least(), Estimate(0.85, (0.84, 0.86), (0.83, 0.87), "x"), 0.90, False),
        (at_most(), Estimate.exact(120.0, "x"), 120.0, True),
        (at_most(), Estimate.exact(121.0, "x"), 120.0, False),
        (statistical(), Estimate.exact(math.nan, "x"), 0.0, False),
    ],
)
def test_tolerance_verdicts(tolerance, estimate, expected, passes):
    assert tolerance.passes(estimate, expected) is passes


def test_vote_expected_values_are_exact_at_share_boundaries():
    assert unhealthy_at_most(50, "58%") == 29 and deciding_checker(50, "58%") == 21
    assert unhealthy_at_most(16, "18%") == 2 and deciding_checker(16, "18%") == 14
    assert unhealthy_at_most(10, "70%") == 7 and unhealthy_at_most(3, "66.67%") == 2
    for basis_points in range(0, 10_001, 7):
        share = f"{basis_points / 100:.2f}%"
        for n in range(1, 65):
            assert unhealthy_at_most(n, share) == basis_points * n // 10_000


def test_expected_value_helpers_match_hand_values():
    assert expected_detection_s(30.0, 3, 1, "18%") == pytest.approx(75.0)  # (k − ½)·I
    assert expected_detection_s(10.0, 3, 16, "18%") == pytest.approx(20 + 10 * 14 / 17)
    # 29 of 50 is exactly 58 %, not more: the 21st checker decides (a float vote says 22nd).
    assert expected_detection_s(10.0, 3, 50, "58%") == pytest.approx(20 + 10 * 21 / 51)
    finite, long_run = expected_availability(1e9)
    assert long_run == pytest.approx(8 / 9) and finite == pytest.approx(long_run, abs=1e-6)
    assert old_answer_probability(0.0) == pytest.approx(1.0)  # nobody has re-resolved yet
    assert old_answer_probability(10_000.0) == pytest.approx(0.018 + 0.0874 * 0.0, abs=2e-3)


@pytest.mark.parametrize("mixture", [LNKD_DISK_W, YMMR_W])
def test_pbs_mixture_cdf_matches_its_own_samples(mixture):
    samples = mixture.sample(np.random.default_rng(3), 200_000)
    for x in (2.0, 5.0, 10.0, 50.0):
        assert np.mean(samples <= x) == pytest.approx(mixture.cdf(x), abs=0.005)


def _case(number, slug, passed):
    def run(quick):
        value = 1.0 if passed else 2.0
        return Outcome([Check("c", 1.0, Estimate.exact(value, "1 run"), exact())], "setup")

    return Case(number, slug, "Family", f"title {slug}", "source", run)


def test_runner_writes_the_report_and_exits_non_zero_on_a_failure(tmp_path, monkeypatch):
    cases = [_case("9.1", "good", True), _case("9.2", "bad", False)]
    monkeypatch.setattr(runner, "all_cases", lambda: cases)
    out = tmp_path / "docs" / "validation.md"
    assert runner.main(["--quick", "-k", "good", "-o", str(out)]) == 0
    assert "| [9.1](#91-title-good) title good | c | source |" in out.read_text()
    assert runner.main(["--quick", "-o", str(out)]) == 1
    text = out.read_text()
    assert "**1 of 2 cases pass**" in text and "**FAIL**" in text


def test_a_case_that_raises_is_a_failed_case_in_the_report():
    def broken(quick):
        raise RuntimeError("boom")

    from drsim.validation.core import run_case

    result = run_case(Case("9.3", "broken", "F", "t", "s", broken), quick=True)
    assert not result.passed and "boom" in result.error
    assert "boom" in markdown([result], quick=True, command="x")
