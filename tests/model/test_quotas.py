"""Quotas' fast checks against the exact ones they stand for.

1. :meth:`TokenBucket._cumulative` is the prepended ``np.cumsum`` bit for bit, and
   ``book`` leaves the state the full Lindley recursion leaves.
2. :meth:`TokenBucket._all_find` (by blocks) answers as every deficit does, at the
   threshold too.
3. :meth:`Quotas._clear` (counts per time bin) clears a bucket only if the exact check
   passes, takes bunched at bin edges and margins a hair from the exact answer included.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from drsim.model.control import DOWN, UP
from drsim.model.quotas import BLOCK, Quotas, TokenBucket

from .conftest import build_scenario


def _deficits(bucket: TokenBucket, times: np.ndarray) -> np.ndarray:
    """The Lindley recursion as first written: capacity minus the tokens each take finds."""
    deficit0 = bucket.capacity - bucket.tokens - 1.0
    cumulative = np.cumsum(1.0 - bucket.rate * np.diff(times, prepend=bucket.last))
    return cumulative - np.minimum(np.minimum.accumulate(cumulative), -deficit0)


def _bucket(rng: np.random.Generator) -> TokenBucket:
    bucket = TokenBucket(float(rng.uniform(0.5, 300)), float(rng.uniform(0.2, 3)))
    bucket.tokens = float(rng.uniform(0, bucket.capacity))
    bucket.last = float(rng.uniform(0, 50))
    return bucket


def _times(rng: np.random.Generator, bucket: TokenBucket, n: int) -> np.ndarray:
    """Sorted takes around the refill rate, bursts and pauses mixed, from just before
    ``last`` (a take earlier than it must count as the exact check counts it)."""
    gaps = rng.exponential(1.0 / (bucket.rate * rng.uniform(0.5, 1.5)), n)
    gaps[rng.random(n) < 0.2] = 0.0
    return bucket.last - 0.01 + np.cumsum(gaps)


@pytest.mark.parametrize("seed", range(40))
def test_cumulative_all_find_and_book_match_the_full_recursion(seed):
    rng = np.random.default_rng(seed)
    bucket = _bucket(rng)
    times = _times(rng, bucket, int(rng.integers(1, 5 * BLOCK)))
    expected = np.cumsum(1.0 - bucket.rate * np.diff(times, prepend=bucket.last))
    assert np.array_equal(bucket._cumulative(times), expected)
    deficits = _deficits(bucket, times)
    worst = float(bucket.capacity - deficits.max())
    for least in (worst, np.nextafter(worst, np.inf), worst - 1e-9, worst + 0.5, 1.0 - 1e-9):
        assert bucket._all_find(bucket._cumulative(times), least) == (worst >= least)
    tokens, last = bucket.tokens, bucket.last
    assert bucket.book(times) == (worst >= 1.0 - 1e-9)
    if worst >= 1.0 - 1e-9:
        assert bucket.tokens == float(bucket.capacity - deficits[-1] - 1.0)
        assert bucket.last == float(times[-1])
    else:
        assert (bucket.tokens, bucket.last) == (tokens, last)


REGIONS = [{"name": "r1", "role": "primary",
            "quotas": {"sign_in": "80/s", "token": "300/s", "burst": "1s"}},
           {"name": "r2", "role": "secondary",
            "quotas": {"sign_in": "20/s", "token": "5/s", "burst": "2s"}}]


@pytest.mark.parametrize("seed", range(60))
def test_clear_only_buckets_the_exact_check_passes(seed):
    """Random bucket states and takes, a third bunched at bin edges (where the bound is
    tightest), margins placed within ±10^-6 token of each bucket's exact answer."""
    rng = np.random.default_rng(seed)
    quotas = Quotas(build_scenario(regions=REGIONS))
    width = 1.0 / quotas.bins_per_s
    times = []
    for bucket in quotas.flat:
        bucket.tokens = float(rng.uniform(0, bucket.capacity))
        bucket.last = float(rng.uniform(0, 1))
        n = int(rng.integers(0, 3 * bucket.capacity))
        own = rng.uniform(1, 1 + n / bucket.rate * rng.uniform(0.8, 3), n)
        edges = rng.random(n) < 0.33
        own[edges] = 1 + width * np.round((own[edges] - 1) / width) + rng.normal(0, 1e-9, edges.sum())
        times.append(np.sort(own))
    keys = np.repeat(np.arange(len(quotas.flat)), [len(each) for each in times])
    everything = np.concatenate(times)
    bins = quotas._bins(everything)
    counts = quotas._binned(keys, len(quotas.flat), everything, bins)
    cleared = 0
    for k, bucket in enumerate(quotas.flat):
        if not len(times[k]):
            continue
        exact = float(bucket.capacity - _deficits(bucket, times[k]).max()) - 1.0
        for margin in (exact + rng.uniform(-1e-6, 1e-6), exact - 0.5, exact - 30):
            clear = quotas._clear(counts, bins, margin, len(everything))[k]
            assert not clear or exact >= margin, (k, margin, exact)
            cleared += clear
    assert cleared  # the bound is not vacuous


def _reference_fits(quotas, status, region, t, op, maybe_t, maybe_op) -> bool:
    """Every bucket's takes grouped, sorted and checked exactly, as before the bins."""
    category = quotas.category_of_op
    for r, row in enumerate(quotas.buckets):
        for c, bucket in enumerate(row):
            times = np.sort(np.concatenate([t[(region == r) & (category[op] == c)],
                                            maybe_t[category[maybe_op] == c]]))
            if status[r] != DOWN and not bucket.keeps(times, quotas.MARGIN):
                return False
    return True


@pytest.mark.parametrize("seed", range(60))
def test_fits_decides_as_the_exact_check_of_every_bucket(seed):
    rng = np.random.default_rng(seed)
    quotas = Quotas(build_scenario(regions=REGIONS))
    for bucket in quotas.flat:
        bucket.tokens = float(rng.uniform(0, bucket.capacity))
    n = int(rng.integers(0, 3000))
    t = np.sort(rng.uniform(0, rng.uniform(1, 30), n))
    region = rng.integers(-1, 2, n)
    op = rng.integers(0, len(quotas.category_of_op), n).astype(np.int8)
    m = int(rng.integers(0, 300))
    maybe_t, maybe_op = rng.uniform(0, 10, m), rng.integers(0, len(quotas.category_of_op), m)
    status = tuple(int(s) for s in rng.choice([UP, UP, DOWN], 2))
    epoch = types.SimpleNamespace(status=status)
    assert quotas.fits(epoch, region, t, op, maybe_t, maybe_op) == _reference_fits(
        quotas, status, region, t, op, maybe_t, maybe_op)
