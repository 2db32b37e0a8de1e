"""The model's array helpers give numpy's own answers: ``distinct`` and ``repeated`` are
``np.unique`` by one sort, ``time_order`` is ``np.argsort(kind="stable")`` by packed keys
(ties, near-ties and times that must fall back included); ``categories`` is numpy's
``choice`` with probabilities, draw for draw."""

from __future__ import annotations

import numpy as np
import pytest

from drsim.model.arrays import by_user_then_time, distinct, repeated
from drsim.model.distributions import below, categories
from drsim.model.traffic import time_order


@pytest.mark.parametrize("size,high", [(0, 5), (1, 5), (2, 1), (5_000, 7), (60_000, 1_000_000)])
def test_distinct_and_repeated_are_np_unique(size, high):
    values = np.random.default_rng(size).integers(-1, high, size)
    assert np.array_equal(distinct(values), np.unique(values))
    found, counts = np.unique(values, return_counts=True)
    assert np.array_equal(repeated(values), found[counts > 1])


@pytest.mark.parametrize("high", [2, 300, 1 << 16, 10_000_000, (1 << 31) - 1, 1 << 31,
                                  (1 << 32) - 1, 1 << 40])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint64, np.int8])
def test_id_sorts_are_numpys(high, dtype):
    """Ids sorted as 32-bit ints when they fit (below 2**31), as they are beyond, small
    codes counted: numpy's unique, dtype kept."""
    if np.iinfo(dtype).max < high:
        pytest.skip("values do not fit the dtype")
    rng = np.random.default_rng(high % 1009)
    values = rng.integers(0, high, 40_000).astype(dtype)
    values[:5] = high - 1  # the top of the range, repeated
    found, counts = np.unique(values, return_counts=True)
    assert np.array_equal(distinct(values), found) and distinct(values).dtype == values.dtype
    assert np.array_equal(repeated(values), found[counts > 1])
    assert repeated(values).dtype == values.dtype


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unsorted times with exact ties and neighbours one float apart (keys that share
    their high bits), after a sorted run, as merged arrivals are."""
    sorted_run = np.sort(rng.uniform(0, 7200, n))
    loose = rng.uniform(0, 7200, n)
    loose[: n // 10] = rng.choice(sorted_run, n // 10)  # exact ties across the two
    loose[n // 10: n // 5] = np.nextafter(loose[: n // 10], np.inf)  # one float apart
    loose[-50:] = 0.0
    return np.concatenate([sorted_run, loose])


@pytest.mark.parametrize("seed", [0, 1])
def test_time_order_is_a_stable_argsort(seed):
    t = _times(np.random.default_rng(seed), 50_000)
    expected = np.argsort(t, kind="stable")
    assert np.count_nonzero(t[1:] < t[:-1]) > len(t) // 16  # the packed-key path
    assert np.array_equal(time_order(t), expected)


@pytest.mark.parametrize("case", ["nearly-sorted", "negative", "negative-zero", "one", "empty"])
def test_time_order_falls_back_where_keys_would_mislead(case):
    rng = np.random.default_rng(3)
    t = {"nearly-sorted": np.sort(rng.uniform(0, 10, 1000)),
         "negative": rng.uniform(-5, 5, 1000),
         "negative-zero": np.where(rng.random(1000) < 0.1, -0.0, rng.uniform(0, 5, 1000)),
         "one": np.array([3.0]), "empty": np.empty(0)}[case]
    assert np.array_equal(time_order(t), np.argsort(t, kind="stable"))


@pytest.mark.parametrize("high", [50, 1 << 40, 1 << 61])
def test_packed_time_order_keeps_the_backlog_and_the_longest_sojourn(high):
    """Queue booking sorts arrival ticks by packed keys, simultaneous arrivals in any order:
    the backlog after them and the longest sojourn are those of a stable sort (ties: many
    at ``high`` = 50; keys too wide for packing fall back to it)."""
    from drsim.model.capacity import in_time_order, lindley

    rng = np.random.default_rng(high % 97)
    a = rng.integers(0, high, 20_000)
    s = rng.integers(1, 5_000, 20_000)
    order = np.argsort(a, kind="stable")
    expected = lindley(a[order], s[order], 7)
    ar, sr = in_time_order(a, s)
    assert np.array_equal(ar, a[order])
    finish = lindley(ar, sr, 7)
    assert finish[-1] == expected[-1]
    assert (finish - ar).max() == (expected - a[order]).max()


@pytest.mark.parametrize("load", [0.3, 0.9, 1.5])
@pytest.mark.parametrize("width", [1, 97, 5_000, 10**9])
def test_binned_bound_is_never_below_the_longest_sojourn(load, width):
    """The binned bound (no sort) holds for any arrivals, light to overloaded, any bin
    width, with a backlog or none before them; at width 1 with arrivals one tick
    apart it is tight up to one bin."""
    from drsim.model.capacity import _binned_work, _bound, lindley

    rng = np.random.default_rng(int(load * 10) + width % 89)
    for free0 in (0, 150_000, 10**7):
        a = 10**6 + rng.integers(0, 10**7, 5_000)
        s = rng.integers(1, int(2 * load * 10**7 / 5_000), 5_000)
        order = np.argsort(a, kind="stable")
        longest = int((lindley(a[order], s[order], free0) - a[order]).max())
        binned = _binned_work(a, s, width)
        if binned is None:  # too many bins
            assert (a.max() - a.min()) // width + 1 > 65_536
            continue
        o, _, work = binned
        assert _bound(o, work, free0, width) >= longest
    a = np.arange(100, dtype=np.int64)
    s = np.full(100, 3, dtype=np.int64)
    longest = int((lindley(a, s, 0) - a).max())
    o, _, work = _binned_work(a, s, 1)
    assert longest <= _bound(o, work, 0, 1) <= longest + 2


@pytest.mark.parametrize("load", [0.3, 0.9, 1.5])
@pytest.mark.parametrize("seed", range(6))
def test_backlog_end_is_lindleys_last_finish(load, seed):
    """A batch's booking finds when its backlog clears without sorting the batch: the
    exact last finish of the sorted Lindley recursion, whatever the arrivals' order,
    ties (many arrivals at one tick), spread or backlog before them; None only when the
    binned bound says a sojourn may pass the limit."""
    from drsim.model.capacity import _binned_work, _bound, backlog_end, lindley

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 8_000))
    span = int(rng.choice([1, 50, 10**7, 10**9]))
    a = 10**6 + rng.integers(0, span, n)
    s = rng.integers(1, max(2, int(2 * load * span / n)), n)
    order = np.argsort(a, kind="stable")
    for free0 in (0, 10**6 + span // 2, 10**10):
        finish = lindley(a[order], s[order], free0)
        longest = int((finish - a[order]).max())
        for limit in (longest - 1, longest, 2**62):
            end = backlog_end(a, s, free0, limit)
            if end is None:
                width = 1 << ((int(a.max()) - int(a.min())) // 4096).bit_length()
                o, _, work = _binned_work(a, s, width)
                assert _bound(o, work, free0, width) > limit
            else:
                assert end == finish[-1] and longest <= limit
        assert backlog_end(a, s, free0, 2**62) == finish[-1]


@pytest.mark.parametrize("n", [0, 1, 2, 3_000])
@pytest.mark.parametrize("free0", [0, 7, 500_000, 10**9])
def test_waits_follow_lindleys_recursion(n, free0):
    """The vectorised waits (and the finishes and sojourns built on them) equal Lindley's
    recursion one request at a time: ties, an idle or a busy server, a backlog before the
    first arrival or none (its maximum is skipped when it cannot matter)."""
    from drsim.model.capacity import lindley, timed_sojourns, waits

    rng = np.random.default_rng(n + free0 % 101)
    a = np.sort(rng.integers(3, 1_000_000, n))
    a[n // 2:n // 2 + 5] = a[n // 2:n // 2 + 1]  # simultaneous arrivals
    s = rng.integers(1, 700, n)
    free, finish = free0, []
    for ak, sk in zip(a.tolist(), s.tolist(), strict=True):
        free = max(free, ak) + sk
        finish.append(free)
    assert lindley(a, s, free0).tolist() == finish
    assert (waits(a, s, free0) + a + s).tolist() == finish
    if n:
        sojourn, last = timed_sojourns(None, a, s, free0)
        assert sojourn.tolist() == (np.array(finish) - a).tolist()
        assert last == finish[-1]


@pytest.mark.parametrize("seed", range(40))
def test_categories_are_numpys_choice(seed):
    """Same values and the stream left where numpy's choice leaves it: shares with zeros
    (empty categories at either end) and the many-category fallback included."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 12))
    p = rng.random(count) * (rng.random(count) > 0.3)
    p[rng.integers(count)] += 0.1
    p /= p.sum()
    size = int(rng.integers(0, 20_000))
    a, b = np.random.default_rng(seed + 99), np.random.default_rng(seed + 99)
    expected = a.choice(count, size, p=p).astype(np.int8)
    drawn = categories(b, p, size)
    assert drawn.dtype == np.int8 and np.array_equal(drawn, expected)
    assert a.random() == b.random()


@pytest.mark.parametrize("shares", [[0.5, 0.6], [1.5, -0.5], [np.nan, 1.0]])
def test_categories_refuse_shares_that_are_not_probabilities(shares):
    with pytest.raises(ValueError):
        categories(np.random.default_rng(0), shares, 3)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("in_time_order", [True, False])
def test_by_user_then_time_is_a_lexsort(seed, in_time_order):
    """Ties of user and time (kept in row order), rows in time order or in runs, and the
    fallbacks (a row without a user, ids too wide to pack)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3_000))
    t = np.round(rng.random(n) * 50, 1)  # many equal times
    if in_time_order:
        t.sort()
    user = rng.integers(0, max(1, n // 3), n)
    assert np.array_equal(by_user_then_time(t, user), np.lexsort((t, user)))
    if n:
        user[0] = -1 if seed % 2 else 1 << 62
        assert np.array_equal(by_user_then_time(t, user), np.lexsort((t, user)))


@pytest.mark.parametrize("seed", range(8))
def test_earliest_per_user_is_first_in_serving_order(seed):
    """A wave's first request per user in serving order — by time, then agenda requests
    (by sequence number) before arrivals (by row) — with many requests of one user at one
    instant, so that the packed sort's tie fallback is taken."""
    from drsim.model.waves import Wave

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    t = rng.integers(0, 5, n).astype(np.float64)
    user = rng.integers(0, 20, n)
    seq = np.where(rng.random(n) < 0.5, -1, rng.permutation(n))
    key = rng.permutation(n).astype(np.uint64)
    wave = Wave(t=t, op=np.zeros(n, np.int8), user=user, region=np.zeros(n, np.int64),
                attempt=np.zeros(n, np.int64), key=key, seq=seq, u=np.zeros(n))
    expected = np.zeros(n, dtype=np.bool_)
    serving = sorted(range(n), key=lambda k: (t[k], 0 if seq[k] >= 0 else 1,
                                              seq[k] if seq[k] >= 0 else int(key[k])))
    seen = set()
    for k in serving:
        if user[k] not in seen:
            seen.add(user[k])
            expected[k] = True
    assert np.array_equal(wave.earliest_per_user(), expected)


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_below_is_a_comparison_of_draws(share):
    """``rng.random(n) < share``, and the stream left where drawing leaves it, whether
    the share decides every row without drawing (0, 1) or not."""
    a, b = np.random.default_rng(4), np.random.default_rng(4)
    a.integers(0, 2**31, 3, dtype=np.uint32)  # a half-used 64-bit output kept
    b.integers(0, 2**31, 3, dtype=np.uint32)
    assert np.array_equal(below(b, share, 5_000), a.random(5_000) < share)
    assert a.bit_generator.state == b.bit_generator.state
    assert a.integers(0, 2**31, 3, dtype=np.uint32).tolist() == b.integers(
        0, 2**31, 3, dtype=np.uint32).tolist()
