"""Routing: which region a client's request reaches (DOMAIN.md, DNS and clients).

A client sends a request to the region its cached DNS answer names: the
failover record's answer (or, with latency/weighted routing, the answer for the
user's home region) as of the client's last re-resolution. A design may send
some operations elsewhere (``dns.endpoints``): to the other kind of record, or
to a backend in the user's home region that reads its local replica without DNS.
Attackers call regional endpoints directly (:mod:`drsim.model.attackers`).
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from drsim.model.arrays import distinct
from drsim.model.control import ControlTimeline
from drsim.model.directory import Directory, view
from drsim.records import OP_CODE
from drsim.scenario.schema import OPERATIONS, Scenario

LOCAL = -1
"""The endpoint of an operation served by a backend in the user's home region (no DNS)."""


class Record:
    """A DNS record as it answered over the run: per home, when the answer changed and
    the region answered from then on (one home: the failover record)."""

    def __init__(self, times: list[np.ndarray], answers: list[np.ndarray]) -> None:
        self.times_np = times
        self.answers_np = answers
        self.times = [t.tolist() for t in times]
        self.answers = [a.tolist() for a in answers]
        self.single_home = len(times) == 1


class Router:
    """Which region a client's cached DNS answer names at a given time.

    A client re-resolves on a grid of period P (its effective TTL) shifted by
    its phase; its answer at ``t`` is the record's answer at its last refresh
    ``t − ((t − phase) mod P)``. ``P = ∞`` (pinned forever) keeps the answer
    the client had at the start. During a DNS outage a refresh fails: a
    serve-stale resolver keeps the answer it had when the outage began, the
    others cannot answer (−1, ``dns_unavailable``) until the outage ends.

    Args:
        directory: The users (DNS caching period and phase, home region).
        records: The DNS records; the first is the main one (``dns.routing``).
        dns_outages: ``(start_s, end_s, serve_stale_share)`` of each DNS outage.
        record_of_op: Per operation code, the index of the record it resolves, or
            :data:`LOCAL`; None: every operation uses the main record.
    """

    SETTLED_MIN = 256  # fewer requests: worked out one by one (vectorised) at once

    def __init__(self, directory: Directory, records: list[Record],
                 dns_outages: list[tuple[float, float, float]],
                 record_of_op: np.ndarray | None = None) -> None:
        self.directory = directory
        self.records = records
        self.main = records[0]
        self.outages = dns_outages
        self.per_operation = record_of_op is not None
        self.record_of_op = record_of_op

    def _last_refresh(self, t: np.ndarray | float, users: np.ndarray) -> np.ndarray:
        """When each client last re-resolved before ``t`` (−1: a pinned answer)."""
        d = self.directory
        period = view(d.dns_period)[users]
        finite = np.isfinite(period)
        with np.errstate(invalid="ignore"):
            return np.where(finite, t - np.mod(t - view(d.dns_phase)[users],
                                               np.where(finite, period, 1.0)), -1.0)

    def route_many(self, t: np.ndarray, users: np.ndarray, ops: np.ndarray) -> np.ndarray:
        """:meth:`route` for many requests at once (same arithmetic, vectorised)."""
        if not self.per_operation:
            return self._resolve_many(self.main, t, users)
        kinds = self.record_of_op[ops]
        result = np.empty(len(t), dtype=np.int64)
        for kind in distinct(kinds).tolist():
            at = np.flatnonzero(kinds == kind)  # positions: the kinds are interleaved
            result[at] = (view(self.directory.home)[users[at]] if kind == LOCAL
                          else self._resolve_many(self.records[kind], t[at], users[at]))
        return result

    def _resolve_many(self, record: Record, t: np.ndarray, users: np.ndarray) -> np.ndarray:
        if self.outages or len(t) < self.SETTLED_MIN:
            return self._resolve_exact(record, t, users)
        # A client whose last refresh follows the record's last change before max(t) has
        # the answer given since that change: so has every client whose period P fits
        # between that change and min(t) (its last refresh is at or after t − P), and,
        # while the record has not changed yet, every client. The rest: worked out.
        d = self.directory
        t0, t1 = float(t.min()), float(t.max())
        now, bound = [], []
        for times, answers in zip(record.times_np, record.answers_np, strict=True):
            k = int(np.searchsorted(times, t1, side="right")) - 1
            now.append(answers[max(k, 0)])
            # (shy of the difference by far more than rounding: a conservative bound)
            bound.append(np.inf if k <= 0 else (t0 - float(times[k])) * (1.0 - 1e-12) - 1e-9)
        if record.single_home:
            result = np.full(len(t), now[0], dtype=np.int64)
        else:
            home = view(d.home)[users]
            result = np.array(now, dtype=np.int64)[home]
        if min(bound) == np.inf:
            # No change by max(t): every answer is the first (a refresh is at or before its
            # request; a NaN period counts as pinned). A quarter of the reference's routes:
            # their periods are not read (8 ms).
            return result
        bound = bound[0] if record.single_home else np.array(bound)[home]
        # Only users of a kind whose longest period may not fit read their own period.
        maybe = np.flatnonzero(~(d.longest_period[view(d.client)[users]] <= bound))
        period = view(d.dns_period)[users[maybe]]
        hard = maybe[~(period <= (bound if record.single_home else bound[maybe]))]
        if len(hard):
            result[hard] = self._resolve_exact(record, t[hard], users[hard])
        return result

    def _resolve_exact(self, record: Record, t: np.ndarray, users: np.ndarray) -> np.ndarray:
        """:meth:`route`'s arithmetic, vectorised."""
        d = self.directory
        last = self._last_refresh(t, users)
        failed = np.zeros(len(t), dtype=np.bool_)
        for start, end, serve_stale in self.outages:
            inside = (start <= last) & (last < end)
            stale_ok = view(d.stale_draw)[users] < serve_stale
            last = np.where(inside & stale_ok, start - 1e-9, last)
            failed |= inside & ~stale_ok & (t < end)
        result = np.empty(len(t), dtype=np.int64)
        homes = None if record.single_home else view(d.home)[users]
        for h in range(len(record.times)):  # (positions: the homes are interleaved)
            at = slice(None) if homes is None else np.flatnonzero(homes == h)
            index = np.searchsorted(record.times_np[h], last[at], side="right") - 1
            result[at] = record.answers_np[h][np.maximum(index, 0)]
        result[failed] = -1
        return result

    def steady(self, t: np.ndarray | float, users: np.ndarray, t_end: float) -> np.ndarray:
        """Whether each user's main-record answer stays the same from ``t`` (one instant,
        or one per user) to ``t_end``.

        Conservative: False if a record change falls between the client's last
        refresh before ``t`` and its last before ``t_end`` (its answers in between
        are the record's at those refreshes), or a DNS outage between the first and
        ``t_end``, even if the answer does not change.
        """
        last = self._last_refresh(t, users)
        # Until t_end the client's answer is the record's at a refresh in [last, its last
        # refresh before t_end] (widened by far more than rounding, and at most t_end).
        end = np.minimum(self._last_refresh(t_end, users) + 1e-6, t_end)
        steady = np.ones(len(users), dtype=np.bool_)
        homes = (np.zeros(len(users), dtype=np.int64) if self.main.single_home
                 else view(self.directory.home)[users])
        for h, times in enumerate(self.main.times_np):
            # The first answer holds before the record's first time too (route clips the
            # index at 0): a refresh before it meets no change.
            changes = np.maximum(np.searchsorted(times, end, side="right"), 1) - np.maximum(
                np.searchsorted(times, last, side="right"), 1)
            steady &= (homes != h) | (changes == 0)
        for start, stop, _ in self.outages:
            steady &= (start > t_end) | (stop <= last)
        return steady | ~np.isfinite(view(self.directory.dns_period)[users])  # pinned

    def route(self, t: float, user: int, op: int) -> int:
        """The region user ``user``'s client sends operation ``op`` to at ``t``; −1: no
        DNS answer."""
        record = self.main
        if self.per_operation:
            kind = self.record_of_op[op]
            if kind == LOCAL:
                return self.directory.home[user]
            record = self.records[kind]
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
        home = 0 if record.single_home else d.home[user]
        times = record.times[home]
        index = bisect_right(times, last) - 1
        return record.answers[home][index if index > 0 else 0]


def build_router(scenario: Scenario, control: ControlTimeline, directory: Directory,
                 dns_outages: list[tuple[float, float, float]]) -> Router:
    """The router of a run: the control plane's records and the design's endpoints."""
    records = [Record(control.record_times, control.record_answers)]
    if control.alt_times:
        records.append(Record(control.alt_times, control.alt_answers))
    dns = scenario.dns
    record_of_op = None
    if dns.endpoints:
        main = dns.routing
        index = {main: 0, "latency" if main == "failover" else "failover": 1, "local": LOCAL}
        if main == "weighted":
            index["latency"] = 0  # per-home answers, homes drawn by weight
        record_of_op = np.zeros(len(OP_CODE), dtype=np.int64)
        for operation in OPERATIONS:
            record_of_op[OP_CODE[operation]] = index[dns.routing_of(operation)]
    return Router(directory, records, dns_outages, record_of_op)
