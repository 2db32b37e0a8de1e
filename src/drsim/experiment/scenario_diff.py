"""What differs between the designs of a comparison: design settings, and the workload they face.

A comparison credits every difference between two scenarios to "the design".
That is only fair when the designs face the same world: the same users,
clients, traffic, attackers, faults and run. This module holds the one table
that splits a scenario's top-level sections into

* **design** sections — what an architect chooses: regions, replication, DNS,
  health checks, failover, sessions, lockout, the secondary's limits, pricing, and
  the relying parties (their key caches, issuers and leeway are the APIs' design), and
  the dependencies (where senders, triggers and the control plane are hosted);
* **workload** sections — what the design is subjected to and how long it is
  watched: users, clients, traffic, attackers, faults and the run settings
  (duration, seed, replications, the RTO and DNS-convergence thresholds);
* **label** sections — ``name`` and ``description``, which change nothing.

:func:`setting_differences` walks the *resolved* scenarios key path by key
path (lists element by element) and lists every setting whose values are not
all equal, written as the resolved YAML writes them (``30s``, ``120/s``,
``99%``). Preset names are provenance, not settings (``lockout.preset`` is
skipped): a lockout written out by hand with Cognito's values equals
``lockout: cognito``. :func:`with_workload` gives a design another scenario's
workload sections, which is what ``drsim compare --same-workload FILE`` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from drsim.scenario.schema import Scenario, consistency_problems

DESIGN_SECTIONS = ("regions", "secondary_limits", "replication", "dns", "health_check",
                   "failover", "sessions", "lockout", "pricing", "relying_parties",
                   "dependencies", "backups")
"""Top-level scenario sections an architect chooses: a difference here is the design's."""

WORKLOAD_SECTIONS = ("users", "clients", "traffic", "attackers", "faults", "run")
"""Top-level sections that describe the world the design faces and how long it is watched:
a difference here is not the design's, and ``--same-workload`` replaces them."""

LABEL_SECTIONS = ("name", "description")
"""Top-level sections that name a scenario and change no number."""

PROVENANCE_KEYS = frozenset({"lockout.preset"})
"""Key paths that say where values came from, not what they are (never a difference)."""

ABSENT = "(none)"
"""How a setting one design lacks is written (a list element or a variant's key)."""


@dataclass(frozen=True)
class SettingDifference:
    """One setting whose resolved value is not the same in every design.

    Attributes:
        key: The key path as ``--set`` writes it (``dns.ttl``, ``faults.0.start``).
        kind: ``design`` or ``workload`` (see :data:`DESIGN_SECTIONS`).
        values: The value in each design, in design order, as the resolved YAML writes it.
    """

    key: str
    kind: str
    values: tuple[str, ...]

    def to_json(self, labels: Sequence[str]) -> dict[str, Any]:
        """``{"key", "kind", "values": {design label: value}}``."""
        return {"key": self.key, "kind": self.kind,
                "values": dict(zip(labels, self.values, strict=True))}


def section_kind(section: str) -> str:
    """``design``, ``workload`` or ``label``: the kind of a top-level scenario section.

    Raises:
        KeyError: A section the table does not classify (a new Scenario field).
    """
    for kind, sections in (("design", DESIGN_SECTIONS), ("workload", WORKLOAD_SECTIONS),
                           ("label", LABEL_SECTIONS)):
        if section in sections:
            return kind
    raise KeyError(f"scenario section {section!r} is neither design, workload nor label: "
                   "classify it in drsim.experiment.scenario_diff")


def value_text(value: Any) -> str:
    """A resolved value as the YAML would write it (``30s``, ``true``, ``[a, b]``)."""
    if value is ABSENT:
        return ABSENT
    if isinstance(value, str):
        return value
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000,
                          sort_keys=False)
    return text.strip().removesuffix("...").strip()


def _walk(values: list[Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], list[Any]]]:
    """Key paths whose values are not all equal, walking mappings key by key and lists
    element by element; a subtree some designs lack is one difference."""
    if all(isinstance(v, Mapping) for v in values):
        keys: dict[str, None] = {}
        for value in values:
            keys.update(dict.fromkeys(value))
        for key in keys:
            yield from _walk([v.get(key, ABSENT) for v in values], (*path, str(key)))
    elif all(isinstance(v, list) for v in values) and len({len(v) for v in values}) == 1:
        for index in range(len(values[0])):
            yield from _walk([v[index] for v in values], (*path, str(index)))
    elif all(isinstance(v, list) for v in values) and all(values):
        longest = max(len(v) for v in values)
        for index in range(longest):
            yield from _walk([v[index] if index < len(v) else ABSENT for v in values],
                             (*path, str(index)))
    elif any(v != values[0] for v in values[1:]):
        yield path, values


def setting_differences(scenarios: Sequence[Scenario]) -> list[SettingDifference]:
    """Every resolved setting that is not the same in all ``scenarios``, in scenario order.

    Args:
        scenarios: The resolved scenarios (a comparison's designs, baseline first).

    Returns:
        One :class:`SettingDifference` per differing key path, design keys
        first, then workload keys, each in the order the scenario writes them.
        Lists are compared element by element; an element or key some
        scenarios lack is one difference whose value there is ``(none)``.
    """
    data = [s.model_dump(mode="json") for s in scenarios]
    found = []
    for section in data[0] if data else ():
        kind = section_kind(section)
        if kind == "label":
            continue
        for path, values in _walk([d[section] for d in data], (section,)):
            key = ".".join(path)
            if key not in PROVENANCE_KEYS:
                found.append(SettingDifference(key, kind, tuple(value_text(v) for v in values)))
    return sorted(found, key=lambda d: d.kind != "design")


def workload_keys(differences: Sequence[SettingDifference]) -> list[str]:
    """The key paths of the workload differences."""
    return [d.key for d in differences if d.kind == "workload"]


def with_workload(design: Scenario,
                  workload: Scenario) -> tuple[Scenario, list[tuple[tuple[Any, ...], str]]]:
    """``design`` with every workload section of ``workload`` (name, description and design
    sections kept).

    Returns:
        The new scenario, validated, and the consistency problems of the
        combination as ``(key path, message)`` pairs (e.g. a fault naming a
        region the design does not have); when there are problems the
        scenario must not be run.
    """
    data = design.model_dump(mode="json")
    replacement = workload.model_dump(mode="json")
    for section in WORKLOAD_SECTIONS:
        data[section] = replacement[section]
    combined = Scenario.model_validate(data)
    return combined, [(tuple(path), message) for path, message in consistency_problems(combined)]
