"""Sign-in lockout counters: the ladder of DOMAIN.md §2, one counter set per scope.

A scope is one region's counters (the vendor's per-region design), the shared
counters of a global design, or the *shadow* global counters drsim keeps beside
per-region ones to measure what a global design would have refused.

All scopes live in one :class:`LockoutTable` of arrays (row: scope, column: the
slot of an account). Only accounts that ever failed take a slot, so an attack
on a thousand accounts costs a thousand columns, not a pool-sized table. The
one-at-a-time path reads and updates one account through a scope
(:class:`LockoutCounters`); a batch updates many (scope, account) pairs at once
with the same rules.

Rules: the n-th cumulative failure with n ≥ threshold locks the account for
``first_lock × factor^(n − threshold)`` (exponential ladder) or
``first_lock + step × (n − threshold)`` (linear), capped. Attempts during a lock
are refused and neither count nor refresh the reset timer. The counter resets
after a success once the lock has expired, or after ``reset_after`` without a
counted attempt.
"""

from __future__ import annotations

import numpy as np

from drsim.model.arrays import distinct
from drsim.scenario.schema import Lockout


class LockoutTable:
    """The lockout state of every scope.

    Args:
        policy: The scenario's lockout policy.
        scopes: Name of each scope, recorded with its lock intervals (region name,
            "global", "shared").
        locks: List receiving ``(account, scope, start_s, end_s)`` lock intervals.
        accounts: How many account ids there are.
    """

    def __init__(self, policy: Lockout, scopes: list[str], locks: list,
                 accounts: int) -> None:
        self.policy = policy
        self.names = scopes
        self.locks = locks
        self.enabled = policy.enabled
        self.slot = np.full(accounts, -1, dtype=np.int32)  # −1: never held state
        self.has_slot = np.zeros(accounts, dtype=np.bool_)  # slot ≥ 0, 4× denser to gather
        self.used = 0
        shape = (len(scopes), 64)
        self.failures = np.zeros(shape, dtype=np.int64)
        self.until = np.zeros(shape)  # locked while > t
        self.last = np.zeros(shape)  # last counted attempt
        self.held = np.zeros(shape, dtype=np.bool_)  # the scope holds state for the account

    def scope(self, index: int) -> LockoutCounters:
        """One scope's counters, one account at a time."""
        return LockoutCounters(self, index)

    def held_any(self, accounts: np.ndarray) -> np.ndarray:
        """Whether some scope ever held state for each account."""
        return self.has_slot[accounts]

    def lock_duration(self, failures: int) -> float:
        """Lock length (seconds) after the ``failures``-th cumulative failure."""
        p = self.policy
        excess = failures - p.threshold
        if p.ladder == "exponential":
            duration = p.first_lock * p.factor ** min(excess, 200)
        else:
            duration = p.first_lock + p.step * excess
        return min(duration, p.cap)

    def _slots(self, accounts: np.ndarray) -> np.ndarray:
        """The accounts' slots, taking new ones for accounts without."""
        slot = self.slot[accounts].astype(np.int64)
        new = slot < 0
        if new.any():
            fresh = distinct(accounts[new])
            start = self.used
            self.used += len(fresh)
            if self.used > self.held.shape[1]:
                width = max(self.used, 2 * self.held.shape[1])
                for name in ("failures", "until", "last", "held"):
                    old = getattr(self, name)
                    grown = np.zeros((old.shape[0], width), dtype=old.dtype)
                    grown[:, :old.shape[1]] = old
                    setattr(self, name, grown)
            self.slot[fresh] = np.arange(start, self.used, dtype=np.int32)
            self.has_slot[fresh] = True
            slot[new] = self.slot[accounts[new]]
        return slot

    def locked(self, scope: np.ndarray | int, accounts: np.ndarray,
               t: np.ndarray) -> np.ndarray:
        """Whether each account is locked at ``t`` in ``scope``."""
        slot = self.slot[accounts]
        return (slot >= 0) & (self.until[scope, slot] > t)

    def fail(self, scope: np.ndarray, accounts: np.ndarray, t: np.ndarray) -> None:
        """Count failed passwords evaluated at ``t`` (the caller checked none was locked);
        every (scope, account) pair at most once."""
        if not self.enabled or not len(accounts):
            return
        slot = self._slots(accounts)
        held = self.held[scope, slot]
        restart = ~held | (t - self.last[scope, slot] >= self.policy.reset_after)
        count = np.where(restart, 0, self.failures[scope, slot]) + 1
        self.failures[scope, slot] = count
        self.last[scope, slot] = t
        self.held[scope, slot] = True
        lock = np.flatnonzero(count >= self.policy.threshold)
        if len(lock):
            # Each distinct failure count's lock length, worked out once (as one at a time).
            counts = count[lock]
            lengths = distinct(counts)
            duration = np.array([self.lock_duration(n) for n in lengths.tolist()])
            start = t[lock]
            end = start + duration[np.searchsorted(lengths, counts)]
            self.until[scope[lock], slot[lock]] = end
            names = self.names
            self.locks.extend(zip(accounts[lock].tolist(), [names[s] for s in scope[lock].tolist()],
                                  start.tolist(), end.tolist(), strict=True))

    def succeed(self, scope: np.ndarray, accounts: np.ndarray, t: np.ndarray) -> None:
        """Successful sign-ins at ``t`` reset the counters whose lock has expired."""
        slot = self.slot[accounts]
        reset = (slot >= 0) & self.held[scope, slot] & (self.until[scope, slot] <= t)
        scope, slot = scope[reset], slot[reset]
        self.held[scope, slot] = False
        self.failures[scope, slot] = 0
        self.until[scope, slot] = 0.0


class LockoutCounters:
    """One scope of a :class:`LockoutTable`, one account at a time."""

    __slots__ = ("table", "index")

    def __init__(self, table: LockoutTable, index: int) -> None:
        self.table = table
        self.index = index

    def locked(self, account: int, t: float) -> bool:
        """Whether the account is locked at ``t``."""
        table = self.table
        slot = table.slot[account]
        return bool(slot >= 0 and table.until[self.index, slot] > t)

    def fail(self, account: int, t: float) -> None:
        """Count a failed password evaluated at ``t`` (the caller checked it was not locked)."""
        table = self.table
        if not table.enabled:
            return
        slot = table.slot[account]
        if slot < 0:
            slot = table._slots(np.array([account]))[0]
        i = self.index
        if table.held[i, slot] and t - table.last[i, slot] < table.policy.reset_after:
            count = int(table.failures[i, slot]) + 1
        else:
            count = 1
        table.failures[i, slot] = count
        table.last[i, slot] = t
        table.held[i, slot] = True
        if count >= table.policy.threshold:
            end = t + table.lock_duration(count)
            table.until[i, slot] = end
            table.locks.append((account, table.names[i], t, end))

    def succeed(self, account: int, t: float) -> None:
        """A successful sign-in at ``t`` resets the counter (the lock had expired)."""
        table = self.table
        slot = table.slot[account]
        if slot >= 0 and table.held[self.index, slot] and table.until[self.index, slot] <= t:
            table.held[self.index, slot] = False
            table.failures[self.index, slot] = 0
            table.until[self.index, slot] = 0.0


class RegionLockout:
    """The lockout scopes of a run: the one each region counts in, and the shadow.

    Per-region counters (the vendor's design) give each region its own scope and
    keep a shadow ``global`` scope beside them, which measures what a global design
    would have refused; a ``global`` policy has one ``shared`` scope and no shadow.

    Args:
        policy: The scenario's lockout policy.
        region_names: The regions, in scenario order.
        locks: List receiving the lock intervals.
        accounts: How many account ids there are.
    """

    def __init__(self, policy: Lockout, region_names: list[str], locks: list,
                 accounts: int) -> None:
        shared = policy.scope == "global"
        n = len(region_names)
        scopes = ["shared"] if shared else [*region_names, "global"]
        self.table = LockoutTable(policy, scopes, locks, accounts)
        self.own_scope = np.zeros(n, np.int64) if shared else np.arange(n)  # each region's
        self.shadow_scope = -1 if shared else n  # −1: no shadow
        self.counters = [self.table.scope(int(x)) for x in self.own_scope]
        self.shadow = None if shared else self.table.scope(n)

    def shadow_locked(self, accounts: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether the shadow scope has each account locked (False without a shadow)."""
        if self.shadow_scope < 0:
            return np.zeros(len(accounts), dtype=np.bool_)
        return self.table.locked(self.shadow_scope, accounts, t)

    def count_in_shadow(self, succeeded: np.ndarray, failed: np.ndarray,
                        accounts: np.ndarray, t: np.ndarray) -> None:
        """Count successes and failures in the shadow scope (attempts it saw unlocked)."""
        if self.shadow_scope < 0:
            return
        for mask, update in ((succeeded, self.table.succeed), (failed, self.table.fail)):
            update(np.full(int(mask.sum()), self.shadow_scope), accounts[mask], t[mask])
