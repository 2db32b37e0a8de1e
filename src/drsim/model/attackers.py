"""Attackers: password guessers and token replayers (DOMAIN.md, attackers).

A guesser calls regional endpoints directly, in turns (``round_robin``) or at
the first reachable region where the account is not locked (``avoid_locked``);
its guesses are sign-ins judged by the lockout counters. A token replayer
reacts to a target's password change, sign-out or disablement by presenting
the old token or password at each region after its replay delay.

Guesses on accounts nothing else in a batch concerns are served vectorised
(:meth:`Attackers.serve_guesses`): only the lockout counters link them, so the
k-th guesses of every account are served together, in rounds.
"""

from __future__ import annotations

import numpy as np

from drsim.model.agenda import REQUEST, Agenda, Request
from drsim.model.arrays import distinct
from drsim.model.capacity import Queues
from drsim.model.control import DOWN, Epoch
from drsim.model.lockout import RegionLockout
from drsim.model.operations import (
    ADMIN_DISABLE,
    GUESS,
    LOCKED,
    NOT_FOUND,
    OK,
    PASSWORD_CHANGE,
    REPLAY_DISABLED,
    REPLAY_OLD_PASSWORD,
    REPLAY_REFRESH,
    SIGN_OUT,
    WRONG_PASSWORD,
)
from drsim.model.quotas import Quotas
from drsim.model.recorder import Recorder
from drsim.model.replication import LagSampler
from drsim.model.rules import Rules
from drsim.model.streams import Streams, mix64
from drsim.model.traffic import Arrivals, attacker_targets
from drsim.scenario.schema import Scenario

REPLAY_OF = {SIGN_OUT: REPLAY_REFRESH, PASSWORD_CHANGE: REPLAY_OLD_PASSWORD,
             ADMIN_DISABLE: REPLAY_DISABLED}
"""What a token replayer presents after each write it reacts to."""


class Replayer:
    """A token-replay attacker: its targets, the regions it calls, its delay."""

    __slots__ = ("index", "targets", "regions", "delays")

    def __init__(self, index: int, targets: set[int], regions: list[int],
                 delays: LagSampler) -> None:
        self.index = index
        self.targets = targets
        self.regions = regions
        self.delays = delays


class Attackers:
    """The run's attackers and what they have done so far."""

    def __init__(self, scenario: Scenario, streams: Streams, lockout: RegionLockout) -> None:
        self.specs = scenario.attackers
        n = len(scenario.regions)
        self.lockout = lockout
        self.regions = [
            list(range(n)) if a.regions == "all" else [scenario.region_index(x) for x in a.regions]
            for a in scenario.attackers
        ]
        self.turn = [0] * len(scenario.attackers)  # guesses sent so far, per attacker
        self.success = np.array([a.success_probability for a in scenario.attackers])
        self.replayers = [
            Replayer(index, set(attacker_targets(scenario, streams, attacker).tolist()),
                     self.regions[index],
                     LagSampler(attacker.replay_delay, streams.get(f"replay/{attacker.name}")))
            for index, attacker in enumerate(scenario.attackers)
            if attacker.kind == "token_replay"
        ]

    def takes_turns(self, a: int) -> bool:
        """Whether attacker ``a``'s endpoint follows its turns (not the lockout state)."""
        return self.specs[a].endpoint_choice == "round_robin" or len(self.regions[a]) == 1

    # ------------------------------------------------------------------ one guess at a time

    def region_for(self, a: int, account: int, t: float, epoch: Epoch) -> int:
        """The endpoint attacker ``a`` sends its next guess on ``account`` to."""
        regions = self.regions[a]
        if self.takes_turns(a):
            turn = self.turn[a]
            self.turn[a] = turn + 1
            return regions[turn % len(regions)]
        # avoid_locked: the first reachable, unlocked region (the attacker reads the errors).
        counters = self.lockout.counters
        for r in regions:
            if epoch.status[r] != DOWN and not counters[r].locked(account, t):
                return r
        for r in regions:
            if epoch.status[r] != DOWN:
                return r
        return regions[0]

    def schedule_replays(self, agenda: Agenda, salt: int, write_id: int, t: float, op: int,
                         user: int, issued: float, old_version: int) -> None:
        """A write a token replayer reacts to: the replays of its targets' old tokens."""
        replay_op = REPLAY_OF[op]
        value = issued if replay_op == REPLAY_REFRESH else old_version
        for replayer in self.replayers:
            if user in replayer.targets:
                at = t + replayer.delays.next()
                for r in replayer.regions:
                    key = mix64(salt + (write_id << 12) + (r << 6) + replayer.index)
                    agenda.schedule(at, REQUEST,
                                    Request(replay_op, user, -1, replayer.index, 0, r, value, key))

    # ------------------------------------------------------------------ guesses in rounds

    def alone(self, arrivals: Arrivals, i: int, j: int, values: np.ndarray,
              counts: np.ndarray) -> np.ndarray:
        """Mask of arrivals [i, j) that are guesses :meth:`serve_guesses` may serve.

        ``values``/``counts`` count every user the batch concerns. A guess qualifies
        if only guesses concern its account, and all of them qualify. A round-robin
        attacker's guesses qualify only all together (its turns go in arrival order).
        """
        guess = np.flatnonzero(arrivals.attacker[i:j] >= 0)
        account = arrivals.user[i:j][guess]
        accounts, inverse, guesses = np.unique(account, return_inverse=True, return_counts=True)
        alone = (counts[np.searchsorted(values, accounts)] == guesses)[inverse]
        attacker = arrivals.attacker[i:j][guess]
        taking_turns = [a for a, spec in enumerate(self.specs)
                        if spec.endpoint_choice == "round_robin" and len(self.regions[a]) > 1]
        while taking_turns and not alone.all():
            qualifying = int(alone.sum())
            for a in taking_turns:
                if not alone[attacker == a].all():
                    alone[attacker == a] = False
            alone &= ~np.isin(account, account[~alone])
            if alone.sum() == qualifying:
                break
        mask = np.zeros(j - i, dtype=np.bool_)
        mask[guess[alone]] = True
        return mask

    def _regions_by_turn(self, attacker: np.ndarray) -> np.ndarray:
        """The endpoint of each guess whose attacker takes turns (−1: chosen when served)."""
        region = np.full(len(attacker), -1, dtype=np.int64)
        for a in distinct(attacker).tolist():
            if self.takes_turns(a):
                regions = self.regions[a]
                mine = np.flatnonzero(attacker == a)
                turn = self.turn[a] + np.arange(len(mine))
                region[mine] = np.array(regions)[turn % len(regions)]
                self.turn[a] += len(mine)
        return region

    def _avoid_locked(self, epoch: Epoch, attacker: np.ndarray, account: np.ndarray,
                      t: np.ndarray) -> np.ndarray:
        """:meth:`region_for` of avoid_locked guesses, vectorised."""
        choice = np.full(len(attacker), -1, dtype=np.int64)
        for a in distinct(attacker).tolist():
            mine = np.flatnonzero(attacker == a)
            up = [r for r in self.regions[a] if epoch.status[r] != DOWN]
            for r in up:
                free = ~self.lockout.table.locked(self.lockout.own_scope[r], account[mine],
                                                  t[mine])
                chosen = mine[(choice[mine] < 0) & free]
                choice[chosen] = r
            choice[mine[choice[mine] < 0]] = up[0] if up else self.regions[a][0]
        return choice

    def serve_guesses(self, arrivals: Arrivals, rows: np.ndarray, epoch: Epoch, rules: Rules,
                      quotas: Quotas, recorder: Recorder, queues: Queues | None) -> None:
        """Serve guesses (arrival rows) whose accounts nothing else in the batch concerns,
        as :meth:`region_for` and the one-at-a-time sign-in would, in rounds: the k-th
        guesses of every account together."""
        t, account, luck, u = (arrivals.time_s[rows], arrivals.user[rows], arrivals.pick[rows],
                               arrivals.u[rows])
        attacker = arrivals.attacker[rows]
        lockout, table = self.lockout, self.lockout.table
        region = self._regions_by_turn(attacker)
        odds = self.success[attacker]
        slot = np.unique(account, return_inverse=True)[1]
        by_account = np.argsort(slot, kind="stable")
        first = np.r_[0, np.flatnonzero(np.diff(slot[by_account])) + 1]
        rank = np.empty(len(rows), dtype=np.int64)  # k: the account's k-th guess
        rank[by_account] = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first,
                                                                              len(rows)]))
        outcome = np.zeros(len(rows), dtype=np.uint8)
        extra = np.zeros(len(rows), dtype=np.bool_)
        shadowed = np.zeros(len(rows), dtype=np.bool_)
        for k in range(int(rank.max()) + 1 if len(rows) else 0):
            g = np.flatnonzero(rank == k)
            when, who = t[g], account[g]
            chooses = g[region[g] < 0]
            region[chooses] = self._avoid_locked(epoch, attacker[chooses], account[chooses],
                                                 t[chooses])
            r = region[g]
            out = rules.endpoint_many(epoch, r, GUESS, u[g])
            reached = out == OK
            quotas.take_many(r[reached], GUESS, when[reached])
            if queues is not None:
                queues.take_many(r[reached], np.full(int(reached.sum()), GUESS), when[reached])
            out[reached & rules.missing_many(r, who)] = NOT_FOUND
            live = out == OK
            scope = lockout.own_scope[r]
            locked = live & table.locked(scope, who, when)
            out[locked] = LOCKED
            shadow_locked = live & lockout.shadow_locked(who, when)
            shadowed[g] = shadow_locked
            tried = live & ~locked
            extra[g] = tried & shadow_locked
            right = tried & (luck[g] < odds[g])
            wrong = tried & ~right
            out[wrong] = WRONG_PASSWORD
            outcome[g] = out
            table.succeed(scope[right], who[right], when[right])
            table.fail(scope[wrong], who[wrong], when[wrong])
            lockout.count_in_shadow(right & ~shadow_locked, wrong & ~shadow_locked, who, when)
        recorder.record_guesses(rows, outcome, region, account, extra, shadowed)
