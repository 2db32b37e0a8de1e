"""Replication channels: when does an acknowledged write reach another region?

A channel carries change records from one region to another. A record's lag
(drawn from the scenario's distribution) accrues only while the channel can
run — the source and target are up, the link is not partitioned, replication
is not stalled — so a pause delays every record in flight by the pause's
length and the backlog drains afterwards. Records of one user apply in order.
With a throughput cap the channel is a FIFO server applying at most ``cap``
records per second, so a write burst builds a backlog. Because the control
plane is known before requests are served, each record's apply time is
computed once, when it is shipped.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from drsim.model.distributions import sample


class Channel:
    """One directed replication channel.

    Args:
        pauses: ``(k, 2)`` array of sorted, disjoint ``[start, end)`` intervals
            in which the channel cannot run.
        throughput: Records applied per second at most, or None for no cap.
    """

    def __init__(self, pauses: np.ndarray, throughput: float | None) -> None:
        self.starts = [float(x) for x in pauses[:, 0]] if len(pauses) else []
        self.ends = [float(x) for x in pauses[:, 1]] if len(pauses) else []
        self.ends_np = np.array(self.ends, dtype=np.float64)
        self.next_start_np = np.array([*self.starts, math.inf], dtype=np.float64)
        self.service_s = 1.0 / throughput if throughput else 0.0
        self.server_free_s = 0.0
        # Per user, the last record's apply time (−inf: none yet), at ``user + 1``: a
        # record of no user (−1) has its own slot. A column, not a dict: a batch reads and
        # writes it for all its records at once.
        self.last_apply = np.full(0, -math.inf)

    def advance(self, start: float, running_s: float) -> float:
        """The instant at which ``running_s`` seconds of running time have passed after ``start``."""
        t = start
        remaining = running_s
        i = bisect.bisect_right(self.ends, t)
        while i < len(self.starts):
            a, b = self.starts[i], self.ends[i]
            if t >= a:  # inside a pause
                t = b
            elif t + remaining <= a:
                return t + remaining
            else:
                remaining -= a - t
                t = b
            if math.isinf(t):
                return math.inf
            i += 1
        return t + remaining

    def advance_many(self, start: np.ndarray, running_s: np.ndarray) -> np.ndarray:
        """:meth:`advance` of every ``(start, running_s)`` pair, bit for bit.

        Pairs whose interval meets no pause are ``start + running_s``, as in
        :meth:`advance`; the rest (few: records shipped just before or during a
        pause) go through :meth:`advance` itself.
        """
        due = start + running_s
        if not self.starts:
            return due
        # The first pause ending after ``start`` must start after ``due``.
        next_start = self.next_start_np[np.searchsorted(self.ends_np, start, side="right")]
        for k in np.flatnonzero(~((start < next_start) & (due <= next_start))).tolist():
            due[k] = self.advance(float(start[k]), float(running_s[k]))
        return due

    def _last_apply_of(self, top: int) -> np.ndarray:
        """:attr:`last_apply`, long enough for user ``top`` (grown by a quarter at least)."""
        if top + 1 >= len(self.last_apply):
            grown = np.full(max(top + 2, len(self.last_apply) * 5 // 4), -math.inf)
            grown[:len(self.last_apply)] = self.last_apply
            self.last_apply = grown
        return self.last_apply

    def apply_times(self, users: np.ndarray, ack_s: np.ndarray, lag_s: np.ndarray) -> np.ndarray:
        """:meth:`apply_time` of records shipped in this order (same results, same state)."""
        due = self.advance_many(ack_s, lag_s)
        if self.service_s:
            for k in range(len(due)):
                free = self.advance(self.server_free_s, self.service_s)
                if free > due[k]:
                    due[k] = free
                self.server_free_s = float(due[k])
        if not len(due):
            return due
        slot = np.asarray(users, dtype=np.int64) + 1
        last = self._last_apply_of(int(slot.max()) - 1)
        before = last[slot]
        result = np.maximum(due, before)
        last[slot] = result
        if (last[slot] == result).all():  # each user once (or all their records alike)
            return result
        last[slot] = before  # a user's records apply in order: one at a time
        result = due.tolist()
        for k, user in enumerate(slot.tolist()):
            previous = float(last[user])
            if previous > result[k]:
                result[k] = previous
            last[user] = result[k]
        return np.array(result, dtype=np.float64)

    def apply_time(self, user: int, ack_s: float, lag_s: float) -> float:
        """When a record acknowledged at ``ack_s`` applies at the target."""
        due = self.advance(ack_s, lag_s)
        if self.service_s:
            due = max(due, self.advance(self.server_free_s, self.service_s))
            self.server_free_s = due
        last = self._last_apply_of(user)
        previous = float(last[user + 1])
        if previous > due:
            due = previous
        last[user + 1] = due
        return due


class LagSampler:
    """Buffered draws from a duration distribution (one stream, drawn in order):
    replication lags, token-replay delays."""

    def __init__(self, spec: object, rng: np.random.Generator, chunk: int = 4096) -> None:
        self.spec = spec
        self.rng = rng
        self.chunk = chunk
        self.buffer: list[float] = []
        self.pos = 0

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` draws: the values ``count`` calls of :meth:`next` return."""
        out: list[float] = []
        while len(out) < count:
            if self.pos >= len(self.buffer):
                self.buffer = sample(self.spec, self.rng, self.chunk).tolist()
                self.pos = 0
            end = min(len(self.buffer), self.pos + count - len(out))
            out.extend(self.buffer[self.pos:end])
            self.pos = end
        return np.array(out, dtype=np.float64)

    def next(self) -> float:
        if self.pos >= len(self.buffer):
            self.buffer = sample(self.spec, self.rng, self.chunk).tolist()
            self.pos = 0
        value = self.buffer[self.pos]
        self.pos += 1
        return value
