"""Wall-clock quantities of the scenario language: UTC offsets and times of the week.

A client population lives in a time zone written as a UTC offset (``UTC-5``,
``UTC+05:30``, ``+09:00``, ``-05:00``, ``UTC``); ``run.start`` is a weekday and a
UTC time (``Monday 09:00``). Inside drsim an offset is seconds east of UTC and
a time of the week is seconds since Monday 00:00 UTC. Daylight saving is not
modelled: an offset is fixed for the run.

Each parser raises :class:`~drsim.scenario.units.UnitError` with a message that
says what was expected and what was found; each formatter is its inverse.
"""

from __future__ import annotations

import difflib
import re

from drsim.scenario.units import UnitError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEK_S = 7 * 86400.0
MIN_OFFSET_S, MAX_OFFSET_S = -12 * 3600.0, 14 * 3600.0  # the offsets in use on Earth

_OFFSET_RE = re.compile(r"^\s*(?:UTC|GMT)?\s*([+-])\s*([0-9]{1,2})(?::?([0-9]{2}))?\s*$",
                        re.IGNORECASE)
_TIME_RE = re.compile(r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?$")
_OFFSET_EXAMPLES = "'UTC-5', 'UTC+05:30', '+09:00' or '-05:00'"


def parse_utc_offset(value: object) -> float:
    """Parse a UTC offset such as ``'UTC+9'``, ``'+09:00'``, ``'-05:00'`` or ``'UTC'``.

    Returns:
        Seconds east of UTC (``-18000.0`` for ``'UTC-5'``).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        sign = "+" if value >= 0 else "-"
        raise UnitError(f"expected a UTC offset such as 'UTC{sign}{abs(value):g}' "
                        f"({_OFFSET_EXAMPLES}), got the bare number {value!r}")
    if not isinstance(value, str):
        raise UnitError(f"expected a UTC offset such as {_OFFSET_EXAMPLES}, got {value!r}")
    if value.strip().upper() in ("UTC", "GMT", "Z"):
        return 0.0
    match = _OFFSET_RE.match(value.replace("\u2212", "-"))
    if not match:
        raise UnitError(f"expected a UTC offset such as {_OFFSET_EXAMPLES}, got {value!r}")
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if minutes >= 60:
        raise UnitError(f"the minutes of a UTC offset are 00 to 59, got {value!r}")
    offset = (hours * 3600.0 + minutes * 60.0) * (-1 if sign == "-" else 1)
    if not MIN_OFFSET_S <= offset <= MAX_OFFSET_S:
        raise UnitError(f"a UTC offset is between UTC-12:00 and UTC+14:00, got {value!r}")
    return offset


def format_utc_offset(offset_s: float) -> str:
    """Inverse of :func:`parse_utc_offset`: ``-18000.0`` → ``'UTC-05:00'``."""
    sign = "-" if offset_s < 0 else "+"
    minutes = round(abs(offset_s) / 60.0)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_week_time(value: object) -> float:
    """Parse a weekday and a UTC time such as ``'Monday 09:00'`` (or ``'Mon 09:00:30'``).

    Returns:
        Seconds since Monday 00:00 UTC.
    """
    example = "a weekday and a UTC time such as 'Monday 09:00'"
    if not isinstance(value, str):
        raise UnitError(f"expected {example}, got {value!r}")
    parts = value.split()
    if len(parts) != 2:
        raise UnitError(f"expected {example}, got {value!r}")
    day, clock = parts
    return _weekday(day, value) * 86400.0 + _time_of_day(clock, value)


def _weekday(day: str, written: str) -> int:
    """Monday = 0 … Sunday = 6, from a full or three-letter name in any case."""
    for index, name in enumerate(WEEKDAYS):
        if day.lower() in (name.lower(), name[:3].lower()):
            return index
    close = difflib.get_close_matches(day.capitalize(), WEEKDAYS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise UnitError(f"unknown weekday {day!r} in {written!r}{hint} "
                    f"(expected Monday … Sunday, or Mon … Sun)")


def _time_of_day(clock: str, written: str) -> float:
    """Seconds since midnight of an ``HH:MM`` or ``HH:MM:SS`` time."""
    match = _TIME_RE.match(clock)
    if match:
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        if hours < 24 and minutes < 60 and seconds < 60:
            return hours * 3600.0 + minutes * 60.0 + seconds
    raise UnitError(f"bad time {clock!r} in {written!r}: expected HH:MM (or HH:MM:SS) "
                    f"from 00:00 to 23:59, in UTC")


def format_week_time(seconds: float) -> str:
    """Inverse of :func:`parse_week_time`: ``32400.0`` → ``'Monday 09:00'``."""
    whole = round(seconds)
    day, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    return f"{WEEKDAYS[day % 7]} {clock}"
