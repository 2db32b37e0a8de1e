"""The write log: every acknowledged write's replication records, and what they do.

A write acknowledged at its origin becomes one record per other region (under
asynchronous replication, with its apply time known when it ships: see
:mod:`drsim.model.replication`). A record is applied when its agenda item
fires, or earlier by a copy (failback, export, rejoin); a promotion cut marks
what the new authority lacks (the RPO). The log's columns are the run's
``writes`` table.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from drsim.model.acks import ProfileAcks
from drsim.model.agenda import APPLY, Agenda, Apply
from drsim.model.arrays import distinct
from drsim.model.control import ControlTimeline, Epoch
from drsim.model.detectors import split_windows
from drsim.model.directory import NO_HASH, Directory, view
from drsim.model.operations import (
    KIND_CRED,
    KIND_DISABLE,
    KIND_PROFILE,
    KIND_REVOCATION,
    KIND_USER,
)
from drsim.model.reconcile import SPLIT, reconcile, split_rows
from drsim.model.replication import Channel, LagSampler
from drsim.model.streams import Streams
from drsim.records import WRITE_KINDS
from drsim.scenario.schema import Scenario


class WriteLog:
    """The replication records of one run, and the directory changes they make.

    Args:
        scenario: The scenario (replication mode, what is replicated, failback policy).
        streams: The run's random streams (``lag``).
        control: The control timeline (channel pauses).
        directory: The user directory the records apply to.
        agenda: Where asynchronous records wait for their apply time.
    """

    def __init__(self, scenario: Scenario, streams: Streams, control: ControlTimeline,
                 directory: Directory, agenda: Agenda) -> None:
        self.directory = directory
        self.agenda = agenda
        self.n_regions = n = len(scenario.regions)
        self.mode = scenario.replication.mode
        self.horizon = scenario.run.duration
        self.failback_loses = scenario.failover.failback.unreplicated_writes == "lost"
        self.replicates_back = scenario.failover.failback.catch_up == "replicate"
        data = scenario.replication.data
        self.ships = np.array([data.users, data.credentials, data.profiles, data.revocations,
                               data.revocations], np.bool_)  # by KIND_*
        assert len(self.ships) == len(WRITE_KINDS)
        self.channels: dict[tuple[int, int], Channel] = {}  # source → target, async only
        if self.mode == "async":
            for a in range(n):
                for b in range(n):
                    if a != b:
                        self.channels[(a, b)] = Channel(control.channel_pauses(a, b, self.horizon),
                                                        scenario.replication.throughput,
                                                        directory.capacity)
        self.lag = LagSampler(scenario.replication.lag, streams.get("lag"))
        self.handover_lag = LagSampler(scenario.replication.lag, streams.get("lag/handover"))
        self.capped = any(c.service_s for c in self.channels.values())
        # targets_of[origin]: the other regions, in the order a commit records them
        self.targets_of = np.array([[r for r in range(n) if r != o] for o in range(n)],
                                   dtype=np.int64).reshape(n, n - 1)
        self.write_id = array("q")
        self.time_s = array("d")
        self.user = array("q")
        self.kind = array("b")
        self.origin = array("b")
        self.target = array("b")
        self.applied_s = array("d")
        self.value = array("d")
        self.lost = bytearray()
        self.conflict = bytearray()
        self.stuck = bytearray()
        self.pending: dict[int, float] = {}  # rows whose apply is on the agenda: when
        self.writes = 0  # acknowledged writes so far (the next write id)
        self.profile_acks = ProfileAcks(directory.capacity)
        # Split brains (heartbeat detector): when two regions took writes, and the rows of
        # the writes acknowledged then, flagged (model/reconcile.py) up to reconciled_s.
        self.splits = (split_windows(control.epochs)
                       if scenario.failover.detector != "health_checks" else [])
        self.reconciliation = scenario.failover.reconciliation
        self.split_flags: dict[int, int] = {}
        self.reconciled_s = -math.inf

    # ------------------------------------------------------------------ shipping

    def _record(self, t: float, user: int, kind: int, origin: int, target: int,
                applied: float, value: float) -> int:
        row = len(self.time_s)
        self.write_id.append(self.writes)
        self.time_s.append(t)
        self.user.append(user)
        self.kind.append(kind)
        self.origin.append(origin)
        self.target.append(target)
        self.applied_s.append(applied)
        self.value.append(value)
        self.lost.append(0)
        self.conflict.append(0)
        self.stuck.append(0)
        return row

    def ship(self, t: float, user: int, kind: int, origin: int, value: float,
             epoch: Epoch) -> None:
        """Record (and, asynchronously, schedule) the replication of one write."""
        n = self.n_regions
        if self.mode == "sync":
            for r in range(n):
                if r != origin and epoch.in_sync[r]:
                    self.apply(r, user, kind, value)
                    self._record(t, user, kind, origin, r, t, value)
            self.writes += 1
            return
        if self.mode == "async" and self.ships[kind]:
            for r in range(n):
                if r == origin:
                    continue
                applied = self.channels[(origin, r)].apply_time(user, t, self.lag.next())
                row = self._record(t, user, kind, origin, r, math.nan, value)
                if applied < self.horizon:
                    self.agenda.schedule(applied, APPLY, Apply(row))
                    self.pending[row] = applied
        elif n > 1 and self.mode != "none":
            for r in range(n):
                if r != origin:
                    self._record(t, user, kind, origin, r, math.nan, value)
        self.writes += 1

    def reserve(self, t: np.ndarray, user: np.ndarray, kind: np.ndarray, origin: np.ndarray,
                value: np.ndarray) -> tuple[np.ndarray, ...]:
        """Draw the lags and take the write ids of these writes now; ship them later
        (:meth:`ship_many` with the returned arguments)."""
        ids = self.writes + np.arange(len(t), dtype=np.int64)
        self.writes += len(t)
        shipped = int(self.ships[kind].sum()) * (self.n_regions - 1)
        lags = self.lag.take(shipped if self.mode == "async" else 0)
        return t, user, kind, origin, value, lags, ids

    def ship_many(self, batch_end: float, applied_now: list, t: np.ndarray, user: np.ndarray,
                  kind: np.ndarray, origin: np.ndarray, value: np.ndarray,
                  lags: np.ndarray | None = None, ids: np.ndarray | None = None) -> None:
        """:meth:`ship` of each write in turn (asynchronous and unreplicated modes), with
        the lags and write ids :meth:`reserve` took for them, if it did.

        The writes' users appear once in their batch: records due before ``batch_end``
        are appended to ``applied_now`` (applied at the batch's end); the rest wait on
        the agenda.
        """
        m, n = len(t), self.n_regions
        if ids is None:
            ids = self.writes + np.arange(m, dtype=np.int64)
            self.writes += m
        if n == 1 or self.mode == "none":
            return
        # One record per (write, other region), write-major like ship.
        rows = m * (n - 1)
        r_time = np.repeat(t, n - 1)
        r_user = np.repeat(user, n - 1)
        r_origin = np.repeat(origin, n - 1)
        r_target = self.targets_of[origin].ravel()
        due = np.full(rows, math.nan)
        if self.mode == "async":
            shipped = np.flatnonzero(np.repeat(self.ships[kind], n - 1))
            if lags is None:
                lags = self.lag.take(len(shipped))
            for (a, b), channel in self.channels.items():
                mine = shipped[(r_origin[shipped] == a) & (r_target[shipped] == b)]
                if len(mine):
                    due[mine] = channel.apply_times(r_user[mine], r_time[mine],
                                                    lags[np.searchsorted(shipped, mine)])
        first = len(self.time_s)
        self.write_id.frombytes(np.repeat(ids, n - 1).tobytes())
        self.time_s.frombytes(r_time.astype(np.float64).tobytes())
        self.user.frombytes(r_user.astype(np.int64).tobytes())
        self.kind.frombytes(np.repeat(kind, n - 1).astype(np.int8).tobytes())
        self.origin.frombytes(r_origin.astype(np.int8).tobytes())
        self.target.frombytes(r_target.astype(np.int8).tobytes())
        self.applied_s.frombytes(np.full(rows, math.nan).tobytes())
        self.value.frombytes(np.repeat(value, n - 1).astype(np.float64).tobytes())
        for flags in (self.lost, self.conflict, self.stuck):
            flags.extend(bytes(rows))
        now = np.flatnonzero(due < batch_end)
        applied_now.append((due[now], first + now))
        pending = np.flatnonzero((due >= batch_end) & (due < self.horizon))
        rows, when = (pending + first).tolist(), due[pending].tolist()
        self.agenda.schedule_many(when, APPLY, list(map(Apply, rows)))
        self.pending.update(zip(rows, when, strict=True))

    # ------------------------------------------------------------------ applying

    def apply(self, r: int, user: int, kind: int, value: float) -> bool:
        """Apply a change at region ``r``; False when a newer version is there (conflict)."""
        d = self.directory
        if kind == KIND_USER:
            d.exists[r][user] = 1
        elif kind == KIND_CRED:
            if d.cred[r][user] > value:
                return False
            d.cred[r][user] = int(value)
        elif kind == KIND_PROFILE:
            if d.profile[r][user] > value:
                return False
            d.profile[r][user] = int(value)
        elif kind == KIND_REVOCATION:
            if d.revoked_at[r][user] < value:
                d.revoked_at[r][user] = value
        elif kind == KIND_DISABLE:
            d.disabled[r][user] = 1
        return True

    def apply_row(self, t: float, row: int) -> None:
        """A replication record's agenda item fires at ``t``: it applies if it is still in
        flight and due then (not applied by a flush, discarded or handed over at a
        promotion, :meth:`promote`)."""
        if self.pending.get(row) == t:
            self.deliver(t, row)

    def deliver(self, t: float, row: int) -> None:
        """A replication record reaches its target at ``t`` (due, or flushed now)."""
        self.pending.pop(row, None)
        applied = self.apply(self.target[row], self.user[row], self.kind[row], self.value[row])
        if not applied and self.stuck[row]:
            self.conflict[row] = 1
        self.applied_s[row] = t

    def apply_rows(self, times: np.ndarray, rows: np.ndarray, scheduled: bool = True) -> None:
        """:meth:`apply_row` of records of distinct users, all at once (``scheduled``:
        records on the agenda; otherwise records applied as they are shipped)."""
        if scheduled:
            live = np.array([self.pending.get(row) == due
                             for row, due in zip(rows.tolist(), times.tolist(), strict=True)],
                            dtype=np.bool_)
            times, rows = times[live], rows[live]
            for row in rows.tolist():
                del self.pending[row]
        d = self.directory
        users = view(self.user)[rows]
        kinds, targets = view(self.kind)[rows], view(self.target)[rows]
        values = view(self.value)[rows]
        applied = np.ones(len(rows), dtype=np.bool_)
        columns = (d.exists, d.cred, d.profile, d.revoked_at, d.disabled)  # by KIND_*
        group = targets.astype(np.int64) * len(columns) + kinds
        groups = distinct(group)
        for g in groups.tolist():
            r, kind = divmod(g, len(columns))
            at = np.flatnonzero(group == g) if len(groups) > 1 else np.arange(len(rows))
            who, value = users[at], values[at]
            stored = view(columns[kind][r])
            if kind in (KIND_CRED, KIND_PROFILE):  # a newer version there: conflict
                applied[at] = stored[who] <= value
                who, value = who[applied[at]], value[applied[at]]
            elif kind == KIND_REVOCATION:
                value = np.maximum(stored[who], value)
            else:
                value = 1
            stored[who] = value
        conflict = rows[~applied]
        view(self.conflict)[conflict] = view(self.stuck)[conflict]
        view(self.applied_s)[rows] = times

    # ------------------------------------------------------------------ control actions

    def promote(self, t: float, s: int, old: int) -> None:
        """Promotion cut at ``t``: what the old authority acknowledged and ``s`` lacks is
        the RPO.

        A write of the old authority that ``s`` has not applied is ``stuck``; under the
        ``lost`` policy it is discarded for good — its records in flight to every region,
        so no other secondary keeps a write the new authority never had. A write ``s``
        has applied survives: the new authority takes over its records in flight to the
        other secondaries and sends them over its own channels from ``t`` (a lag of their
        own, stream ``lag/handover``), so each user's records there apply in order, before
        the new authority's own writes (:meth:`_hand_over`; a failback hands over too).
        Under ``reconcile`` the records in flight of the writes ``s`` lacks keep going and
        are applied last-writer-wins when they arrive; a record that can never arrive (not
        on the agenda) is lost whatever the policy.
        """
        missing = set(self._missing(s, old, self._in_flight()).tolist())  # what s lacks
        for row in range(len(self.time_s)):
            if self.origin[row] != old or self.lost[row]:
                continue
            pending = row in self.pending
            if not pending and not math.isnan(self.applied_s[row]):
                continue  # already applied
            if self.target[row] == s:
                self.stuck[row] = 1
            if self.write_id[row] not in missing:
                continue  # s has it: handed over below
            if self.failback_loses or not pending:
                self.lost[row] = 1
                if pending:
                    del self.pending[row]
        self._hand_over(t, s, old)

    def _in_flight(self) -> np.ndarray:
        """Per row, whether its record is on the agenda."""
        flags = np.zeros(len(self.time_s), dtype=np.bool_)
        flags[list(self.pending)] = True
        return flags

    def _missing(self, new: int, old: int, in_flight: np.ndarray) -> np.ndarray:
        """The ids of the writes of ``old`` that ``new`` has not applied (their record to it
        ``in_flight`` (:meth:`_in_flight`) or never applied, not lost)."""
        rows = ((view(self.origin) == old) & (view(self.target) == new)
                & (view(self.lost) == 0) & (in_flight | np.isnan(view(self.applied_s))))
        return view(self.write_id)[rows]

    def _hand_over(self, t: float, new: int, old: int) -> None:
        """The authority passes from ``old`` to ``new`` at ``t``. A user's records in flight
        from ``old`` to another region, if ``new`` holds all their writes, are sent again
        by ``new`` from ``t``, in the order they were shipped: each applies when that
        delivery is due (after the run: never), and the old one's item on the agenda comes
        to nothing. Otherwise they keep going (the writes ``new`` lacks under
        ``reconcile``, or still on their way to it under ``catch_up: replicate``), and
        ``new``'s own records of that user to that region apply after them. Either way a
        region applies each user's records in order."""
        in_flight, target = self._in_flight(), view(self.target)
        rows = np.flatnonzero(in_flight & (view(self.origin) == old) & (target != new))
        held = ~np.isin(view(self.write_id)[rows], self._missing(new, old, in_flight))
        where = view(self.user)[rows] * self.n_regions + target[rows]
        moves = ~np.isin(where, where[~held])
        for row, move in zip(rows.tolist(), moves.tolist(), strict=True):
            channel = self.channels[(new, self.target[row])]
            if not move:
                channel.follow(self.user[row], self.pending[row])
                continue
            due = channel.apply_time(self.user[row], t, self.handover_lag.next())
            if due < self.horizon:
                self.pending[row] = due
                self.agenda.schedule(due, APPLY, Apply(row))
            else:
                del self.pending[row]

    def failback(self, t: float, p: int, s: int) -> None:
        """The old primary ``p`` takes writes again; what the authority ``s`` acknowledged
        reaches it by a copy now (``catch_up: copy``) or keeps coming over the channel
        (``replicate``: the records in flight apply when they arrive). ``s``'s records in
        flight to the other regions, of the writes ``p`` now holds, are handed over to
        ``p`` (:meth:`_hand_over`)."""
        d = self.directory
        if self.splits:
            reconcile(self, t, p, s, self.splits, self.reconciled_s, self.reconciliation)
            self.reconciled_s = t
        if self.replicates_back:
            if self.failback_loses:
                self._rewind(t, p, s)
            authority = s
        else:
            for row in list(self.pending):  # flush what is in flight to the old primary
                if self.target[row] == p:
                    self.deliver(t, row)
            if self.mode in ("async", "sync"):
                d.copy_replica(s, p)  # a full replica: it adopts the authority's state
            else:
                if self.mode == "periodic_export":  # what p never exported: gone, or kept
                    if self.failback_loses:
                        self._rewind(t, p, s)
                    else:
                        self._keep_unshipped(p, s)
                d.merge_replica(s, p)  # a partial copy must not erase what only p holds
            self.mark_copied(t, p)
            authority = p
        self._hand_over(t, p, s)
        if self.failback_loses:
            # Lost writes are gone for good: "newest acknowledged" is what survived.
            view(d.newest_cred)[:] = np.maximum(view(d.cred[authority]), 0)
            survived = view(d.profile[authority])
            newest = view(d.newest_profile)
            for user in np.nonzero(newest > survived)[0].tolist():
                self.profile_acks.keep(user, int(survived[user]))
            newest[:] = survived

    def _rewind(self, t: float, p: int, s: int) -> None:
        """Under ``lost``, the old primary drops its own writes the authority never
        received (as a database is rewound before it follows the new primary): the users
        they touched take the authority's record. [assumption: for those users the
        authority's newer writes still in the backlog arrive early.] Where the authority
        holds no password hash (a periodic export's import), the old primary keeps the
        version it held before its first dropped password change."""
        rows = np.flatnonzero((view(self.lost) != 0)
                              & (view(self.origin) == p) & (view(self.time_s) < t))
        users = distinct(view(self.user)[rows])
        if not len(users):
            return
        d = self.directory
        own = view(d.cred[p])[users].copy()
        changes = rows[view(self.kind)[rows] == KIND_CRED]
        np.minimum.at(own, np.searchsorted(users, view(self.user)[changes]),
                      view(self.value)[changes].astype(np.int64) - 1)
        for column in (d.exists, d.cred, d.profile, d.revoked_at, d.disabled):
            view(column[p])[users] = view(column[s])[users]
        cred = view(d.cred[p])
        cred[users] = np.where(cred[users] == NO_HASH, own, cred[users])

    def _keep_unshipped(self, p: int, s: int) -> None:
        """``reconcile`` at a partial-copy failback (periodic export): the old primary
        keeps the writes it never shipped (:meth:`Directory.merge_replica`), so they are
        not lost: its next export carries them. One whose version the authority had
        overtaken is a conflict (as a record arriving after a newer version is)."""
        rows = np.flatnonzero((view(self.lost) != 0) & (view(self.origin) == p))
        if not len(rows):
            return
        view(self.lost)[rows] = 0
        d = self.directory
        kinds, users, values = view(self.kind)[rows], view(self.user)[rows], view(self.value)[rows]
        overtaken = np.zeros(len(rows), dtype=np.bool_)
        for kind, column in ((KIND_CRED, d.cred), (KIND_PROFILE, d.profile)):
            at = kinds == kind
            overtaken[at] = view(column[s])[users[at]] > values[at]
        conflicts = rows[overtaken]
        view(self.conflict)[conflicts] = view(self.stuck)[conflicts]

    def drain_s(self, t: float, p: int, s: int) -> float:
        """When the reverse backlog at ``t`` — records from ``s`` to ``p`` acknowledged
        before ``t``, of replicated kinds, not lost — has applied at ``p``: the last one's
        apply time (``t`` if none is left; inf if one applies only after the run)."""
        rows = np.flatnonzero((view(self.origin) == s) & (view(self.target) == p)
                              & (view(self.time_s) < t)
                              & self.ships[view(self.kind)]
                              & (view(self.lost) == 0))
        applied = view(self.applied_s)[rows]
        last = float(applied[~np.isnan(applied)].max(initial=t))
        for row in rows[np.isnan(applied)].tolist():
            last = max(last, self.pending.get(row, math.inf))
        return last

    def export(self, t: float, r: int, source: int) -> None:
        """periodic_export: a snapshot of ``source`` into ``r``, without password hashes."""
        d = self.directory
        new = (view(d.exists[source]) == 1) & (view(d.exists[r]) == 0)
        for column in (d.exists, d.profile, d.disabled, d.revoked_at):
            view(column[r])[:] = view(column[source])
        view(d.cred[r])[new] = NO_HASH
        self.mark_copied(t, r)

    def mark_copied(self, t: float, r: int) -> None:
        """Writes acknowledged by now that reached ``r`` through a copy, not a record."""
        for row in range(len(self.time_s)):
            if (self.target[row] == r and math.isnan(self.applied_s[row])
                    and self.time_s[row] <= t and not self.lost[row]
                    and row not in self.pending):
                self.applied_s[row] = t

    def staleness_s(self, user: int, version: int, t: float) -> float:
        """How long before ``t`` the user's profile version after ``version`` was
        acknowledged (0 if unknown)."""
        acked = self.profile_acks.time_of(user, version + 1)
        return 0.0 if acked is None else t - acked

    # ------------------------------------------------------------------ the table

    def _split_column(self) -> np.ndarray:
        """Each row's split flag (model/reconcile.py); a write of a split still open at the
        run's end is SPLIT, its conflicts unreconciled."""
        split = np.zeros(len(self.time_s), dtype=np.int8)
        if self.splits:
            rows = split_rows(self, self.splits, self.reconciled_s, math.inf, 0, 1)
            split[rows] = SPLIT
            for row, flag in self.split_flags.items():
                split[row] = flag
        return split

    def columns(self) -> dict[str, np.ndarray]:
        """The ``writes`` table's columns, in write-id order."""
        ids = np.frombuffer(self.write_id, dtype=np.int64)
        order = (np.argsort(ids, kind="stable") if len(ids) and (np.diff(ids) < 0).any()
                 else slice(None))  # batches make their vectorised records late
        columns = {
            "write_id": ids,
            "time_s": np.frombuffer(self.time_s, dtype=np.float64),
            "user": np.frombuffer(self.user, dtype=np.int64),
            "kind": np.frombuffer(self.kind, dtype=np.int8),
            "origin": np.frombuffer(self.origin, dtype=np.int8),
            "target": np.frombuffer(self.target, dtype=np.int8),
            "applied_s": np.frombuffer(self.applied_s, dtype=np.float64),
            "lost": np.frombuffer(bytes(self.lost), dtype=np.bool_),
            "conflict": np.frombuffer(bytes(self.conflict), dtype=np.bool_),
            "stuck": np.frombuffer(bytes(self.stuck), dtype=np.bool_),
            "split": self._split_column(),
        }
        return {name: column[order] for name, column in columns.items()}
