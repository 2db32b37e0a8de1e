"""Request quotas: a token bucket per region and quota category (DOMAIN.md quotas).

One at a time, a request takes a token or is throttled. A batch is served
vectorised only when no bucket can run dry in it (:meth:`Quotas.fits`); its
takes are logged and booked at its end (:meth:`Quotas.book`), and if one
would have been refused after all the run is redone one request at a time
(:class:`BatchAssumptionBroken`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drsim.model.control import DOWN, Epoch
from drsim.model.operations import QUOTA_CATEGORY
from drsim.records import OP_CODE
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
        cumulative = np.cumsum(1.0 - self.rate * np.diff(times, prepend=self.last))
        return cumulative - np.minimum(np.minimum.accumulate(cumulative), -deficit0)

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


class Quotas:
    """Every region's buckets; inside a batch, the log of takes to book at its end."""

    MARGIN = 3.0  # tokens a batch keeps free for retries and replays born inside it

    def __init__(self, scenario: Scenario) -> None:
        categories = sorted(set(QUOTA_CATEGORY.values()))
        self.buckets = [
            [TokenBucket(getattr(region.quotas, c), region.quotas.burst) for c in categories]
            for region in scenario.regions
        ]
        self.category_of_op = np.array([categories.index(QUOTA_CATEGORY[op])
                                        for op in range(len(OP_CODE))], dtype=np.int64)
        self.n_categories = len(categories)
        self.bucket_of = [
            {op: self.buckets[r][self.category_of_op[op]] for op in QUOTA_CATEGORY}
            for r in range(len(scenario.regions))
        ]
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

    def fits(self, epoch: Epoch, region: np.ndarray, t: np.ndarray, op: np.ndarray,
             maybe_t: np.ndarray, maybe_op: np.ndarray) -> bool:
        """Whether no bucket can run dry in a batch: requests (``t``, ``op``) reach
        ``region``; the others (``maybe_t``, ``maybe_op``) are counted at every region
        they might reach; :attr:`MARGIN` tokens stay free."""
        n_cat = self.n_categories
        fast = _grouped(np.where(region >= 0, region * n_cat + self.category_of_op[op], -1), t,
                        len(self.buckets) * n_cat)
        slow = _grouped(self.category_of_op[maybe_op], maybe_t, n_cat)
        for r in range(len(self.buckets)):
            if epoch.status[r] == DOWN:
                continue  # nothing sent to a down region reaches its quota
            for c in range(n_cat):
                # Each part keeps its order: a few sorted runs, a merge sort's best case.
                times = np.sort(np.concatenate([fast(r * n_cat + c), slow(c)]), kind="stable")
                if len(times) and not self.buckets[r][c].keeps(times, self.MARGIN):
                    return False
        return True

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
        n_cat = self.n_categories
        groups = _grouped(keys, times, len(self.buckets) * n_cat)
        for key in range(len(self.buckets) * n_cat):
            segment = np.sort(groups(key), kind="stable")  # a few sorted runs: timsort
            if len(segment) and not self.buckets[key // n_cat][key % n_cat].book(segment):
                raise BatchAssumptionBroken(f"a batched request would have been throttled near "
                                            f"t={segment[0]:.3f}s")


def _grouped(key: np.ndarray, values: np.ndarray,
             n_keys: int) -> Callable[[int], np.ndarray]:
    """A look-up of ``values`` by ``key`` (0 ≤ key < ``n_keys``; others are left out), each
    group in its original order: one stable (radix) sort instead of a mask per key."""
    order = np.argsort(key.astype(np.int16), kind="stable")
    bounds = np.searchsorted(key[order], np.arange(n_keys + 1), side="left").tolist()
    ordered = values[order]
    return lambda k: ordered[bounds[k]:bounds[k + 1]]
