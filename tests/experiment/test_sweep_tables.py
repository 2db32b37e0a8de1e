"""The sweep's tables: the points table against estimates computed by hand, and against
:func:`drsim.metrics.summarise` point by point, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from drsim.experiment.design import SweepDesign, parse_param
from drsim.experiment.tables import points_table, summary_table
from drsim.metrics import summarise

NAN = math.nan
METRICS = ("a", "rare", "b_s", "c_fraction", "dns_converged", "d_usd", "d_delta")
"""Metric names of every kind: count, count, duration, share, share (yes/no), money, other."""


def _design() -> SweepDesign:
    """Six points: two DNS TTLs (a duration) × three lockout thresholds (a count)."""
    return SweepDesign(params=(parse_param("dns.ttl=20s,2m"),
                               parse_param("lockout.threshold=3,5,8")))


def _ok(point, rep, **metrics):
    return {"point": point.id, "replication": rep, "status": "ok", "error": None,
            "wall_s": 1.0, "metrics": metrics}


def _failed(point, rep):
    return {"point": point.id, "replication": rep, "status": "failed",
            "error": "RuntimeError: boom", "wall_s": 0.5, "metrics": {}}


def _by_hand(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95 % Student-t interval of the non-NaN values, from the textbook formula."""
    x = np.array([v for v in values if not math.isnan(v)])
    mean = float(np.mean(x))
    half = stats.t.ppf(0.975, x.size - 1) * np.std(x, ddof=1) / math.sqrt(x.size)
    return mean, mean - half, mean + half


def _count_by_hand(values: list[float]) -> tuple[float, float, float]:
    """A count's interval: hull of Student-t and the exact Poisson interval of the total
    scaled by the over-dispersion φ = s²/mean (at the t level), from chi² quantiles."""
    x = np.array(values)
    mean, lo, hi = _by_hand(values)
    phi, tail = max(np.var(x, ddof=1) / mean, 1.0), 0.025
    if phi > 1.0:
        tail = stats.norm.sf(stats.t.ppf(0.975, x.size - 1))
    events = x.sum() / phi
    p_lo = phi * stats.chi2.ppf(tail, 2 * events) / 2 / x.size
    p_hi = phi * stats.chi2.ppf(1 - tail, 2 * (events + 1)) / 2 / x.size
    return mean, max(min(lo, p_lo), 0.0), max(hi, p_hi)


def _duration_by_hand(values: list[float]) -> tuple[float, float, float]:
    """A duration's interval: hull of Student-t (≥ 0) and Cox's log-normal interval, the
    latter only from 3 values whose logs vary at most s² = 2.25."""
    x = np.array([v for v in values if not math.isnan(v)])
    mean, lo, hi = _by_hand(values)
    y = np.log(x)
    s2 = np.var(y, ddof=1)
    if x.size < 3 or s2 > 2.25:
        return mean, max(lo, 0.0), hi
    half = stats.t.ppf(0.975, x.size - 1) * math.sqrt(s2 / x.size + s2**2 / (2 * (x.size - 1)))
    centre = np.mean(y) + s2 / 2
    return mean, min(max(lo, 0.0), math.exp(centre - half)), max(hi, math.exp(centre + half))


def test_points_table_matches_estimates_computed_by_hand():
    design = _design()
    p = design.expand(seed=0)
    runs = [
        _ok(p[0], 0, failed_logins=10.0, rto_s=1.0),
        _ok(p[0], 1, failed_logins=12.0, rto_s=NAN),  # NaN: left out of rto_s only
        _ok(p[0], 2, failed_logins=17.0, rto_s=3.0),
        _ok(p[1], 0, failed_logins=4.0, rto_s=2.0),
        _failed(p[1], 1),  # counted, left out of the estimates
        # p[2]: no stored run
        _failed(p[3], 0),
        _failed(p[3], 1),
        _ok(p[4], 0, failed_logins=7.0, rto_s=math.inf),  # non-finite mean → NaN
        _ok(p[4], 1, failed_logins=7.0, rto_s=5.0),
        *[_ok(p[5], r, failed_logins=v, rto_s=v / 10)
          for r, v in enumerate([3.0, 9.0, 4.0, 11.0, 6.0])],
    ]
    summary = summary_table(p, design.kinds, 5,
                            {(r["point"], r["replication"]): r for r in runs})

    points = points_table(summary, p, design.kinds)

    estimates = [f"{m}.{s}" for m in ("failed_logins", "rto_s")
                 for s in ("mean", "ci95_lo", "ci95_hi")]
    assert list(points.columns) == ["point", "dns.ttl_s", "lockout.threshold", "runs_ok",
                                    "runs_failed", *estimates]
    assert [str(t) for t in points.dtypes] == ["object", "float64", "Int64", "int64", "int64",
                                               *["float64"] * 6]
    assert points["point"].tolist() == [point.id for point in p]
    assert points["dns.ttl_s"].tolist() == [20.0, 20.0, 20.0, 120.0, 120.0, 120.0]
    assert points["lockout.threshold"].tolist() == [3, 5, 8, 3, 5, 8]
    assert points["runs_ok"].tolist() == [3, 1, 0, 0, 2, 5]
    assert points["runs_failed"].tolist() == [0, 1, 0, 2, 0, 0]

    def row(i: int, metric: str) -> list[float]:
        return [points[f"{metric}.{s}"][i] for s in ("mean", "ci95_lo", "ci95_hi")]

    # 10, 12, 17: mean 13, s = √13, t(0.975, 2) = 4.302653 → half-width 8.9566, wider
    # than the exact Poisson interval of 39 events (s²/mean = 1): Student-t
    assert row(0, "failed_logins") == pytest.approx([13.0, 13.0 - 8.9566, 13.0 + 8.9566],
                                                    abs=1e-4)
    assert row(0, "failed_logins") == pytest.approx(_by_hand([10.0, 12.0, 17.0]), rel=1e-12)
    assert row(0, "rto_s") == pytest.approx(_duration_by_hand([1.0, NAN, 3.0]), rel=1e-12)
    assert row(1, "failed_logins") == [4.0, 4.0, 4.0]  # one replication: a point interval
    # zero spread, not zero: a value the design fixes, a point interval
    assert row(4, "failed_logins") == [7.0, 7.0, 7.0]
    for i, metric in ((2, "failed_logins"), (3, "rto_s"), (4, "rto_s")):
        assert all(math.isnan(v) for v in row(i, metric)), (i, metric)
    values = [3.0, 9.0, 4.0, 11.0, 6.0]
    assert row(5, "failed_logins") == pytest.approx(_count_by_hand(values), rel=1e-9)
    assert row(5, "failed_logins")[2] > _by_hand(values)[2]  # over-dispersed: Poisson wider
    assert row(5, "rto_s") == pytest.approx(_duration_by_hand([v / 10 for v in values]),
                                            rel=1e-12)


def test_points_table_is_summarise_point_by_point_bit_for_bit():
    """Many replications (numpy sums more than 8 values pairwise), NaN values, failed and
    missing runs, summary rows out of order, and metrics of every kind (each with its own
    interval): the vectorised table gives exactly the numbers :func:`summarise` gives one
    point at a time."""
    design = _design()
    p = design.expand(seed=0)
    rng = np.random.default_rng(5)
    reps = 20
    runs = {}
    for point in p[:-1]:  # the last point has no stored run
        for rep in range(reps):
            if rng.random() < 0.1:
                runs[(point.id, rep)] = _failed(point, rep)
                continue
            values = np.array([rng.lognormal(3.0, 1.5), rng.poisson(0.5), rng.lognormal(3.0, 1.5),
                               rng.beta(0.5, 5.0), float(rng.random() < 0.7),
                               rng.lognormal(3.0, 1.5), rng.normal()])
            values[rng.random(values.size) < 0.15] = NAN
            runs[(point.id, rep)] = _ok(point, rep, **dict(zip(METRICS, values, strict=True)))
    summary = summary_table(p, design.kinds, reps, runs)
    shuffled = summary.sample(frac=1.0, random_state=1).reset_index(drop=True)

    points = points_table(shuffled, p, design.kinds)

    for i, point in enumerate(p):
        frame = shuffled[shuffled["point"] == point.id]
        ok = frame[frame["status"] == "ok"]
        estimates = summarise(ok[list(METRICS)].to_dict("records"))
        for metric in METRICS:
            entry = estimates.get(metric, {"mean": None, "ci95": [None, None]})
            expected = [entry["mean"], *entry["ci95"]]
            got = [points[f"{metric}.{s}"][i] for s in ("mean", "ci95_lo", "ci95_hi")]
            np.testing.assert_array_equal(  # exact; NaN equals NaN
                got, [NAN if v is None else v for v in expected], err_msg=f"{point.id} {metric}")


def test_points_table_of_an_empty_summary_has_every_point_and_no_estimates():
    design = _design()
    p = design.expand(seed=0)
    summary = summary_table(p, design.kinds, 2, {})
    points = points_table(summary, p, design.kinds)
    assert list(points.columns) == ["point", "dns.ttl_s", "lockout.threshold", "runs_ok",
                                    "runs_failed"]
    assert len(points) == 6 and (points[["runs_ok", "runs_failed"]] == 0).all().all()
    pd.testing.assert_series_equal(points["point"], pd.Series([x.id for x in p], name="point",
                                                              dtype="object"))
