"""The sweep's result tables: one row per run, and one row per point with confidence intervals.

``summary`` (one row per point × replication)::

    point, replication, <varied parameters with base-unit suffixes>, status, error,
    wall_s, <every metric>

``points`` (one row per point)::

    point, <varied parameters>, runs_ok, runs_failed,
    <metric>.mean, <metric>.ci95_lo, <metric>.ci95_hi  (for every metric)

Rows are sorted by point (expansion order) then replication, and metric
columns appear in first-seen order, so the same runs give the same tables
whichever executor produced them. Means and 95 % intervals are those of
:func:`drsim.metrics.summarise`, the same estimator as ``drsim run``, bit for
bit: each metric's interval is the form of its kind (read from its name by
:func:`drsim.metrics.confidence.metric_kind`), computed for all points at once
by :func:`drsim.metrics.summary.mean_ci_rows`; failed runs and NaN values are
left out of them.
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

    Vectorised over points and metrics; the numbers are those
    :func:`drsim.metrics.summarise` gives point by point, bit for bit.

    Args:
        summary: The table of :func:`summary_table`.
        points: The sweep's points, in expansion order.
        kinds: Kind of each parameter column.

    Returns:
        One row per point (points with no stored run have zero counts and NaN estimates).
    """
    fixed = set(FIXED_COLUMNS) | set(RUN_COLUMNS) | set(kinds)
    metrics = [c for c in summary.columns if c not in fixed]
    ids = [point.id for point in points]
    position = {pid: i for i, pid in enumerate(ids)}
    point_of_run = np.fromiter((position.get(pid, -1) for pid in summary["point"]),
                               dtype=np.intp, count=len(summary))
    stored = point_of_run >= 0
    ok = stored & (summary["status"] == "ok").to_numpy(dtype=bool)
    ok_runs = np.flatnonzero(ok)
    ok_runs = ok_runs[np.argsort(point_of_run[ok_runs], kind="stable")]
    mean, lo, hi = _point_estimates(
        summary[metrics].to_numpy(dtype=np.float64)[ok_runs], point_of_run[ok_runs], len(points),
        metrics,
    )
    data: dict[str, pd.Series | np.ndarray] = {"point": pd.Series(ids, dtype="object")}
    columns = [dict(point.columns) for point in points]
    for column, kind in kinds.items():
        data[column] = _param_series([values[column] for values in columns], kind)
    data["runs_ok"] = pd.Series(np.bincount(point_of_run[ok], minlength=len(points)),
                                dtype="int64")
    data["runs_failed"] = pd.Series(
        np.bincount(point_of_run[stored & ~ok], minlength=len(points)), dtype="int64"
    )
    for j, metric in enumerate(metrics):
        data[f"{metric}.mean"] = mean[:, j]
        data[f"{metric}.ci95_lo"] = lo[:, j]
        data[f"{metric}.ci95_hi"] = hi[:, j]
    return pd.DataFrame(data)


def _point_estimates(
    values: np.ndarray, point_of_run: np.ndarray, n_points: int, metrics: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95 % CI of every (point, metric) cell over its non-NaN values.

    Args:
        values: ``(runs, metrics)`` metric values of the successful runs, sorted by
            point (stably, so each point's runs keep their order).
        point_of_run: Position of each run's point in the sweep's points.
        n_points: Number of points.
        metrics: Name of each metric column (its kind picks the interval).

    Returns:
        ``(mean, lo, hi)``, each ``(points, metrics)``; NaN where a cell has no
        value and wherever :func:`drsim.metrics.summarise` reports None (non-finite).
    """
    from drsim.metrics.confidence import metric_kind
    from drsim.metrics.summary import mean_ci_rows

    n_metrics = values.shape[1]
    kind_of_cell = np.repeat(np.array([metric_kind(m) for m in metrics], dtype=object), n_points)
    # metric-major, then run order: each cell's values are contiguous, in run order
    flat = values.T.ravel()
    cell = (np.arange(n_metrics)[:, None] * n_points + point_of_run[None, :]).ravel()
    present = ~np.isnan(flat)
    flat, cell = flat[present], cell[present]
    counts = np.bincount(cell, minlength=n_metrics * n_points)
    starts = np.cumsum(counts) - counts
    estimates = np.full((3, n_metrics * n_points), np.nan)
    # cells with the same number of values and metric kind form one 2-D block,
    # estimated row by row
    for kind in dict.fromkeys(kind_of_cell.tolist()):
        for n in np.unique(counts[(counts > 0) & (kind_of_cell == kind)]):
            cells = np.flatnonzero((counts == n) & (kind_of_cell == kind))
            block = flat[starts[cells, None] + np.arange(n)]
            estimates[:, cells] = mean_ci_rows(block, kind=kind)
    estimates[~np.isfinite(estimates)] = np.nan
    mean, lo, hi = (e.reshape(n_metrics, n_points).T for e in estimates)
    return mean, lo, hi
