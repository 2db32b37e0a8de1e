"""UTC offsets and times of the week: what people write ↔ seconds, and back."""

from __future__ import annotations

import pytest

from drsim.scenario.clock import (
    format_utc_offset,
    format_week_time,
    parse_utc_offset,
    parse_week_time,
)
from drsim.scenario.units import UnitError


@pytest.mark.parametrize(("text", "seconds"), [
    ("UTC+9", 9 * 3600.0), ("+09:00", 9 * 3600.0), ("-05:00", -5 * 3600.0),
    ("UTC-5", -5 * 3600.0), ("UTC+05:30", 5.5 * 3600.0), ("utc+0545", 5.75 * 3600.0),
    ("UTC", 0.0), ("GMT-3", -3 * 3600.0), ("UTC−8", -8 * 3600.0), ("UTC+14", 14 * 3600.0),
])
def test_utc_offsets(text, seconds):
    assert parse_utc_offset(text) == seconds
    assert parse_utc_offset(format_utc_offset(seconds)) == seconds


@pytest.mark.parametrize(("text", "fragment"), [
    ("EST", "expected a UTC offset such as"), ("UTC+15", "between UTC-12:00 and UTC+14:00"),
    ("UTC+5:75", "minutes of a UTC offset are 00 to 59"), (9, "the bare number 9"),
])
def test_bad_utc_offsets(text, fragment):
    with pytest.raises(UnitError, match=fragment.replace("+", r"\+")):
        parse_utc_offset(text)


@pytest.mark.parametrize(("text", "seconds"), [
    ("Monday 00:00", 0.0), ("Monday 09:00", 9 * 3600.0), ("tue 13:30", 86400.0 + 13.5 * 3600),
    ("Sunday 23:59:30", 6 * 86400.0 + 86370.0), ("SAT 7:05", 5 * 86400.0 + 7 * 3600 + 300),
])
def test_week_times(text, seconds):
    assert parse_week_time(text) == seconds
    assert parse_week_time(format_week_time(seconds)) == seconds


@pytest.mark.parametrize(("text", "fragment"), [
    ("Mondy 09:00", "unknown weekday 'Mondy' in 'Mondy 09:00'; did you mean 'Monday'?"),
    ("Someday 09:00", "unknown weekday 'Someday'"),
    ("Monday 24:00", "bad time '24:00' in 'Monday 24:00'"),
    ("Monday 9h", "bad time '9h'"),
    ("Monday", "expected a weekday and a UTC time such as 'Monday 09:00', got 'Monday'"),
    ("09:00 Monday", "unknown weekday '09:00'"),
])
def test_bad_week_times(text, fragment):
    with pytest.raises(UnitError) as caught:
        parse_week_time(text)
    assert fragment in str(caught.value)
