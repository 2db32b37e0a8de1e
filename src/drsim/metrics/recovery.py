"""RTO and its parts: how long an incident lasted for users, and where the time went (MODEL.md 8).

**RTO** runs from the incident's anchor (the start of the fault that made the
endpoint unhealthy, :mod:`drsim.metrics.incidents`) until the per-minute
success rate of legitimate sign-ins is back to ≥ a level × its pre-fault
baseline and stays there until the end of the observation (the next incident,
else the end of the run). ``rto_s`` uses ``run.rto_threshold``; the recovery
curve ``rto_<level>_s`` every level of ``run.rto_levels``. Its parts come from
the incident timeline: detection (fault → unhealthy verdict), decision
(verdict → promotion starts), promotion (promotion starts → writable) and DNS
convergence (DNS flip → ≥ ``run.dns_converged`` of legitimate traffic reaches
the new region, and stays so while the fault lasts).

Windows with fewer than ``run.min_attempts_per_window`` attempts are unknown
and recovery needs evidence (:mod:`drsim.metrics.evidence`): a run without
sign-ins after the fault has no RTO (NaN), never 0.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, is_number, legit_mask, legit_sign_in_mask, ok_mask
from drsim.metrics.evidence import (
    MIN_ATTEMPTS_PER_WINDOW,
    as_fraction,
    judge_windows,
    level_label,
    recovery_time,
)
from drsim.metrics.facts import RunFacts

RTO_BUCKET_S = 60.0
DNS_BUCKET_S = 10.0


def _windows(
    t: np.ndarray, hit: np.ndarray, origin_s: float, horizon_s: float, bucket_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per window from ``origin_s``: (hits, attempts) of rows in ``[origin, origin + horizon)``."""
    n_buckets = max(1, math.ceil(horizon_s / bucket_s))
    inside = (t >= origin_s) & (t < origin_s + horizon_s)
    b = ((t[inside] - origin_s) // bucket_s).astype(np.int64)
    total = np.bincount(b, minlength=n_buckets)
    hits = np.bincount(b[hit[inside]], minlength=n_buckets)
    return hits, total


def sign_in_baseline(requests: pd.DataFrame, before_s: float) -> Fraction:
    """Pooled success rate of legitimate sign-ins before ``before_s``, exact (1 when none)."""
    sign_in = legit_sign_in_mask(requests)
    t = requests["time_s"].to_numpy(dtype=np.float64)
    pre = sign_in & (t < before_s)
    n = int(np.count_nonzero(pre))
    return Fraction(int(np.count_nonzero(pre & ok_mask(requests))), n) if n else Fraction(1)


def rto_curve(
    requests: pd.DataFrame,
    fault_start_s: float,
    end_s: float,
    levels: tuple[float, ...] | list[float],
    min_attempts: int = MIN_ATTEMPTS_PER_WINDOW,
    baseline_before_s: float | None = None,
    bucket_s: float = RTO_BUCKET_S,
) -> dict[float, tuple[float, float]]:
    """Recovery time of legitimate sign-ins at each level.

    The baseline is the pooled success rate of legitimate sign-ins before
    ``baseline_before_s`` (default: the fault start; 1.0 when there was none).
    Minutes are aligned on the fault start: window j is
    ``[fault + j·bucket, fault + (j+1)·bucket)``, the last one cut short by
    ``end_s``. A judged window is good at a level when ``ok / attempts ≥ level ×
    baseline`` (exact); RTO at that level is :func:`~drsim.metrics.evidence.recovery_time`
    (resolution ``bucket_s``, rounded up).

    Args:
        requests: the ``requests`` table.
        fault_start_s: the incident's anchor (s); NaN without fault.
        end_s: end of the observation (s): the next incident or the run end.
        levels: shares of the baseline (e.g. 0.5, 0.9, 0.99).
        min_attempts: windows with fewer sign-in attempts are unknown.
        baseline_before_s: end of the baseline period (s).
        bucket_s: window length (s).

    Returns:
        ``{level: (rto_s, recovered)}``: seconds from the fault start and 1.0;
        ``(end − fault, 0.0)`` when censored; ``(NaN, NaN)`` without a fault or
        without a judged minute.
    """
    if not is_number(fault_start_s) or fault_start_s >= end_s:
        return {level: (NAN, NAN) for level in levels}
    before = fault_start_s if baseline_before_s is None else baseline_before_s
    baseline = sign_in_baseline(requests, before)
    sign_in = legit_sign_in_mask(requests)
    t = requests["time_s"].to_numpy(dtype=np.float64)[sign_in]
    ok = ok_mask(requests)[sign_in]
    horizon = end_s - fault_start_s
    hits, total = _windows(t, ok, fault_start_s, horizon, bucket_s)
    out = {}
    for level in levels:
        states = judge_windows(hits, total, as_fraction(level) * baseline, min_attempts)
        out[level] = recovery_time(states, bucket_s, horizon)
    return out


def rto(
    requests: pd.DataFrame,
    fault_start_s: float,
    duration_s: float,
    threshold: float,
    bucket_s: float = RTO_BUCKET_S,
    min_attempts: int = MIN_ATTEMPTS_PER_WINDOW,
) -> tuple[float, float]:
    """RTO at one level, observed until ``duration_s`` (see :func:`rto_curve`).

    Returns:
        ``(rto_s, recovered)``.
    """
    curve = rto_curve(requests, fault_start_s, duration_s, [threshold], min_attempts,
                      bucket_s=bucket_s)
    return curve[threshold]


def dns_convergence_state(
    requests: pd.DataFrame,
    flip_s: float,
    new_region: str | None,
    end_s: float,
    share: float,
    min_attempts: int = MIN_ATTEMPTS_PER_WINDOW,
    bucket_s: float = DNS_BUCKET_S,
) -> tuple[float, float]:
    """Time from the DNS flip until ≥ ``share`` of legitimate requests reach the new region.

    Legitimate requests of every operation in ``[flip, end)`` are bucketed by
    ``bucket_s`` from the flip; the denominator includes requests that reached
    no region. A judged window is good when ``moved · d ≥ n · total`` for
    ``share = n/d`` (exact). Convergence is
    :func:`~drsim.metrics.evidence.recovery_time` of those windows.

    Args:
        requests: the ``requests`` table.
        flip_s: when the failover record started answering the new region (s).
        new_region: the region it answers.
        end_s: end of the observation (the fault's end; traffic may move back after).
        share: the converged share (e.g. 0.99).
        min_attempts: windows with fewer requests are unknown.
        bucket_s: window length (s).

    Returns:
        ``(seconds, converged)``: converged is 1.0 when the share was reached and
        held, 0.0 when censored at ``end − flip``; ``(NaN, NaN)`` without a flip,
        with an empty window or without a judged window.
    """
    if not is_number(flip_s) or new_region is None or not end_s > flip_s:
        return NAN, NAN
    rows = legit_mask(requests)
    t = requests["time_s"].to_numpy(dtype=np.float64)[rows]
    reached = (requests["region"] == new_region).to_numpy(dtype=bool)[rows]
    horizon = end_s - flip_s
    hits, total = _windows(t, reached, flip_s, horizon, bucket_s)
    states = judge_windows(hits, total, as_fraction(share), min_attempts)
    return recovery_time(states, bucket_s, horizon)


def dns_convergence(
    requests: pd.DataFrame,
    flip_s: float,
    new_region: str | None,
    end_s: float,
    share: float,
    min_attempts: int = MIN_ATTEMPTS_PER_WINDOW,
    bucket_s: float = DNS_BUCKET_S,
) -> float:
    """Seconds of :func:`dns_convergence_state` (NaN when unknown)."""
    return dns_convergence_state(requests, flip_s, new_region, end_s, share, min_attempts,
                                 bucket_s)[0]


def dns_share_moved(
    requests: pd.DataFrame,
    flip_s: float,
    new_region: str | None,
    after_s: float,
    end_s: float,
    bucket_s: float = DNS_BUCKET_S,
    min_attempts: int = MIN_ATTEMPTS_PER_WINDOW,
) -> float:
    """Share of legitimate first attempts reaching the new region ``after_s`` after the flip.

    Measured over the window ``[flip + after, flip + after + bucket)``: how much of
    the traffic had followed the DNS change by then (Flavel et al. 2014 report 90 %
    within 60 s for a 20 s TTL). Retries are left out: they repeat attempts that
    hit the old region with the same cached answer. NaN without a flip, past
    ``end_s`` or with fewer than ``min_attempts`` first attempts in the window.
    """
    start = flip_s + after_s
    if not is_number(flip_s) or new_region is None or not start + bucket_s <= end_s:
        return NAN
    t = requests["time_s"].to_numpy(dtype=np.float64)
    rows = legit_mask(requests) & (t >= start) & (t < start + bucket_s)
    if "attempt" in requests:
        rows &= requests["attempt"].to_numpy() == 0
    total = int(rows.sum())
    if total == 0 or total < min_attempts:
        return NAN
    reached = (requests["region"] == new_region).to_numpy(dtype=bool)[rows]
    return float(reached.sum()) / total


def dns_end(facts: RunFacts, end_s: float | None = None) -> float:
    """End of the DNS observation: the fault's end, or ``end_s`` when the flip came after it."""
    horizon = facts.duration_s if end_s is None else end_s
    end = facts.fault_end_s
    if not (is_number(end) and is_number(facts.dns_flip_s) and end > facts.dns_flip_s):
        return horizon
    return min(end, horizon)


def recovery_metrics(
    requests: pd.DataFrame,
    facts: RunFacts,
    rto_threshold: float,
    dns_converged: float,
    levels: tuple[float, ...] | list[float] = (),
    min_attempts: int = MIN_ATTEMPTS_PER_WINDOW,
    end_s: float | None = None,
    baseline_before_s: float | None = None,
) -> dict[str, float]:
    """RTO, the recovery curve and the parts of one incident.

    Args:
        requests: the ``requests`` table.
        facts: the incident's timeline (``fault_start_s`` is its anchor).
        rto_threshold: ``run.rto_threshold`` (fraction of the baseline).
        dns_converged: ``run.dns_converged`` (fraction of traffic).
        levels: ``run.rto_levels`` (fractions of the baseline).
        min_attempts: ``run.min_attempts_per_window``.
        end_s: end of the observation (s; default the run end).
        baseline_before_s: end of the pre-fault baseline (s; default the anchor).

    Returns:
        ``rto_s`` and ``rto_recovered`` (see :func:`rto_curve`) at the threshold;
        ``rto_<level>_s`` and ``rto_<level>_recovered`` per level;
        ``detection_s`` = detection − fault start; ``decision_s`` = promotion
        start − detection; ``promotion_s`` = writable − promotion start;
        ``dns_convergence_s`` and ``dns_converged`` (see
        :func:`dns_convergence_state`, observed until the fault ends, or the
        observation ends when the flip came after the fault), and
        ``dns_share_moved_60s`` (:func:`dns_share_moved` 60 s after the flip).
        Each part is NaN when one of its two instants did not happen.
    """
    horizon = facts.duration_s if end_s is None else end_s
    curve = rto_curve(requests, facts.fault_start_s, horizon, [rto_threshold, *levels],
                      min_attempts, baseline_before_s)
    out = {"rto_s": curve[rto_threshold][0], "rto_recovered": curve[rto_threshold][1]}
    for level in levels:
        out[f"rto_{level_label(level)}_s"], out[f"rto_{level_label(level)}_recovered"] = curve[
            level
        ]
    end = dns_end(facts, horizon)
    convergence, converged = dns_convergence_state(
        requests, facts.dns_flip_s, facts.dns_flip_region, end, dns_converged, min_attempts
    )
    out.update({
        "detection_s": facts.detection_s - facts.fault_start_s,
        "decision_s": facts.promotion_start_s - facts.detection_s,
        "promotion_s": facts.writable_s - facts.promotion_start_s,
        "dns_convergence_s": convergence,
        "dns_converged": converged,
        "dns_share_moved_60s": dns_share_moved(
            requests, facts.dns_flip_s, facts.dns_flip_region, 60.0, end,
            min_attempts=min_attempts,
        ),
    })
    return out
