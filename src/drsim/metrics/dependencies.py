"""Dependencies: requests their senders and triggers refused, and the failover's wait for
its control plane (``dependencies:``, ``failover.control_plane``; off by default).

``dependency_failures.<name>`` counts the attempts of legitimate users a dependency
refused (``dependency_down`` or ``dependency_throttled``: the first dependency a request
needs that is down or over capacity names it); the data plane counts them as it serves
(``meta["dependency_failures"]``), so the sum over names is the two causes' total.
``failover_blocked_s`` is the time failovers waited for their control plane (from
``meta``, set by :mod:`drsim.model.control_gate`): 0 when it was up each time. Both
are reported only when the scenario has such dependencies.
"""

from __future__ import annotations

from drsim.records import RunRecords
from drsim.scenario.schema import Scenario


def dependency_metrics(records: RunRecords, scenario: Scenario) -> dict[str, float]:
    """``dependency_failures.<name>`` per request dependency, ``failover_blocked_s`` with
    a failover control plane; nothing without dependencies."""
    meta = records.meta or {}
    counts = meta.get("dependency_failures") or {}
    out = {f"dependency_failures.{d.name}": float(counts.get(d.name, 0))
           for d in scenario.dependencies if d.kind != "control_plane"}
    if scenario.failover.control_plane is not None:
        out["failover_blocked_s"] = float(meta.get("failover_blocked_s", 0.0))
    return out
