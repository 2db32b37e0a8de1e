"""Hand-built record tables with the exact columns and categories of drsim.records.

Tests get two factories as fixtures:

- ``make_records(requests=[...], writes=[...], locks=[...], events=[...], meta={...})``
  where each row is a dict of the columns that matter (the rest take defaults);
- ``make_scenario(**sections)`` — a two-region scenario (r1 primary, r2
  secondary), 600 s long, 100 users, with sections overridden as the YAML would.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from drsim.records import (
    EVENT_COLUMNS,
    EVENT_KINDS,
    LOCK_COLUMNS,
    OPERATIONS,
    OUTCOMES,
    REQUEST_COLUMNS,
    WRITE_COLUMNS,
    WRITE_KINDS,
    RunRecords,
)
from drsim.scenario.schema import Scenario

REGIONS = ("r1", "r2", "r3")

REQUEST_DEFAULTS: dict[str, Any] = {
    "time_s": 0.0,
    "op": "sign_in",
    "user": 0,
    "client": "web",
    "attacker": False,
    "region": "r1",
    "outcome": "ok",
    "latency_s": 0.05,
    "attempt": 0,
    "stale": False,
    "staleness_s": np.nan,
    "extra_guess": False,
    "shadow_locked": False,
}
WRITE_DEFAULTS: dict[str, Any] = {
    "write_id": 0,
    "time_s": 0.0,
    "user": 0,
    "kind": "profile",
    "origin": "r1",
    "target": "r2",
    "applied_s": np.nan,
    "stuck": False,
    "lost": False,
    "conflict": False,
    "split": 0,
}
EVENT_DEFAULTS: dict[str, Any] = {
    "time_s": 0.0,
    "kind": "health",
    "region": "",
    "value": 0.0,
    "detail": "",
}


def _category(values: list[Any], categories: list[str]) -> pd.Categorical:
    cat = pd.Categorical([str(v) for v in values], categories=categories)
    unknown = [v for v, code in zip(values, cat.codes, strict=True) if code < 0]
    assert not unknown, f"values {unknown} not among categories {categories}"
    return cat


def build_requests(rows: list[dict[str, Any]], regions: tuple[str, ...] = REGIONS) -> pd.DataFrame:
    """The ``requests`` table from row dicts (unknown keys are an error)."""
    for row in rows:
        assert set(row) <= set(REQUEST_COLUMNS), set(row) - set(REQUEST_COLUMNS)
    full = [{**REQUEST_DEFAULTS, **row} for row in rows]
    col = {c: [r[c] for r in full] for c in REQUEST_COLUMNS}
    clients = sorted({"web", *col["client"]})
    return pd.DataFrame(
        {
            "time_s": np.asarray(col["time_s"], dtype=np.float64),
            "op": _category(col["op"], list(OPERATIONS)),
            "user": np.asarray(col["user"], dtype=np.int64),
            "client": _category(col["client"], clients),
            "attacker": np.asarray(col["attacker"], dtype=bool),
            "region": _category(col["region"], [*regions, "none"]),
            "outcome": _category(col["outcome"], list(OUTCOMES)),
            "latency_s": np.asarray(col["latency_s"], dtype=np.float32),
            "attempt": np.asarray(col["attempt"], dtype=np.int8),
            "stale": np.asarray(col["stale"], dtype=bool),
            "staleness_s": np.asarray(col["staleness_s"], dtype=np.float32),
            "extra_guess": np.asarray(col["extra_guess"], dtype=bool),
            "shadow_locked": np.asarray(col["shadow_locked"], dtype=bool),
        },
        columns=list(REQUEST_COLUMNS),
    )


def build_writes(rows: list[dict[str, Any]], regions: tuple[str, ...] = REGIONS) -> pd.DataFrame:
    """The ``writes`` table from row dicts."""
    for row in rows:
        assert set(row) <= set(WRITE_COLUMNS), set(row) - set(WRITE_COLUMNS)
    full = [{**WRITE_DEFAULTS, **row} for row in rows]
    col = {c: [r[c] for r in full] for c in WRITE_COLUMNS}
    return pd.DataFrame(
        {
            "write_id": np.asarray(col["write_id"], dtype=np.int64),
            "time_s": np.asarray(col["time_s"], dtype=np.float64),
            "user": np.asarray(col["user"], dtype=np.int64),
            "kind": _category(col["kind"], list(WRITE_KINDS)),
            "origin": _category(col["origin"], list(regions)),
            "target": _category(col["target"], list(regions)),
            "applied_s": np.asarray(col["applied_s"], dtype=np.float64),
            "stuck": np.asarray(col["stuck"], dtype=bool),
            "lost": np.asarray(col["lost"], dtype=bool),
            "conflict": np.asarray(col["conflict"], dtype=bool),
            "split": np.asarray(col["split"], dtype=np.int8),
        },
        columns=list(WRITE_COLUMNS),
    )


def build_locks(
    rows: list[tuple[int, str, float, float]], regions: tuple[str, ...] = REGIONS
) -> pd.DataFrame:
    """The ``locks`` table from ``(user, scope, start_s, end_s)`` tuples."""
    users, scopes, starts, ends = (list(x) for x in zip(*rows, strict=True)) if rows else ([],) * 4
    return pd.DataFrame(
        {
            "user": np.asarray(users, dtype=np.int64),
            "scope": _category(scopes, [*regions, "global", "shared"]),
            "start_s": np.asarray(starts, dtype=np.float64),
            "end_s": np.asarray(ends, dtype=np.float64),
        },
        columns=list(LOCK_COLUMNS),
    )


def build_events(rows: list[dict[str, Any]], regions: tuple[str, ...] = REGIONS) -> pd.DataFrame:
    """The ``events`` table from row dicts."""
    full = [{**EVENT_DEFAULTS, **row} for row in rows]
    col = {c: [r[c] for r in full] for c in EVENT_COLUMNS}
    return pd.DataFrame(
        {
            "time_s": np.asarray(col["time_s"], dtype=np.float64),
            "kind": _category(col["kind"], list(EVENT_KINDS)),
            "region": _category(col["region"], ["", *regions]),
            "value": np.asarray(col["value"], dtype=np.float64),
            "detail": np.asarray(col["detail"], dtype=object),
        },
        columns=list(EVENT_COLUMNS),
    )


def build_records(
    requests: list[dict[str, Any]] | None = None,
    writes: list[dict[str, Any]] | None = None,
    locks: list[tuple[int, str, float, float]] | None = None,
    events: list[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
) -> RunRecords:
    """A :class:`RunRecords` from hand-written rows (empty tables by default)."""
    return RunRecords(
        requests=build_requests(requests or []),
        writes=build_writes(writes or []),
        locks=build_locks(locks or []),
        events=build_events(events or []),
        meta=dict(meta or {}),
    )


def build_scenario(**sections: Any) -> Scenario:
    """Two regions r1 (primary) / r2 (secondary), 600 s, 100 users; sections override."""
    base: dict[str, Any] = {
        "name": "tiny",
        "regions": [{"name": "r1", "role": "primary"}, {"name": "r2", "role": "secondary"}],
        "users": {"population": 100},
        "run": {"duration": "600s"},
    }
    base.update(sections)
    return Scenario.model_validate(base)


@pytest.fixture
def make_records():
    return build_records


@pytest.fixture
def make_scenario():
    return build_scenario
