"""Routing: which region a client's request reaches (DOMAIN.md, DNS and clients).

A client sends every request to the region its cached DNS answer names: the
failover record's answer (or, with latency/weighted routing, the answer for the
user's home region) as of the client's last re-resolution. Attackers call
regional endpoints directly (:mod:`drsim.model.attackers`).
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from drsim.model.directory import Directory, view


class Router:
    """Which region a client's cached DNS answer names at a given time.

    A client re-resolves on a grid of period P (its effective TTL) shifted by
    its phase; its answer at ``t`` is the record's answer at its last refresh
    ``t − ((t − phase) mod P)``. ``P = ∞`` (pinned forever) keeps the answer
    the client had at the start. During a DNS outage a refresh fails: a
    serve-stale resolver keeps the answer it had when the outage began, the
    others cannot answer (−1, ``dns_unavailable``) until the outage ends.
    """

    def __init__(self, directory: Directory, record_times: list[np.ndarray],
                 record_answers: list[np.ndarray], dns_outages: list[tuple[float, float, float]],
                 single_home: bool) -> None:
        self.directory = directory
        self.times = [t.tolist() for t in record_times]
        self.answers = [a.tolist() for a in record_answers]
        self.times_np = record_times
        self.answers_np = record_answers
        self.outages = dns_outages
        self.single_home = single_home

    def _last_refresh(self, t: np.ndarray | float, users: np.ndarray) -> np.ndarray:
        """When each client last re-resolved before ``t`` (−1: a pinned answer)."""
        d = self.directory
        period = view(d.dns_period)[users]
        finite = np.isfinite(period)
        with np.errstate(invalid="ignore"):
            return np.where(finite, t - np.mod(t - view(d.dns_phase)[users],
                                               np.where(finite, period, 1.0)), -1.0)

    def route_many(self, t: np.ndarray, users: np.ndarray) -> np.ndarray:
        """:meth:`route` for many requests at once (same arithmetic, vectorised)."""
        d = self.directory
        last = self._last_refresh(t, users)
        failed = np.zeros(len(t), dtype=np.bool_)
        for start, end, serve_stale in self.outages:
            inside = (start <= last) & (last < end)
            stale_ok = view(d.stale_draw)[users] < serve_stale
            last = np.where(inside & stale_ok, start - 1e-9, last)
            failed |= inside & ~stale_ok & (t < end)
        result = np.empty(len(t), dtype=np.int64)
        homes = np.zeros(len(t), dtype=np.int64) if self.single_home else view(d.home)[users]
        for h in range(len(self.times)):
            mask = homes == h
            if mask.any():
                index = np.searchsorted(self.times_np[h], last[mask], side="right") - 1
                result[mask] = self.answers_np[h][np.maximum(index, 0)]
        result[failed] = -1
        return result

    def steady(self, t: float, users: np.ndarray, t_end: float) -> np.ndarray:
        """Whether each user's answer (:meth:`route`) stays the same from ``t`` to ``t_end``.

        Conservative: False if a record change or a DNS outage falls between the
        client's last refresh before ``t`` and ``t_end``, even if the answer does
        not change.
        """
        last = self._last_refresh(t, users)
        steady = np.ones(len(users), dtype=np.bool_)
        homes = (np.zeros(len(users), dtype=np.int64) if self.single_home
                 else view(self.directory.home)[users])
        for h, times in enumerate(self.times_np):
            changes = np.searchsorted(times, t_end, side="right") - np.searchsorted(
                times, last, side="right")
            steady &= (homes != h) | (changes == 0)
        for start, end, _ in self.outages:
            steady &= (start > t_end) | (end <= last)
        return steady | ~np.isfinite(view(self.directory.dns_period)[users])  # pinned: never changes

    def route(self, t: float, user: int) -> int:
        """The region user ``user``'s client sends a request to at ``t``; −1: no DNS answer."""
        d = self.directory
        period = d.dns_period[user]
        if period == math.inf:
            last = -1.0
        else:
            last = t - (t - d.dns_phase[user]) % period
        for start, end, serve_stale in self.outages:
            if start <= last < end:
                if d.stale_draw[user] < serve_stale:
                    last = start - 1e-9
                elif t < end:
                    return -1
        home = 0 if self.single_home else d.home[user]
        times = self.times[home]
        index = bisect_right(times, last) - 1
        return self.answers[home][index if index > 0 else 0]
