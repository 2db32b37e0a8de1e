"""The vectorised replication helpers give, bit for bit, what their scalar forms give.

The batch path ships many records at once (:meth:`Channel.apply_times`,
:meth:`LagSampler.take`); the one-at-a-time reference ships them one by one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from drsim.model.replication import Channel, LagSampler
from drsim.scenario.schema import Lognormal

PAUSES = np.array([[100.0, 160.0], [200.0, 200.5], [300.0, math.inf]])


@pytest.mark.parametrize("throughput", [None, 2.0])
@pytest.mark.parametrize("pauses", [np.empty((0, 2)), PAUSES])
def test_apply_times_equal_one_record_at_a_time(pauses, throughput):
    rng = np.random.default_rng(7)
    ack = np.sort(rng.uniform(0.0, 400.0, 500))
    ack[10:14] = [99.0, 100.0, 159.5, 160.0]  # on and around a pause's edges
    lag = rng.exponential(3.0, 500)
    lag[20] = 0.0
    users = rng.integers(0, 40, 500).tolist()  # repeated users: per-user order applies
    one, many = Channel(pauses, throughput), Channel(pauses, throughput)
    expected = [one.apply_time(u, a, g) for u, a, g in
                zip(users, ack.tolist(), lag.tolist(), strict=True)]
    got = many.apply_times(users, ack, lag)
    assert got.tolist() == expected
    assert same_last_applies(many, one) and many.server_free_s == one.server_free_s
    distinct = list(range(1000, 1500))  # the batch path's case: each user once
    expected = [one.apply_time(u, a, g) for u, a, g in
                zip(distinct, ack.tolist(), lag.tolist(), strict=True)]
    assert many.apply_times(distinct, ack, lag).tolist() == expected
    earlier = ack - 50.0  # the same users again, due before their previous records
    expected = [one.apply_time(u, a, g) for u, a, g in
                zip(distinct, earlier.tolist(), lag.tolist(), strict=True)]
    got = many.apply_times(distinct, earlier, lag).tolist()
    assert got == expected and got != (earlier + lag).tolist()


def same_last_applies(a: Channel, b: Channel) -> bool:
    """The two channels' last apply per user agree (their columns may differ in length,
    the longer one's tail holding no record: −inf)."""
    n = min(len(a.last_apply), len(b.last_apply))
    return (np.array_equal(a.last_apply[:n], b.last_apply[:n])
            and np.isneginf(a.last_apply[n:]).all() and np.isneginf(b.last_apply[n:]).all())


def test_apply_times_take_the_slow_path_only_for_a_user_twice():
    """A user twice in one call with different due times: their second record waits for
    their first (per-user order), as one at a time."""
    one, many = Channel(np.empty((0, 2)), None), Channel(np.empty((0, 2)), None)
    users, ack, lag = [5, -1, 5, 7], np.array([1.0, 1.0, 2.0, 3.0]), np.array([9.0, 1.0, 1.0, 1.0])
    expected = [one.apply_time(u, a, g) for u, a, g in
                zip(users, ack.tolist(), lag.tolist(), strict=True)]
    assert expected == [10.0, 2.0, 10.0, 4.0]
    assert many.apply_times(np.array(users), ack, lag).tolist() == expected
    assert same_last_applies(many, one)


def test_advance_many_crosses_pauses_like_advance():
    channel = Channel(PAUSES, None)
    start = np.array([0.0, 90.0, 100.0, 150.0, 199.0, 250.0, 299.0, 310.0])
    run = np.array([5.0, 20.0, 1.0, 45.0, 2.0, 10.0, 2.0, 1.0])
    expected = [channel.advance(s, r) for s, r in zip(start.tolist(), run.tolist(), strict=True)]
    assert channel.advance_many(start, run).tolist() == expected
    assert expected[1] == 170.0 and math.isinf(expected[6])


@pytest.mark.parametrize("pauses", [PAUSES, PAUSES[:2], np.array([[0.0, 1.0], [1.0, 2.0]])])
def test_advance_many_equals_advance_on_random_pairs(pauses):
    """Starts before, inside, between and after pauses; runs that cross several."""
    channel = Channel(pauses, None)
    rng = np.random.default_rng(11)
    start = np.concatenate([rng.uniform(-10.0, 420.0, 3000), pauses.ravel(),
                            np.nextafter(pauses.ravel(), -np.inf)])
    start = start[np.isfinite(start)]
    run = rng.exponential(40.0, len(start))
    run[::7] = 0.0
    expected = [channel.advance(s, r) for s, r in zip(start.tolist(), run.tolist(), strict=True)]
    assert channel.advance_many(start, run).tolist() == expected


def test_lag_take_returns_the_next_draws_across_chunks():
    spec = Lognormal(distribution="lognormal", median="1s", p99="10s")
    one = LagSampler(spec, np.random.default_rng(3), chunk=16)
    many = LagSampler(spec, np.random.default_rng(3), chunk=16)
    expected = [one.next() for _ in range(50)]
    got = [*many.take(5).tolist(), many.next(), *many.take(0).tolist(), *many.take(44).tolist()]
    assert got == expected
