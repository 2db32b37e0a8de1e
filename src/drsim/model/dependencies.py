"""Dependencies: the senders and triggers a request needs, and when each is down.

A dependency (``dependencies:``) is hosted in a region: it is down while that region
is down (a ``region_outage``) and while a ``dependency_outage`` fault names it. Both
are on the fault schedule, so its down windows are known before the run
(:func:`~drsim.model.control_gate.down_windows`) and whether it is down at an instant
is a look-up — exact in batches too, whatever their extent. A request needs a
dependency when its operation is in ``used_by``, the region serving it is in ``serves``
and, for an SMS/email sender, the user's MFA kind is the sender's. The check comes
after every other rule (the code is sent, the trigger runs, only for a request the pool
would otherwise grant), in list order: down → ``dependency_down``; over its
``capacity`` (a token bucket, as a quota) → ``dependency_throttled``.

Buckets in batches, as quotas (:mod:`drsim.model.quotas`): a batch is served only when
no capped dependency can run dry in it (:meth:`Dependencies.fits`); its takes are
logged and booked at its end (:meth:`Dependencies.book`), and should one have been
refused after all, the run is redone one request at a time.
"""

from __future__ import annotations

import numpy as np

from drsim.model.control_gate import down_windows, up_again_s
from drsim.model.directory import MFA_EMAIL, MFA_SMS, Directory, view
from drsim.model.operations import DEPENDENCY_DOWN, DEPENDENCY_THROTTLED, OK
from drsim.model.quotas import BatchAssumptionBroken, Quotas, TokenBucket
from drsim.records import OP_CODE
from drsim.scenario.schema import Scenario

MFA_OF_KIND = {"sms": MFA_SMS, "email": MFA_EMAIL}


class Dependencies:
    """The request dependencies of one run: the checks, their buckets and their refusals."""

    def __init__(self, scenario: Scenario, directory: Directory) -> None:
        self.directory = directory
        self.specs = [d for d in scenario.dependencies if d.kind != "control_plane"]
        self.names = [d.name for d in self.specs]
        self.any = bool(self.specs)
        names = scenario.region_names
        self.windows = [down_windows(scenario, d.name) for d in self.specs]
        self.serves = [np.array([d.serves == "all" or r in d.serves for r in names])
                       for d in self.specs]
        self.used = []
        for d in self.specs:
            used = np.zeros(len(OP_CODE), dtype=np.bool_)
            used[[OP_CODE[op] for op in d.used_by]] = True
            self.used.append(used)
        self.mfa = [MFA_OF_KIND.get(d.kind, -1) for d in self.specs]
        self.buckets = [None if d.capacity is None else TokenBucket(d.capacity, d.burst)
                        for d in self.specs]
        self.capped = [k for k, bucket in enumerate(self.buckets) if bucket is not None]
        self.failures = [0] * len(self.specs)  # attempts refused, by dependency
        self.log: list[list[np.ndarray]] | None = None  # in a batch: takes per dependency

    def _down(self, k: int, t: float) -> bool:
        return up_again_s(self.windows[k], t) > t

    def _down_many(self, k: int, t: np.ndarray) -> np.ndarray:
        windows = self.windows[k]
        if not len(windows):
            return np.zeros(len(t), dtype=np.bool_)
        j = np.searchsorted(windows[:, 0], t, side="right") - 1
        return (j >= 0) & (t < windows[np.maximum(j, 0), 1])

    def check(self, t: float, op: int, user: int, r: int) -> int:
        """A request the pool would grant: refused by the first dependency it needs that is
        down or over its capacity (OK if none). In a batch a take is logged (none fails)."""
        for k, used in enumerate(self.used):
            if not used[op] or not self.serves[k][r]:
                continue
            if self.mfa[k] >= 0 and self.directory.mfa[user] != self.mfa[k]:
                continue
            if self._down(k, t):
                self.failures[k] += 1
                return DEPENDENCY_DOWN
            bucket = self.buckets[k]
            if bucket is None:
                continue
            if self.log is not None:
                self.log[k].append(np.array([t]))
            elif not bucket.take(t):
                self.failures[k] += 1
                return DEPENDENCY_THROTTLED
        return OK

    def _needs_many(self, k: int, op: np.ndarray, user: np.ndarray, region: np.ndarray,
                    anywhere: bool = False) -> np.ndarray:
        """Requests that need dependency ``k`` (``anywhere``: whatever region serves them)."""
        needs = self.used[k][op] if anywhere else self.used[k][op] & self.serves[k][region]
        if self.mfa[k] >= 0:
            needs &= view(self.directory.mfa)[user] == self.mfa[k]
        return needs

    def refuse_many(self, out: np.ndarray, t: np.ndarray, op: np.ndarray, user: np.ndarray,
                    region: np.ndarray) -> None:
        """:meth:`check` of the requests a batch decides vectorised (``out``: their outcomes
        so far, refused in place; the takes of capped dependencies are logged)."""
        for k in range(len(self.specs)):
            needs = (out == OK) & self._needs_many(k, op, user, region)
            if not needs.any():
                continue
            down = needs & self._down_many(k, t)
            out[down] = DEPENDENCY_DOWN
            self.failures[k] += int(np.count_nonzero(down))
            if self.buckets[k] is not None:
                self.log[k].append(t[needs & ~down])

    # ------------------------------------------------------------------ batches

    def fits(self, t: np.ndarray, op: np.ndarray, user: np.ndarray, region: np.ndarray,
             maybe_t: np.ndarray, maybe_op: np.ndarray, maybe_user: np.ndarray) -> bool:
        """Whether no capped dependency can run dry in a batch: requests (``t``, ``op``,
        ``user``, ``region``) decided vectorised take if they need it and it is up; the
        others (``maybe_*``, region unknown) are counted if they may need it;
        :attr:`Quotas.MARGIN` tokens stay free."""
        for k in self.capped:
            mine = self._needs_many(k, op, user, region) & ~self._down_many(k, t)
            maybe = self._needs_many(k, maybe_op, maybe_user, np.zeros(0, np.int64), True)
            times = np.sort(np.concatenate([t[mine], maybe_t[maybe]]), kind="stable")
            if not self.buckets[k].keeps(times, Quotas.MARGIN):
                return False
        return True

    def open_batch(self) -> None:
        """Log takes from now on instead of taking them."""
        if self.capped:
            self.log = [[] for _ in self.specs]

    def book(self) -> None:
        """Apply a batch's logged takes, in time order, and verify none failed."""
        log, self.log = self.log, None
        if log is None:
            return
        for k in self.capped:
            if log[k]:
                times = np.sort(np.concatenate(log[k]))
                if len(times) and not self.buckets[k].book(times):
                    raise BatchAssumptionBroken(f"a batched request would have been "
                                                f"throttled by {self.names[k]} near "
                                                f"t={times[0]:.3f}s")
