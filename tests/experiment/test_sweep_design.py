"""Sweep designs: grid, zip and Latin hypercube expansion, units, stable ids, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from drsim.experiment.design import (
    SweepDesign,
    format_quantity,
    latin_hypercube,
    parse_param,
    parse_quantity,
    parse_range,
    parse_sample,
    scale_to_range,
)
from drsim.experiment.errors import SweepError
from drsim.scenario import units


def test_grid_is_the_full_factorial_with_the_last_parameter_fastest():
    design = SweepDesign(params=(parse_param("dns.ttl=30s,1m"),
                                 parse_param("lockout.scope=region,global")))
    points = design.expand(seed=1)
    assert [p.values for p in points] == [
        (("dns.ttl", "30s"), ("lockout.scope", "region")),
        (("dns.ttl", "30s"), ("lockout.scope", "global")),
        (("dns.ttl", "1m"), ("lockout.scope", "region")),
        (("dns.ttl", "1m"), ("lockout.scope", "global")),
    ]
    assert [p.overrides for p in points][2] == ["dns.ttl=1m", "lockout.scope=region"]
    # columns carry the base unit: 1m is 60 seconds
    assert [dict(p.columns) for p in points][2] == {"dns.ttl_s": 60.0, "lockout.scope": "region"}
    assert design.columns == ("dns.ttl_s", "lockout.scope")


def test_zip_pairs_the_lists():
    design = SweepDesign(params=(parse_param("dns.ttl=20s,60s,300s"),
                                 parse_param("health_check.interval=10s,30s,30s")), zip=True)
    assert [p.overrides for p in design.expand(1)] == [
        ["dns.ttl=20s", "health_check.interval=10s"],
        ["dns.ttl=60s", "health_check.interval=30s"],
        ["dns.ttl=300s", "health_check.interval=30s"],
    ]


def test_zip_with_lists_of_different_lengths_is_refused():
    with pytest.raises(SweepError, match="same length: dns.ttl has 2, lockout.scope has 3"):
        SweepDesign(params=(parse_param("dns.ttl=20s,60s"),
                            parse_param("lockout.scope=region,global,x")), zip=True)


def test_point_ids_are_stable_and_depend_on_the_values():
    design = SweepDesign(params=(parse_param("dns.ttl=30s,60s"),))
    first = [p.id for p in design.expand(1)]
    assert first == [p.id for p in design.expand(2)]  # grid points ignore the seed
    assert first[0].startswith("p0000-") and first[1].startswith("p0001-")
    other = SweepDesign(params=(parse_param("dns.ttl=30s,90s"),))
    assert [p.id for p in other.expand(1)][1] != first[1]
    assert len(set(first)) == 2


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("30s", "duration", 30.0),
        ("250ms", "duration", 0.25),
        ("5m", "duration", 300.0),
        ("120/s", "rate", 120.0),
        ("10/min", "rate", 10 / 60),
        ("99.9%", "percent", units.parse_percent("99.9%")),
        ("$0.0045", "money", 0.0045),
        ("5", "count", 5),
        ("1M", "count", 1_000_000),
        ("1.5", "number", 1.5),
        ("global", "text", "global"),
        ("true", "text", "true"),
    ],
)
def test_quantities_are_recognised_by_their_unit(text, kind, value):
    assert parse_quantity(text) == (kind, value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [("duration", 117.69), ("duration", 120.0), ("rate", 9.98), ("rate", 1 / 60),
     ("percent", 0.15579), ("money", 0.0045), ("count", 7), ("number", 2.5)],
)
def test_formatting_round_trips(kind, value):
    assert parse_quantity(format_quantity(kind, value)) == (kind, value)


def test_param_columns_take_the_unit_suffix_of_their_kind():
    assert parse_param("dns.ttl=30s,1m").column == "dns.ttl_s"
    assert parse_param("traffic.sign_in=1/s,2/s").column == "traffic.sign_in_per_s"
    assert parse_param("users.federated=5%,10%").column == "users.federated_frac"
    assert parse_param("pricing.replica_per_mau=$0.004,$0.006").column == \
        "pricing.replica_per_mau_usd"
    assert parse_param("lockout.threshold=3,5").column == "lockout.threshold"
    assert parse_param("lockout.factor=1.5,2").kind == "number"  # ints and floats mix as floats


def test_latin_hypercube_has_one_sample_per_stratum_per_dimension():
    rng = np.random.default_rng(3)
    sample = latin_hypercube(10, 3, rng)
    assert sample.shape == (10, 3)
    assert ((sample >= 0) & (sample < 1)).all()
    for j in range(3):
        assert sorted(np.floor(sample[:, j] * 10).astype(int)) == list(range(10))


def test_lhs_respects_units_strata_and_integers():
    n = 8
    design = SweepDesign(
        sample=parse_sample(f"lhs:{n}"),
        ranges=(parse_range("dns.ttl=10s..5m"), parse_range("lockout.threshold=3..10"),
                parse_range("users.federated=5%..20%")),
    )
    points = design.expand(seed=42)
    assert len(points) == n
    ttl = [dict(p.columns)["dns.ttl_s"] for p in points]
    threshold = [dict(p.columns)["lockout.threshold"] for p in points]
    federated = [dict(p.columns)["users.federated_frac"] for p in points]
    # durations sampled in seconds, one per stratum of [10 s, 300 s)
    assert sorted(int((t - 10) / (290 / n)) for t in ttl) == list(range(n))
    assert sorted(int((f - 0.05) / (0.15 / n)) for f in federated) == list(range(n))
    # integers stay integers, inside the range, and every integer 3..10 appears once (8 strata)
    assert all(isinstance(t, int) for t in threshold)
    assert sorted(threshold) == list(range(3, 11))
    # the override text parses back to exactly the column value
    for p in points:
        texts = dict(p.values)
        assert units.parse_duration(texts["dns.ttl"]) == dict(p.columns)["dns.ttl_s"]
        assert units.parse_percent(texts["users.federated"]) == dict(p.columns)[
            "users.federated_frac"]
        assert texts["lockout.threshold"] == str(dict(p.columns)["lockout.threshold"])


def test_lhs_is_seeded_from_the_scenario_seed():
    design = SweepDesign(sample=parse_sample("lhs:5"), ranges=(parse_range("dns.ttl=10s..300s"),))
    assert [p.values for p in design.expand(7)] == [p.values for p in design.expand(7)]
    assert [p.values for p in design.expand(7)] != [p.values for p in design.expand(8)]


def test_grid_crossed_with_lhs():
    design = SweepDesign(params=(parse_param("lockout.scope=region,global"),),
                         sample=parse_sample("lhs:3"), ranges=(parse_range("dns.ttl=10s..300s"),))
    points = design.expand(1)
    assert len(points) == 6
    assert [dict(p.values)["lockout.scope"] for p in points] == ["region"] * 3 + ["global"] * 3


def test_scale_to_range_stays_in_stratum_after_rounding():
    for u in np.linspace(0, 1, 1001, endpoint=False):
        value = scale_to_range("duration", 10.0, 300.0, float(u), strata=7)
        assert int((value - 10.0) / (290.0 / 7)) == min(6, int(u * 7))


def test_design_round_trips_through_plain_data():
    design = SweepDesign(params=(parse_param("lockout.scope=region,global"),),
                         sample=parse_sample("lhs:3"), ranges=(parse_range("dns.ttl=10s..300s"),))
    assert SweepDesign.from_dict(design.to_dict()) == design


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("dns.ttl", r"--param 'dns.ttl': expected PATH=V1,V2,..."),
        ("dns.ttl=", "--param dns.ttl: empty list of values"),
        ("dns.ttl=30s,,60s", "--param dns.ttl: empty value in the list"),
        ("=30s", "missing the parameter path"),
        ("dns ttl=30s", "is not a parameter path"),
    ],
)
def test_bad_params_name_the_param(raw, message):
    with pytest.raises(SweepError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("...", r"\.\.\.")):
        parse_param(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("dns.ttl=10s", "expected PATH=LO..HI"),
        ("dns.ttl=300s..10s", "low end '300s' must be below high end '10s'"),
        ("dns.ttl=10s..10s", "must be below"),
        ("dns.ttl=10s..5%", "are not of the same unit"),
        ("lockout.scope=a..b", "'a' is not a number or a quantity"),
        ("dns.ttl=..10s", "expected LO..HI"),
    ],
)
def test_bad_ranges_name_the_param(raw, message):
    with pytest.raises(SweepError, match=message):
        parse_range(raw)


@pytest.mark.parametrize("raw", ["lhs", "lhs:x", "lhs:0", "sobol:8"])
def test_bad_samples(raw):
    with pytest.raises(SweepError, match="--sample"):
        parse_sample(raw)


def test_inconsistent_designs_are_refused():
    with pytest.raises(SweepError, match="nothing to sweep"):
        SweepDesign()
    with pytest.raises(SweepError, match="--sample needs at least one --range"):
        SweepDesign(sample=parse_sample("lhs:4"))
    with pytest.raises(SweepError, match="--range needs --sample"):
        SweepDesign(params=(parse_param("dns.ttl=1s,2s"),), ranges=(parse_range("x=1..2"),))
    with pytest.raises(SweepError, match="--param dns.ttl: value '1s' is listed twice"):
        SweepDesign(params=(parse_param("dns.ttl=1s,2s,1s"),))
    with pytest.raises(SweepError, match="parameter dns.ttl is given twice"):
        SweepDesign(params=(parse_param("dns.ttl=1s,2s"), parse_param("dns.ttl=3s")))
