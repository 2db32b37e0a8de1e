"""What a report is made from: the output directory of ``drsim run``, ``compare`` or ``sweep``.

:func:`read_source` looks at a directory and tells which of the three it is:

* a **run** — ``manifest.yaml`` and ``summary.json`` (and usually the record
  tables as parquet; see :mod:`drsim.output`);
* a **comparison** — ``compare.json`` (and ``compare.parquet``, one row per
  design × replication; see :mod:`drsim.experiment.compare`);
* a **sweep** — ``sweep.yaml`` and ``points.parquet``/``points.csv`` (see
  :mod:`drsim.experiment.store` and :mod:`drsim.experiment.tables`).

It returns a small dataclass holding the parsed files; nothing is simulated.
The scenario is rebuilt from the resolved copy the run stored, so the report
describes exactly the design that ran.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from drsim.experiment.compare import COMPARE_JSON
from drsim.experiment.store import (
    DEFINITION_FILE,
    POINTS_CSV,
    POINTS_PARQUET,
    SweepDefinition,
)
from drsim.output import MANIFEST_FILE, RECORD_FILES, SUMMARY_FILE, RunManifest
from drsim.report.errors import ReportError
from drsim.scenario.schema import Scenario


@dataclass
class RunSource:
    """A ``drsim run`` directory.

    Attributes:
        directory: The run directory.
        manifest: ``manifest.yaml`` (:class:`~drsim.output.RunManifest`).
        summary: ``summary.json`` as a mapping (``metrics``: mean, ci95, per_replication).
        scenario: The scenario as run (rebuilt from the manifest), or None when
            the manifest's copy cannot be read.
        meta: Per replication whose records were kept: the run facts
            (``fault_start_s``, ``detection_s``, ``dns_flip_s`` …), by replication.
    """

    directory: Path
    manifest: RunManifest
    summary: dict[str, Any]
    scenario: Scenario | None
    meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    kind: str = "run"

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        return self.summary.get("metrics", {})

    @property
    def name(self) -> str:
        return str(self.summary.get("scenario") or self.manifest.scenario_name or "run")

    @property
    def kept_replications(self) -> list[int]:
        """Replications whose record tables are in the directory."""
        if not (self.directory / RECORD_FILES["requests"]).exists():
            return []
        return list(self.manifest.records.replications_kept)

    def read_table(
        self, table: str, replication: int | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """One record table (optionally of one replication, optionally some columns).

        Args:
            table: ``requests``, ``writes``, ``locks`` or ``events``.
            replication: Keep only this replication (the column is dropped); None keeps all.
            columns: Columns to read (``replication`` is added when needed).

        Returns:
            The table as in :mod:`drsim.records` (categoricals restored).
        """
        path = self.directory / RECORD_FILES[table]
        wanted = None if columns is None else list(dict.fromkeys(["replication", *columns]))
        filters = None if replication is None else [("replication", "==", int(replication))]
        frame = pd.read_parquet(path, columns=wanted, filters=filters)
        if replication is not None:
            frame = frame.drop(columns=["replication"]).reset_index(drop=True)
        return frame

    def records(self, replication: int) -> Any:
        """The :class:`~drsim.records.RunRecords` of one kept replication."""
        from drsim.records import RunRecords

        tables = {name: self.read_table(name, replication) for name in RECORD_FILES}
        return RunRecords(**tables, meta=dict(self.meta.get(replication, {})))


@dataclass
class CompareSource:
    """A ``drsim compare`` directory.

    Attributes:
        directory: The comparison directory.
        data: ``compare.json``: ``baseline``, ``replications``, ``designs`` (name,
            scenario, file, seed, runs_ok, runs_failed, metrics), ``differences``
            (design, versus, metrics: paired mean, ci95, ci95_unpaired, n,
            significant), ``failures``, ``warnings``; comparisons written since
            ``--same-workload`` exists also hold
            ``settings`` (every resolved setting that differs: key, kind design or
            workload, value per design), ``workload_differs``, ``same_workload``,
            ``command`` (the command that reproduces it) and ``drsim_version``.
        scenarios: Each design's scenario by design name, when it could be
            recovered: a resolved copy (``resolved_scenario`` in ``compare.json``,
            or ``designs/<name>.yaml`` as :func:`drsim.compare` writes), else
            the design's file as it is now.
        scenario_notes: Why a design's scenario is missing or may differ from what ran.
    """

    directory: Path
    data: dict[str, Any]
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    scenario_notes: list[str] = field(default_factory=list)
    kind: str = "compare"

    @property
    def designs(self) -> list[dict[str, Any]]:
        return list(self.data.get("designs") or [])

    @property
    def names(self) -> list[str]:
        return [str(d["name"]) for d in self.designs]

    @property
    def baseline(self) -> str:
        return str(self.data.get("baseline") or (self.names[0] if self.names else ""))

    def estimates(self, design: str) -> dict[str, dict[str, Any]]:
        for entry in self.designs:
            if entry["name"] == design:
                return entry.get("metrics") or {}
        return {}

    def difference(self, design: str) -> dict[str, dict[str, Any]]:
        for entry in self.data.get("differences") or []:
            if entry["design"] == design:
                return entry.get("metrics") or {}
        return {}

    def estimates_table(self) -> pd.DataFrame:
        """Long table ``design, metric, mean, ci95_lo, ci95_hi`` (as the comparison writes it)."""
        rows = []
        for entry in self.designs:
            for metric, est in (entry.get("metrics") or {}).items():
                lo, hi = (list(est.get("ci95") or [None, None]) + [None, None])[:2]
                rows.append(
                    {
                        "design": entry["name"],
                        "metric": metric,
                        "mean": _float(est.get("mean")),
                        "ci95_lo": _float(lo),
                        "ci95_hi": _float(hi),
                    }
                )
        return pd.DataFrame(rows, columns=["design", "metric", "mean", "ci95_lo", "ci95_hi"])


@dataclass
class SweepSource:
    """A ``drsim sweep`` directory.

    Attributes:
        directory: The sweep directory.
        definition: ``sweep.yaml`` (:class:`~drsim.experiment.store.SweepDefinition`).
        points: The ``points`` table: one row per point, the varied parameters
            (columns named with their base unit, e.g. ``dns.ttl_s``), ``runs_ok``,
            ``runs_failed`` and ``<metric>.mean/.ci95_lo/.ci95_hi``.
        kinds: Kind of each varied parameter column (``duration``, ``count``, ``text`` …).
        scenario: The base scenario (before the points' values), or None.
    """

    directory: Path
    definition: SweepDefinition
    points: pd.DataFrame
    kinds: dict[str, str]
    scenario: Scenario | None
    kind: str = "sweep"

    @property
    def params(self) -> list[str]:
        return list(self.kinds)

    @property
    def metrics(self) -> list[str]:
        """Every metric with a ``.mean`` column, in table order."""
        return [c[: -len(".mean")] for c in self.points.columns if c.endswith(".mean")]

    @property
    def name(self) -> str:
        if self.scenario is not None:
            return self.scenario.name
        return Path(self.definition.scenario).stem

    def estimate(self, row: pd.Series, metric: str) -> dict[str, Any]:
        """A point's estimate of ``metric`` as ``{"mean", "ci95"}`` (None for NaN)."""
        return {
            "mean": _none(row.get(f"{metric}.mean")),
            "ci95": [_none(row.get(f"{metric}.ci95_lo")), _none(row.get(f"{metric}.ci95_hi"))],
        }


Source = RunSource | CompareSource | SweepSource


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _none(value: Any) -> float | None:
    x = _float(value)
    return None if math.isnan(x) else x


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ReportError(f"{path}: cannot read it: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a mapping, got {type(data).__name__}")
    return data


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read it: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def scenario_from_mapping(mapping: Any, label: str) -> Scenario | None:
    """A scenario from its resolved mapping (as stored by a run or a sweep); None if unreadable."""
    if not isinstance(mapping, dict):
        return None
    from drsim.scenario import ScenarioError, parse_scenario

    try:
        return parse_scenario(
            yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True), filename=label
        )
    except (ScenarioError, ValueError, TypeError):
        return None


def detect(directory: Path) -> str:
    """``run``, ``compare`` or ``sweep``: what kind of drsim output ``directory`` holds.

    Raises:
        ReportError: Not a directory, or none of the three.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError(f"{directory}: not a directory (give the output directory of "
                          "drsim run, compare or sweep)")
    if (directory / DEFINITION_FILE).is_file():
        return "sweep"
    if (directory / COMPARE_JSON).is_file():
        return "compare"
    if (directory / MANIFEST_FILE).is_file() and (directory / SUMMARY_FILE).is_file():
        return "run"
    if (directory / SUMMARY_FILE).is_file():
        raise ReportError(f"{directory}: summary.json without manifest.yaml: the run did not "
                          "finish writing (re-run drsim run)")
    raise ReportError(f"{directory}: not a drsim output directory (expected manifest.yaml and "
                      "summary.json from drsim run, compare.json from drsim compare, or "
                      "sweep.yaml from drsim sweep)")


def read_run(directory: Path) -> RunSource:
    """Read a ``drsim run`` directory."""
    directory = Path(directory)
    try:
        manifest = RunManifest.from_dict(_read_yaml(directory / MANIFEST_FILE))
    except ValueError as exc:
        raise ReportError(f"{directory / MANIFEST_FILE}: {exc}") from None
    summary = _read_json(directory / SUMMARY_FILE)
    if not isinstance(summary.get("metrics"), dict):
        raise ReportError(f"{directory / SUMMARY_FILE}: no 'metrics' object")
    scenario = scenario_from_mapping(manifest.scenario, str(directory / MANIFEST_FILE))
    return RunSource(directory, manifest, summary, scenario, manifest.meta_by_replication)


def read_compare(directory: Path) -> CompareSource:
    """Read a ``drsim compare`` directory (and, where possible, each design's scenario)."""
    from drsim.scenario import ScenarioError, load_scenario

    directory = Path(directory)
    data = _read_json(directory / COMPARE_JSON)
    if not isinstance(data.get("designs"), list) or not data["designs"]:
        raise ReportError(f"{directory / COMPARE_JSON}: no designs")
    source = CompareSource(directory, data)
    for entry in data["designs"]:
        name = str(entry.get("name"))
        resolved = entry.get("resolved_scenario") or entry.get("scenario_resolved")
        scenario = scenario_from_mapping(resolved, f"{directory / COMPARE_JSON}: {name}")
        stored = directory / "designs" / f"{name}.yaml"
        if scenario is None and stored.is_file():
            scenario = scenario_from_mapping(_read_yaml(stored), str(stored))
        if scenario is None and entry.get("file"):
            file = Path(str(entry["file"]))
            candidates = [file] if file.is_absolute() else [directory / file, file]
            for candidate in candidates:
                if candidate.is_file():
                    try:
                        scenario = load_scenario(candidate)
                    except (ScenarioError, OSError):
                        scenario = None
                    if scenario is not None:
                        source.scenario_notes.append(
                            f"{name}: design read from {entry['file']} as it is now "
                            "(the comparison stores no resolved copy; --set overrides "
                            "given to drsim compare are not shown)"
                        )
                        break
        if scenario is not None:
            source.scenarios[name] = scenario
        else:
            source.scenario_notes.append(f"{name}: its scenario file {entry.get('file')!r} "
                                         "could not be read; the design is not described")
    return source


def read_sweep(directory: Path) -> SweepSource:
    """Read a ``drsim sweep`` directory (its definition and ``points`` table)."""
    directory = Path(directory)
    try:
        definition = SweepDefinition.from_dict(_read_yaml(directory / DEFINITION_FILE))
        kinds = definition.design.kinds
    except (KeyError, TypeError, ValueError) as exc:  # SweepError is a ValueError
        raise ReportError(f"{directory / DEFINITION_FILE}: not a drsim sweep definition "
                          f"({exc})") from None
    if (directory / POINTS_PARQUET).is_file():
        points = pd.read_parquet(directory / POINTS_PARQUET)
    elif (directory / POINTS_CSV).is_file():
        points = pd.read_csv(directory / POINTS_CSV)
    else:
        raise ReportError(f"{directory}: the sweep has no points table yet (points.parquet); "
                          f"finish it with: drsim sweep --resume -o {directory}")
    missing = [c for c in kinds if c not in points.columns]
    if missing:
        raise ReportError(f"{directory / POINTS_PARQUET}: missing parameter column "
                          f"{missing[0]!r}")
    scenario = scenario_from_mapping(definition.base_scenario, str(directory / DEFINITION_FILE))
    return SweepSource(directory, definition, points, kinds, scenario)


def read_source(directory: str | Path) -> Source:
    """Detect and read a run, comparison or sweep directory.

    Raises:
        ReportError: The directory is none of them, or its files cannot be read.
    """
    directory = Path(directory)
    kind = detect(directory)
    if kind == "sweep":
        return read_sweep(directory)
    if kind == "compare":
        return read_compare(directory)
    return read_run(directory)
