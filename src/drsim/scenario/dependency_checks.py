"""Cross-field checks of dependencies: regions and names they refer to exist, and the
failover's control plane is one (see :mod:`drsim.scenario.consistency`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from drsim.scenario.errors import KeyPath
from drsim.scenario.sections.faults import DependencyOutage, source_indices

if TYPE_CHECKING:
    from drsim.scenario.consistency import Inconsistency
    from drsim.scenario.schema import Scenario


def dependency_problems(scenario: Scenario, unknown_region, problem) -> Iterator[Inconsistency]:
    """Dependencies name existing regions once each; faults and the failover name existing
    dependencies (``unknown_region``: the region check, ``problem``: makes an Inconsistency)."""
    names: list[str] = []
    for i, dep in enumerate(scenario.dependencies):
        if dep.name in names:
            yield problem(("dependencies", i, "name"), f"dependency {dep.name!r} is listed twice")
        names.append(dep.name)
        if dep.hosted_in is not None:
            yield from unknown_region(scenario, ("dependencies", i, "hosted_in"), dep.hosted_in)
        if dep.serves != "all":
            for j, region in enumerate(dep.serves):
                yield from unknown_region(scenario, ("dependencies", i, "serves", j), region)
    sources = source_indices(scenario.faults)
    for index, fault in enumerate(scenario.faults):
        if isinstance(fault, DependencyOutage) and not fault.repetition:
            if fault.name not in names:
                yield problem(("faults", sources[index], "name"), _unknown(fault.name, names))
    yield from _control_plane_problems(scenario, names, problem)


def _unknown(name: str, names: list[str]) -> str:
    known = ", ".join(repr(n) for n in names) or "none: add a dependencies section"
    return f"no dependency named {name!r} (dependencies: {known})"


def _control_plane_problems(scenario: Scenario, names: list[str],
                            problem) -> Iterator[Inconsistency]:
    failover = scenario.failover
    key: KeyPath = ("failover", "control_plane")
    if failover.control_plane is None:
        if failover.break_glass_after is not None:
            yield problem(("failover", "break_glass_after"),
                          "break_glass_after needs failover.control_plane (the dependency "
                          "the break-glass path goes around)")
        return
    if failover.control_plane not in names:
        yield problem(key, _unknown(failover.control_plane, names))
        return
    kind = scenario.dependencies[names.index(failover.control_plane)].kind
    if kind != "control_plane":
        yield problem(key, f"dependency {failover.control_plane!r} is of kind {kind}, not "
                      "control_plane")
    if any(r.role == "peer" for r in scenario.regions):
        yield problem(key, "peers fence a failed site without a runbook: a control plane "
                      "applies to a primary and its secondaries")
    if failover.mode == "none":
        yield problem(key, "failover.mode none never fails over: a control plane it needs "
                      "changes nothing (use mode manual or automatic)")
