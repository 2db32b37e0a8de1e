"""Run outputs: the files a `drsim run` leaves behind so a DR review can be reproduced.

A run directory holds everything needed to check and repeat a result:

``manifest.yaml``
    The fully resolved scenario (defaults included), seed, replications, drsim
    version, wall time, status (``ok`` or ``failed`` with the failed
    replications and their errors), Python and platform, each replication's
    run facts (``meta``: fault start, detection, DNS flip, promotion …) and
    the list of files written.
``summary.json``
    ``{"scenario", "seed", "replications", "metrics": {METRIC: {"mean",
    "ci95", "per_replication"}}}`` — keys sorted, floats rounded to 12
    significant digits, NaN/∞ as ``null``; byte-identical for the same
    scenario and seed (wall time lives only in the manifest).
``records.parquet``
    The ``requests`` table of **every replication whose records were kept**,
    with a leading ``replication`` column (int16). ``writes.parquet``,
    ``locks.parquet`` and ``events.parquet`` hold the other record tables the
    same way (see :mod:`drsim.records` for the columns).
``timeline.csv``
    Legitimate request attempts per minute, per region, per outcome:
    ``replication, minute`` (bucket start, simulated minutes)``, region,
    outcome, count`` (:func:`drsim.metrics.timeline`), non-zero rows only.
``*.png``
    The run charts (:mod:`drsim.report.run_charts`), unless disabled.

Every file is written atomically: to a temporary file in the same directory,
then ``os.replace`` — a reader never sees half a file, and an interrupted run
never leaves a truncated one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

if TYPE_CHECKING:
    from drsim.api import RunOutput
    from drsim.records import RunRecords
    from drsim.scenario.schema import Scenario

FLOAT_DIGITS = 12
"""Significant digits kept for floats in summary.json (stable across platforms)."""

RECORD_FILES = {
    "requests": "records.parquet",
    "writes": "writes.parquet",
    "locks": "locks.parquet",
    "events": "events.parquet",
}
"""Record table → file name in a run directory."""

CHART_FILES = {
    "signin_success": "signin_success.png",
    "failures_by_cause": "failures_by_cause.png",
    "staleness": "staleness.png",
    "lockout_bypass": "lockout_bypass.png",
}
"""Chart → file name in a run directory."""


# --------------------------------------------------------------------------- atomic writes


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it over ``path``.

    Args:
        path: The final file name. Its directory must exist.

    Yields:
        A temporary file path in the same directory (same file system, so
        ``os.replace`` is atomic). Write the whole file there.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (``\\n`` line ends); returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


# --------------------------------------------------------------------------- JSON / YAML safety


def jsonable(value: Any, digits: int | None = FLOAT_DIGITS) -> Any:
    """Convert to plain JSON types: NaN/∞ → None, numpy → Python, tuples → lists.

    Args:
        value: Nested dicts/lists of numbers, strings, numpy scalars or arrays.
        digits: Significant digits to keep for floats (None keeps them all).

    Returns:
        The same structure with only dict/list/str/int/float/bool/None.
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


def summary_json(summary: Mapping[str, Any]) -> str:
    """The canonical text of a summary: sorted keys, stable floats, NaN as null."""
    return json.dumps(jsonable(summary), sort_keys=True, indent=2, allow_nan=False) + "\n"


def scenario_mapping(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario as a plain mapping (defaults included, units kept)."""
    try:
        from drsim.scenario import resolved_yaml
    except ImportError:  # loader not available: fall back to the schema's own dump
        return jsonable(scenario.model_dump(mode="json"), digits=None)
    return yaml.safe_load(resolved_yaml(scenario))


def drsim_version() -> str:
    """The installed drsim version ("0.0.0" when not installed)."""
    from drsim import __version__

    return __version__


# --------------------------------------------------------------------------- tables


def _stack(tables: Sequence[tuple[int, pd.DataFrame]]) -> pd.DataFrame:
    """Concatenate per-replication tables with a leading ``replication`` column."""
    frames = []
    for rep, frame in tables:
        frame = frame.copy()
        frame.insert(0, "replication", np.int16(rep))
        frames.append(frame)
    if not frames:
        return pd.DataFrame({"replication": pd.Series([], dtype="int16")})
    stacked = pd.concat(frames, ignore_index=True)
    stacked["replication"] = stacked["replication"].astype("int16")
    return stacked


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")


def _write_timeline(path: Path, kept: Sequence[tuple[int, RunRecords]]) -> None:
    from drsim.metrics import timeline

    table = _stack([(rep, timeline(rec, bucket_s=60.0)) for rep, rec in kept])
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")


# --------------------------------------------------------------------------- manifest


def manifest(
    output: RunOutput, files: Sequence[str] = (), chart_error: str | None = None
) -> dict[str, Any]:
    """The manifest of a run: everything needed to reproduce and audit it."""
    failed = [r for r in output.results if r.status != "ok"]
    status = "ok" if not failed else "failed"
    meta = [
        {"replication": r.replication, **jsonable(dict(r.records.meta), digits=None)}
        for r in output.results
        if r.records is not None
    ]
    return {
        "drsim_version": drsim_version(),
        "scenario_name": output.scenario.name,
        "status": status,
        "status_detail": (
            "all replications succeeded"
            if not failed
            else f"{len(failed)} of {len(output.results)} replications failed"
        ),
        "seed": int(output.scenario.run.seed),
        "replications": int(output.scenario.run.replications),
        "failed_replications": [
            {"replication": r.replication, "error": (r.error or "").strip()} for r in failed
        ],
        "wall_time_s": round(float(output.wall_s), 3),
        "replication_wall_s": [round(float(r.wall_s), 3) for r in output.results],
        "started_utc": output.started_utc,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": list(output.command) if output.command else None,
        "records": {
            "replications_kept": [r.replication for r in output.results if r.records],
            "files": "every record file has a leading 'replication' column",
        },
        "files": sorted(files),
        "chart_error": chart_error,
        "meta": meta,
        "scenario": scenario_mapping(output.scenario),
    }


# --------------------------------------------------------------------------- the run directory


def write_run(output: RunOutput, directory: str | os.PathLike[str], charts: bool = True) -> Path:
    """Write every output file of a run into ``directory`` (created if needed).

    The manifest is written last: a directory with a manifest is complete. A
    run whose replications all failed still gets a manifest and a summary.

    Args:
        output: The run to save.
        directory: Target directory.
        charts: Also render the PNG charts.

    Returns:
        The directory path.
    """
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []

    atomic_write_text(out_dir / "summary.json", summary_json(output.summary))
    written.append("summary.json")

    kept = [(r.replication, r.records) for r in output.results if r.records is not None]
    if kept:
        for table, name in RECORD_FILES.items():
            _write_parquet(
                out_dir / name, _stack([(rep, getattr(rec, table)) for rep, rec in kept])
            )
            written.append(name)
        _write_timeline(out_dir / "timeline.csv", kept)
        written.append("timeline.csv")

    chart_error = None
    if charts:
        try:
            written.extend(_write_charts(output, out_dir))
        except Exception as exc:  # a chart bug must not lose the run's data
            chart_error = f"{type(exc).__name__}: {exc}"
            print(f"drsim: warning: charts not written: {chart_error}", file=sys.stderr)

    atomic_write_text(
        out_dir / "manifest.yaml",
        yaml.safe_dump(
            manifest(output, files=[*written, "manifest.yaml"], chart_error=chart_error),
            sort_keys=False,
            allow_unicode=True,
            width=100,
        ),
    )
    return out_dir


def _write_charts(output: RunOutput, out_dir: Path) -> list[str]:
    from drsim.report import run_charts

    figures = run_charts.run_figures(output)
    names = []
    for key, figure in figures.items():
        name = CHART_FILES.get(key, f"{key}.png")
        with atomic_path(out_dir / name) as tmp:
            figure.savefig(tmp, format="png", dpi=110)
        names.append(name)
    return names


def default_run_dir(scenario_name: str, root: str | os.PathLike[str] = "results") -> Path:
    """``results/<scenario>/<UTC timestamp>/``, made unique if it already exists."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(root) / scenario_name / stamp
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{stamp}-{n}")
    return candidate
