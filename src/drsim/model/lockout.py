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
