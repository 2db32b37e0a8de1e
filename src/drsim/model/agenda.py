"""The agenda: what the data plane must do at a later time, in one time-ordered heap.

Retries, token replays and replication applies are scheduled here (first
attempts come from the arrival arrays). An item is ``(time_s, priority, seq,
payload)``: at equal times applies come before requests, then items keep the
order in which they were scheduled; the first three fields are unique, so
payloads are never compared.
"""

from __future__ import annotations

import heapq
from itertools import count, repeat
from typing import NamedTuple

APPLY, REQUEST = 1, 2
"""Priorities at equal times: a replication record applies before a request is served."""


class Request(NamedTuple):
    """A scheduled request: a client's retry or an attacker's token replay."""

    op: int
    user: int
    client: int  # client kind; −1 for an attacker
    attacker: int  # attacker index; −1 for a legitimate user
    attempt: int  # 0 for a first attempt
    region: int  # the endpoint an attacker calls; −1: the client's DNS answer
    value: float | None  # what a replay presents: the session's issue time, an old version;
    # a budgeted client's retry: the retry-quota tokens it took
    key: int  # the counter-based randomness key of this attempt


class Apply(NamedTuple):
    """A replication record (a row of the write log) reaching its target."""

    row: int


class Agenda:
    """The time-ordered heap of scheduled items."""

    def __init__(self) -> None:
        self.heap: list[tuple] = []
        self.seq = 0  # items scheduled so far

    def next_time(self) -> float:
        """When the next item is due (∞ if none)."""
        return self.heap[0][0] if self.heap else float("inf")

    def schedule(self, t: float, priority: int, payload: Request | Apply) -> None:
        """Add an item due at ``t``."""
        self.seq += 1
        heapq.heappush(self.heap, (t, priority, self.seq, payload))

    def schedule_many(self, times: list[float], priority: int, payloads: list) -> None:
        """:meth:`schedule` of each item in turn (the same sequence numbers)."""
        heap, push = self.heap, heapq.heappush
        first = self.seq + 1
        self.seq += len(times)
        for item in zip(times, repeat(priority), count(first), payloads):
            push(heap, item)

    def schedule_numbered(self, t: float, seq: int, request: Request) -> None:
        """Add a request whose ``seq`` was taken with :meth:`take_numbers`."""
        heapq.heappush(self.heap, (t, REQUEST, seq, request))

    def take_numbers(self, count: int) -> int:
        """Reserve ``count`` consecutive sequence numbers; returns the first."""
        first = self.seq + 1
        self.seq += count
        return first

    def pop(self) -> tuple:
        """Remove and return the next item."""
        return heapq.heappop(self.heap)

    def pop_before(self, t: float) -> list[tuple]:
        """Remove and return every item due before ``t``, in order."""
        heap = self.heap
        items = []
        while heap and heap[0][0] < t:
            items.append(heapq.heappop(heap))
        return items

    def put_back(self, items: list[tuple]) -> None:
        """Return items taken with :meth:`pop_before`."""
        for item in items:
            heapq.heappush(self.heap, item)

    def due_before(self, t: float, key: tuple) -> bool:
        """Whether the next item is due before ``t`` and comes before the serving-order
        ``key`` ``(time, 0, priority, seq)`` of a heap item or ``(time, 1, index, 0)``
        of an arrival."""
        heap = self.heap
        if not heap or heap[0][0] >= t:
            return False
        head = heap[0]
        return (head[0], 0, head[1], head[2]) < key
