"""Request quotas: a token bucket per region and quota category (DOMAIN.md quotas).

One at a time, a request takes a token or is throttled. A batch is served
vectorised only when no bucket can run dry in it (:meth:`Quotas.fits`); its
takes are logged and booked at its end (:meth:`Quotas.book`), and if one
would have been refused after all the run is redone one request at a time
(:class:`BatchAssumptionBroken`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from drsim.model.control import DOWN, Epoch
from drsim.model.operations import CATEGORY_OF_OP, QUOTA_CATEGORIES, QUOTA_CATEGORY
from drsim.scenario.schema import Scenario


class BatchAssumptionBroken(RuntimeError):
    """A batch's no-throttling guarantee did not hold: the run is redone one request at a time."""


class TokenBucket:
    """A per-region, per-category request quota."""

    __slots__ = ("rate", "capacity", "tokens", "last")

    def __init__(self, rate: float, depth_s: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * depth_s)
        self.tokens = self.capacity
        self.last = 0.0

    def take(self, t: float) -> bool:
        tokens = self.tokens + (t - self.last) * self.rate
        if tokens > self.capacity:
            tokens = self.capacity
        self.last = t
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            return True
        self.tokens = tokens
        return False

    def _lindley(self, times: np.ndarray) -> np.ndarray:
        """Capacity minus the tokens each take would find (none refused)."""
        deficit0 = self.capacity - self.tokens - 1.0
        # cumsum(1 − rate × diff(times, prepend=last)), in place (the same operations)
        cumulative = np.empty(len(times))
        cumulative[:1] = times[:1] - self.last
        np.subtract(times[1:], times[:-1], out=cumulative[1:])
        cumulative *= self.rate
        np.subtract(1.0, cumulative, out=cumulative)
        np.cumsum(cumulative, out=cumulative)
        floor = np.minimum.accumulate(cumulative)
        np.minimum(floor, -deficit0, out=floor)
        return np.subtract(cumulative, floor, out=floor)

    def book(self, times: np.ndarray) -> bool:
        """Take one token at each of these sorted times; False if one would have been refused."""
        deficits = self._lindley(times)
        if self.capacity - deficits.max() < 1.0 - 1e-9:
            return False
        self.tokens = float(self.capacity - deficits[-1] - 1.0)
        self.last = float(times[-1])
        return True

    def keeps(self, times: np.ndarray, margin: float) -> bool:
        """Whether takes at these sorted times would all find ≥ 1 + ``margin`` tokens."""
        if not len(times):
            return True
        start = min(self.capacity, self.tokens + (times[0] - self.last) * self.rate)
        if start - len(times) >= margin:  # enough even without refill
            return True
        return float(self.capacity - self._lindley(times).max()) >= 1.0 + margin


@dataclass(frozen=True, slots=True)
class Load:
    """A batch's takes counted per region, quota category (:data:`QUOTA_CATEGORIES`) and
    time bin (:meth:`Quotas.load`): what its quota checks and its queue checks
    (:meth:`drsim.model.capacity.Queues.fits`) count, counted once."""

    bins: tuple[float, float, int]  # the first take's time, the last's, how many bins
    bins_per_s: float  # bin p: the times t with ⌊(t − first) × bins_per_s⌋ = p
    counts: np.ndarray  # regions × categories × bins
    n: int  # takes counted (a request once, a maybe once whatever its regions)


BINS_PER_DEPTH = 4
"""Time bins of :meth:`Quotas._clear` per shortest bucket depth (capacity / rate): its bound
exceeds the exact deficit by about a bin's refill plus a bin's takes, a half of the depth
at most here (the reference run's worst bucket: 0.5 of its capacity, 0.8 with 2 bins)."""


class Quotas:
    """Every region's buckets; inside a batch, the log of takes to book at its end."""

    MARGIN = 3.0  # tokens a batch keeps free for retries and replays born inside it

    def __init__(self, scenario: Scenario) -> None:
        self.buckets = [
            [TokenBucket(getattr(region.quotas, c), region.quotas.burst) for c in QUOTA_CATEGORIES]
            for region in scenario.regions
        ]
        self.category_of_op = CATEGORY_OF_OP
        self.category_code = self.category_of_op.astype(np.int8)  # for np.take: 3× faster
        self.n_categories = len(QUOTA_CATEGORIES)
        self.bucket_of = [
            {op: self.buckets[r][self.category_of_op[op]] for op in QUOTA_CATEGORY}
            for r in range(len(scenario.regions))
        ]
        self.flat = [bucket for row in self.buckets for bucket in row]
        self.rates = np.array([bucket.rate for bucket in self.flat])
        self.capacities = np.array([bucket.capacity for bucket in self.flat])
        self.bins_per_s = BINS_PER_DEPTH / min(
            (bucket.capacity / bucket.rate for bucket in self.flat if bucket.rate > 0), default=1.0)
        self.log: list[tuple[np.ndarray, np.ndarray]] | None = None  # None: not in a batch
        self.log_keys: list[int] = []
        self.log_times: list[float] = []

    def take(self, r: int, op: int, t: float) -> bool:
        """The quota check of one request; inside a batch the take is logged (none fails)."""
        if self.log is None:
            return self.bucket_of[r][op].take(t)
        self.log_keys.append(r * self.n_categories + int(self.category_of_op[op]))
        self.log_times.append(t)
        return True

    def take_many(self, region: np.ndarray, op: np.ndarray, t: np.ndarray) -> None:
        """Log the takes of requests served vectorised in a batch."""
        self.log.append((region * self.n_categories + self.category_of_op[op], t))

    def load(self, region: np.ndarray, t: np.ndarray, op: np.ndarray, maybe_t: np.ndarray,
             maybe_op: np.ndarray) -> Load | None:
        """A batch's takes counted per region, category and time bin (:class:`Load`):
        requests (``t``, ``op``) at the region they reach (``region``; −1: none), the
        others (``maybe_t``, ``maybe_op``) at every region they might reach. None when
        there would be more bins than takes (no cheaper than the exact checks)."""
        bins = self._bins(t, maybe_t)
        if bins is None:
            return None
        n_cat = self.n_categories
        rows = np.add(region, 1, dtype=np.int64)  # rows 0..n_cat-1: reach no region
        rows *= n_cat
        rows += np.take(self.category_code, op)
        counts = (self._binned(rows, len(self.flat) + n_cat, t, bins)[n_cat:]
                  .reshape(len(self.buckets), n_cat, -1)
                  + self._binned(np.take(self.category_code, maybe_op), n_cat, maybe_t, bins))
        return Load(bins, self.bins_per_s, counts, len(t) + len(maybe_t))

    def fits(self, epoch: Epoch, load: Load | None, region: np.ndarray, t: np.ndarray,
             op: np.ndarray, maybe_t: np.ndarray, maybe_op: np.ndarray) -> bool:
        """Whether no bucket can run dry in a batch: requests (``t``, ``op``) reach
        ``region``; the others (``maybe_t``, ``maybe_op``) are counted at every region
        they might reach; :attr:`MARGIN` tokens stay free. Only the buckets :meth:`_clear`
        cannot clear from their ``load`` (:meth:`load`) are checked take by take."""
        n_cat = self.n_categories
        category = self.category_of_op
        clear = np.zeros(len(self.flat), dtype=bool)
        if load is not None:
            clear = self._clear(load.counts.reshape(len(self.flat), -1), load.bins,
                                self.MARGIN, load.n)
        up = np.repeat([status != DOWN for status in epoch.status], n_cat)
        for k in np.flatnonzero(up & ~clear):  # nothing sent to a down region reaches its quota
            r, c = divmod(int(k), n_cat)
            times = np.sort(np.concatenate([t[(region == r) & (category[op] == c)],
                                            maybe_t[category[maybe_op] == c]]), kind="stable")
            if len(times) and not self.buckets[r][c].keeps(times, self.MARGIN):
                return False
        return True

    def _bins(self, *times: np.ndarray) -> tuple[float, float, int] | None:
        """The time bins of :meth:`_clear` covering these times (from the first to the
        last): their origin, the last time and their number; None when there would be more
        bins than takes (no cheaper than the exact check)."""
        times = [each for each in times if len(each)]
        if not times:
            return None
        origin = min(float(each.min()) for each in times)
        end = max(float(each.max()) for each in times)
        n_bins = int((end - origin) * self.bins_per_s) + 1
        return (origin, end, n_bins) if n_bins <= sum(len(each) for each in times) else None

    def _binned(self, rows: np.ndarray, n_rows: int, times: np.ndarray,
                bins: tuple[float, float, int]) -> np.ndarray:
        """Takes counted per row (0 ≤ row < ``n_rows``) and time bin: an array of
        ``n_rows`` × bins."""
        origin, _, n_bins = bins
        where = times - origin
        where *= self.bins_per_s
        where = where.astype(np.int64)
        where += rows.astype(np.int64, copy=False) * n_bins
        return np.bincount(where, minlength=n_rows * n_bins).reshape(n_rows, n_bins)

    def _clear(self, counts: np.ndarray, bins: tuple[float, float, int], margin: float,
               n: int) -> np.ndarray:
        """Per bucket, whether its takes, ``counts`` per time bin, surely all find
        ≥ 1 + ``margin`` tokens: a bound on :meth:`TokenBucket.keeps` from the counts
        alone, the takes neither grouped nor sorted (0.6 ms a batch instead of 1.5).

        A take in bin q finds a deficit (capacity less tokens) of at most the other takes
        of its bin plus the largest of: 0; for each earlier bin p, the takes of bins
        p..q-1 less the refill of the q-p-1 whole bins between (takes in bins p < q are at
        least that far apart); the deficit at the first bin's start plus the takes before
        bin q less q bins' refill. With Q_q the takes before bin q less q bins' refill:
        n_q - 1 + max(0, Q_q + refill - min(Q_p, p < q), Q_q + start).

        The exact check's rounding is under (2n + 12) 2^-53 (n + 2 rate span + 2 capacity)
        tokens (n terms summed in order, each off by a few ulps); the bound keeps a slack
        4,000 times that, 10^-12 (n + bins + 3)(...) (0.01 token for 65,536 takes), which
        also covers the bins' own rounding, so a bucket it clears would pass exactly."""
        origin, end, n_bins = bins
        rate, capacity = self.rates, self.capacities
        tokens = np.array([bucket.tokens for bucket in self.flat])
        since = np.array([bucket.last for bucket in self.flat])
        refill = (rate / self.bins_per_s)[:, None]
        level = np.zeros(counts.shape)  # Q
        np.cumsum(counts[:, :-1] - refill, axis=1, out=level[:, 1:])
        lowest = np.full(counts.shape, np.inf)  # min(Q_p, p < q)
        np.minimum.accumulate(level[:, :-1], axis=1, out=lowest[:, 1:])
        worst = level - lowest
        worst += refill
        np.maximum(worst, level + (capacity - tokens - rate * (origin - since))[:, None], out=worst)
        np.maximum(worst, 0.0, out=worst)
        worst += counts
        worst[counts == 0] = -np.inf  # no take
        span = np.maximum(end, since) - np.minimum(origin, since)
        slack = 1e-12 * (n + n_bins + 3) * (n + 2 * rate * span + 2 * capacity + 2)
        return worst.max(axis=1) <= capacity - margin - slack

    def open_batch(self) -> None:
        """Log takes from now on instead of taking them."""
        self.log = []
        self.log_keys = []
        self.log_times = []

    def book(self) -> None:
        """Apply a batch's logged takes to the buckets, in time order, and verify none failed."""
        log = self.log
        self.log = None
        log.append((np.array(self.log_keys, dtype=np.int64), np.array(self.log_times)))
        keys = np.concatenate([k for k, _ in log])
        times = np.concatenate([t for _, t in log])
        if not len(keys):
            return
        groups = _grouped(keys, times, len(self.flat))
        for key, bucket in enumerate(self.flat):
            segment = np.sort(groups(key), kind="stable")  # a few sorted runs: timsort
            if len(segment) and not bucket.book(segment):
                raise BatchAssumptionBroken(f"a batched request would have been throttled near "
                                            f"t={segment[0]:.3f}s")


def _grouped(key: np.ndarray, values: np.ndarray,
             n_keys: int) -> Callable[[int], np.ndarray]:
    """A look-up of ``values`` by ``key`` (0 ≤ key < ``n_keys``; others are left out), each
    group in its original order: one stable (radix) sort instead of a mask per key, of
    one byte per key where they fit (a radix pass fewer than two bytes: 30 % faster)."""
    order = np.argsort(key.astype(np.int8 if n_keys <= 127 else np.int16), kind="stable")
    bounds = np.searchsorted(key[order], np.arange(n_keys + 1), side="left").tolist()
    ordered = values[order]
    return lambda k: ordered[bounds[k]:bounds[k + 1]]
