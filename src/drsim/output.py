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
    The run charts, when the caller draws them: this module writes files and
    draws nothing; :func:`drsim.report.chart_files.save_run` (behind
    :meth:`drsim.api.RunOutput.save` and ``drsim run``) passes
    :func:`drsim.report.run_charts.run_figures` as ``draw_charts``.

Every file is written atomically (:mod:`drsim.experiment.atomic`) — a reader
never sees half a file, and an interrupted run never leaves a truncated one.
The manifest is a :class:`RunManifest`, the one definition the writer here and
the report's reader (:mod:`drsim.report.sources`) share; the file names are
the constants below.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from drsim.experiment import atomic
from drsim.experiment.jsondata import FLOAT_DIGITS, json_text, jsonable
from drsim.experiment.run import RunOutput
from drsim.experiment.version import DRSIM_VERSION
from drsim.records import RunRecords
from drsim.scenario.schema import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SUMMARY_FILE = "summary.json"
MANIFEST_FILE = "manifest.yaml"
TIMELINE_FILE = "timeline.csv"

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
    "overload": "overload.png",
}
"""Chart → file name in a run directory."""

RECORDS_NOTE = "every record file has a leading 'replication' column"


# --------------------------------------------------------------------------- the manifest


@dataclass
class FailedReplication:
    """A replication that failed, and why."""

    replication: int
    error: str


@dataclass
class KeptRecords:
    """Whose record tables the run directory holds."""

    replications_kept: list[int] = field(default_factory=list)
    files: str = RECORDS_NOTE


@dataclass
class RunManifest:
    """``manifest.yaml``: everything needed to reproduce and audit a run.

    The field order is the order of the keys in the file.

    Attributes:
        drsim_version: The drsim that ran it.
        scenario_name: The scenario's name.
        status: ``ok`` or ``failed`` (some replication failed).
        status_detail: The status in words.
        seed: Root seed.
        replications: Replications run.
        failed_replications: The failed replications and their errors.
        wall_time_s: Wall-clock time of the whole run (s).
        replication_wall_s: Wall-clock time of each replication (s).
        started_utc: When the run started (ISO 8601, UTC).
        python: Python version.
        platform: Platform string.
        command: The command line, if any.
        records: Whose record tables were written.
        files: Every file of the directory (the manifest included).
        chart_error: Why the charts were not written, if they were not.
        meta: Per kept replication its run facts (``replication``, ``fault_start_s`` …).
        scenario: The fully resolved scenario (defaults included, units kept).
    """

    drsim_version: str = "?"
    scenario_name: str = ""
    status: str = "unknown"
    status_detail: str = ""
    seed: int | None = None
    replications: int = 0
    failed_replications: list[FailedReplication] = field(default_factory=list)
    wall_time_s: float = 0.0
    replication_wall_s: list[float] = field(default_factory=list)
    started_utc: str = ""
    python: str = ""
    platform: str = ""
    command: list[str] | None = None
    records: KeptRecords = field(default_factory=KeptRecords)
    files: list[str] = field(default_factory=list)
    chart_error: str | None = None
    meta: list[dict[str, Any]] = field(default_factory=list)
    scenario: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The manifest as the plain mapping written to ``manifest.yaml``."""
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        """The text of ``manifest.yaml``."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunManifest:
        """A manifest read back from ``manifest.yaml`` (missing keys take their defaults).

        Raises:
            ValueError: A key holds a value of the wrong shape.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known and v is not None}
        try:
            values["failed_replications"] = [
                FailedReplication(int(f.get("replication", -1)), str(f.get("error") or ""))
                for f in values.get("failed_replications") or []
            ]
            kept = values.get("records") or {}
            values["records"] = KeptRecords(
                [int(r) for r in kept.get("replications_kept") or []],
                str(kept.get("files", RECORDS_NOTE)))
            values["meta"] = [dict(m) for m in values.get("meta") or [] if isinstance(m, dict)]
            if "command" in values:
                values["command"] = [str(c) for c in values["command"]]
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"not a drsim run manifest ({exc})") from None
        return cls(**values)

    @property
    def meta_by_replication(self) -> dict[int, dict[str, Any]]:
        """The run facts of each kept replication, by replication."""
        return {int(m["replication"]): {k: v for k, v in m.items() if k != "replication"}
                for m in self.meta if "replication" in m}


def scenario_mapping(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario as a plain mapping (defaults included, units kept)."""
    from drsim.scenario import resolved_yaml

    return yaml.safe_load(resolved_yaml(scenario))


def manifest(
    output: RunOutput, files: Sequence[str] = (), chart_error: str | None = None
) -> RunManifest:
    """The manifest of a run: everything needed to reproduce and audit it."""
    failed = output.failed
    return RunManifest(
        drsim_version=DRSIM_VERSION,
        scenario_name=output.scenario.name,
        status="ok" if not failed else "failed",
        status_detail=(
            "all replications succeeded"
            if not failed
            else f"{len(failed)} of {len(output.results)} replications failed"
        ),
        seed=int(output.scenario.run.seed),
        replications=int(output.scenario.run.replications),
        failed_replications=[FailedReplication(r.replication, (r.error or "").strip())
                             for r in failed],
        wall_time_s=round(float(output.wall_s), 3),
        replication_wall_s=[round(float(r.wall_s), 3) for r in output.results],
        started_utc=output.started_utc,
        python=platform.python_version(),
        platform=platform.platform(),
        command=list(output.command) if output.command else None,
        records=KeptRecords([r.replication for r in output.results if r.records]),
        files=sorted(files),
        chart_error=chart_error,
        meta=[{"replication": r.replication, **jsonable(dict(r.records.meta))}
              for r in output.results if r.records is not None],
        scenario=scenario_mapping(output.scenario),
    )


def summary_json(summary: Mapping[str, Any]) -> str:
    """The canonical text of a summary: sorted keys, stable floats, NaN/±∞ as null."""
    return json_text(summary, sort_keys=True, digits=FLOAT_DIGITS)


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


def _write_records(out_dir: Path, kept: Sequence[tuple[int, RunRecords]]) -> list[str]:
    """The record tables and the timeline of the kept replications; returns the file names."""
    from drsim.metrics import timeline

    for table, name in RECORD_FILES.items():
        stacked = _stack([(rep, getattr(rec, table)) for rep, rec in kept])
        atomic.write_with(out_dir / name,
                          lambda p, f=stacked: f.to_parquet(p, index=False, engine="pyarrow"))
    table = _stack([(rep, timeline(rec, bucket_s=60.0)) for rep, rec in kept])
    atomic.write_with(out_dir / TIMELINE_FILE,
                      lambda p: table.to_csv(p, index=False, lineterminator="\n"))
    return [*RECORD_FILES.values(), TIMELINE_FILE]


def _write_charts(figures: Mapping[str, Figure], out_dir: Path) -> list[str]:
    names = []
    for key, figure in figures.items():
        name = CHART_FILES.get(key, f"{key}.png")
        atomic.write_with(out_dir / name, lambda p, f=figure: f.savefig(p, format="png", dpi=110))
        names.append(name)
    return names


# --------------------------------------------------------------------------- the run directory


def write_run(
    output: RunOutput,
    directory: str | os.PathLike[str],
    draw_charts: Callable[[RunOutput], Mapping[str, Figure]] | None = None,
) -> Path:
    """Write every output file of a run into ``directory`` (created if needed).

    The manifest is written last: a directory with a manifest is complete. A
    run whose replications all failed still gets a manifest and a summary.

    Args:
        output: The run to save.
        directory: Target directory.
        draw_charts: Draws the run's charts (key → figure, see
            :data:`CHART_FILES`), written as PNG; None writes none. A chart
            that fails is reported on stderr and in the manifest's
            ``chart_error``: it never loses the run's data.

    Returns:
        The directory path.
    """
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_text(out_dir / SUMMARY_FILE, summary_json(output.summary))
    written = [SUMMARY_FILE]
    kept = [(r.replication, r.records) for r in output.results if r.records is not None]
    if kept:
        written += _write_records(out_dir, kept)
    chart_error = None
    if draw_charts is not None:
        try:
            written += _write_charts(draw_charts(output), out_dir)
        except Exception as exc:  # a chart bug must not lose the run's data
            chart_error = f"{type(exc).__name__}: {exc}"
            print(f"drsim: warning: charts not written: {chart_error}", file=sys.stderr)
    files = [*written, MANIFEST_FILE]
    atomic.write_text(out_dir / MANIFEST_FILE,
                      manifest(output, files=files, chart_error=chart_error).to_yaml())
    return out_dir


def default_run_dir(scenario_name: str, root: str | os.PathLike[str] = "results") -> Path:
    """``results/<scenario>/<UTC timestamp>/``, made unique if it already exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(root) / scenario_name / stamp
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{stamp}-{n}")
    return candidate
