"""A failover that needs a control plane: it waits while that control plane is down.

``failover.control_plane`` names a ``control_plane`` dependency hosted in a region. The
operator's runbook (manual failover) or the promotion (automatic failover) needs it: if
it is down when the failover reaches that step — its host region is out, or a
``dependency_outage`` fault names it — the failover waits until it is back, or for
``break_glass_after`` at most, then goes on (the primary's health is checked again as
before). Down windows are on the fault schedule, so the wait is known when it starts:
``failover_blocked_s`` adds it up, and a ``failover_blocked`` event records each.
"""

from __future__ import annotations

import numpy as np

from drsim.scenario.schema import DependencyOutage, RegionOutage, Scenario


def down_windows(scenario: Scenario, name: str) -> np.ndarray:
    """A dependency's down windows ``[[start, end], ...]``, merged and sorted: its host
    region's outages and the dependency_outage faults naming it."""
    dep = next(d for d in scenario.dependencies if d.name == name)
    spans = sorted(
        (f.start, f.start + f.duration) for f in scenario.faults
        if (isinstance(f, RegionOutage) and f.region == dep.hosted_in)
        or (isinstance(f, DependencyOutage) and f.name == name))
    merged: list[list[float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return np.array(merged, dtype=np.float64).reshape(-1, 2)


def up_again_s(windows: np.ndarray, t: float) -> float:
    """When a dependency with these down windows is up at or after ``t`` (``t`` if up)."""
    k = int(np.searchsorted(windows[:, 0], t, side="right")) - 1
    if k >= 0 and t < windows[k, 1]:
        return float(windows[k, 1])
    return t


class ControlPlaneGate:
    """Mixin of :class:`~drsim.model.control.ControlPlane`: the failover's control plane."""

    def _init_gate(self) -> None:
        failover = self.scenario.failover
        name = failover.control_plane
        self.gate_windows = None if name is None else down_windows(self.scenario, name)
        self.break_glass_s = failover.break_glass_after
        if name is not None:
            self.meta["failover_blocked_s"] = 0.0

    def _wait_for_control_plane(self):
        """Wait while the control plane is down (at most break_glass_after)."""
        if self.gate_windows is None:
            return
        now = float(self.env.now)
        wait = up_again_s(self.gate_windows, now) - now
        if wait <= 0.0:
            return
        detail = self.scenario.failover.control_plane
        if self.break_glass_s is not None and self.break_glass_s < wait:
            wait = self.break_glass_s
            detail += " (break glass)"
        self.meta["failover_blocked_s"] += wait
        self._event("failover_blocked", "", wait, detail)
        yield self.env.timeout(wait)
