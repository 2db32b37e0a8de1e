"""Sweep designs: which variants of a DR design to simulate.

A sweep varies scenario parameters (``dns.ttl``, ``health_check.interval``,
``lockout.scope`` …) and simulates every *point* — one combination of values —
for the same replications. Three ways to choose the points:

* **grid** (``--param PATH=V1,V2,...`` repeated): the full factorial of the
  value lists, in the order given, the last parameter varying fastest;
* **zip** (``--zip``): the i-th point takes the i-th value of every list
  (all lists have the same length);
* **Latin hypercube** (``--sample lhs:N --range PATH=LO..HI``): N points
  spread over the ranges so that each range, cut into N equal strata, has
  exactly one point in every stratum. Units are respected: ``10s..300s`` is
  sampled in seconds and written back as a duration; integer ranges
  (``3..10``) stay integers. The sample is seeded from the scenario seed, so
  the same definition always gives the same points.

Grid (or zip) parameters and sampled ranges may be combined: every grid point
is crossed with every sampled point.

Every point's values are plain override strings (``dns.ttl=30s``), applied
through the scenario loader exactly like ``--set``, so a point is validated
like any hand-written scenario. Each point has a stable id derived from its
position in the expansion and a hash of its values, which is how a resumed
sweep recognises finished runs.

The varied parameters become columns of the sweep's tables, named with the
base unit of their kind: ``dns.ttl_s`` (seconds), ``traffic.sign_in_per_s``
(events per second), ``users.federated_frac`` (fraction), ``pricing.…_usd``
(US dollars), counts and plain numbers without a suffix, and words (such as
``lockout.scope``) as text.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from drsim.experiment.errors import SweepError
from drsim.scenario import units

# --------------------------------------------------------------------------- quantities

KIND_SUFFIX: dict[str, str] = {
    "duration": "_s",
    "rate": "_per_s",
    "percent": "_frac",
    "money": "_usd",
    "count": "",
    "number": "",
    "text": "",
}
"""Column-name suffix (the base unit) of each kind of value."""

NUMERIC_KINDS = ("duration", "rate", "percent", "money", "count", "number")

_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z0-9_-]+))*$")
LHS_STREAM = 0x5EED_1A75
"""Constant mixed into the scenario seed for the Latin hypercube's generator, so the
sample never shares a stream with the simulation."""


def parse_quantity(text: str) -> tuple[str, float | int | str]:
    """Recognise the kind of a value written on the command line.

    Args:
        text: A value such as ``'30s'``, ``'120/s'``, ``'99%'``, ``'$0.01'``,
            ``'5'``, ``'1.5'`` or ``'global'``.

    Returns:
        ``(kind, value)`` where value is in base units (seconds, events per
        second, a fraction, dollars), an ``int`` for counts, a ``float`` for
        plain numbers, or the text itself for words.
    """
    parsers = (
        ("duration", units.parse_duration),
        ("rate", units.parse_rate),
        ("percent", units.parse_percent),
        ("money", units.parse_money),
        ("count", units.parse_count),
    )
    for kind, parser in parsers:
        try:
            return kind, parser(text)
        except units.UnitError:
            continue
    try:
        number = float(text)
    except ValueError:
        return "text", text
    if math.isfinite(number):
        return "number", number
    return "text", text


def format_quantity(kind: str, value: float | int | str) -> str:
    """Inverse of :func:`parse_quantity`: a base-unit value back to what a person writes."""
    if kind == "duration":
        return _shortest(float(value), units.format_duration, "s", units.parse_duration)
    if kind == "rate":
        return _shortest(float(value), units.format_rate, "/s", units.parse_rate)
    if kind == "percent":
        return units.format_percent(float(value))
    if kind == "money":
        return units.format_money(float(value))
    if kind == "count":
        return str(int(value))
    if kind == "number":
        return repr(float(value))
    return str(value)


def _shortest(value: float, formatter, base_unit: str, parser) -> str:  # noqa: ANN001
    """The shorter of the unit formatter's text and ``<value><base unit>`` that parses
    back to exactly ``value`` (``117.69s`` rather than ``117690ms``)."""
    candidates = [formatter(value), f"{value!r}{base_unit}"]
    exact = [c for c in candidates if parser(c) == value]
    return min(exact or candidates[:1], key=len)


def _unify(kinds: Sequence[str]) -> str:
    distinct = set(kinds)
    if len(distinct) == 1:
        return kinds[0]
    if distinct <= {"count", "number"}:
        return "number"
    return "text"


def column_name(path: str, kind: str) -> str:
    """Column of a varied parameter: the path plus its base-unit suffix (``dns.ttl_s``)."""
    return path + KIND_SUFFIX[kind]


def _column_value(kind: str, text: str) -> float | int | str:
    if kind == "text":
        return text
    parsed_kind, value = parse_quantity(text)
    if kind == "number":
        return float(value)
    if kind == "count":
        return int(value)
    assert parsed_kind == kind
    return float(value)


def _check_path(path: str, option: str, raw: str) -> None:
    if not path:
        raise SweepError(f"{option} {raw!r}: missing the parameter path before '='")
    if not _PATH_RE.match(path):
        raise SweepError(
            f"{option} {raw!r}: {path!r} is not a parameter path such as 'dns.ttl'"
        )


# --------------------------------------------------------------------------- specifications


@dataclass(frozen=True)
class ParamSpec:
    """One ``--param PATH=V1,V2,...``: a parameter and the values it takes (values are split
    on commas, so a value cannot contain one)."""

    path: str
    values: tuple[str, ...]

    @property
    def kind(self) -> str:
        return _unify([parse_quantity(v)[0] for v in self.values])

    @property
    def column(self) -> str:
        return column_name(self.path, self.kind)


@dataclass(frozen=True)
class RangeSpec:
    """One ``--range PATH=LO..HI``: a parameter sampled between two values of one unit."""

    path: str
    low: str
    high: str

    @property
    def kind(self) -> str:
        return _unify([parse_quantity(self.low)[0], parse_quantity(self.high)[0]])

    @property
    def column(self) -> str:
        return column_name(self.path, self.kind)

    def bounds(self) -> tuple[float, float]:
        """Low and high in base units."""
        return float(parse_quantity(self.low)[1]), float(parse_quantity(self.high)[1])


@dataclass(frozen=True)
class SampleSpec:
    """``--sample METHOD:N``; only the Latin hypercube (``lhs``) exists."""

    method: str
    n: int


def parse_param(raw: str) -> ParamSpec:
    """Parse ``--param PATH=V1,V2,...``.

    Raises:
        SweepError: No ``=``, a bad path, an empty list or an empty value.
    """
    if "=" not in raw:
        raise SweepError(f"--param {raw!r}: expected PATH=V1,V2,... such as 'dns.ttl=30s,60s'")
    path, _, rest = raw.partition("=")
    path = path.strip()
    _check_path(path, "--param", raw)
    if not rest.strip():
        raise SweepError(f"--param {path}: empty list of values (expected {path}=V1,V2,...)")
    values = tuple(v.strip() for v in rest.split(","))
    if any(not v for v in values):
        raise SweepError(f"--param {path}: empty value in the list {rest!r}")
    return ParamSpec(path=path, values=values)


def parse_range(raw: str) -> RangeSpec:
    """Parse ``--range PATH=LO..HI`` (both ends of the same unit, LO < HI).

    Raises:
        SweepError: Malformed text, ends of different units, words, or LO ≥ HI.
    """
    if "=" not in raw or ".." not in raw.partition("=")[2]:
        raise SweepError(f"--range {raw!r}: expected PATH=LO..HI such as 'dns.ttl=10s..300s'")
    path, _, rest = raw.partition("=")
    path = path.strip()
    _check_path(path, "--range", raw)
    low, _, high = (part.strip() for part in rest.partition(".."))
    if not low or not high:
        raise SweepError(f"--range {path}: expected LO..HI such as '10s..300s', got {rest!r}")
    low_kind, low_value = parse_quantity(low)
    high_kind, high_value = parse_quantity(high)
    if "text" in (low_kind, high_kind):
        word = low if low_kind == "text" else high
        raise SweepError(f"--range {path}: {word!r} is not a number or a quantity with a unit")
    kind = _unify([low_kind, high_kind])
    if kind == "text":
        raise SweepError(
            f"--range {path}: {low!r} ({low_kind}) and {high!r} ({high_kind}) are not of the "
            "same unit"
        )
    if not float(low_value) < float(high_value):
        raise SweepError(f"--range {path}: low end {low!r} must be below high end {high!r}")
    return RangeSpec(path=path, low=low, high=high)


def parse_sample(raw: str) -> SampleSpec:
    """Parse ``--sample lhs:N`` (N ≥ 1)."""
    method, sep, count = raw.partition(":")
    method = method.strip().lower()
    if not sep or method != "lhs":
        raise SweepError(f"--sample {raw!r}: expected 'lhs:N' (a Latin hypercube of N points)")
    try:
        n = int(count)
    except ValueError:
        raise SweepError(f"--sample {raw!r}: N must be a whole number, got {count!r}") from None
    if n < 1:
        raise SweepError(f"--sample {raw!r}: N must be at least 1")
    return SampleSpec(method=method, n=n)


# --------------------------------------------------------------------------- points


@dataclass(frozen=True)
class Point:
    """One combination of parameter values of a sweep."""

    index: int
    values: tuple[tuple[str, str], ...]
    """``(path, value text)`` pairs, in parameter order."""
    columns: tuple[tuple[str, float | int | str], ...]
    """``(column name, value in base units)`` pairs, in parameter order."""

    @property
    def id(self) -> str:
        """Stable id: expansion index plus a hash of the values (``p0003-1a2b3c4d``)."""
        text = json.dumps([list(v) for v in self.values], separators=(",", ":"))
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
        return f"p{self.index:04d}-{digest}"

    @property
    def overrides(self) -> list[str]:
        """The point as loader overrides (``['dns.ttl=30s', ...]``)."""
        return [f"{path}={text}" for path, text in self.values]

    def label(self) -> str:
        """Short human label: ``dns.ttl=30s, lockout.scope=global``."""
        return ", ".join(f"{path}={text}" for path, text in self.values)


@dataclass(frozen=True)
class SweepDesign:
    """What a sweep varies: grid/zip lists and sampled ranges."""

    params: tuple[ParamSpec, ...] = ()
    zip: bool = False
    sample: SampleSpec | None = None
    ranges: tuple[RangeSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.params and self.sample is None:
            if self.ranges:
                raise SweepError("--range needs --sample lhs:N (how many points to draw)")
            raise SweepError("nothing to sweep: give --param PATH=V1,V2,... or --sample lhs:N "
                             "with --range PATH=LO..HI")
        if self.sample is not None and not self.ranges:
            raise SweepError("--sample needs at least one --range PATH=LO..HI")
        if self.sample is None and self.ranges:
            raise SweepError("--range needs --sample lhs:N (how many points to draw)")
        if self.zip and not self.params:
            raise SweepError("--zip needs --param lists to zip")
        seen: set[str] = set()
        for path in [p.path for p in self.params] + [r.path for r in self.ranges]:
            if path in seen:
                raise SweepError(f"parameter {path} is given twice (in --param or --range)")
            seen.add(path)
        if not self.zip:
            for spec in self.params:
                repeated = [v for i, v in enumerate(spec.values) if v in spec.values[:i]]
                if repeated:
                    raise SweepError(f"--param {spec.path}: value {repeated[0]!r} is listed twice")
        if self.zip:
            lengths = {p.path: len(p.values) for p in self.params}
            if len(set(lengths.values())) > 1:
                listed = ", ".join(f"{path} has {n}" for path, n in lengths.items())
                raise SweepError(f"--zip needs lists of the same length: {listed}")

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.params) + tuple(r.path for r in self.ranges)

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of the varied parameters, in parameter order."""
        return tuple(p.column for p in self.params) + tuple(r.column for r in self.ranges)

    @property
    def kinds(self) -> dict[str, str]:
        """Kind of each varied parameter's column."""
        out = {p.column: p.kind for p in self.params}
        out.update({r.column: r.kind for r in self.ranges})
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``sweep.yaml``."""
        return {
            "params": [{"path": p.path, "values": list(p.values)} for p in self.params],
            "zip": self.zip,
            "sample": None if self.sample is None else f"{self.sample.method}:{self.sample.n}",
            "ranges": [{"path": r.path, "low": r.low, "high": r.high} for r in self.ranges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepDesign:
        """Inverse of :meth:`to_dict`."""
        return cls(
            params=tuple(ParamSpec(p["path"], tuple(p["values"])) for p in data["params"]),
            zip=bool(data["zip"]),
            sample=None if data["sample"] is None else parse_sample(data["sample"]),
            ranges=tuple(RangeSpec(r["path"], r["low"], r["high"]) for r in data["ranges"]),
        )

    def expand(self, seed: int) -> list[Point]:
        """All points of the design, in a stable order.

        Args:
            seed: The scenario seed; it seeds the Latin hypercube (no other randomness).

        Returns:
            The points; grid points vary the last parameter fastest, and each
            grid point is crossed with every sampled point.
        """
        list_rows = self._list_rows()
        sample_rows = self._sample_rows(seed)
        points: list[Point] = []
        for left, right in itertools.product(list_rows, sample_rows):
            cells = left + right
            points.append(
                Point(
                    index=len(points),
                    values=tuple((path, text) for path, text, _, _ in cells),
                    columns=tuple((column, value) for _, _, column, value in cells),
                )
            )
        return points

    # cells are (path, text, column, value)
    def _list_rows(self) -> list[list[tuple[str, str, str, Any]]]:
        if not self.params:
            return [[]]
        per_param = [
            [(p.path, v, p.column, _column_value(p.kind, v)) for v in p.values]
            for p in self.params
        ]
        if self.zip:
            return [list(row) for row in zip(*per_param, strict=True)]
        return [list(row) for row in itertools.product(*per_param)]

    def _sample_rows(self, seed: int) -> list[list[tuple[str, str, str, Any]]]:
        if self.sample is None:
            return [[]]
        rng = np.random.default_rng([int(seed), LHS_STREAM])
        unit = latin_hypercube(self.sample.n, len(self.ranges), rng)
        rows: list[list[tuple[str, str, str, Any]]] = []
        for i in range(self.sample.n):
            row = []
            for j, spec in enumerate(self.ranges):
                value = scale_to_range(spec.kind, *spec.bounds(), float(unit[i, j]),
                                       strata=self.sample.n)
                text = format_quantity(spec.kind, value)
                # the column holds what the loader will read from the text
                row.append((spec.path, text, spec.column, _column_value(spec.kind, text)))
            rows.append(row)
        return rows


def latin_hypercube(n: int, dims: int, rng: np.random.Generator) -> np.ndarray:
    """A Latin hypercube sample on the unit cube.

    Args:
        n: Number of points (and strata per dimension).
        dims: Number of dimensions.
        rng: The generator to draw from.

    Returns:
        An ``(n, dims)`` array in ``[0, 1)`` with, in every column, exactly one
        value in each stratum ``[k/n, (k+1)/n)``.
    """
    sample = np.empty((n, dims))
    for j in range(dims):
        strata = rng.permutation(n)
        sample[:, j] = (strata + rng.random(n)) / n
    return sample


def scale_to_range(
    kind: str, low: float, high: float, u: float, strata: int | None = None
) -> float | int:
    """Map ``u`` in ``[0, 1)`` to a value of the range, in base units.

    Continuous kinds map linearly onto ``[low, high)``; counts map onto the
    whole numbers ``low … high`` (each equally likely), and stay integers.

    Args:
        kind: The range's kind (see :func:`parse_quantity`).
        low: Low end in base units.
        high: High end in base units.
        u: Position in the unit interval.
        strata: When given, continuous values are rounded to about four
            significant digits of a stratum's width (``(high − low) / strata``)
            — readable overrides such as ``117.69s`` — while staying inside
            ``u``'s stratum.

    Returns:
        The value (``int`` for counts, ``float`` otherwise).
    """
    if kind == "count":
        lo, hi = int(low), int(high)
        return min(hi, lo + int(math.floor(u * (hi - lo + 1))))
    value = low + u * (high - low)
    if strata is None:
        return value
    width = (high - low) / strata
    digits = 3 - math.floor(math.log10(width))
    step = 10.0 ** -digits
    k = min(strata - 1, math.floor(u * strata))
    stratum_lo = low + k * width
    stratum_hi = low + (k + 1) * width
    rounded = round(value, digits)
    if rounded < stratum_lo:
        rounded = round(rounded + step, digits)
    elif rounded >= stratum_hi:
        rounded = round(rounded - step, digits)
    return rounded if stratum_lo <= rounded < stratum_hi else value
