"""Units of the scenario language.

People write durations (``250ms``, ``30s``, ``5m``, ``2h``, ``30d``), rates
(``120/s``, ``10/min``), percentages (``99.9%``), money (``$0.0045``) and
counts (``1M``, ``250k``). Inside drsim every quantity is a float in SI-like
base units: seconds, events per second, a fraction in [0, 1], US dollars.

Each parser raises :class:`UnitError` with a message that says what was
expected and what was found; the loader turns it into a ``FILE:LINE: key:``
error. Each formatter is the inverse of its parser: ``parse(format(x)) == x``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

_NUMBER = r"([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"

DURATION_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
RATE_UNITS: dict[str, float] = {"s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
COUNT_SUFFIXES: dict[str, int] = {"": 1, "k": 1_000, "M": 1_000_000, "G": 1_000_000_000}
FOREVER = ("forever", "inf", "never")

_DURATION_RE = re.compile(rf"^\s*{_NUMBER}\s*(ms|s|min|m|h|d)\s*$")
_RATE_RE = re.compile(rf"^\s*{_NUMBER}\s*/\s*(s|min|m|h|d)\s*$")
_PERCENT_RE = re.compile(rf"^\s*{_NUMBER}\s*%\s*$")
_MONEY_RE = re.compile(rf"^\s*\$\s*{_NUMBER}\s*$")
_COUNT_RE = re.compile(rf"^\s*{_NUMBER}\s*(k|M|G)?\s*$")


class UnitError(ValueError):
    """A value that is not a well-formed quantity of the expected unit."""


def _is_bare_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_duration(value: object, *, allow_forever: bool = False) -> float:
    """Parse a duration such as ``'250ms'``, ``'30s'``, ``'5m'``, ``'2h'``, ``'30d'``.

    Returns:
        The duration in seconds (``math.inf`` for ``forever`` when allowed).
    """
    if _is_bare_number(value):
        raise UnitError(
            f"expected a duration with a unit such as '{value}s' or '{value}m', "
            f"got the bare number {value!r}"
        )
    if not isinstance(value, str):
        raise UnitError(f"expected a duration such as '30s', got {_describe(value)}")
    text = value.strip()
    if text.lower() in FOREVER:
        if allow_forever:
            return math.inf
        raise UnitError(f"expected a finite duration such as '30s', got {value!r}")
    match = _DURATION_RE.match(text)
    if not match:
        raise UnitError(
            f"expected a duration such as '250ms', '30s', '5m', '2h' or '30d', got {value!r}"
            + _clock_hint(text)
        )
    return _finite(float(match.group(1)) * DURATION_UNITS[match.group(2)], value)


def _percent_hint(value: float) -> str:
    """The percentage a bare number most likely means: a fraction below 1 is one
    (0.05 → '5%'), a larger number is already in percent (99.9 → '99.9%')."""
    if 0 < value < 1:
        return f"'{_num(float(Decimal(repr(value)).scaleb(2)))}%' (the fraction {value} as a percentage)"
    return f"'{value}%'"


_CLOCK_RE = re.compile(r"^([0-9]+):([0-5][0-9])(?::([0-5][0-9]))?$")


def _clock_hint(text: str) -> str:
    """For a clock-like text (``14:00``, ``1:30:00``): the duration it probably means."""
    match = _CLOCK_RE.match(text)
    if not match:
        return ""
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    if minutes == seconds == 0:
        meant = f"{hours}h"
    elif seconds == 0:
        meant = f"{hours * 60 + minutes}m"
    else:
        meant = f"{hours * 3600 + minutes * 60 + seconds}s"
    read_as = "hours:minutes:seconds" if match.group(3) else "hours:minutes"
    return (f"; did you mean '{meant}'? (read as {read_as}: a duration needs a unit, "
            f"not a clock time)")


def parse_rate(value: object) -> float:
    """Parse a rate such as ``'120/s'`` or ``'10/min'``. Returns events per second."""
    if _is_bare_number(value):
        raise UnitError(
            f"expected a rate with a unit such as '{value}/s' or '{value}/min', "
            f"got the bare number {value!r}"
        )
    if not isinstance(value, str):
        raise UnitError(f"expected a rate such as '120/s', got {_describe(value)}")
    match = _RATE_RE.match(value)
    if not match:
        raise UnitError(f"expected a rate such as '120/s', '10/min' or '5/h', got {value!r}")
    return _finite(float(match.group(1)) / RATE_UNITS[match.group(2)], value)


def parse_percent(value: object) -> float:
    """Parse a percentage such as ``'99.9%'``. Returns a fraction (0.999)."""
    if _is_bare_number(value):
        raise UnitError(
            f"expected a percentage such as {_percent_hint(value)}, got the bare number {value!r}"
        )
    if not isinstance(value, str):
        raise UnitError(f"expected a percentage such as '99.9%', got {_describe(value)}")
    match = _PERCENT_RE.match(value)
    if not match:
        raise UnitError(f"expected a percentage such as '99.9%' or '18%', got {value!r}")
    try:  # exact decimal division, one rounding: every fraction has a percent text
        fraction = float(Decimal(match.group(1)).scaleb(-2))
    except ArithmeticError:
        fraction = math.inf
    return _finite(fraction, value)


def percent_share(fraction: float) -> Fraction:
    """The exact share a parsed percentage was written as: ``0.58`` → ``Fraction(29, 50)``.

    :func:`parse_percent` rounds the written decimal once to the nearest float,
    so the shortest percentage text that parses back to ``fraction`` (what
    :func:`format_percent` writes) is the text the user wrote whenever it has
    at most 15 significant digits. Use it wherever a share is compared with a
    ratio of counts (a vote of checkers): ``k > 0.58 * 50`` is true for ``k = 29``
    in floating point, ``k > Fraction(29, 50) * 50`` is not.

    Args:
        fraction: A share as :func:`parse_percent` returns it.

    Returns:
        The share as an exact fraction.
    """
    return Fraction(Decimal(format_percent(fraction)[:-1])) / 100


def parse_money(value: object) -> float:
    """Parse an amount of US dollars such as ``'$0.0045'``. Returns dollars."""
    if _is_bare_number(value):
        raise UnitError(f"expected an amount such as '${value}', got the bare number {value!r}")
    if not isinstance(value, str):
        raise UnitError(f"expected an amount such as '$0.0045', got {_describe(value)}")
    match = _MONEY_RE.match(value)
    if not match:
        raise UnitError(f"expected an amount of dollars such as '$0.0045', got {value!r}")
    return _finite(float(match.group(1)), value)


def parse_count(value: object) -> int:
    """Parse a whole count: ``1000000``, ``1_000_000``, ``'1M'``, ``'250k'``."""
    if isinstance(value, bool):
        raise UnitError(f"expected a whole number such as 1000 or '1M', got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise UnitError(f"expected a whole number, got {value!r}")
    if not isinstance(value, str):
        raise UnitError(f"expected a whole number such as 1000 or '1M', got {_describe(value)}")
    match = _COUNT_RE.match(value.replace("_", ""))
    if not match:
        raise UnitError(f"expected a whole number such as 1000, '250k' or '1M', got {value!r}")
    number = float(match.group(1)) * COUNT_SUFFIXES[match.group(2) or ""]
    if not number.is_integer():
        raise UnitError(f"expected a whole number, got {value!r}")
    return int(number)


EXACT_KINDS = ("duration", "percent", "money", "count")


def parse_exact(value: str, kind: str) -> Fraction | None:
    """The exact rational a quantity text stands for, before any float rounding.

    ``'1.1h'`` is 3960 s exactly (``parse_duration`` gives 3960.0000000000005),
    ``'99.9%'`` is 999/1000. Use it where a written threshold is compared with a
    value at its boundary.

    Args:
        value: The text, e.g. ``'1.1h'``, ``'99.9%'``, ``'$10000'``, ``'1k'``.
        kind: One of :data:`EXACT_KINDS`.

    Returns:
        The exact value in the base unit, or None for an infinite duration (``forever``).

    Raises:
        UnitError: As the float parser of that kind (``parse_duration`` …).
    """
    parsers = {"duration": lambda v: parse_duration(v, allow_forever=True),
               "percent": parse_percent, "money": parse_money, "count": parse_count}
    if math.isinf(parsers[kind](value)):
        return None
    text = value.replace("_", "") if kind == "count" else value
    pattern = {"duration": _DURATION_RE, "percent": _PERCENT_RE, "money": _MONEY_RE,
               "count": _COUNT_RE}[kind]
    match = pattern.match(text.strip())
    assert match is not None  # the float parser accepted it
    number = Fraction(Decimal(match.group(1)))
    if kind == "duration":
        return number * Fraction(repr(DURATION_UNITS[match.group(2)]))
    if kind == "percent":
        return number / 100
    if kind == "count":
        return number * COUNT_SUFFIXES[match.group(2) or ""]
    return number


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def format_duration(seconds: float) -> str:
    """Inverse of :func:`parse_duration`: ``1800.0`` → ``'30m'``, ``0.25`` → ``'250ms'``."""
    if math.isinf(seconds):
        return "forever"
    for unit in ("d", "h", "m", "s", "ms"):
        scaled = seconds / DURATION_UNITS[unit]
        if scaled.is_integer() and scaled * DURATION_UNITS[unit] == seconds and scaled != 0:
            return f"{_num(scaled)}{unit}"
    return f"{_num(seconds)}s"


def format_rate(per_second: float) -> str:
    """Inverse of :func:`parse_rate`: ``120.0`` → ``'120/s'``, ``1/60`` → ``'1/min'``."""
    for unit in ("s", "min", "h", "d"):
        scaled = per_second * RATE_UNITS[unit]
        if scaled.is_integer() and scaled / RATE_UNITS[unit] == per_second:
            return f"{_num(scaled)}/{unit}"
    return f"{_num(per_second)}/s"


def format_percent(fraction: float) -> str:
    """Inverse of :func:`parse_percent`: ``0.999`` → ``'99.9%'``."""
    percent = fraction * 100.0
    for digits in range(0, 18):
        text = f"{percent:.{digits}f}"
        if float(Decimal(text).scaleb(-2)) == fraction:
            return f"{text}%"
    return f"{Decimal(repr(fraction)).scaleb(2)}%"


def format_money(dollars: float) -> str:
    """Inverse of :func:`parse_money`: ``0.0045`` → ``'$0.0045'``."""
    return f"${_num(dollars)}"


def _finite(number: float, written: object) -> float:
    if not math.isfinite(number):
        raise UnitError(f"expected a finite number, got {written!r}")
    return number


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
