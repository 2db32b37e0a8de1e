"""Units: what people write ↔ floats in base units, and the errors for bad units."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drsim.scenario import ScenarioError, parse_scenario
from drsim.scenario import units as u


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250ms", 0.25), ("30s", 30.0), ("5m", 300.0), ("5min", 300.0), ("2h", 7200.0),
     ("30d", 2_592_000.0), ("1.5s", 1.5), (" 10 s ", 10.0), ("1e3ms", 1.0)],
)
def test_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert u.parse_duration(text) == pytest.approx(seconds, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("120/s", 120.0), ("10/min", 10 / 60), ("5/h", 5 / 3600), ("1/d", 1 / 86400), ("0/s", 0.0)],
)
def test_rates_parse_to_events_per_second(text: str, per_second: float) -> None:
    assert u.parse_rate(text) == pytest.approx(per_second, rel=1e-15)


def test_percent_money_count() -> None:
    assert u.parse_percent("99.9%") == 0.999
    assert u.parse_percent("18%") == 0.18
    assert u.parse_percent("1.8%") == 0.018
    assert u.parse_money("$0.0045") == 0.0045
    assert u.parse_count("1M") == 1_000_000
    assert u.parse_count("250k") == 250_000
    assert u.parse_count("1_000_000") == 1_000_000
    assert u.parse_count(1000) == 1000


def test_forever_only_where_allowed() -> None:
    assert u.parse_duration("forever", allow_forever=True) == math.inf
    with pytest.raises(u.UnitError, match="finite duration"):
        u.parse_duration("forever")


@pytest.mark.parametrize(
    ("parse", "value", "fragment"),
    [
        (u.parse_duration, 30, "bare number"),
        (u.parse_duration, "30", "expected a duration"),
        (u.parse_duration, "30 seconds", "expected a duration"),
        (u.parse_duration, "-5s", "expected a duration"),
        (u.parse_duration, "1e999s", "finite"),
        (u.parse_rate, 120, "bare number"),
        (u.parse_rate, "120", "expected a rate"),
        (u.parse_percent, 0.5, "bare number"),
        (u.parse_percent, "50", "expected a percentage"),
        (u.parse_money, 0.0045, "bare number"),
        (u.parse_money, "0.0045 USD", "expected an amount"),
        (u.parse_count, "1.5", "whole number"),
        (u.parse_count, True, "whole number"),
    ],
)
def test_bad_units_are_refused(parse, value, fragment: str) -> None:
    with pytest.raises(u.UnitError, match=fragment):
        parse(value)


finite = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(finite)
def test_duration_round_trips(seconds: float) -> None:
    assert u.parse_duration(u.format_duration(seconds)) == seconds


@settings(max_examples=300, deadline=None)
@given(finite)
def test_rate_round_trips(per_second: float) -> None:
    assert u.parse_rate(u.format_rate(per_second)) == per_second


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_percent_round_trips(fraction: float) -> None:
    assert u.parse_percent(u.format_percent(fraction)) == fraction


@settings(max_examples=300, deadline=None)
@given(finite)
def test_money_round_trips(dollars: float) -> None:
    assert u.parse_money(u.format_money(dollars)) == dollars


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["ms", "s", "m", "h", "d"]))
def test_written_durations_come_back_as_written_values(number: int, unit: str) -> None:
    text = f"{number}{unit}"
    assert u.parse_duration(u.format_duration(u.parse_duration(text))) == u.parse_duration(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["", "k", "M", "G"]))
def test_counts_parse(number: int, suffix: str) -> None:
    scale = {"": 1, "k": 1_000, "M": 1_000_000, "G": 1_000_000_000}[suffix]
    assert u.parse_count(f"{number}{suffix}") == number * scale


def test_bad_unit_in_a_scenario_names_file_line_and_key() -> None:
    text = "name: x\ndns:\n  routing: failover\n  ttl: sixty\n"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, filename="scenarios/x.yaml")
    assert str(caught.value) == (
        "scenarios/x.yaml:4: dns.ttl: expected a duration such as '250ms', '30s', '5m', "
        "'2h' or '30d', got 'sixty'"
    )


def test_bare_number_in_a_scenario_suggests_the_unit() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario("name: x\nhealth_check:\n  interval: 30\n", filename="x.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.key_path) == ("x.yaml", 3, "health_check.interval")
    assert "'30s'" in problem.message


def test_exact_values_are_the_written_decimals() -> None:
    from fractions import Fraction

    assert u.parse_exact("1.1h", "duration") == 3960  # the float is 3960.0000000000005
    assert u.parse_exact("250ms", "duration") == Fraction(1, 4)
    assert u.parse_exact("forever", "duration") is None
    assert u.parse_exact("99.9%", "percent") == Fraction(999, 1000)
    assert u.parse_exact("$0.0045", "money") == Fraction(45, 10_000)
    assert u.parse_exact("2.5k", "count") == 2500 and u.parse_exact("1_000", "count") == 1000
    with pytest.raises(u.UnitError):
        u.parse_exact("soon", "duration")
    assert u.percent_share(u.parse_percent("58%")) == Fraction(29, 50)
    assert u.percent_share(u.parse_percent("66.67%")) == Fraction(6667, 10_000)
