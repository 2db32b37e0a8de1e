"""The data plane: every request served, in time order, against the control timeline.

Requests are records, not processes. First attempts come from the arrival
arrays; retries, token replays and replication applies wait on the agenda
(:mod:`drsim.model.agenda`); control actions (promotion cut, failback, export
snapshot, rejoin) come from the control timeline. The control state is constant
within an epoch, so serving a request is a few look-ups: route → endpoint →
quota → writes → user state → the operation's own rules
(:mod:`drsim.model.rules`) → the senders and triggers it needs
(:mod:`drsim.model.dependencies`). Every attempt ends in exactly one outcome cause.

The rooms: routing (:mod:`~drsim.model.routing`), the outcome
rules (:mod:`~drsim.model.rules`), quotas (:mod:`~drsim.model.quotas`), the
write log (:mod:`~drsim.model.writelog`), lockout (:mod:`~drsim.model.lockout`),
attackers (:mod:`~drsim.model.attackers`), retries (:mod:`~drsim.model.retries`),
the recorder (:mod:`~drsim.model.recorder`) and batches
(:mod:`~drsim.model.batch`, :mod:`~drsim.model.waves`).

:meth:`DataPlane.serve_one` is the one-at-a-time reference; batches serve most
requests vectorised and reproduce it exactly (see docs/model.md).
"""

from __future__ import annotations

import math

import numpy as np

from drsim.model.agenda import APPLY, REQUEST, Agenda, Request
from drsim.model.attackers import Attackers
from drsim.model.batch import Batch, BatchServer
from drsim.model.breaker import Breakers
from drsim.model.capacity import LOST, SHED, WAIT, deferred_regions, service_ticks
from drsim.model.capacity_schedule import Schedule
from drsim.model.control import ControlTimeline, Epoch
from drsim.model.corruption import CorruptionPlan, ProfileCorruption, restore_region
from drsim.model.deferred import Deferred
from drsim.model.dependencies import Dependencies
from drsim.model.directory import Directory
from drsim.model.disciplines import tracked_queues
from drsim.model.lockout import RegionLockout
from drsim.model.operations import (
    ADMIN_DISABLE,
    CIRCUIT_OPEN,
    CORRUPT,
    DISABLED,
    FEDERATED,
    GUESS,
    KIND_CRED,
    KIND_DISABLE,
    KIND_PROFILE,
    KIND_REVOCATION,
    KIND_USER,
    LOCKED,
    M2M,
    MISCONFIGURED,
    NOT_FOUND,
    OK,
    PASSWORD_CHANGE,
    PROFILE_READ,
    PROFILE_UPDATE,
    READ_OPS,
    REFRESH,
    REPLAY_DISABLED,
    REPLAY_OLD_PASSWORD,
    REPLAY_REFRESH,
    REPLAYED_OPS,
    SHED_OUT,
    SIGN_IN,
    SIGN_OUT,
    SIGN_UP,
    STALE_CRED,
    THROTTLED,
    TIMEOUT,
    TOKEN_REJECTED,
    WRITE_OPS,
    WRONG_PASSWORD,
    base_latency_s,
)
from drsim.model.quotas import Quotas
from drsim.model.recorder import DataPlaneOutput, Recorder, Served
from drsim.model.retries import Retries
from drsim.model.routing import Router
from drsim.model.rules import Rules
from drsim.model.streams import Streams, unit
from drsim.model.traffic import Arrivals
from drsim.model.writelog import WriteLog
from drsim.records import OP_CODE, OUTCOME_CODE
from drsim.scenario.schema import Scenario

inf = float("inf")

REFUSED = tuple(Served(code) for code in range(len(OUTCOME_CODE)))
"""The result of an attempt refused (or served) with nothing else to record, by outcome."""
PARKED = Served(-1)
"""The result of an attempt waiting at a deferred region: decided later (model/deferred.py)."""
LOST_WITH_REGION = Served(OUTCOME_CODE["region_down"])
"""An attempt lost with its FIFO queue: ``region_down`` when the region goes down."""


class DataPlane:
    """Serves every request of one replication.

    Args:
        batch: Serve vectorisable requests in batches (default). ``False`` serves
            every request one at a time: the reference that batching reproduces
            exactly (tests compare the two).
        corruption: The run's corruption fault, planned (:mod:`drsim.model.corruption`).
    """

    def __init__(self, scenario: Scenario, streams: Streams, control: ControlTimeline,
                 arrivals: Arrivals, directory: Directory, router: Router,
                 batch: bool = True, schedule: Schedule | None = None,
                 corruption: CorruptionPlan | None = None) -> None:
        self.scenario = scenario
        self.control = control
        self.arrivals = arrivals
        self.directory = directory
        self.router = router
        self.batched = batch
        self.horizon = scenario.run.duration
        self.entered = 0  # the last epoch begun
        self.salt = int(streams.get("dynamic").integers(1, 1 << 62))
        self.agenda = Agenda()
        self.rules = Rules(scenario, directory)
        self.quotas = Quotas(scenario)
        self.locks: list[tuple[int, str, float, float]] = []
        self.lockout = RegionLockout(scenario.lockout, scenario.region_names, self.locks,
                                     directory.capacity)
        self.writes = WriteLog(scenario, streams, control, directory, self.agenda)
        self.attackers = Attackers(scenario, streams, self.lockout)
        self.retries = Retries(scenario)
        self.breakers = Breakers(scenario)
        # Kinds whose requests are served one at a time (a retry budget or a breaker orders
        # their attempts).
        self.ordered_kinds = self.retries.budgeted | self.breakers.guarded
        self.timeout_s = [inf if k.timeout is None else k.timeout for k in scenario.clients]
        ticks = service_ticks(scenario)
        # Scale-up, cold caches, reopen ramps (capacity_schedule): clocks and gates.
        self.schedule = schedule
        clocks = schedule.clocks if schedule is not None else None
        self.gates = schedule.gates if schedule is not None else None
        self.service_rows = ticks.tolist() if ticks is not None else []
        watches = schedule.watches if schedule is not None else None
        self.queues = tracked_queues(scenario, clocks, watches, control.epochs)
        deferring = any(deferred_regions(scenario))  # lifo, drop_oldest: decided at service
        self.deferred = Deferred(self, self.queues) if deferring else None
        self.parked = None  # the attempt _serve has just parked
        self.base_latency_s = base_latency_s().astype(np.float64).tolist()
        self.recorder = Recorder(arrivals)
        self.migrates = scenario.replication.mode == "migrate_on_sign_in"
        batched = list(READ_OPS)
        if scenario.replication.mode != "sync":
            replayed = REPLAYED_OPS if self.attackers.replayers else ()
            batched += [op for op in WRITE_OPS if op not in replayed]
        self.is_batched = np.zeros(len(OP_CODE), dtype=np.bool_)
        self.is_batched[batched] = True
        self.dependencies = Dependencies(scenario, directory)
        self.epoch: Epoch | None = None
        self.batch: Batch | None = None  # the batch being served, if any
        self.corruption = (ProfileCorruption(corruption, directory.capacity)
                           if corruption is not None and corruption.scope == "profiles"
                           else None)

    # ------------------------------------------------------------------ the loop

    def run(self) -> DataPlaneOutput:
        """Serve every request of the run; returns the raw record columns."""
        self._serve_until(self.horizon)
        if self.deferred is not None:
            self._decide_waiting()
        arrivals, self.arrivals = self.arrivals, None
        arrivals.pick = arrivals.u = arrivals.user = arrivals.op = None  # not recorded
        output = self.recorder.output(arrivals, self.writes.columns(), self.locks,
                                      self.directory.created)
        output.dependency_failures = dict(zip(self.dependencies.names,
                                              self.dependencies.failures, strict=True))
        return output

    def _decide_waiting(self) -> None:
        """Attempts still waiting at the run's end: the queues go on until each is decided
        (their effects come after the horizon, where no request sees them)."""
        starts = self.control.epoch_starts
        while (t := self.deferred.next_time()) < inf:
            now = int(np.searchsorted(starts, t, "right")) - 1
            if self.entered < now:  # an epoch begins first (its drops may call t off)
                self.entered += 1
                self.deferred.enter(*self.control.epochs[self.entered - 1:self.entered + 1])
                continue
            self.epoch = self.control.epochs[now]
            self.deferred.fire()

    def drain_s(self, t: float, p: int, s: int) -> float:
        """Serve everything before ``t``, when a failback waiting for the reverse backlog
        stops the writes of ``s``; returns when that backlog will have applied at ``p``."""
        self._serve_until(t)
        return self.writes.drain_s(t, p, s)

    def _serve_until(self, horizon: float) -> None:
        """Serve arrivals, agenda items and control actions in time order, up to ``horizon``."""
        times = self.arrivals.time_s
        n_arrivals = len(times)
        epochs, actions = self.control.epochs, self.control.actions
        agenda, deferred, inf = self.agenda, self.deferred, float("inf")
        batches = BatchServer(self) if self.batched else None
        epoch_i = action_i = i = 0
        next_epoch = epochs[1].start_s if len(epochs) > 1 else inf
        one_at_a_time_until = -inf  # no batch before this instant
        while True:
            t_arrival = times.item(i) if i < n_arrivals else inf
            t_agenda = agenda.next_time()
            t_action = actions[action_i].time_s if action_i < len(actions) else inf
            t0 = min(t_arrival, t_agenda, t_action)
            t_deferred = deferred.next_time() if deferred is not None else inf
            fire = t_deferred < t0  # a deferred region's server frees, or a client gives up
            if fire:
                t0 = t_deferred
            if t0 >= horizon:
                self.entered = epoch_i  # the epochs begun so far (_decide_waiting goes on)
                break
            dropped = False
            while t0 >= next_epoch:
                epoch_i += 1
                next_epoch = epochs[epoch_i + 1].start_s if epoch_i + 1 < len(epochs) else inf
                if deferred is not None:
                    dropped |= deferred.enter(epochs[epoch_i - 1], epochs[epoch_i])
            self.epoch = epochs[epoch_i]
            if dropped:  # a region went down under its queue: the next event may be another
                continue
            if fire:
                deferred.fire()
            elif t_action <= t_arrival and t_action <= t_agenda:
                self._act(actions[action_i])
                action_i += 1
            elif t_agenda <= t_arrival:
                self.serve_agenda_item(agenda.pop())
            elif batches is None or t0 < one_at_a_time_until:
                self.serve_arrival(i)
                i += 1
            else:
                hold, cut = batches.span(t0)
                if hold > t0:  # a reopen ramp's window, or a region about to go down
                    one_at_a_time_until = hold
                    continue
                j, t1 = batches.extent(i, min(next_epoch, t_action, horizon,
                                              t0 + batches.MAX_SPAN_S, cut, t_deferred))
                if batches.serve(i, j, t1):
                    i = j
                elif deferred is None:
                    one_at_a_time_until = t1
                else:  # a deferred region's queue forms again and again under load: try
                    # batches again only a span later (speed only: each batch is checked)
                    one_at_a_time_until = max(t1, t0 + batches.MAX_SPAN_S)

    def _act(self, action) -> None:
        """A control action at its instant."""
        writes = self.writes
        if action.kind == "promote":
            writes.promote(action.time_s, action.region, action.other)
        elif action.kind == "failback":
            writes.failback(action.time_s, action.region, action.other)
        elif action.kind == "export":
            writes.export(action.time_s, action.region, action.other)
        elif action.kind == "rejoin":
            self.directory.copy_replica(action.other, action.region)
            writes.mark_copied(action.time_s, action.region)
        elif action.kind == "corrupt":
            self.corruption.corrupt(self._profile_write, writes.writes, action.time_s,
                                    action.region)
        elif action.kind == "restore":
            self.corruption.restore(self._profile_write, writes.profile_acks, action.time_s,
                                    restore_region(self.epoch, self.corruption.plan))

    def _profile_write(self, t: float, user: int, r: int) -> int:
        """An acknowledged profile write of ``user`` at ``r`` (a corruption's bad write, a
        restore's write-back); returns its version."""
        self._write(t, PROFILE_UPDATE, user, r, self.epoch)
        return int(self.directory.newest_profile[user])

    # ------------------------------------------------------------------ one request at a time

    def serve_agenda_item(self, item: tuple) -> None:
        """An agenda item: a replication record applies, or a scheduled request is served."""
        t, priority, seq, payload = item
        if priority == APPLY:
            self.writes.apply_row(t, payload.row)
            return
        if self.batch is not None:
            self.batch.serving = (t, 0, priority, seq)
        op, user, client, attacker, attempt, region = payload[:6]
        if attacker < 0:
            op = self.rules.served_as(op, t, user)
            region = self.router.route(t, user if user >= 0 else 0, op)
        key = payload.key
        u = unit(key ^ self.salt)
        luck = unit(key ^ (self.salt >> 1))
        self.serve_one(t, op, user, client, attacker, attempt, region, payload, u, luck, -1,
                       seq, key)

    def serve_arrival(self, index: int) -> None:
        """Arrival ``index`` (a first attempt)."""
        arrivals, d = self.arrivals, self.directory
        t = arrivals.time_s.item(index)
        op = self.recorder.op.item(index)
        attacker = arrivals.attacker.item(index)
        user = arrivals.user.item(index)
        luck = arrivals.pick.item(index)
        if attacker >= 0:
            client = -1
            region = self.attackers.region_for(attacker, user, t, self.epoch)
        else:
            if user >= d.population and op != SIGN_UP and not d.born[user]:
                # That user's sign-up has not succeeded: someone who exists acts instead.
                user = int(luck * d.population)
            client = d.client[user] if user >= 0 else 0
            served_as = self.rules.served_as(op, t, user)
            if served_as != op:
                op = self.recorder.op[index] = served_as
            region = self.router.route(t, user if user >= 0 else 0, op)
        self.serve_one(t, op, user, client, attacker, 0, region, None, arrivals.u.item(index),
                       luck, index, 0, index)

    def serve_one(self, t: float, op: int, user: int, client: int, attacker: int, attempt: int,
                  region: int, request: Request | None, u: float, luck: float, index: int,
                  seq: int, key: int) -> None:
        """Serve one attempt, record it, schedule its retry."""
        limit = self.timeout_s[client] if attacker < 0 else inf
        breaker = self.breakers.of_kind[client] if self.breakers.any and attacker < 0 else None
        if breaker is not None and not breaker.admits(t):  # fails fast, never retried
            self.recorder.record(index, t, op, user if op != SIGN_UP else -1, client,
                                 attacker, attempt, -1, seq, REFUSED[CIRCUIT_OPEN])
            return
        served = self._serve(t, op, user, region, attacker, self.epoch, request, u, luck,
                             limit)
        call = (t, op, user, client, attacker, attempt, region, request, u, luck, index, seq,
                key)
        if served is PARKED:
            self.parked.call = call
            return
        if served is LOST_WITH_REGION:
            lost_at = self.queues.lost_at
            self._conclude(call, t, served, lost_at, learned=lost_at)
            return
        self._conclude(call, t, served, t)

    def conclude(self, call: tuple, now: float, outcome: int) -> None:
        """A parked attempt (serve_one's arguments ``call``) ends in ``outcome`` at ``now``:
        its client times out, or it is pushed out."""
        self._conclude(call, now, REFUSED[outcome], math.nextafter(now, inf))

    def serve_parked(self, call: tuple, now: float) -> None:
        """A parked attempt's service starts at ``now``, in its client's time: the rest of
        its serving runs now."""
        op, user, attacker, region, request, luck = (call[k] for k in (1, 2, 4, 6, 7, 9))
        served = self._admitted(now, op, user, region, attacker, self.epoch, request, luck)
        self._conclude(call, now, served, math.nextafter(now, inf))

    def _conclude(self, call: tuple, now: float, served: Served, earliest: float,
                  learned: float = -inf) -> None:
        """Record an attempt decided at ``now``, tell its breaker, schedule its retry (not
        before ``earliest``: a parked attempt's comes after what decided it; the backoff
        runs from when its client learns of the failure: ``learned``, or the instant its
        client's timeout fires)."""
        t, op, user, client, attacker, attempt, region, request, u, _, index, seq, key = call
        if attacker < 0 and self.breakers.any and self.breakers.of_kind[client] is not None:
            self.breakers.of_kind[client].result(now, served.outcome)
        recorded_user = user if (op != SIGN_UP or served.outcome == OK) else -1
        self.recorder.record(index, t, op, recorded_user, client, attacker, attempt, region,
                             seq, served)
        if attacker < 0 and served.outcome == OK and self.retries.budgeted_any:
            self.retries.succeed(client, request)
        if served.outcome != OK and attacker < 0:
            if served.outcome == TIMEOUT:  # the client learns of it when its timeout fires
                learned = t + self.timeout_s[client]
            retry = self.retries.retry(max(now, learned), op, user, client, attempt,
                                       served.outcome, u, key)
            if retry is not None:
                self.agenda.schedule(max(retry[0], earliest), REQUEST, retry[1])

    def _serve(self, t: float, op: int, user: int, r: int, attacker: int, epoch: Epoch,
               request: Request | None, u: float, luck: float,
               limit: float = inf) -> Served:
        """The outcome of one attempt, with its effects on the run's state.

        ``u`` and ``luck`` are the attempt's own uniform draws: ``u`` decides whether
        a degraded region fails it, ``luck`` whether an attacker's guess is right.
        ``limit``: the client's timeout; an attempt whose latency (the operation's own,
        the region's added latency, its wait and service at the region's queue) would
        exceed it times out, with no effect but the work the region does anyway.
        """
        rules = self.rules
        refused = rules.endpoint(epoch, r, op, u)
        if refused:
            return REFUSED[refused]
        if not self.quotas.take(r, op, t):
            return REFUSED[THROTTLED]
        if self.gates is not None and not self.gates.admit(r, self.service_rows[r][op], t):
            return REFUSED[THROTTLED]
        if self.queues is not None:
            fixed = self.base_latency_s[op] + epoch.added_latency_s[r]
            sojourn = self.queues.take(r, op, t, fixed, limit)
            if sojourn == SHED:
                return REFUSED[SHED_OUT]
            if sojourn == WAIT:
                self.parked = self.deferred.park(r, op, t, fixed, limit)
                return PARKED
            if sojourn == LOST:
                return LOST_WITH_REGION
            if sojourn and fixed + sojourn > limit:
                return REFUSED[TIMEOUT]
        return self._admitted(t, op, user, r, attacker, epoch, request, luck)

    def _admitted(self, t: float, op: int, user: int, r: int, attacker: int, epoch: Epoch,
                  request: Request | None, luck: float) -> Served:
        """The outcome of an attempt the region has taken (past its endpoint, quota and
        queue), with its effects."""
        rules = self.rules
        d = self.directory
        if op in WRITE_OPS:
            refused = rules.write(epoch, r)
            if refused:
                return REFUSED[refused]
            if op == SIGN_UP:  # ``user`` is the id reserved for this sign-up
                refused = self._needs(t, op, user, r)
                if refused:
                    return REFUSED[refused]
                d.born[user] = 1
                d.created += 1
                d.exists[r][user] = 1
                d.cred[r][user] = 0  # a new user has a password, even in an imported pool
                self._commit(t, user, KIND_USER, r, 1.0, epoch)
                return REFUSED[OK]
        if op == M2M:
            return REFUSED[self._needs(t, op, user, r)]
        if rules.missing(r, user) and not self._migrate(r, user, op, epoch):
            return REFUSED[NOT_FOUND]
        if op == SIGN_IN or op == GUESS:
            return self._sign_in(t, op, user, r, attacker, luck)
        if op == REFRESH:
            if not rules.has_session(t, user):
                return self._sign_in(t, SIGN_IN, user, r, attacker, luck)
            return REFUSED[rules.refresh(r, user) or self._needs(t, op, user, r)]
        if op == PROFILE_READ:
            refused = self._needs(t, op, user, r)
            if refused:
                return REFUSED[refused]
            if self.corruption is not None and self.corruption.serves_bad(d.profile[r][user],
                                                                          user):
                return REFUSED[CORRUPT]
            version = rules.stale_version(r, user)
            if version is None:
                return REFUSED[OK]
            return Served(OK, staleness_s=self.writes.staleness_s(user, version, t))
        if op == FEDERATED:
            refused = rules.federated(epoch, r, user) or self._needs(t, op, user, r)
            if refused:
                return REFUSED[refused]
            if r == rules.primary:
                d.fed_seen[user] = 1
            self._new_session(t, user, r)
            return REFUSED[OK]
        if op in WRITE_OPS:
            refused = self._needs(t, op, user, r)
            if not refused:
                self._write(t, op, user, r, epoch)
            return REFUSED[refused]
        return REFUSED[self._replay(op, user, r, request.value)]

    def _needs(self, t: float, op: int, user: int, r: int) -> int:
        """The dependencies a request the pool would grant needs (OK: none refuses it)."""
        if not self.dependencies.any:
            return OK
        return self.dependencies.check(t, op, user, r)

    def _write(self, t: float, op: int, user: int, r: int, epoch: Epoch) -> None:
        """An acknowledged profile update, password change, sign-out or disablement."""
        d = self.directory
        d.varied[user] = 1  # its replicas may differ from the start from now on
        if op == PROFILE_UPDATE:
            version = int(d.newest_profile[user]) + 1
            d.newest_profile[user] = version
            d.profile[r][user] = version
            self.writes.profile_acks.add(user, version, t)
            self._commit(t, user, KIND_PROFILE, r, float(version), epoch)
        elif op == PASSWORD_CHANGE:
            old = int(d.newest_cred[user])
            d.newest_cred[user] = old + 1
            d.cred[r][user] = old + 1
            self._commit(t, user, KIND_CRED, r, float(old + 1), epoch)
            self._schedule_replays(t, op, user, 0.0, old)
        elif op == SIGN_OUT:
            issued = float(d.session_issued[user])
            d.revoked_at[r][user] = t
            d.session_issued[user] = -inf  # no session any more
            self._commit(t, user, KIND_REVOCATION, r, t, epoch)
            self._schedule_replays(t, op, user, issued, 0)
        elif op == ADMIN_DISABLE:
            d.disabled[r][user] = 1
            self._commit(t, user, KIND_DISABLE, r, 1.0, epoch)
            self._schedule_replays(t, op, user, 0.0, 0)
        else:  # pragma: no cover
            raise AssertionError(f"unhandled write {op}")

    def _replay(self, op: int, user: int, r: int, value: float) -> int:
        """An attacker presents a revoked token, an old password or a disabled user's
        credentials (``value``: the token's issue time or the old password's version)."""
        d = self.directory
        if op == REPLAY_REFRESH:
            if d.session_region[user] != r and not self.rules.cross_region_tokens:
                return TOKEN_REJECTED
            if d.revoked_at[r][user] >= value:
                return TOKEN_REJECTED
            return OK
        if op == REPLAY_OLD_PASSWORD:
            return OK if d.cred[r][user] == value else WRONG_PASSWORD
        if op == REPLAY_DISABLED:
            return DISABLED if d.disabled[r][user] else OK
        raise AssertionError(f"unhandled operation code {op}")  # pragma: no cover

    def _commit(self, t: float, user: int, kind: int, origin: int, value: float,
                epoch: Epoch) -> None:
        """Replicate an acknowledged write from ``origin`` to the other regions."""
        batch = self.batch
        if batch is not None and batch.commits is not None:
            batch.flush_commits(batch.serving)  # the batch's vectorised commits before it
        self.writes.ship(t, user, kind, origin, value, epoch)

    def _schedule_replays(self, t: float, op: int, user: int, issued: float,
                          old_version: int) -> None:
        if self.attackers.replayers:
            self.attackers.schedule_replays(self.agenda, self.salt, self.writes.writes, t, op,
                                            user, issued, old_version)

    def _migrate(self, r: int, user: int, op: int, epoch: Epoch) -> bool:
        """migrate_on_sign_in: copy a user from the old pool on first sign-in, if reachable."""
        if not self.migrates or op not in (SIGN_IN, FEDERATED):
            return False
        source = self.rules.primary
        d = self.directory
        if source == r or not epoch.reachable(r, source) or not d.exists[source][user]:
            return False
        d.exists[r][user] = 1
        d.cred[r][user] = d.cred[source][user]
        d.profile[r][user] = d.profile[source][user]
        d.disabled[r][user] = d.disabled[source][user]
        return True

    def _new_session(self, t: float, user: int, r: int) -> None:
        d = self.directory
        d.session_issued[user] = t
        d.session_region[user] = r

    def _sign_in(self, t: float, op: int, user: int, r: int, attacker: int,
                 luck: float) -> Served:
        """A password sign-in or an attacker's guess: misconfigured → disabled → lockout →
        (a guess is right with its attacker's odds) → credential → second factor → issuer
        pinning → dependencies; a wrong or superseded password counts against the counters,
        a success resets them."""
        rules = self.rules
        counter = self.lockout.counters[r]
        shadow = self.lockout.shadow
        if op != GUESS and rules.misconfigured(self.epoch, r):
            return REFUSED[MISCONFIGURED]
        if op != GUESS and rules.disabled(r, user):
            return REFUSED[DISABLED]
        shadow_locked = shadow is not None and shadow.locked(user, t)
        if counter.locked(user, t):
            return Served(LOCKED, shadow_locked=shadow_locked)
        if op == GUESS:
            right = luck < self.attackers.success[attacker]
            self._count(counter, shadow, shadow_locked, user, t, right)
            return Served(OK if right else WRONG_PASSWORD, extra_guess=shadow_locked,
                          shadow_locked=shadow_locked)
        refused = rules.credential(r, user)
        if refused == STALE_CRED:
            self._count(counter, shadow, shadow_locked, user, t, False)
        if not refused:
            refused = rules.second_factor(r, user)
        if not refused and rules.pinned_elsewhere(r, user):
            refused = TOKEN_REJECTED
        if not refused:
            refused = self._needs(t, op, user, r)
        if refused:
            return Served(refused, shadow_locked=shadow_locked)
        self._count(counter, shadow, shadow_locked, user, t, True)
        self._new_session(t, user, r)
        return Served(OK, shadow_locked=shadow_locked)

    @staticmethod
    def _count(counter, shadow, shadow_locked: bool, user: int, t: float, right: bool) -> None:
        """A password judged right or wrong: the region's counter, and the shadow's unless
        it has the account locked."""
        if right:
            counter.succeed(user, t)
            if shadow is not None and not shadow_locked:
                shadow.succeed(user, t)
        else:
            counter.fail(user, t)
            if shadow is not None and not shadow_locked:
                shadow.fail(user, t)
