"""Mean and confidence intervals over replications, per metric kind; paired differences."""

import json
import math

import numpy as np
import pytest

from drsim.metrics.confidence import KINDS
from drsim.metrics.summary import mean_ci, mean_ci_rows, paired_difference, summarise


def test_t_interval_of_one_two_three():
    s = summarise([{"x_delta": 1.0}, {"x_delta": 2.0}, {"x_delta": 3.0}])["x_delta"]
    assert s["mean"] == 2.0
    # t(0.975, 2) = 4.302653; s = 1; half-width = 4.302653 / sqrt(3)
    assert s["ci95"][0] == pytest.approx(2 - 2.4842, abs=1e-4)
    assert s["ci95"][1] == pytest.approx(2 + 2.4842, abs=1e-4)
    assert s["interval"] == "student-t"
    assert s["per_replication"] == [1.0, 2.0, 3.0]


def test_single_replication_and_constant_values_have_a_point_interval():
    assert summarise([{"x": 5.0}])["x"] == {
        "mean": 5.0,
        "ci95": [5.0, 5.0],
        "interval": "none",
        "per_replication": [5.0],
    }
    assert summarise([{"x_delta": 0.0}] * 4)["x_delta"]["ci95"] == [0.0, 0.0]
    assert summarise([{"promotion_s": 30.0}] * 4)["promotion_s"]["ci95"] == [30.0, 30.0]
    assert summarise([{"availability": 0.75}] * 4)["availability"]["ci95"] == [0.75, 0.75]


def test_nan_replications_are_ignored_but_kept_as_none():
    reps = [{"x_delta": 1.0, "rto_s": math.nan}, {"x_delta": 3.0, "rto_s": 10.0},
            {"x_delta": math.nan}]
    s = summarise(reps)
    assert s["x_delta"]["mean"] == 2.0
    assert s["x_delta"]["per_replication"] == [1.0, 3.0, None]
    # values 1 and 3: s = √2, t(0.975, 1) = 12.7062 → half-width 12.7062·√2/√2
    assert s["x_delta"]["ci95"][0] == pytest.approx(2 - 12.7062, abs=1e-3)
    # missing in one replication = NaN there; a single value → point interval
    assert s["rto_s"] == {"mean": 10.0, "ci95": [10.0, 10.0], "interval": "none",
                          "per_replication": [None, 10.0, None]}
    all_nan = summarise([{"y": math.nan}, {"y": math.nan}])["y"]
    assert all_nan == {"mean": None, "ci95": [None, None], "interval": "none",
                       "per_replication": [None, None]}
    json.dumps(s, allow_nan=False)  # JSON-ready


def test_metric_order_is_first_seen():
    assert list(summarise([{"b": 1.0, "a": 2.0}, {"c": 3.0}])) == ["b", "a", "c"]


def test_paired_difference_of_identical_lists_is_exactly_zero():
    a = [0.1, 0.7, 13.3, 2.2]
    d = paired_difference(a, list(a))
    assert d["mean"] == 0.0
    assert d["ci95"] == [0.0, 0.0]
    assert d["n"] == 4
    assert d["interval"] == "student-t"
    assert d["significant"] is False


def test_paired_difference_known_interval_and_nan_pairs():
    d = paired_difference([2.0, 4.0, 6.0, 1.0], [1.0, 2.0, 3.0, math.nan])
    assert d["mean"] == 2.0
    assert d["n"] == 3
    assert d["ci95"][0] == pytest.approx(2 - 2.4842, abs=1e-4)
    assert d["per_replication"] == [1.0, 2.0, 3.0, None]
    assert d["significant"] is False  # the interval crosses 0
    assert paired_difference([10.0, 11.0, 12.0], [1.0, 1.5, 2.0])["significant"] is True
    with pytest.raises(ValueError, match="equally long"):
        paired_difference([1.0], [1.0, 2.0])


def test_mean_ci_empty():
    assert all(math.isnan(v) for v in mean_ci([]))


@pytest.mark.parametrize("kind", KINDS)
def test_mean_ci_rows_is_mean_ci_of_each_row_bit_for_bit(kind):
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 9, 130):  # more than 8 values: numpy sums pairwise
        rows = rng.lognormal(0.0, 2.0, size=(10, n))
        rows[1] = 4.5  # zero spread
        rows[2, 0] = math.inf  # non-finite spread
        rows[3] = rng.beta(0.5, 5.0, size=n)  # a share
        rows[4] = rng.poisson(0.3, size=n)  # a rare count, zeros
        rows[5] = 0.0
        rows[6] = rng.integers(0, 2, size=n)  # yes/no
        rows[7] = 1.0
        rows[8] = rng.normal(0.0, 1.0, size=n)  # signed
        mean, lo, hi = mean_ci_rows(rows, kind=kind)
        for i, row in enumerate(rows):
            with np.errstate(invalid="ignore"):  # inf − inf in the reference's spread
                expected = mean_ci(row.tolist(), kind=kind)
            np.testing.assert_array_equal([mean[i], lo[i], hi[i]], expected,
                                          err_msg=f"{kind} {n} {i}")
