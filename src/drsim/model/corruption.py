"""Replicated corruption and point-in-time restores (issue 18).

A ``corruption`` fault is a bad write that the region taking writes acknowledges, so
it replicates like any write: DR by replication copies it to every replica within the
channel's lag, and failing over does not help. Two scopes:

- **profiles**: a bulk update corrupts the profiles of a share of the initial users.
  Each is an acknowledged profile write at ``start`` (a new version, shipped through
  the write log with the replication lag). Region ``r`` serves user ``u`` corrupt data
  while ``bad[u] ≤ profile[r][u] < good[u]``: from the corrupt version's arrival until
  the restore's version arrives (a later update by the user changes other attributes
  and does not repair it [assumption]). Such a profile read ends ``corrupt``.
- **configuration**: a bad pool setting (an app client, a policy) reaches the other
  regions with one replication lag (the channel's pauses included); every sign-in at a
  region it has reached ends ``misconfigured`` until the restored setting reaches it.
  Nothing here depends on traffic, so it is a per-region state of the control
  timeline (``Epoch.misconfigured``; epochs are cut at its changes).

Detection and restore: an operator notices ``detected_after`` the bad write; the
restore then takes ``backups.restore_time`` and brings the data back to the last
snapshot before the bad write. Snapshots are taken every ``backups.interval`` at a
phase drawn per replication (stream ``backups``), so the restore's RPO, bad write −
snapshot, is uniform on [0, interval). The restore writes the snapshot's profiles
back at the region taking writes (they replicate like any write) — for the corrupted
users, or every user written since the snapshot (``restore: everything``) — and the
profile writes those users made between the snapshot and the restore are lost
(counted, not silent: ``writes_lost_by_restore``).

The plan (who, when) is made once per run from the control timeline and two streams
(``corruption``, ``backups``); the data plane carries out its two actions,
``corrupt`` and ``restore``, at their instants, the same in both serving modes.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from drsim.model.control import DOWN, Action, ControlTimeline, Epoch
from drsim.model.distributions import sample_one
from drsim.model.replication import Channel, LagSampler
from drsim.model.streams import Streams
from drsim.scenario.schema import Corruption, Scenario

if TYPE_CHECKING:
    from drsim.model.acks import ProfileAcks

NEVER = np.iinfo(np.int32).max
"""A profile version no user reaches: "not corrupted" / "not restored"."""


@dataclass
class CorruptionPlan:
    """What a corruption fault does in one replication (times in seconds).

    ``results`` collects what the data plane finds (writes lost, users restored); the
    model puts it with the plan's facts into the run's ``meta`` (:meth:`facts`).
    """

    scope: str
    start_s: float
    origin: int
    users: np.ndarray  # profiles: the corrupted users, sorted
    detected_s: float
    restore_s: float  # inf: no backup, or after the run
    snapshot_s: float  # the last snapshot before the bad write (NaN: no backups)
    restore_all: bool
    refused: bool = False  # the origin did not take writes at start
    misconfigured_from_s: tuple[float, ...] = ()  # configuration: per region (inf: never)
    misconfigured_until_s: tuple[float, ...] = ()
    results: dict[str, float] = field(default_factory=dict)

    def facts(self, names: tuple[str, ...]) -> dict[str, float | None]:
        """The run facts for ``meta`` (the metrics in :mod:`drsim.metrics.corruption`)."""
        out = {
            "corruption_start_s": self.start_s,
            "corruption_detected_s": self.detected_s,
            "corruption_restored_s": self.restore_s,
            "backup_snapshot_s": self.snapshot_s,
            "corruption_refused": float(self.refused),
            "corruption_origin": float(self.origin),
            "corruption_profiles": float(self.scope == "profiles"),
            "corrupted_users": 0.0 if self.refused else float(len(self.users)),
        }
        for r, name in enumerate(names):
            if self.misconfigured_from_s:
                out[f"misconfigured_from_s.{name}"] = self.misconfigured_from_s[r]
                out[f"misconfigured_until_s.{name}"] = self.misconfigured_until_s[r]
        out.update(self.results)
        # NaN and ∞ (no backups, no restore in the run) as JSON writes them: None.
        return {k: v if math.isfinite(v) else None for k, v in out.items()}


def corruption_fault(scenario: Scenario) -> Corruption | None:
    """The scenario's corruption fault, if any (at most one: the schema checks)."""
    return next((f for f in scenario.faults if isinstance(f, Corruption)), None)


def snapshot_before(t: float, phase: float, interval: float) -> float:
    """The last snapshot at or before ``t`` on the grid ``phase + k·interval`` (k any
    integer: the schedule ran before the run started)."""
    return phase + math.floor((t - phase) / interval) * interval


def epoch_at(control: ControlTimeline, t: float) -> Epoch:
    """The control state at ``t``."""
    return control.epochs[max(0, int(np.searchsorted(control.epoch_starts, t, "right")) - 1)]


def _takes_writes(epoch: Epoch, r: int) -> bool:
    return epoch.writable[r] and epoch.status[r] != DOWN


def _authority(epoch: Epoch, fallback: int) -> int:
    """The region taking writes (``fallback`` while none does, e.g. promoting)."""
    return epoch.writable.index(True) if any(epoch.writable) else fallback


def plan_corruption(scenario: Scenario, streams: Streams,
                    control: ControlTimeline) -> CorruptionPlan | None:
    """The scenario's corruption in this replication, its actions added to ``control``
    (and, for a configuration, its per-region state cut into the epochs); None without
    a corruption fault."""
    fault = corruption_fault(scenario)
    if fault is None:
        return None
    rng = streams.get("corruption")
    population = scenario.users.population
    count = round(fault.share * population) if fault.scope == "profiles" else 0
    users = np.sort(rng.choice(population, count, replace=False)).astype(np.int64)
    start = float(fault.start)
    detected = start + sample_one(fault.detected_after, rng)
    backups = scenario.backups
    if backups is None:
        snapshot, restore = math.nan, math.inf
    else:
        phase = float(streams.get("backups").uniform(0.0, backups.interval))
        snapshot = snapshot_before(start, phase, backups.interval)
        restore = detected + backups.restore_time
    horizon = scenario.run.duration
    restore = restore if restore < horizon else math.inf
    roles = [r.role for r in scenario.regions]
    primary = roles.index("primary") if "primary" in roles else 0
    origin = primary if fault.region is None else scenario.region_index(fault.region)
    plan = CorruptionPlan(
        scope=fault.scope, start_s=start, origin=origin, users=users, detected_s=detected,
        restore_s=restore, snapshot_s=snapshot,
        restore_all=backups is not None and backups.restore == "everything",
        refused=not _takes_writes(epoch_at(control, start), origin))
    if plan.refused or start >= horizon:
        plan.restore_s = math.inf  # nothing to restore
        return plan
    if fault.scope == "configuration":
        _plan_configuration(scenario, rng, control, plan)
        return plan
    control.actions.append(Action(start, "corrupt", origin))
    if math.isfinite(restore):
        control.actions.append(Action(restore, "restore", origin))
    control.actions.sort(key=lambda a: a.time_s)
    return plan


def _plan_configuration(scenario: Scenario, rng: np.random.Generator,
                        control: ControlTimeline, plan: CorruptionPlan) -> None:
    """When the bad configuration, and then the restored one, reach each region: one
    record each, over the channel from the region that wrote it (its pauses included;
    the restored one applies after the bad one), with the replication lag (stream
    ``corruption``); synchronous replication applies both at once; other modes do not
    replicate the configuration."""
    n, horizon = len(scenario.regions), scenario.run.duration
    mode = scenario.replication.mode
    carries = mode == "sync" or (mode == "async" and scenario.replication.data.configuration)
    lag = LagSampler(scenario.replication.lag, rng)
    channels: dict[tuple[int, int], Channel] = {}

    def arrival(source: int, target: int, t: float) -> float:
        if target == source:
            return t
        if not carries:
            return math.inf
        if mode == "sync":
            return t
        key = (source, target)
        if key not in channels:
            channels[key] = Channel(control.channel_pauses(source, target, horizon), None)
        return channels[key].apply_time(-1, t, lag.next())

    bad = tuple(arrival(plan.origin, r, plan.start_s) for r in range(n))
    if math.isfinite(plan.restore_s):
        at = _authority(epoch_at(control, plan.restore_s), plan.origin)
        good = tuple(arrival(at, r, plan.restore_s) if math.isfinite(bad[r]) else math.inf
                     for r in range(n))
    else:
        good = (math.inf,) * n
    plan.misconfigured_from_s, plan.misconfigured_until_s = bad, good
    _cut_epochs(control, bad, good)


def _cut_epochs(control: ControlTimeline, bad: tuple[float, ...],
                good: tuple[float, ...]) -> None:
    """Cut the epochs at every change of the per-region misconfiguration (region ``r``
    is misconfigured on ``[bad[r], good[r])``) and set it in each."""
    cuts = sorted({t for t in (*bad, *good) if math.isfinite(t)})
    epochs: list[Epoch] = []
    old = control.epochs
    for i, epoch in enumerate(old):
        end = old[i + 1].start_s if i + 1 < len(old) else math.inf
        starts = [epoch.start_s] + [t for t in cuts[bisect.bisect_right(cuts, epoch.start_s):]
                                    if t < end]
        for start in starts:
            flags = tuple(b <= start < g for b, g in zip(bad, good, strict=True))
            epochs.append(replace(epoch, start_s=start, misconfigured=flags))
    control.epochs = epochs
    control.epoch_starts = np.array([e.start_s for e in epochs], dtype=np.float64)


class ProfileCorruption:
    """The corrupted profiles during a run: the data plane's side of the plan.

    ``bad[u]``: the corrupt version of user ``u``'s profile; ``good[u]``: the version
    the restore wrote (both :data:`NEVER` when not set).
    """

    def __init__(self, plan: CorruptionPlan, capacity: int) -> None:
        self.plan = plan
        self.bad = np.full(capacity, NEVER, dtype=np.int64)
        self.good = np.full(capacity, NEVER, dtype=np.int64)

    def serves_bad(self, version: int, user: int) -> bool:
        """Whether a replica holding profile ``version`` of ``user`` serves corrupt data."""
        return self.bad[user] <= version < self.good[user]

    def serves_bad_many(self, version: np.ndarray, user: np.ndarray) -> np.ndarray:
        """:meth:`serves_bad` of many reads."""
        return (self.bad[user] <= version) & (version < self.good[user])

    def corrupt(self, write, first_id: int, t: float, region: int) -> None:
        """The bad bulk update: one acknowledged profile write per corrupted user at
        ``region`` (``write(t, user, region)`` makes it and returns its version; the
        first has write id ``first_id``, the others follow)."""
        self.plan.results["corruption_first_write_id"] = float(first_id)
        for user in self.plan.users.tolist():
            self.bad[user] = write(t, user, region)

    def restore(self, write, acks: ProfileAcks, t: float, region: int) -> None:
        """Write the snapshot's profiles back at ``region``: each restored user's profile
        writes acknowledged after the snapshot (the bad one aside) are lost."""
        plan = self.plan
        snapshot = plan.snapshot_s
        if plan.restore_all:
            users = acks.newest_after(snapshot)
        else:
            users = plan.users.tolist()
        lost = 0
        for user in users:
            times = acks.times(user)
            after = len(times) - bisect.bisect_right(times, snapshot)
            lost += after - (1 if self.bad[user] != NEVER else 0)
            self.good[user] = write(t, user, region)
        plan.results["users_restored"] = float(len(users))
        plan.results["writes_lost_by_restore"] = float(lost)


def restore_region(epoch: Epoch, plan: CorruptionPlan) -> int:
    """Where the restore writes: the region taking writes then (else the bad write's)."""
    return _authority(epoch, plan.origin)
