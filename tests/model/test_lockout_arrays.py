"""The batch's lockout counters as arrays follow the scalar counters' rules exactly.

:class:`CounterArrays` serves many guesses at once (one per account and round);
:class:`LockoutCounters` serves them one at a time. Random attempt sequences on a
few accounts, with successes and pauses long enough to reset, must leave the same
state, locks and answers.
"""

from __future__ import annotations

import numpy as np
import pytest

from drsim.model.lockout import CounterArrays, LockoutCounters
from drsim.scenario.schema import Lockout

POLICIES = [
    Lockout(threshold=3, first_lock="5s", factor=2.0, cap="60s", reset_after="40s"),
    Lockout(threshold=2, ladder="linear", first_lock="3s", step="4s", cap="30s",
            reset_after="20s"),
    Lockout(enabled=False),
]


@pytest.mark.parametrize("policy", POLICIES, ids=["exponential", "linear", "disabled"])
def test_counter_arrays_equal_scalar_counters(policy):
    rng = np.random.default_rng(11)
    accounts = np.arange(0, 40, 3)  # 14 accounts, slots 0..13
    scalar_locks, array_locks = [], []
    scalar_touched, array_touched = bytearray(40), bytearray(40)
    scalar = [LockoutCounters(policy, name, scalar_locks, scalar_touched) for name in "ab"]
    arrays_of = [LockoutCounters(policy, name, array_locks, array_touched) for name in "ab"]
    t = 0.0
    for _ in range(60):  # rounds: each account at most once, in one of the two scopes
        t += rng.exponential(4.0)
        slot = np.flatnonzero(rng.random(len(accounts)) < 0.6)
        scope = rng.integers(0, 2, len(slot))
        when = t + rng.random(len(slot))
        right = rng.random(len(slot)) < 0.15
        expected_locked = []
        for s, k, w, ok in zip(scope.tolist(), slot.tolist(), when.tolist(), right.tolist(),
                               strict=True):
            counters, account = scalar[s], int(accounts[k])
            expected_locked.append(counters.locked(account, w))
            if not expected_locked[-1]:
                (counters.succeed if ok else counters.fail)(account, w)
        arrays = CounterArrays(arrays_of, accounts)
        locked = arrays.locked(scope, slot, when)
        assert locked.tolist() == expected_locked
        tried = ~locked
        arrays.succeed(scope[tried & right], slot[tried & right], when[tried & right])
        arrays.fail(scope[tried & ~right], slot[tried & ~right], when[tried & ~right])
        arrays.write_back()
        for one, other in zip(scalar, arrays_of, strict=True):
            assert one.state == other.state
    by_start = sorted(scalar_locks, key=lambda lock: lock[2])
    assert sorted(array_locks, key=lambda lock: lock[2]) == by_start
    assert array_touched == scalar_touched
    assert (len(scalar_locks) > 20) == policy.enabled
