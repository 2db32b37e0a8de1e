"""Quotas' fast batch check against the exact one it stands for.

1. :meth:`Quotas._clear` (counts per time bin) clears a bucket only if the exact check
   passes, takes bunched at bin edges and margins a hair from the exact answer included.
2. :meth:`Quotas.fits` decides as every bucket's exact check, some regions down.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from drsim.model.control import DOWN, UP
from drsim.model.quotas import Quotas

from .conftest import build_scenario

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
        exact = float(bucket.capacity - bucket._lindley(times[k]).max()) - 1.0
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
    exact = _reference_fits(quotas, status, region, t, op, maybe_t, maybe_op)
    load = quotas.load(region, t, op, maybe_t, maybe_op)
    assert quotas.fits(epoch, load, region, t, op, maybe_t, maybe_op) == exact
    assert quotas.fits(epoch, None, region, t, op, maybe_t, maybe_op) == exact
