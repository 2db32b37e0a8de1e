"""Sign-in lockout counters: the ladder of DOMAIN.md §2, one counter set per scope.

A scope is one region's counters (the vendor's per-region design), the shared
counters of a global design, or the *shadow* global counters drsim keeps beside
per-region ones to measure what a global design would have refused. Only
accounts that ever failed hold state, so an attack on a thousand accounts
costs a thousand small entries, not a pool-sized array.

Rules: the n-th cumulative failure with n ≥ threshold locks the account for
``first_lock × factor^(n − threshold)`` (exponential ladder) or
``first_lock + step × (n − threshold)`` (linear), capped. Attempts during a lock
are refused and neither count nor refresh the reset timer. The counter resets
after a success once the lock has expired, or after ``reset_after`` without a
counted attempt.
"""

from __future__ import annotations

import numpy as np

from drsim.scenario.schema import Lockout


class LockoutCounters:
    """Lockout state of one scope.

    Args:
        policy: The scenario's lockout policy.
        scope: Name recorded with each lock interval (region name, "global", "shared").
        locks: Shared list receiving ``(account, scope, start_s, end_s)`` lock intervals.
        touched: Per-account flags set when this scope first holds state for an account.
    """

    __slots__ = ("policy", "scope", "locks", "state", "enabled", "touched")

    def __init__(self, policy: Lockout, scope: str, locks: list,
                 touched: bytearray | None = None) -> None:
        self.policy = policy
        self.scope = scope
        self.locks = locks
        self.enabled = policy.enabled
        self.touched = touched  # per account: 1 once any counter held state for it
        # account -> [failures, locked_until_s, last_counted_attempt_s]
        self.state: dict[int, list[float]] = {}

    def lock_duration(self, failures: int) -> float:
        """Lock length (seconds) after the ``failures``-th cumulative failure."""
        p = self.policy
        excess = failures - p.threshold
        if p.ladder == "exponential":
            duration = p.first_lock * p.factor ** min(excess, 200)
        else:
            duration = p.first_lock + p.step * excess
        return min(duration, p.cap)

    def locked(self, account: int, t: float) -> bool:
        """Whether the account is locked at ``t``."""
        entry = self.state.get(account)
        return entry is not None and entry[1] > t

    def fail(self, account: int, t: float) -> None:
        """Count a failed password evaluated at ``t`` (the caller checked it was not locked)."""
        if not self.enabled:
            return
        entry = self.state.get(account)
        if entry is None:
            entry = self.state[account] = [0, 0.0, t]
            if self.touched is not None:
                self.touched[account] = 1
        elif t - entry[2] >= self.policy.reset_after:
            entry[0] = 0
        entry[0] += 1
        entry[2] = t
        if entry[0] >= self.policy.threshold:
            end = t + self.lock_duration(int(entry[0]))
            entry[1] = end
            self.locks.append((account, self.scope, t, end))

    def succeed(self, account: int, t: float) -> None:
        """A successful sign-in at ``t`` resets the counter (the lock had expired)."""
        entry = self.state.get(account)
        if entry is not None and entry[1] <= t:
            del self.state[account]


class CounterArrays:
    """Some accounts' counters in some scopes, as arrays: a batch's working copy.

    ``locked``, ``fail`` and ``succeed`` apply the rules of :class:`LockoutCounters`
    to many (scope, account slot) pairs at once, each pair at most once per call.
    ``write_back`` stores the changed counters in the scopes' dictionaries.

    Args:
        scopes: The counter sets (all with the same policy).
        accounts: The accounts, unique; an account's slot is its position here.
    """

    def __init__(self, scopes: list[LockoutCounters], accounts: np.ndarray) -> None:
        self.scopes = scopes
        self.accounts = accounts
        shape = (len(scopes), len(accounts))
        self.failures = np.zeros(shape, dtype=np.int64)
        self.until = np.zeros(shape)  # locked while > t
        self.last = np.zeros(shape)  # last counted attempt
        self.held = np.zeros(shape, dtype=np.bool_)  # the scope holds state for the account
        self.changed = np.zeros(shape, dtype=np.bool_)
        touched = scopes[0].touched
        may_hold = (np.ones(len(accounts), np.bool_) if touched is None
                    else np.frombuffer(touched, dtype=np.uint8)[accounts] != 0)
        slots = np.flatnonzero(may_hold)
        keys = accounts[slots].tolist()
        for s, scope in enumerate(scopes):
            entries = [scope.state.get(account) for account in keys]
            held = [k for k, entry in enumerate(entries) if entry is not None]
            if held:
                values = np.array([entries[k] for k in held], dtype=np.float64)
                at = slots[held]
                self.held[s, at] = True
                self.failures[s, at] = values[:, 0]
                self.until[s, at] = values[:, 1]
                self.last[s, at] = values[:, 2]

    def locked(self, scope: np.ndarray | int, slot: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether each account is locked at ``t`` in ``scope``."""
        return self.until[scope, slot] > t

    def fail(self, scope: np.ndarray, slot: np.ndarray, t: np.ndarray) -> None:
        """:meth:`LockoutCounters.fail` for every pair."""
        policy = self.scopes[0].policy
        if not policy.enabled or not len(slot):
            return
        held = self.held[scope, slot]
        restart = ~held | (t - self.last[scope, slot] >= policy.reset_after)
        count = np.where(restart, 0, self.failures[scope, slot]) + 1
        self.failures[scope, slot] = count
        self.last[scope, slot] = t
        self.held[scope, slot] = True
        self.changed[scope, slot] = True
        touched = self.scopes[0].touched
        if touched is not None:
            np.frombuffer(touched, dtype=np.uint8)[self.accounts[slot[~held]]] = 1
        lock = np.flatnonzero(count >= policy.threshold)
        ends = []
        for account, s, start, failures in zip(
                self.accounts[slot[lock]].tolist(), scope[lock].tolist(), t[lock].tolist(),
                count[lock].tolist(), strict=True):
            counters = self.scopes[s]
            ends.append(start + counters.lock_duration(failures))
            counters.locks.append((account, counters.scope, start, ends[-1]))
        self.until[scope[lock], slot[lock]] = ends

    def succeed(self, scope: np.ndarray, slot: np.ndarray, t: np.ndarray) -> None:
        """:meth:`LockoutCounters.succeed` for every pair."""
        expired = self.held[scope, slot] & (self.until[scope, slot] <= t)
        scope, slot = scope[expired], slot[expired]
        self.held[scope, slot] = False
        self.failures[scope, slot] = 0
        self.until[scope, slot] = 0.0
        self.changed[scope, slot] = True

    def write_back(self) -> None:
        """Store every changed counter in its scope's dictionary."""
        for s, scope in enumerate(self.scopes):
            k = np.flatnonzero(self.changed[s])
            for account, held, failures, until, last in zip(
                    self.accounts[k].tolist(), self.held[s, k].tolist(),
                    self.failures[s, k].tolist(), self.until[s, k].tolist(),
                    self.last[s, k].tolist(), strict=True):
                if held:
                    scope.state[account] = [failures, until, last]
                else:
                    scope.state.pop(account, None)
