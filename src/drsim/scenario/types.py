"""Pydantic field types that carry a unit: what a person writes ↔ a float in base units."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from drsim.scenario import clock, units

Duration = Annotated[
    float,
    BeforeValidator(units.parse_duration),
    PlainSerializer(units.format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9.eE+-]+\s*(ms|s|m|min|h|d)$",
            "examples": ["250ms", "30s", "5m", "2h", "30d"],
            "x-unit": "duration",
        }
    ),
]
"""A duration in seconds, written with a unit: ``250ms``, ``30s``, ``5m``, ``2h``, ``30d``."""

DurationOrForever = Annotated[
    float,
    BeforeValidator(lambda v: units.parse_duration(v, allow_forever=True)),
    PlainSerializer(units.format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "examples": ["30s", "15m", "forever"],
            "x-unit": "duration or 'forever'",
        }
    ),
]
"""A duration in seconds, or ``forever`` (infinite)."""

Rate = Annotated[
    float,
    BeforeValidator(units.parse_rate),
    PlainSerializer(units.format_rate, return_type=str),
    WithJsonSchema(
        {"type": "string", "examples": ["120/s", "10/min", "5/h"], "x-unit": "rate"}
    ),
]
"""A rate in events per second, written ``120/s``, ``10/min``, ``5/h``."""

Fraction = Annotated[
    float,
    Interval(ge=0.0, le=1.0),
    BeforeValidator(units.parse_percent),
    PlainSerializer(units.format_percent, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["99.9%", "18%"], "x-unit": "percentage"}),
]
"""A fraction in [0, 1], written as a percentage: ``99.9%``."""

Money = Annotated[
    float,
    BeforeValidator(units.parse_money),
    PlainSerializer(units.format_money, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["$0.0045"], "x-unit": "US dollars"}),
]
"""An amount in US dollars, written ``$0.0045``."""

Count = Annotated[
    int,
    BeforeValidator(units.parse_count),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string", "examples": ["250k", "1M"]}],
            "x-unit": "count",
        }
    ),
]
"""A whole count: ``1000000``, ``1_000_000``, ``'1M'``, ``'250k'``."""

TimeZone = Annotated[
    float,
    BeforeValidator(clock.parse_utc_offset),
    PlainSerializer(clock.format_utc_offset, return_type=str),
    WithJsonSchema(
        {"type": "string", "examples": ["UTC-5", "UTC+05:30", "+09:00"], "x-unit": "UTC offset"}
    ),
]
"""A fixed UTC offset in seconds east of UTC, written ``UTC-5``, ``UTC+05:30`` or ``+09:00``."""

WeekTime = Annotated[
    float,
    BeforeValidator(clock.parse_week_time),
    PlainSerializer(clock.format_week_time, return_type=str),
    WithJsonSchema(
        {"type": "string", "examples": ["Monday 09:00", "Sat 23:30"],
         "x-unit": "weekday and UTC time"}
    ),
]
"""A time of the week in seconds since Monday 00:00 UTC, written ``Monday 09:00`` (UTC)."""
