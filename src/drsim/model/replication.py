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
        users: How many users there may be (:attr:`last_apply` grows past it if need be).
    """

    def __init__(self, pauses: np.ndarray, throughput: float | None, users: int = 0) -> None:
        self.starts = [float(x) for x in pauses[:, 0]] if len(pauses) else []
        self.ends = [float(x) for x in pauses[:, 1]] if len(pauses) else []
        self.ends_np = np.array(self.ends, dtype=np.float64)
        self.next_start_np = np.array([*self.starts, math.inf], dtype=np.float64)
        self.service_s = 1.0 / throughput if throughput else 0.0
        self.server_free_s = 0.0
        # Per user, the last record's apply time (−inf: none yet), at ``user + 1``: a
        # record of no user (−1) has its own slot. A column, not a dict: a batch reads and
        # writes it for all its records at once.
        self.last_apply = np.full(users + 1, -math.inf)

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
        :meth:`advance`; the rest (records shipped just before or during a pause) walk
        the pauses together, pause by pause, with :meth:`advance`'s operations.
        """
        due = start + running_s
        if not self.starts:
            return due
        # The first pause ending after ``start`` must start after ``due``.
        i = np.searchsorted(self.ends_np, start, side="right")
        walk = np.flatnonzero(~((start < self.next_start_np[i]) & (due <= self.next_start_np[i])))
        t, remaining, i = start[walk], running_s[walk], i[walk]
        while len(walk):
            more = i < len(self.starts)
            due[walk[~more]] = t[~more] + remaining[~more]  # past the last pause
            walk, t, remaining, i = walk[more], t[more], remaining[more], i[more]
            a, b = self.next_start_np[i], self.ends_np[i]
            inside = t >= a
            ends = ~inside & (t + remaining <= a)  # done before the next pause
            due[walk[ends]] = t[ends] + remaining[ends]
            crossed = ~inside & ~ends
            remaining[crossed] -= a[crossed] - t[crossed]
            t = np.where(inside | crossed, b, t)
            stop = ends | np.isinf(t)
            due[walk[stop & ~ends]] = math.inf
            walk, t, remaining, i = walk[~stop], t[~stop], remaining[~stop], i[~stop] + 1
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
        # Each user's records together, in shipping order; a user's records apply in
        # order: the running maximum of their due times, from their last apply before.
        order = np.argsort(slot, kind="stable")
        slot = slot[order]
        result = np.maximum(due[order], last[slot])
        _running_max_per_run(result, slot)
        ends = np.flatnonzero(np.append(slot[1:] != slot[:-1], True))  # each user's last
        last[slot[ends]] = result[ends]
        due[order] = result
        return due

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

    def follow(self, user: int, due: float) -> None:
        """``user``'s next record on this channel applies at ``due`` or later (after one
        of theirs on another channel)."""
        last = self._last_apply_of(user)
        last[user + 1] = max(float(last[user + 1]), due)


def _running_max_per_run(values: np.ndarray, keys: np.ndarray) -> None:
    """In place, each value becomes the largest so far within its run of equal ``keys``
    (a scan that doubles its reach per pass: as many passes as the longest run needs)."""
    same = keys[1:] == keys[:-1]
    reach = 1
    while reach < len(keys) and same.any():
        # same[k]: keys[k + reach] continues the run of keys[k] (over ``reach`` steps)
        behind = values[:-reach]
        values[reach:] = np.where(same, np.maximum(values[reach:], behind), values[reach:])
        same = same[reach:] & same[:-reach]
        reach *= 2


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
