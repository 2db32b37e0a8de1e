"""The sweep's result tables: one row per run, and one row per point with confidence intervals.

``summary`` (one row per point × replication)::

    point, replication, <varied parameters with base-unit suffixes>, status, error,
    wall_s, <every metric>

``points`` (one row per point)::

    point, <varied parameters>, runs_ok, runs_failed,
    <metric>.mean, <metric>.ci95_lo, <metric>.ci95_hi  (for every metric)

Rows are sorted by point (expansion order) then replication, and metric
columns appear in first-seen order, so the same runs give the same tables
whichever executor produced them. Means and 95 % Student-t intervals come
from :func:`drsim.metrics.summarise`, the same estimator as ``drsim run``;
failed runs and NaN values are left out of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from drsim.experiment.design import Point

FIXED_COLUMNS = ("point", "replication")
RUN_COLUMNS = ("status", "error", "wall_s")


def _param_series(points_col: list[Any], kind: str) -> pd.Series:
    if kind == "count":
        return pd.Series(points_col, dtype="Int64")
    if kind == "text":
        return pd.Series(points_col, dtype="object")
    return pd.Series(points_col, dtype="float64")


def summary_table(
    points: Sequence[Point],
    kinds: Mapping[str, str],
    replications: int,
    runs: Mapping[tuple[str, int], Mapping[str, Any]],
) -> pd.DataFrame:
    """One row per stored run of the sweep's points and replications.

    Args:
        points: The sweep's points, in expansion order.
        kinds: Kind of each parameter column (see :mod:`drsim.experiment.design`).
        replications: Replications per point (runs with a higher index are ignored).
        runs: Stored run records keyed by ``(point id, replication)``.

    Returns:
        The summary table (runs not stored yet are absent).
    """
    rows: list[tuple[Point, int, Mapping[str, Any]]] = []
    for point in points:
        for rep in range(replications):
            record = runs.get((point.id, rep))
            if record is not None:
                rows.append((point, rep, record))
    metric_names: dict[str, None] = {}
    for _, _, record in rows:
        metric_names.update(dict.fromkeys(record.get("metrics", {})))
    data: dict[str, pd.Series] = {
        "point": pd.Series([p.id for p, _, _ in rows], dtype="object"),
        "replication": pd.Series([r for _, r, _ in rows], dtype="int64"),
    }
    for column, kind in kinds.items():
        data[column] = _param_series([dict(p.columns)[column] for p, _, _ in rows], kind)
    data["status"] = pd.Series([rec["status"] for _, _, rec in rows], dtype="object")
    data["error"] = pd.Series([rec.get("error") for _, _, rec in rows], dtype="object")
    data["wall_s"] = pd.Series([float(rec.get("wall_s", math.nan)) for _, _, rec in rows],
                               dtype="float64")
    for name in metric_names:
        data[name] = pd.Series(
            [float(rec.get("metrics", {}).get(name, math.nan)) for _, _, rec in rows],
            dtype="float64",
        )
    return pd.DataFrame(data)


def points_table(
    summary: pd.DataFrame, points: Sequence[Point], kinds: Mapping[str, str]
) -> pd.DataFrame:
    """Per-point mean and 95 % CI of every metric over the point's successful runs.

    Args:
        summary: The table of :func:`summary_table`.
        points: The sweep's points, in expansion order.
        kinds: Kind of each parameter column.

    Returns:
        One row per point (points with no stored run have zero counts and NaN estimates).
    """
    from drsim.metrics import summarise

    fixed = set(FIXED_COLUMNS) | set(RUN_COLUMNS) | set(kinds)
    metrics = [c for c in summary.columns if c not in fixed]
    by_point = {pid: frame for pid, frame in summary.groupby("point", sort=False)}
    rows: list[dict[str, Any]] = []
    for point in points:
        frame = by_point.get(point.id, summary.iloc[0:0])
        ok = frame[frame["status"] == "ok"]
        row: dict[str, Any] = {"point": point.id, **dict(point.columns)}
        row["runs_ok"] = int(len(ok))
        row["runs_failed"] = int((frame["status"] != "ok").sum())
        estimates = summarise(
            [{m: float(v) for m, v in zip(metrics, values, strict=True)}
             for values in ok[metrics].itertuples(index=False, name=None)]
        )
        for metric in metrics:
            entry = estimates.get(metric, {})
            lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
            row[f"{metric}.mean"] = _num(entry.get("mean"))
            row[f"{metric}.ci95_lo"] = _num(lo)
            row[f"{metric}.ci95_hi"] = _num(hi)
        rows.append(row)
    data: dict[str, pd.Series] = {"point": pd.Series([r["point"] for r in rows], dtype="object")}
    for column, kind in kinds.items():
        data[column] = _param_series([r[column] for r in rows], kind)
    for column in ("runs_ok", "runs_failed"):
        data[column] = pd.Series([r[column] for r in rows], dtype="int64")
    for metric in metrics:
        for stat in ("mean", "ci95_lo", "ci95_hi"):
            name = f"{metric}.{stat}"
            data[name] = pd.Series([r[name] for r in rows], dtype="float64")
    return pd.DataFrame(data)


def _num(value: Any) -> float:
    if value is None:
        return math.nan
    x = float(value)
    return x if not np.isnan(x) else math.nan
