"""JSON for results: the one rule for numbers JSON cannot hold (NaN, +∞, −∞).

**The rule: NaN, +∞ and −∞ become ``null``** in every JSON document drsim
publishes — ``summary.json``, ``drsim run --json``, ``compare.json``,
``drsim compare --json`` and the run facts in the manifest. Strict JSON has
no spelling for them (Python's ``NaN``/``Infinity`` tokens break other
readers), and for a published estimate they all mean the same thing: *no
finite value* — a metric undefined in every replication, or a mean dragged to
∞ by a run that never recovered (the per-replication values and the text
reports say which). Floats are made plain Python floats (``-0.0`` → ``0.0``),
numpy scalars and arrays plain numbers and lists, tuples and sets lists.

**One exception, on purpose:** a sweep's private run store
(``runs/*.json``, :mod:`drsim.experiment.store`) must give back exactly the
metric values a run produced, because the sweep's tables and confidence
intervals are rebuilt from it on every resume. There ±∞ is data (an RTO of
∞: sign-in success never recovered) and is written as the strings ``"inf"``
/ ``"-inf"`` by :func:`store_float` and read back by :func:`load_float`;
NaN is ``null`` as everywhere else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

FLOAT_DIGITS = 12
"""Significant digits kept for floats in summary.json (stable across platforms)."""


def jsonable(value: Any, digits: int | None = None) -> Any:
    """Convert to plain JSON types: NaN/±∞ → None, numpy → Python, tuples and sets → lists.

    Args:
        value: Nested mappings/lists of numbers, strings, numpy scalars or arrays.
        digits: Significant digits to keep for floats (None keeps them all).

    Returns:
        The same structure with only dict/list/str/int/float/bool/None (mapping
        keys as strings, sets sorted, anything else as its ``str``).
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, digits) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [jsonable(v, digits) for v in value.tolist()]
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [jsonable(v, digits) for v in items]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if not math.isfinite(x):
            return None
        if digits is not None:
            x = float(f"{x:.{digits}g}")
        return x + 0.0  # no "-0.0"
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def json_text(value: Any, *, indent: int | None = 2, sort_keys: bool = False,
              digits: int | None = None) -> str:
    """``value`` as strict JSON text (by :func:`jsonable`), ending with a newline when indented."""
    text = json.dumps(jsonable(value, digits), indent=indent, sort_keys=sort_keys,
                      allow_nan=False)
    return text + "\n" if indent is not None else text


def store_float(x: float) -> float | str | None:
    """A metric value for the sweep's run store: NaN → None, ±∞ → ``"inf"``/``"-inf"``."""
    if math.isfinite(x):
        return x
    return None if math.isnan(x) else ("inf" if x > 0 else "-inf")


def load_float(value: Any) -> float:
    """The inverse of :func:`store_float`."""
    if value is None:
        return math.nan
    if value == "inf":
        return math.inf
    if value == "-inf":
        return -math.inf
    return float(value)
