"""A batch's lockout updates follow the one-at-a-time rules exactly.

:class:`LockoutTable` serves many (scope, account) pairs at once (one per
account and round of a batch); :class:`LockoutCounters` serves one attempt at a
time. Random attempt sequences on a few accounts, with successes and pauses
long enough to reset, must leave the same state, locks and verdicts.
"""

from __future__ import annotations

import numpy as np
import pytest

from drsim.model.lockout import LockoutTable
from drsim.scenario.schema import Lockout

POLICIES = [
    Lockout(threshold=3, first_lock="5s", factor=2.0, cap="60s", reset_after="40s"),
    Lockout(threshold=2, ladder="linear", first_lock="3s", step="4s", cap="30s",
            reset_after="20s"),
    Lockout(enabled=False),
]


@pytest.mark.parametrize("policy", POLICIES, ids=["exponential", "linear", "disabled"])
def test_vectorised_updates_equal_one_at_a_time(policy):
    rng = np.random.default_rng(11)
    accounts = np.arange(0, 400, 3)  # 134 accounts: the table grows past its first 64 slots
    one_locks, many_locks = [], []
    one = LockoutTable(policy, ["a", "b"], one_locks, 400)
    many = LockoutTable(policy, ["a", "b"], many_locks, 400)
    scopes = [one.scope(0), one.scope(1)]
    t = 0.0
    for _ in range(80):  # rounds: each account at most once, in one of the two scopes
        t += rng.exponential(4.0)
        who = accounts[rng.random(len(accounts)) < 0.5]
        scope = rng.integers(0, 2, len(who))
        when = t + rng.random(len(who))
        right = rng.random(len(who)) < 0.15
        expected = []
        for s, account, w, ok in zip(scope.tolist(), who.tolist(), when.tolist(),
                                     right.tolist(), strict=True):
            expected.append(scopes[s].locked(account, w))
            if not expected[-1]:
                (scopes[s].succeed if ok else scopes[s].fail)(account, w)
        locked = many.locked(scope, who, when)
        assert locked.tolist() == expected
        tried = ~locked
        many.succeed(scope[tried & right], who[tried & right], when[tried & right])
        many.fail(scope[tried & ~right], who[tried & ~right], when[tried & ~right])
        assert (one.held_any(accounts) == many.held_any(accounts)).all()
        for s in range(2):
            probe = np.full(len(accounts), s)
            assert (one.locked(probe, accounts, t + 5.0) == many.locked(probe, accounts,
                                                                         t + 5.0)).all()
    by_start = sorted(one_locks, key=lambda lock: lock[2])
    assert sorted(many_locks, key=lambda lock: lock[2]) == by_start
    if policy.enabled:
        assert len(one_locks) > 50 and one.used > 64
    else:
        assert one_locks == [] and one.used == 0


def test_a_lock_follows_the_ladder():
    """Known answer: threshold 3, first lock 5 s doubling, cap 60 s."""
    locks = []
    table = LockoutTable(POLICIES[0], ["a"], locks, 10)
    counters = table.scope(0)
    for t in [0.0, 1.0, 2.0, 8.0, 20.0, 50.0]:
        assert not counters.locked(7, t)  # every attempt comes after the last lock ended
        counters.fail(7, t)
    assert locks == [(7, "a", 2.0, 7.0), (7, "a", 8.0, 18.0), (7, "a", 20.0, 40.0),
                     (7, "a", 50.0, 90.0)]  # 5, 10, 20, 40 s: within 40 s of the last
    assert counters.locked(7, 89.0) and not counters.locked(7, 90.0)
    counters.succeed(7, 120.0)  # resets: the next failure is the first again
    counters.fail(7, 121.0)
    assert len(locks) == 4
