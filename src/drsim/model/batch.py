"""Batches: serving many requests at once, exactly as one at a time would.

A batch is a run of arrivals inside one epoch (and the agenda's items due in
it). :class:`BatchServer` plans it — which requests nothing else in the batch
can affect, so that they may be decided vectorised (:mod:`drsim.model.waves`),
which attackers' guesses may be served in rounds per account, and which must
be served one at a time in the reference's order — checks that no quota can
run dry, and serves it. :class:`Batch` is the state of the batch being served:
its end, the vectorised writes' commits still to be made in serving order, and
the order key of the request being served one at a time. docs/model.md says
who is served how, and why.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from drsim.model.agenda import APPLY, REQUEST
from drsim.model.arrays import by_user_then_time, distinct, repeated
from drsim.model.directory import view
from drsim.model.operations import IS_WRITE, M2M, OK, REFRESH, SIGN_IN, SIGN_UP
from drsim.model.quotas import BatchAssumptionBroken, Load
from drsim.model.waves import Wave, WaveServer
from drsim.model.writelog import WriteLog

if TYPE_CHECKING:
    from drsim.model.dataplane import DataPlane


class Batch:
    """The batch being served.

    Commits: a write's commit draws replication lags from one stream and numbers
    its records, so commits must be made in serving order — before a request
    served one at a time commits, and at the end of the batch. Unless a
    throughput cap orders every record of a channel, that is all the order
    matters for (the commits' other effects concern only their users, who
    appear once in the batch, and the writes table is put in write-id order at
    the end): the lags and ids are reserved in order and the records made once,
    at the end of the batch.
    """

    def __init__(self, end: float, writes: WriteLog) -> None:
        self.end = end
        self.writes = writes
        self.serving: tuple = ()  # order key of the request served one at a time
        self.commit_log: list[tuple[np.ndarray, ...]] = []  # the waves' commits, unordered
        self.commits: tuple[list[np.ndarray], tuple, int] | None = None
        self.reserved: list[tuple[np.ndarray, ...]] = []  # commits whose records wait
        self.applied_now: list[tuple[np.ndarray, np.ndarray]] = []  # records due in the batch

    def log_commits(self, t: np.ndarray, static: np.ndarray, index: np.ndarray,
                    seq: np.ndarray, user: np.ndarray, kind: np.ndarray, origin: np.ndarray,
                    value: np.ndarray) -> None:
        """Writes acknowledged by a wave, with their serving-order keys (arrivals:
        ``(t, 1, index, 0)``, agenda requests: ``(t, 0, REQUEST, seq)``)."""
        self.commit_log.append((t, static.astype(np.int64),
                                np.where(static, index, REQUEST), np.where(static, 0, seq),
                                user, kind, origin, value))

    def order_commits(self) -> None:
        """Put the logged commits in serving order; none is made yet."""
        log = self.commit_log
        self.commit_log = []
        if not log:
            return
        t, klass, a, b, user, kind, origin, value = (np.concatenate(c)
                                                     for c in zip(*log, strict=True))
        order = np.lexsort((b, a, klass, t))
        # The keys' times as a list (searched by bisection); the rest of a key is read
        # only to order commits at the very time of the request being served.
        self.commits = ([t[order], user[order], kind[order], origin[order], value[order]],
                        (t[order].tolist(), klass[order], a[order], b[order]), 0)

    def flush_commits(self, before: tuple | None) -> None:
        """Make the commits that come before the order key ``before`` (all: None)."""
        columns, (times, klass, a, b), done = self.commits
        if before is None:
            end = len(times)
        else:
            end = bisect.bisect_left(times, before[0], done)
            while (end < len(times) and times[end] == before[0]
                   and (int(klass[end]), int(a[end]), int(b[end])) < before[1:]):
                end += 1
        if end > done:
            chunk = [column[done:end] for column in columns]
            if self.writes.capped:
                self.writes.ship_many(self.end, self.applied_now, *chunk)
            else:
                self.reserved.append(self.writes.reserve(*chunk))
        self.commits = None if end == len(times) else (columns, (times, klass, a, b), end)

    def finish(self) -> None:
        """Make the rest of the commits and the waiting records; apply the records due."""
        if self.commits is not None:
            self.flush_commits(None)
        if self.reserved:
            self.writes.ship_many(self.end, self.applied_now,
                                  *(np.concatenate(c) for c in zip(*self.reserved, strict=True)))
        if self.applied_now:
            due, rows = (np.concatenate(c) for c in zip(*self.applied_now, strict=True))
            self.writes.apply_rows(due, rows, scheduled=False)


@dataclass
class Plan:
    """Who in a batch is served how.

    ``t``, ``op``, ``user`` cover the batch's requests: its arrivals, then the agenda's
    requests due in it. The rest is served one at a time.
    """

    i: int  # the first arrival
    n_arrivals: int
    t1: float  # the batch's end
    t: np.ndarray
    op: np.ndarray
    user: np.ndarray  # newcomers settled on their stand-ins
    as_now: np.ndarray  # the operation each would be served as now
    fast: np.ndarray  # decided vectorised
    fidx: np.ndarray  # positions of those
    region: np.ndarray  # their DNS answers
    in_rounds: np.ndarray  # of users with several (one per user per wave)
    guessing: np.ndarray  # arrivals that are guesses served in rounds per account
    requests: list[tuple]  # the agenda's requests due in the batch
    applies: list[tuple]  # the agenda's applies due in the batch, not yet applied


class BatchServer:
    """Plans and serves the batches of a data plane."""

    MAX_BATCH = 65536  # arrivals per batch, at most (see batch_size)
    MAX_SPAN_S = 240.0  # simulated seconds per batch
    MIN_BATCH = 48  # fewer arrivals than this: not worth the vector overhead
    DROP_GUARD_S = 0.25  # one at a time this long before a region with a capacity goes
    # down, so that the batch before it rarely holds an attempt that might start after
    # (speed only: Queues.fits refuses such a batch, and it is served one at a time)

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane
        self.waves = WaveServer(plane)
        d = plane.directory
        # Scratch flags per user, left all False; the last one stays False for good, so that
        # a look-up of −1 (no user) finds no flag.
        self.mark = np.zeros(d.capacity + 1, dtype=np.bool_)
        # Larger batches amortise numpy's per-call cost, but the more users appear twice
        # in a batch (served in rounds: more, smaller waves): √(4320 × population) balances
        # it (measured at 100 k and 1 M users: 4–5 % faster than half that size; 65 536
        # arrivals at 1 M users, about 220 s of the reference traffic).
        self.batch_size = int(np.clip(np.sqrt(4320.0 * d.population), 2048, self.MAX_BATCH))

    def span(self, t: float) -> tuple[float, float]:
        """For batching at ``t``: (until when requests are served one at a time, by when a
        batch from ``t`` must end) — a reopen ramp's window (:meth:`drsim.model.
        capacity_schedule.Schedule.span`) and the last :attr:`DROP_GUARD_S` before a region
        with a capacity goes down."""
        plane = self.plane
        hold, cut = plane.schedule.span(t) if plane.schedule else (t, math.inf)
        drop = plane.queues.next_drop(t) if plane.queues is not None else math.inf
        if drop - self.DROP_GUARD_S <= t:
            return max(hold, drop), cut
        return hold, min(cut, drop - self.DROP_GUARD_S)

    def extent(self, i: int, t1: float) -> tuple[int, float]:
        """The batch starting at arrival ``i``: arrivals [i, j) before ``t1``, at most
        :attr:`batch_size`; returns ``j`` and the batch's end."""
        times = self.plane.arrivals.time_s
        j = int(np.searchsorted(times, t1, side="left"))
        if j - i > self.batch_size:
            j = i + self.batch_size
            t1 = float(times[j])
        return j, t1

    def serve(self, i: int, j: int, t1: float) -> bool:
        """Serve arrivals [i, j) and every agenda item before ``t1``; False: not batchable
        (too few arrivals, or a quota might run dry), nothing served."""
        if j - i < self.MIN_BATCH:
            return False
        plane = self.plane
        popped = plane.agenda.pop_before(t1)
        requests = [item for item in popped if item[1] == REQUEST]
        applies = [item for item in popped if item[1] == APPLY]
        plan = self._plan(i, j, t1, requests, applies)
        maybe_t, maybe_op, maybe_user = self._maybe(plan)
        t, op = plan.t[plan.fidx], plan.as_now[plan.fidx]  # decided vectorised
        load = plane.quotas.load(plan.region, t, op, maybe_t, maybe_op)
        if not (plane.quotas.fits(plane.epoch, load, plan.region, t, op, maybe_t, maybe_op)
                and self._queues_fit(plan, t, op, load, maybe_t, maybe_op)
                and self._dependencies_fit(plan, t, op, maybe_t, maybe_op, maybe_user)):
            plane.agenda.put_back(popped)
            return False
        plane.quotas.open_batch()
        plane.dependencies.open_batch()
        if plane.queues is not None:
            plane.queues.open_batch()
        batch = plane.batch = Batch(t1, plane.writes)
        self._serve_waves(plan, batch)
        if plan.guessing.any():
            plane.attackers.serve_guesses(plane.arrivals, i + np.flatnonzero(plan.guessing),
                                          plane.epoch, plane.rules, plane.quotas,
                                          plane.recorder, plane.queues)
        batch.order_commits()
        self._serve_one_at_a_time(plan, batch)
        batch.finish()
        plane.batch = None
        plane.quotas.book()
        plane.dependencies.book()
        if plane.queues is not None and not plane.queues.book():
            raise BatchAssumptionBroken(f"a batched request would have timed out before "
                                        f"t={t1:.3f}s")
        return True

    # ------------------------------------------------------------------ planning

    def _plan(self, i: int, j: int, t1: float, requests: list[tuple],
              applies: list[tuple]) -> Plan:
        """Decide who is served vectorised, in rounds, as guesses, or one at a time."""
        plane = self.plane
        arrivals, d = plane.arrivals, plane.directory
        n_arrivals = j - i
        t = np.concatenate([arrivals.time_s[i:j], np.array([it[0] for it in requests],
                                                           np.float64)])
        op = np.concatenate([plane.recorder.op[i:j],
                             np.array([it[3].op for it in requests], np.int8)])
        user = np.concatenate([arrivals.user[i:j],
                               np.array([it[3].user for it in requests], np.int64)])
        legit = np.concatenate([arrivals.attacker[i:j] < 0,
                                np.array([it[3].attacker < 0 for it in requests], np.bool_)])
        stand_ins, own = self._settle_newcomers(i, j, t, op, user)
        valid = user >= 0
        safe = np.where(valid, user, 0)
        if plane.ordered_kinds.any():  # a retry budget or a breaker orders its kind's requests
            legit &= ~plane.ordered_kinds[np.where(valid, view(d.client)[safe], 0)]
        apply_rows = np.array([it[3].row for it in applies], dtype=np.int64)
        apply_users = view(plane.writes.user)[apply_rows]
        # Applies before everything else in the batch that concerns their users: all at
        # once, now; the others concern the batch.
        apply_times = np.array([it[0] for it in applies], dtype=np.float64)
        first = self._applied_first(t, user, n_arrivals, stand_ins, apply_times, apply_users)
        if first.any():
            plane.writes.apply_rows(apply_times[first], apply_rows[first])
            applies = [it for it, a in zip(applies, first.tolist(), strict=True) if not a]
            apply_users = apply_users[~first]
        # How often the batch concerns the guessed accounts.
        guessed = arrivals.user[i:j][arrivals.attacker[i:j] >= 0]
        values, counts = self._occurrences([user, stand_ins, apply_users], guessed)
        guessing = (plane.attackers.alone(arrivals, i, j, values, counts)
                    if plane.attackers.specs else np.zeros(n_arrivals, dtype=np.bool_))
        born = (user < d.population) | (op == SIGN_UP) | own
        k = np.flatnonzero(~born)
        born[k] = view(d.born)[safe[k]] != 0
        m2m = legit & (op == M2M)  # changes no user's state
        # The operation each request would be served as now (exact for users served once;
        # a wave converts again when it serves them).
        as_now = op.copy()
        k = np.flatnonzero(valid & (op == REFRESH))
        as_now[k[~plane.rules.has_session_many(t[k], safe[k])]] = SIGN_IN  # Rules.served_as
        eligible = legit & plane.is_batched[op] & valid & born & ~m2m
        in_rounds, blocked = self._rounds(t, op, user, safe, valid, eligible, m2m, t1,
                                          [stand_ins, apply_users])
        fast = (eligible & ~self._among(safe, blocked)) | m2m
        as_now = np.where(fast, as_now, op)
        fidx = np.flatnonzero(fast)
        region = plane.router.route_many(t[fidx], safe[fidx], as_now[fidx])
        keep = self._vectorisable(region, as_now[fidx], safe[fidx])
        if not keep.all():
            keep = np.flatnonzero(keep)
            fidx, region = fidx[keep], region[keep]
        fast[:] = False
        fast[fidx] = True
        in_rounds &= fast
        return Plan(i=i, n_arrivals=n_arrivals, t1=t1, t=t, op=op, user=user, as_now=as_now,
                    fast=fast, fidx=fidx, region=region, in_rounds=in_rounds,
                    guessing=guessing, requests=requests, applies=applies)

    def _applied_first(self, t: np.ndarray, user: np.ndarray, n_arrivals: int,
                       stand_ins: np.ndarray, times: np.ndarray,
                       apply_users: np.ndarray) -> np.ndarray:
        """Mask of the applies (due at ``times``, to ``apply_users``) that come before
        every request of their user in the batch (``t``, ``user``: its ``n_arrivals``
        arrivals, in time order, then the agenda's requests; all if none), each the only
        apply of its user in it, none a stand-in's: made first, in the order of service,
        they change nothing the batch's requests would not see (their users' requests
        then served vectorised, not one at a time: 800 users a run at 1 M).

        Arrivals after the last apply come after every apply: only those before it (the
        records of the previous batch's writes apply in its first seconds) are looked at."""
        ids, index, counts = np.unique(apply_users, return_inverse=True, return_counts=True)
        before = int(np.searchsorted(t[:n_arrivals], times.max(initial=-np.inf), side="right"))
        rows = np.concatenate([np.arange(before), np.arange(n_arrivals, len(t))])
        k = rows[self._among(user[rows], ids)]
        earliest = np.full(len(ids), np.inf)
        np.minimum.at(earliest, np.searchsorted(ids, user[k]), t[k])
        return ((counts[index] == 1) & (times < earliest[index])
                & ~self._among(apply_users, stand_ins))

    def _vectorisable(self, region: np.ndarray, op: np.ndarray, user: np.ndarray) -> np.ndarray:
        """Which of these requests may be decided vectorised: a sign-in against a superseded
        password feeds the lockout counters, and one migrating a user changes the region:
        they are served one at a time."""
        plane = self.plane
        reached = region >= 0
        keep = np.ones(len(region), dtype=np.bool_)
        k = np.flatnonzero((op == SIGN_IN) & reached)
        keep[k[plane.rules.superseded_many(region[k], user[k])]] = False
        if plane.migrates:
            keep &= ~(reached & plane.rules.missing_many(region, user))
        return keep

    def _occurrences(self, values: list[np.ndarray], queries: np.ndarray) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
        """The distinct ``queries`` (ids ≥ 0) found in the arrays ``values`` (ids ≥ −1: −1 is
        no user, never found) and how often each occurs there (``np.unique`` of them all
        with counts, restricted to the queries; the arrays are not joined first)."""
        return np.unique(np.concatenate([v[self._among(v, queries)] for v in values]),
                         return_counts=True)

    def _settle_newcomers(self, i: int, j: int, t: np.ndarray, op: np.ndarray,
                          user: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A request for a user whose sign-up has not succeeded acts as int(pick ×
        population) instead, decided when served. Unless the batch holds that sign-up,
        it is decided now (``user`` is updated). If the batch holds it and it will
        succeed (:meth:`_signing_up`), the newcomer's requests are their own; otherwise
        their stand-ins take part in the batch too.

        Returns:
            Those stand-ins, and the mask of the batch's requests that are newcomers'
            own (their sign-up's too).
        """
        arrivals, d = self.plane.arrivals, self.plane.directory
        n = j - i
        # Newcomers' ids are the population and up: only the few requests for such ids (1.5 k
        # of a batch's 65 k at 1 M users) are looked at, not the whole batch.
        high = np.flatnonzero(user >= d.population)
        k = high[high < n]
        k = k[(arrivals.attacker[i + k] < 0) & (view(d.born)[user[k]] == 0)]
        newcomer = np.zeros(n, dtype=np.bool_)
        newcomer[k] = True
        signing_up = newcomer & (op[:n] == SIGN_UP)
        settled = newcomer & ~signing_up
        own = np.zeros(len(user), dtype=np.bool_)
        signups = user[op == SIGN_UP]  # arrivals' and the agenda's (a sign-up's retry)
        if len(signups):  # one may create the newcomer before its request: decided when served
            settled[k] &= ~self._among(user[k], signups[signups >= 0])
        if signing_up.any():
            own[:n] = self._signing_up(i, t, op, user, high, newcomer, signing_up)
        if settled.any():
            user[:n][settled] = (arrivals.pick[i:j][settled] * d.population).astype(np.int64)
        waiting = newcomer & ~settled & ~signing_up & ~own[:n]
        return (arrivals.pick[i:j][waiting] * d.population).astype(np.int64), own

    def _signing_up(self, i: int, t: np.ndarray, op: np.ndarray, user: np.ndarray,
                    high: np.ndarray, newcomer: np.ndarray, signing_up: np.ndarray) -> np.ndarray:
        """The newcomers' arrivals (a mask) whose sign-up is an arrival of this batch that
        comes before every other request of theirs in it and will succeed — decided as a
        wave decides it (:meth:`Rules.sign_up_many`), which the order of service cannot
        change: nothing but its own user's requests and the batch's quotas and queues
        (which must not run dry) bear on it. ``high``: the positions of the batch's
        requests for newcomers' ids (the population and up), where all of theirs are."""
        plane = self.plane
        n = len(newcomer)
        s = np.flatnonzero(signing_up)
        region = plane.router.route_many(t[s], user[s], op[s])
        s = s[plane.rules.sign_up_many(plane.epoch, region, plane.arrivals.u[i + s]) == OK]
        # Their requests in the batch must all be newcomers' arrivals after the sign-up.
        mine = high[self._among(user[high], user[s])]
        ids, first = np.unique(user[mine], return_index=True)
        at = np.minimum(mine, n - 1)
        succeeds = np.zeros(len(user), dtype=np.bool_)  # the sign-ups that succeed
        succeeds[s] = True
        stray = (mine >= n) | ~newcomer[at] | (signing_up[at] & ~succeeds[mine])
        fine = succeeds[mine[first]] & ~self._among(ids, user[mine[stray]])
        own = np.zeros(n, dtype=np.bool_)
        mine = mine[mine < n]
        own[mine] = newcomer[mine] & self._among(user[mine], ids[fine])
        return own

    def _among(self, values: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """``np.isin(values, ids)`` for ids ≥ 0 (``values`` ≥ −1: −1 is no user)."""
        mark = self.mark
        mark[ids] = True
        found = mark[values]
        mark[ids] = False
        return found

    def _rounds(self, t: np.ndarray, op: np.ndarray, user: np.ndarray, safe: np.ndarray,
                valid: np.ndarray, eligible: np.ndarray, m2m: np.ndarray, t1: float,
                taking_part: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Users with several eligible requests are served in rounds (one request per user
        per wave, in order) if no sign-in of theirs can meet a superseded password, lockout
        state or, migrating, a region without them, and, if they write, their DNS answer
        stays the same from their first write in the batch to its end (a write's
        replication to other regions is made at the batch's end: no later request of
        theirs may go there; earlier ones may) and every operation uses the same record
        (no dns.endpoints).

        Returns the mask of requests in rounds and the users served one at a time: those
        with a request not eligible, ``taking_part`` (stand-ins, users with a record
        applying in the batch), and the risky rounds above.
        """
        plane = self.plane
        d = plane.directory
        several = repeated(user[eligible])
        in_rounds = eligible & self._among(safe, several)
        # Lockout state matters to sign-ins only: asked of the users in rounds alone (a
        # tenth of the batch, interleaved: taken by positions, not a mask).
        rounds_users = user[np.flatnonzero(in_rounds)]
        blocked = [user[valid & ~eligible & ~m2m], *taking_part,
                   rounds_users[plane.lockout.table.held_any(rounds_users)]]
        w = np.flatnonzero(in_rounds & IS_WRITE[op])
        if len(w) and plane.router.per_operation:
            blocked.append(distinct(user[w]))  # their requests may go elsewhere than the write
        elif len(w):  # the answer must hold from each writer's first write in the batch on
            order = by_user_then_time(t[w], user[w])
            writer, when = user[w][order], t[w][order]
            first = np.ones(len(w), dtype=np.bool_)
            first[1:] = writer[1:] != writer[:-1]
            writer, when = writer[first], when[first]
            blocked.append(writer[~plane.router.steady(when, writer, t1)])
        if len(several):  # a sign-in may meet a superseded password (or no user) anywhere
            rules = plane.rules
            varied = view(d.varied)[several]  # read once for every region
            risky = np.zeros(len(several), dtype=np.bool_)
            for r in range(rules.n_regions):
                region = np.full(len(several), r)
                risky |= rules.superseded_many(region, several, varied)
                if plane.migrates:
                    risky |= rules.missing_many(region, several, varied)
            blocked.append(several[risky])
        return in_rounds, np.concatenate(blocked)

    def _maybe(self, plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The requests a batch's quota and queue checks count at every region they might
        reach: those not decided vectorised, and a refresh served in rounds (which may
        become a sign-in) as a sign-in too. When a refresh refused for good is followed by
        a sign-in, so are the vectorised refreshes the region will refuse early enough for
        that sign-in to fall inside the batch. Returns their times, operations and users."""
        either = plan.in_rounds & (plan.op == REFRESH)
        if self.plane.retries.reauthenticates:
            either[self._refused_refreshes(plan, either)] = True
        slow, either = np.flatnonzero(~plan.fast), np.flatnonzero(either)
        return (np.concatenate([plan.t[slow], plan.t[either]]),
                np.concatenate([plan.as_now[slow], np.full(len(either), SIGN_IN)]),
                np.concatenate([plan.user[slow], plan.user[either]]))

    # A batch is served vectorised only when no quota, queue or capped dependency can run
    # dry or wait long in it: the requests decided vectorised (``t``, ``op``) are counted
    # at their regions, the others (:meth:`_maybe`) wherever they might go. (A request
    # served one at a time whose state changes in the batch may still take a token this
    # count missed: the margins cover a few, and the bookings at the batch's end catch
    # the rest.) The quotas' ``load`` (:meth:`Quotas.load`) is counted once for both
    # quotas and queues.

    def _dependencies_fit(self, plan: Plan, t: np.ndarray, op: np.ndarray,
                          maybe_t: np.ndarray, maybe_op: np.ndarray,
                          maybe_user: np.ndarray) -> bool:
        """No capped dependency may run dry (the others' users are known, their regions
        not)."""
        deps = self.plane.dependencies
        if not deps.capped:
            return True
        return deps.fits(t, op, plan.user[plan.fidx], np.maximum(plan.region, 0), maybe_t,
                         maybe_op, np.maximum(maybe_user, 0))

    def _queues_fit(self, plan: Plan, t: np.ndarray, op: np.ndarray, load: Load | None,
                    maybe_t: np.ndarray, maybe_op: np.ndarray) -> bool:
        """When clients time out, no attempt may wait long enough to: the bound on every
        sojourn must leave half the shortest timeout less the longest fixed latency (the
        booking at the batch's end checks the attempts really made)."""
        plane = self.plane
        if plane.queues is None:
            return True
        fixed = max(plane.base_latency_s) + np.array(plane.epoch.added_latency_s)
        limit = min(plane.timeout_s) - fixed
        return plane.queues.fits(plane.epoch, limit, load, plan.region, t, op, maybe_t,
                                 maybe_op)

    def _refused_refreshes(self, plan: Plan, counted: np.ndarray) -> np.ndarray:
        """Positions of the refreshes the region will refuse for good (the user is not
        there, or the token is rejected), as the state stands, in time for a forced sign-in
        in the batch: exact for the vectorised ones, an estimate for the others. Those
        ``counted`` as sign-ins already (in rounds: 7 % at 1 M users) are not asked."""
        plane = self.plane
        region = np.full(len(plan.t), -1, dtype=np.int64)
        region[plan.fidx] = plan.region
        slow = np.flatnonzero(~plan.fast & (plan.as_now == REFRESH) & (plan.user >= 0))
        region[slow] = plane.router.route_many(plan.t[slow], plan.user[slow], plan.as_now[slow])
        k = np.flatnonzero((plan.as_now == REFRESH) & (region >= 0) & (plan.user >= 0)
                           & (plan.t + plane.retries.reauthentication_delay < plan.t1)
                           & ~counted)
        return k[plane.rules.ends_session_many(region[k], plan.user[k])]

    # ------------------------------------------------------------------ serving

    def _serve_waves(self, plan: Plan, batch: Batch) -> None:
        """The vectorised requests, in waves: users served once and the first request of
        each user in rounds; their later requests (and the retries of their failures)
        wait in ``rounds``. Each wave is served in the order its rows come (serving
        order, for the first): nothing in a wave depends on it."""
        in_rounds = plan.in_rounds[plan.fidx]
        rounds = self._wave(plan, np.flatnonzero(in_rounds))
        first = rounds.earliest_per_user()
        lead = ~in_rounds
        lead[np.flatnonzero(in_rounds)[first]] = True
        lead = np.flatnonzero(lead)
        wave = self._wave(plan, lead)
        settled: np.ndarray | None = ~in_rounds[lead]
        rounds = rounds.take(~first)
        rounds_users = distinct(rounds.user)
        mark = self.mark
        mark[rounds_users] = True
        while len(wave):
            retries = self.waves.serve(wave, batch, settled)
            settled = None
            again = mark[retries.user]  # −1 (no user) finds the last flag: False
            rounds = rounds.join(retries.take(again))
            wave = retries.take(~again)
            if len(rounds):
                first = rounds.earliest_per_user()
                wave = wave.join(rounds.take(first))
                rounds = rounds.take(~first)
        mark[rounds_users] = False

    def _wave(self, plan: Plan, at: np.ndarray) -> Wave:
        """The vectorised requests ``plan.fidx[at]`` (``at``: positions) as a wave. Users
        served once are served as the plan found (exact: nothing else in the batch
        concerns them); requests in rounds are converted when served."""
        n = plan.n_arrivals
        pos = plan.fidx[at]
        agenda = np.flatnonzero(pos >= n)
        requests = [plan.requests[k] for k in (pos[agenda] - n).tolist()]
        key = pos.astype(np.uint64) + np.uint64(plan.i)
        key[agenda] = np.array([it[3].key for it in requests], np.uint64)
        attempt = np.zeros(len(pos), np.int64)
        attempt[agenda] = [it[3].attempt for it in requests]
        seq = np.full(len(pos), -1, np.int64)
        seq[agenda] = [it[2] for it in requests]
        # Arrivals keep their own draw; agenda requests draw from their key.
        u = self.plane.arrivals.u[plan.i + np.minimum(pos, n - 1)]
        u[agenda] = self.waves.draws(key[agenda])
        return Wave(t=plan.t[pos], op=np.where(plan.in_rounds[pos], plan.op[pos],
                                               plan.as_now[pos]),
                    user=plan.user[pos], region=plan.region[at], attempt=attempt, key=key,
                    seq=seq, u=u)

    def _serve_one_at_a_time(self, plan: Plan, batch: Batch) -> None:
        """The rest, in the sequential loop's order. Keys: ``(time, 0, priority, seq)``
        for agenda items, ``(time, 1, index, 0)`` for arrivals."""
        plane, agenda, t1, i = self.plane, self.plane.agenda, plan.t1, plan.i
        n = plan.n_arrivals
        arrivals = np.flatnonzero(~plan.fast[:n] & ~plan.guessing)
        entries = [(float(plan.t[k]), 1, i + k, 0, None) for k in arrivals.tolist()]
        slow = set(np.flatnonzero(~plan.fast[n:]).tolist())
        entries.extend((it[0], 0, it[1], it[2], it) for k, it in enumerate(plan.requests)
                       if k in slow)
        entries.extend((it[0], 0, it[1], it[2], it) for it in plan.applies)
        entries.sort()  # the first four fields are unique: the items are never compared
        for entry in entries:
            key = entry[:4]
            while agenda.due_before(t1, key):
                plane.serve_agenda_item(agenda.pop())
            batch.serving = key
            if entry[4] is None:
                plane.serve_arrival(entry[2])
            else:
                plane.serve_agenda_item(entry[4])
        while agenda.next_time() < t1:
            plane.serve_agenda_item(agenda.pop())

