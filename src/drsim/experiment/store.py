"""The sweep directory: a sweep's definition and every finished run, never lost.

Layout of ``DIR``::

    sweep.yaml        the definition (scenario, --set, params, ranges, replications),
                      the resolved base scenario, the points, and a fingerprint
    .drsim.lock       held (flock) by the sweep writing the directory; names it
                      (see drsim.experiment.lock)
    runs/             one small JSON file per finished run: <point id>.r<replication>.json
    summary.parquet   one row per point × replication (rebuilt from runs/)
    summary.csv
    points.parquet    one row per point: mean and 95 % CI of every metric
    points.csv
    *.png             the sweep charts (drawn by drsim.report.chart_files)

Each run is persisted the moment it finishes, as its own file written
atomically (temporary file, fsync, rename), so a sweep killed at any instant
keeps every run that finished and never holds a torn or duplicated record:
a run's file name is its key, so writing it again replaces it. A failed run
is stored too (with its error) and is run again on resume; the tables are
rebuilt from ``runs/`` at the end of every invocation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drsim.experiment import atomic
from drsim.experiment.design import SweepDesign
from drsim.experiment.jsondata import load_float, store_float
from drsim.experiment.lock import LOCK_FILE
from drsim.experiment.runner import RunResult

DEFINITION_FILE = "sweep.yaml"
RUNS_DIR = "runs"
SUMMARY_PARQUET, SUMMARY_CSV = "summary.parquet", "summary.csv"
POINTS_PARQUET, POINTS_CSV = "points.parquet", "points.csv"


@dataclass
class SweepDefinition:
    """``sweep.yaml``: what a sweep is — written by the sweep, read on resume and by the report.

    The field order is the order of the keys in the file.

    Attributes:
        drsim_version: The drsim that created it.
        created: When (ISO 8601, UTC).
        fingerprint: SHA-256 of the resolved base scenario and the design (:func:`fingerprint`).
        scenario: The base scenario file (absolute) or shipped scenario name.
        sets: ``PATH=VALUE`` overrides of every point (key ``set``).
        design: The varied parameters.
        replications: Replications per point.
        runs: Points × replications.
        points: ``{"id", "values"}`` of every point, in expansion order.
        base_scenario: The resolved base scenario (``model_dump``).
    """

    scenario: str
    design: SweepDesign
    replications: int
    drsim_version: str = "?"
    created: str | None = None
    fingerprint: str | None = None
    sets: list[str] = field(default_factory=list)
    runs: int = 0
    points: list[dict[str, Any]] = field(default_factory=list)
    base_scenario: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The plain mapping written to ``sweep.yaml``."""
        return {
            "drsim_version": self.drsim_version,
            "created": self.created,
            "fingerprint": self.fingerprint,
            "scenario": self.scenario,
            "set": list(self.sets),
            "design": self.design.to_dict(),
            "replications": self.replications,
            "runs": self.runs,
            "points": list(self.points),
            "base_scenario": self.base_scenario,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepDefinition:
        """A definition read back from ``sweep.yaml``.

        Raises:
            KeyError, TypeError, ValueError: Not a drsim sweep definition.
        """
        return cls(
            scenario=str(data["scenario"]),
            design=SweepDesign.from_dict(data["design"]),
            replications=int(data["replications"]),
            drsim_version=str(data.get("drsim_version", "?")),
            created=data.get("created"),
            fingerprint=data.get("fingerprint"),
            sets=[str(s) for s in data.get("set") or ()],
            runs=int(data.get("runs") or 0),
            points=list(data.get("points") or []),
            base_scenario=data.get("base_scenario"),
        )


def fingerprint(definition: dict[str, Any]) -> str:
    """SHA-256 of a definition's canonical JSON (what identifies a sweep)."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_file_name(point_id: str, replication: int) -> str:
    """File of one run under ``runs/``: ``p0003-1a2b3c4d.r0002.json``."""
    return f"{point_id}.r{replication:04d}.json"


class SweepStore:
    """Read and write one sweep directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @property
    def definition_path(self) -> Path:
        return self.directory / DEFINITION_FILE

    @property
    def runs_path(self) -> Path:
        return self.directory / RUNS_DIR

    # ------------------------------------------------------------------ definition

    def read_definition(self) -> dict[str, Any] | None:
        """The stored ``sweep.yaml``, or None when the directory holds no sweep."""
        if not self.definition_path.exists():
            return None
        with open(self.definition_path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        return data if isinstance(data, dict) else None

    def write_definition(self, document: dict[str, Any]) -> None:
        """Write ``sweep.yaml`` atomically."""
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        atomic.write_text(self.definition_path, text)

    def holds_other_files(self) -> bool:
        """True when the directory exists and has files other than a sweep lock's."""
        if not self.directory.exists():
            return False
        return any(path.name != LOCK_FILE for path in self.directory.iterdir())

    # ------------------------------------------------------------------ runs

    def save_run(
        self, point_id: str, values: dict[str, str], result: RunResult
    ) -> None:
        """Persist one finished run (ok or failed), atomically, replacing an earlier attempt.

        Args:
            point_id: The point's stable id.
            values: The point's parameter values as written (``{"dns.ttl": "30s"}``).
            result: The run's result (records are not stored).
        """
        record = {
            "point": point_id,
            "replication": int(result.replication),
            "values": values,
            "status": result.status,
            "error": result.error,
            "wall_s": float(result.wall_s),
            "metrics": {k: store_float(float(v)) for k, v in result.metrics.items()},
        }
        text = json.dumps(record, allow_nan=False, separators=(",", ":"))
        atomic.write_text(self.runs_path / run_file_name(point_id, result.replication), text)

    def iter_runs(self) -> Iterator[dict[str, Any]]:
        """Every stored run record; unreadable files (never expected) are skipped."""
        if not self.runs_path.is_dir():
            return
        for path in sorted(self.runs_path.glob("*.json")):
            try:
                with open(path, encoding="utf-8") as handle:
                    record = json.load(handle)
                point, replication = record["point"], int(record["replication"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if path.name != run_file_name(point, replication):
                continue
            record["metrics"] = {k: load_float(v) for k, v in record.get("metrics", {}).items()}
            yield record

    def load_runs(self) -> dict[tuple[str, int], dict[str, Any]]:
        """Stored runs keyed by ``(point id, replication)``."""
        return {(r["point"], int(r["replication"])): r for r in self.iter_runs()}

    def clean_leftovers(self) -> int:
        """Remove temporary files left by a killed writer; returns how many."""
        return atomic.remove_leftovers(self.directory) + atomic.remove_leftovers(self.runs_path)
