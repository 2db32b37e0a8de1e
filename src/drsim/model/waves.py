"""Waves: requests decided vectorised, as the one-at-a-time reference decides them.

A wave holds at most one request per user, of users whose state nothing else
in the batch can change; it is decided with the outcome rules' vectorised
forms (:mod:`drsim.model.rules`) in the reference's order, recorded, and its
effects applied: new sessions, writes on the origin's replica (their commits
are logged for the batch to make in serving order), lockout resets. Failures
retried before the batch ends form the next wave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from drsim.model.agenda import Request
from drsim.model.arrays import by_user_then_time, distinct
from drsim.model.directory import view
from drsim.model.operations import (
    ADMIN_DISABLE,
    CORRUPT,
    DISABLED,
    FEDERATED,
    IS_WRITE,
    KIND_OF_OP,
    LOCKED,
    M2M,
    MISCONFIGURED,
    NOT_FOUND,
    OK,
    PASSWORD_CHANGE,
    PROFILE_READ,
    PROFILE_UPDATE,
    REFRESH,
    SIGN_IN,
    SIGN_OUT,
    SIGN_UP,
    TOKEN_REJECTED,
)
from drsim.model.rules import gather, refuse, settle
from drsim.model.streams import unit_many

if TYPE_CHECKING:
    from drsim.model.batch import Batch
    from drsim.model.dataplane import DataPlane


class Wave:
    """Requests as equal-length columns: time, operation, user, region (the DNS answer),
    attempt, randomness key (an arrival's index), ``seq`` (−1 for an arrival, else the
    agenda's sequence number) and the attempt's own draw ``u``."""

    COLUMNS = ("t", "op", "user", "region", "attempt", "key", "seq", "u")
    __slots__ = COLUMNS

    def __init__(self, t: np.ndarray, op: np.ndarray, user: np.ndarray, region: np.ndarray,
                 attempt: np.ndarray, key: np.ndarray, seq: np.ndarray, u: np.ndarray) -> None:
        self.t, self.op, self.user, self.region = t, op, user, region
        self.attempt, self.key, self.seq, self.u = attempt, key, seq, u

    def __len__(self) -> int:
        return len(self.t)

    def take(self, which: np.ndarray) -> Wave:
        """The requests where the mask holds (or at these positions)."""
        if which.dtype == np.bool_:  # positions once, then eight gathers (not eight masks)
            which = np.flatnonzero(which)
        return Wave(*(getattr(self, name)[which] for name in self.COLUMNS))

    def split(self, at: int) -> tuple[Wave, Wave]:
        """The requests before position ``at`` and the rest (views, no copy)."""
        return (Wave(*(getattr(self, name)[:at] for name in self.COLUMNS)),
                Wave(*(getattr(self, name)[at:] for name in self.COLUMNS)))

    def join(self, other: Wave) -> Wave:
        """These requests, then ``other``'s."""
        if not len(other):
            return self
        if not len(self):
            return other
        return Wave(*(np.concatenate([getattr(self, name), getattr(other, name)])
                      for name in self.COLUMNS))

    def earliest_per_user(self) -> np.ndarray:
        """Mask of each user's first request in serving order (arrivals: ``seq`` < 0, by
        index; agenda requests: by ``seq``; agenda requests first at equal times)."""
        order = by_user_then_time(self.t, self.user)
        sorted_users = self.user[order]
        first = np.ones(len(order), dtype=np.bool_)
        first[1:] = sorted_users[1:] != sorted_users[:-1]
        tied = ~first[1:]
        tied &= self.t[order[1:]] == self.t[order[:-1]]
        if tied.any():  # a user's requests at one instant: ordered by the other keys too
            # (sorted by user still: each user's rows start where they did)
            static = self.seq < 0
            second = np.where(static, self.key.astype(np.int64), self.seq)
            order = np.lexsort((second, static, self.t, self.user))
        mask = np.zeros(len(order), dtype=np.bool_)
        mask[order[first]] = True
        return mask


class Decision:
    """A wave's outcomes and what its successes change."""

    __slots__ = ("outcome", "reached", "region", "lockout", "stale")

    def __init__(self, outcome: np.ndarray, reached: np.ndarray, region: np.ndarray) -> None:
        self.outcome = outcome
        self.reached = reached  # reached a quota bucket
        self.region = region  # the region (−1 read as 0)
        self.lockout: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.stale: list[tuple[int, float]] = []  # (position, staleness_s) of stale reads


class WaveServer:
    """Decides, records and applies the waves of a data plane's batches."""

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    def draws(self, keys: np.ndarray) -> np.ndarray:
        """The own draw ``u`` of agenda requests with these keys."""
        return unit_many(keys, self.plane.salt)

    def serve(self, wave: Wave, batch: Batch, settled: np.ndarray | None = None) -> Wave:
        """Decide, record and apply one wave; returns the retries due in the batch. The
        requests where ``settled`` holds are already served as what they become, with their
        regions (the plan's ``as_now``: users served once)."""
        plane = self.plane
        d = plane.directory
        t, user, region = wave.t, wave.user, wave.region
        valid = user >= 0
        safe = np.where(valid, user, 0)
        refresh = wave.op == REFRESH
        k = np.flatnonzero(refresh if settled is None else refresh & ~settled)
        if len(k):  # a refresh without a session signs in (and retries)
            served_as = plane.rules.served_as_many(wave.op[k], t[k], safe[k])
            if plane.router.per_operation:  # a refresh and a sign-in may resolve differently
                region[k] = plane.router.route_many(t[k], safe[k], served_as)
            wave.op = wave.op.copy()
            wave.op[k] = served_as
        op = wave.op
        decision = self._decide(t, op, safe, region, wave.u)
        outcome = decision.outcome
        client = np.where(valid, view(d.client)[safe], 0)
        # A failed sign-up names no user.
        recorded = np.where((op == SIGN_UP) & (outcome != OK), -1, user)
        row_of = plane.recorder.record_many(t, op, recorded, client, region, outcome,
                                            wave.attempt, wave.seq, wave.key)
        ok = outcome == OK
        new_session = np.flatnonzero(ok & ((op == SIGN_IN) | (op == FEDERATED)))
        if len(new_session):
            who = user[new_session]
            view(d.session_issued)[who] = t[new_session]
            view(d.session_region)[who] = decision.region[new_session]
        first_federated = ok & (op == FEDERATED) & (decision.region == plane.rules.primary)
        if first_federated.any():
            view(d.fed_seen)[user[first_federated]] = 1
        written = ok & IS_WRITE[op]
        if written.any():
            self._write(wave, np.flatnonzero(written), batch)
        recorder = plane.recorder
        for k, age in decision.stale:
            recorder.stale_rows.append(int(row_of[k]))
            recorder.staleness_s.append(age)
        if decision.lockout is not None:
            self._count_sign_ins(t, safe, outcome, row_of, *decision.lockout)
        self._take(decision.reached, region, op, t)
        return self._retries(wave, outcome, client, batch.end)

    def _take(self, reached: np.ndarray, region: np.ndarray, op: np.ndarray,
              t: np.ndarray) -> None:
        """Log the quota and queue takes of the requests that reached a quota bucket."""
        if not reached.all():
            k = np.flatnonzero(reached)
            if not len(k):
                return
            region, op, t = region[k], op[k], t[k]
        elif not len(t):
            return
        self.plane.quotas.take_many(region, op, t)
        if self.plane.queues is not None:
            self.plane.queues.take_many(region, op, t)

    def _decide(self, t: np.ndarray, op: np.ndarray, user: np.ndarray, region: np.ndarray,
                u: np.ndarray) -> Decision:
        """Outcomes of requests whose users' state cannot change during the batch: the
        reference's checks (:meth:`DataPlane._serve`) in its order, changing no state.
        ``user`` reads −1 as 0."""
        plane = self.plane
        rules, epoch = plane.rules, plane.epoch
        out = rules.endpoint_many(epoch, region, op, u)
        r = np.where(region >= 0, region, 0)
        decision = Decision(out, out == OK, r)
        live = np.flatnonzero(decision.reached & (op != M2M))
        w = live[IS_WRITE[op[live]]]
        out[w] = rules.write_many(epoch, r[w])
        # A sign-up's user is the id reserved for it: nothing more to check.
        live = live[(out[live] == OK) & (op[live] != SIGN_UP)]
        varied = view(plane.directory.varied)[user[live]]  # read once for every rule
        missing = rules.missing_many(r[live], user[live], varied)
        if missing.any():
            out[live[missing]] = NOT_FOUND
            live, varied = live[~missing], varied[~missing]
        # Each kind's positions, not a mask: the kinds are interleaved, and a boolean index
        # that picks a random quarter or half of an array costs 5-10 times a gather.
        kind = op[live]
        at = np.flatnonzero(kind == SIGN_IN)
        if len(at):
            k = live[at]
            self._decide_sign_ins(decision, k, t[k], user[k], r[k], varied[at])
        at = np.flatnonzero(kind == REFRESH)
        if len(at):
            k = live[at]
            out[k] = rules.refresh_many(r[k], user[k], varied[at])
        at = np.flatnonzero(kind == FEDERATED)
        if len(at):
            k = live[at]
            out[k] = rules.federated_many(epoch, r[k], user[k], varied[at])
        if plane.dependencies.any:  # after every other rule, as DataPlane._needs
            plane.dependencies.refuse_many(out, t, op, user, r)
        at = np.flatnonzero(kind == PROFILE_READ)
        at = at[out[live[at]] == OK]
        k = live[at]
        if len(k) and plane.corruption is not None:
            bad = plane.corruption.serves_bad_many(
                gather(plane.directory.profile, r[k], user[k]), user[k])
            out[k[bad]] = CORRUPT
            k, at = k[~bad], at[~bad]
        if len(k):
            stale, version = rules.stale_versions_many(r[k], user[k], varied[at])
            writes = plane.writes
            decision.stale = [
                (row, writes.staleness_s(int(user[row]), v, float(t[row])))
                for row, v in zip(k[stale].tolist(), version[stale].tolist(), strict=True)]
        return decision

    def _decide_sign_ins(self, decision: Decision, k: np.ndarray, t: np.ndarray,
                         user: np.ndarray, r: np.ndarray, varied: np.ndarray) -> None:
        """Password sign-ins (positions ``k``): misconfigured → disabled → lockout → credential → second
        factor → issuer pinning, as :meth:`DataPlane._sign_in`. Sign-ins of users whose
        counters may hold state are judged against them (locked out; the shadow's
        verdict is kept for :meth:`_count_sign_ins`). ``varied``: the users' marks
        (:meth:`Rules.varied_many`)."""
        plane = self.plane
        rules, lockout = plane.rules, plane.lockout
        out = np.zeros(len(k), dtype=np.int64)
        if plane.epoch.misconfigured:
            refuse(out, rules.misconfigured_many(plane.epoch, r), MISCONFIGURED)
        refuse(out, rules.disabled_many(r, user, varied), DISABLED)
        held = np.flatnonzero(lockout.table.held_any(user))  # counters may hold state
        if len(held):
            scope = lockout.own_scope[r[held]]
            locked = np.zeros(len(k), dtype=np.bool_)
            locked[held] = lockout.table.locked(scope, user[held], t[held])
            refuse(out, locked, LOCKED)
            decision.lockout = (k[held], scope, lockout.shadow_locked(user[held], t[held]))
        settle(out, rules.credential_many(r, user, varied))
        settle(out, rules.second_factor_many(r, user))
        if rules.any_pinned:
            refuse(out, rules.pinned_elsewhere_many(r, user), TOKEN_REJECTED)
        decision.outcome[k] = out

    def _count_sign_ins(self, t: np.ndarray, user: np.ndarray, outcome: np.ndarray,
                        row_of: np.ndarray, held: np.ndarray, scope: np.ndarray,
                        shadowed: np.ndarray) -> None:
        """Sign-ins of a wave whose counters may hold state, as the reference ends them:
        a success resets the counters (the shadow's unless it was locked), and every
        attempt that got past the disabled check records the shadow's verdict."""
        plane = self.plane
        answer = outcome[held]
        seen = (answer != DISABLED) & (answer != MISCONFIGURED)  # refused before the lockout
        plane.recorder.shadow_rows.extend(row_of[held[shadowed & seen]].tolist())
        ok = answer == OK
        lockout = plane.lockout
        lockout.table.succeed(scope[ok], user[held[ok]], t[held[ok]])
        lockout.count_in_shadow(ok & ~shadowed, np.zeros(len(ok), dtype=np.bool_),
                                user[held], t[held])

    def _write(self, wave: Wave, done: np.ndarray, batch: Batch) -> None:
        """A wave's successful writes, as the reference makes them, on the origin's replica.

        Their commits are logged, not made: the batch makes them in serving order
        (:meth:`Batch.order_commits`). Every user appears once in a wave.
        """
        d = self.plane.directory
        t, op, user, region = wave.t[done], wave.op[done], wave.user[done], wave.region[done]
        value = np.ones(len(done))
        view(d.varied)[user] = 1  # their replicas may differ from the start from now on
        sign_up = op == SIGN_UP
        if sign_up.any():
            view(d.born)[user[sign_up]] = 1
            d.created += int(sign_up.sum())
        profile = op == PROFILE_UPDATE
        cred = op == PASSWORD_CHANGE
        for mask, newest in ((profile, d.newest_profile), (cred, d.newest_cred)):
            if mask.any():
                version = view(newest)[user[mask]] + 1
                view(newest)[user[mask]] = version
                value[mask] = version
        if profile.any():
            self.plane.writes.profile_acks.add_many(user[profile], value[profile], t[profile])
        sign_out = op == SIGN_OUT
        view(d.session_issued)[user[sign_out]] = -np.inf  # no session any more
        value[sign_out] = t[sign_out]
        for r in distinct(region).tolist():
            here = region == r
            for mask, column, new in ((sign_up, d.exists, 1), (sign_up, d.cred, 0),
                                      (profile, d.profile, value), (cred, d.cred, value),
                                      (sign_out, d.revoked_at, t),
                                      (op == ADMIN_DISABLE, d.disabled, 1)):
                at = here & mask
                if at.any():
                    view(column[r])[user[at]] = new if np.isscalar(new) else new[at]
        static = wave.seq[done] < 0
        batch.log_commits(t, static, wave.key[done].astype(np.int64), wave.seq[done], user,
                          KIND_OF_OP[op], region, value)

    def _retries(self, wave: Wave, outcome: np.ndarray, client: np.ndarray,
                 t1: float) -> Wave:
        """Retries of a wave's failures: those due before ``t1`` form the next wave, if the
        batch's conditions hold for them too; the others go on the agenda."""
        plane = self.plane
        due = plane.retries.due_many(wave.t, wave.op, outcome, client, wave.attempt, wave.u,
                                     wave.key)
        failed = due.failed
        if not len(failed):
            return wave.take(failed)
        when = due.t
        first_seq = plane.agenda.take_numbers(len(failed))
        seq = np.arange(first_seq, first_seq + len(failed), dtype=np.int64)
        op = due.op
        user = wave.user[failed]
        # A retry may reach another region than its first attempt (DNS moved), and a
        # refresh whose session has expired meanwhile is a sign-in: the batch's
        # one-at-a-time conditions must hold for the retry too, else it goes on the agenda.
        rules = plane.rules
        safe = np.where(user >= 0, user, 0)
        served_as = rules.served_as_many(op, when, safe)
        region = plane.router.route_many(when, safe, served_as)
        reached = region >= 0
        signs_in = served_as == SIGN_IN
        slow = signs_in & (plane.lockout.table.held_any(safe)
                           | reached & rules.superseded_many(region, safe))
        if plane.migrates:
            slow |= reached & rules.missing_many(region, safe)
        later = slow | (when >= t1)
        for k in np.flatnonzero(later).tolist():
            plane.agenda.schedule_numbered(float(when[k]), int(seq[k]), Request(
                int(op[k]), int(user[k]), int(due.client[k]), -1, int(due.attempt[k]), -1,
                None, int(due.key[k])))
        now = ~later
        return Wave(t=when[now], op=op[now], user=user[now], region=region[now],
                    attempt=due.attempt[now], key=due.key[now], seq=seq[now],
                    u=self.draws(due.key[now]))
