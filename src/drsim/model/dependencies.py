"""Dependencies: the senders and triggers a request needs, and when each is down.

A dependency (``dependencies:``) is hosted in a region: it is down while that region
is down (a ``region_outage``) and while a ``dependency_outage`` fault names it. Both
are on the fault schedule, so its down windows are known before the run
(:func:`~drsim.model.control_gate.down_windows`) and whether it is down at an instant is a look-up — exact in
batches too, whatever their extent. A request needs a dependency when its operation is
in ``used_by``, the region serving it is in ``serves`` and, for an SMS/email sender,
the user's MFA kind is the sender's. The check comes after every other rule (the code
is sent, the trigger runs, only for a request the pool would otherwise grant), in
list order: down → ``dependency_down``; over its ``capacity`` (a token bucket, as a
quota) → ``dependency_throttled``. A bucket's takes depend on the order of service,
so requests of operations a capped dependency is used by are served one at a time
(:meth:`Dependencies.one_at_a_time_ops`); the rest are decided vectorised
(:meth:`Dependencies.refuse_many`).
"""

from __future__ import annotations

import numpy as np

from drsim.model.control_gate import down_windows, up_again_s
from drsim.model.directory import MFA_EMAIL, MFA_SMS, Directory, view
from drsim.model.operations import DEPENDENCY_DOWN, DEPENDENCY_THROTTLED, OK, REFRESH, SIGN_IN
from drsim.model.quotas import TokenBucket
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
        self.failures = [0] * len(self.specs)  # attempts refused, by dependency

    def one_at_a_time_ops(self) -> list[int]:
        """Operations a capped dependency is used by (a refresh may be served as a sign-in):
        their requests take tokens in serving order, so they are not batched."""
        ops = {op for d, used, bucket in zip(self.specs, self.used, self.buckets, strict=True)
               if bucket is not None for op in np.flatnonzero(used).tolist()}
        if SIGN_IN in ops:
            ops.add(REFRESH)
        return sorted(ops)

    def _down(self, k: int, t: float) -> bool:
        return up_again_s(self.windows[k], t) > t

    def check(self, t: float, op: int, user: int, r: int) -> int:
        """A request the pool would grant: refused by the first dependency it needs that is
        down or over its capacity (OK if none)."""
        for k, used in enumerate(self.used):
            if not used[op] or not self.serves[k][r]:
                continue
            if self.mfa[k] >= 0 and self.directory.mfa[user] != self.mfa[k]:
                continue
            if self._down(k, t):
                self.failures[k] += 1
                return DEPENDENCY_DOWN
            bucket = self.buckets[k]
            if bucket is not None and not bucket.take(t):
                self.failures[k] += 1
                return DEPENDENCY_THROTTLED
        return OK

    def refuse_many(self, out: np.ndarray, t: np.ndarray, op: np.ndarray, user: np.ndarray,
                    region: np.ndarray) -> None:
        """:meth:`check` of the requests a batch decides vectorised (``out``: their outcomes
        so far, refused in place; none needs a capped dependency, see
        :meth:`one_at_a_time_ops`)."""
        mfa = view(self.directory.mfa)[user] if any(m >= 0 for m in self.mfa) else None
        for k, used in enumerate(self.used):
            needs = (out == OK) & used[op] & self.serves[k][region]
            if self.mfa[k] >= 0:
                needs &= mfa == self.mfa[k]
            windows = self.windows[k]
            if not needs.any() or not len(windows):
                continue
            j = np.searchsorted(windows[:, 0], t, side="right") - 1
            down = needs & (j >= 0) & (t < windows[np.maximum(j, 0), 1])
            out[down] = DEPENDENCY_DOWN
            self.failures[k] += int(np.count_nonzero(down))
