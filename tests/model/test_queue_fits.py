"""Queues' fast batch check against the exact one it stands for.

1. :func:`load_bound` (the work per time bin of the quotas' load, bins worked out from
   times in seconds, not ticks) is never below the longest sojourn of Lindley's
   recursion over the same attempts, arrivals bunched at bin edges and tied included.
2. :meth:`Queues.fits` decides as every region's exact check (the requests and the
   maybes sorted, Lindley's recursion behind the region's backlog), some regions down,
   limits a tick from the exact answer, with a load and without.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from drsim.model.capacity import (
    TICKS_PER_S,
    Queues,
    arrival_ticks,
    lindley,
    load_bound,
    service_ticks,
)
from drsim.model.control import DOWN, UP
from drsim.model.quotas import Quotas

from .conftest import build_scenario

REGIONS = [{"name": "r1", "role": "primary", "quotas": {"burst": "1s"},
            "capacity": {"vcpus": 2}},
           {"name": "r2", "role": "secondary", "quotas": {"burst": "3s"},
            "capacity": {"vcpus": 0.5}}]
N_OPS = 14


def _batch(rng: np.random.Generator, quotas: Quotas):
    """Requests (some reaching no region) and maybes, a third bunched at bin edges."""
    width = 1.0 / quotas.bins_per_s
    n, m = int(rng.integers(1, 2_000)), int(rng.integers(0, 200))
    span = float(rng.choice([0.5, 5.0, 60.0]))
    t = 100.0 + rng.uniform(0, span, n)
    edges = rng.random(n) < 0.33
    t[edges] = (t.min() + width * np.round((t[edges] - t.min()) / width)
                + rng.choice([-1e-9, 0.0, 1e-9, 4e-7], edges.sum()))
    t = np.sort(t)
    region = rng.integers(-1, 2, n)
    op = rng.integers(0, N_OPS, n).astype(np.int8)
    maybe_t = 100.0 + rng.uniform(0, span, m)
    maybe_op = rng.integers(0, N_OPS, m).astype(np.int8)
    return region, t, op, maybe_t, maybe_op


def _longest(queues: Queues, r: int, region, t, op, maybe_t, maybe_op) -> int:
    """The longest sojourn (ticks) at ``r`` by the exact recursion: the requests reaching
    it and every maybe, in time order, behind its backlog."""
    times = np.concatenate([t[region == r], maybe_t])
    ops = np.concatenate([op[region == r], maybe_op])
    order = np.argsort(times, kind="stable")
    a, s = arrival_ticks(times[order]), queues.ticks[r][ops[order]]
    if not len(a):
        return -1
    return int((lindley(a, s, queues.free[r]) - a).max())


def _queued_batch(seed: int):
    """A batch (:func:`_batch`) and the queues it meets, each region's backlog clearing
    0, 0.3 or 4 s after 100 s."""
    rng = np.random.default_rng(seed)
    scenario = build_scenario(regions=REGIONS)
    quotas, queues = Quotas(scenario), Queues(scenario, service_ticks(scenario))
    batch = _batch(rng, quotas)
    for r in range(2):
        queues.free[r] = int(100 * TICKS_PER_S + rng.choice([0, 3e5, 4e6]))
    return rng, quotas, queues, batch


@pytest.mark.parametrize("seed", range(40))
def test_load_bound_is_never_below_the_longest_sojourn(seed):
    _, quotas, queues, batch = _queued_batch(seed)
    load = quotas.load(*batch)
    assert load is not None
    width = TICKS_PER_S / quotas.bins_per_s
    for r in range(2):
        longest = _longest(queues, r, *batch)
        bound = load_bound(load, r, queues.category_ticks[r], queues.free[r])
        assert bound >= longest
        if longest < width:  # light load: the bound is a few bins at most
            assert bound <= longest + 4 * width + queues.free[r] - 100 * TICKS_PER_S


@pytest.mark.parametrize("seed", range(60))
def test_fits_decides_as_the_exact_check_of_every_region(seed):
    rng, quotas, queues, batch = _queued_batch(seed)
    status = tuple(int(s) for s in rng.choice([UP, UP, DOWN], 2))
    epoch = types.SimpleNamespace(status=status)
    longest = [_longest(queues, r, *batch) for r in range(2)]
    # Limits whose allowance (half the limit, in whole ticks) is a tick from each answer.
    allowed = np.array([max(0, x) + int(rng.integers(-1, 2)) for x in longest])
    limit_s = (2 * allowed + 0.5) / TICKS_PER_S
    exact = all(status[r] == DOWN or longest[r] <= allowed[r] for r in range(2))
    assert queues.fits(epoch, limit_s, quotas.load(*batch), *batch) == exact
    assert queues.fits(epoch, limit_s, None, *batch) == exact
    roomy = np.full(2, 1e6)  # every bound clears: no exact check needed
    assert queues.fits(epoch, roomy, quotas.load(*batch), *batch)


@pytest.mark.parametrize("seed", range(40))
def test_fits_never_lets_an_attempt_start_after_its_region_goes_down(seed):
    """A region that goes down after the batch loses what would start after that instant,
    which only the one-at-a-time path decides: :meth:`Queues.fits` (the load's bound, or
    the exact recursion) admits the batch exactly when the last attempt, by the exact
    recursion, finishes by a tick after the drop (so started before it), drops a tick
    either side of that answer."""
    rng, quotas, queues, batch = _queued_batch(seed)
    epoch = types.SimpleNamespace(status=(UP, UP), start_s=99.0)
    last, exact = [], True
    for r in range(2):
        times = np.concatenate([batch[1][batch[0] == r], batch[3]])
        ops = np.concatenate([batch[2][batch[0] == r], batch[4]])
        order = np.argsort(times, kind="stable")
        a = arrival_ticks(times[order])
        finish = int(lindley(a, queues.ticks[r][ops[order]], queues.free[r]).max())
        step = int(rng.integers(-1, 2))
        last.append((finish - 1 + step) / TICKS_PER_S)
        exact &= step > 0
    queues.drops = [[d] for d in last]
    roomy = np.full(2, 1e6)  # no wait is too long: only the drops decide
    assert queues.fits(epoch, roomy, quotas.load(*batch), *batch) == exact
    assert queues.fits(epoch, roomy, None, *batch) == exact
    queues.drops = [[d + 60.0] for d in last]  # a minute later: every bound clears
    assert queues.fits(epoch, roomy, quotas.load(*batch), *batch)
