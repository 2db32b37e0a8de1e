"""RTO and its parts: how long the incident lasted for users, and where the time went (MODEL.md 8).

**RTO** runs from the first fault's start until the per-minute success rate of
legitimate sign-ins is back to ≥ ``run.rto_threshold`` × its pre-fault
baseline and stays there for the rest of the run. Its parts come from the
incident timeline (:mod:`drsim.metrics.facts`): detection (fault → unhealthy
verdict), decision (verdict → promotion starts), promotion (promotion starts →
writable) and DNS convergence (DNS flip → ≥ ``run.dns_converged`` of
legitimate traffic reaches the new region, and stays so while the fault lasts).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, is_number, legit_mask, legit_sign_in_mask, ok_mask
from drsim.metrics.facts import RunFacts

RTO_BUCKET_S = 60.0
DNS_BUCKET_S = 10.0
_TOLERANCE = 1.0 - 1e-9  # a rate equal to its target up to rounding counts as reached


def _last_recovery(
    bad: np.ndarray, n_buckets: int, bucket_s: float, horizon_s: float
) -> tuple[float, bool]:
    """Time from the sweep origin until no later bucket is bad; (value, recovered)."""
    bad_idx = np.flatnonzero(bad)
    if bad_idx.size == 0:
        return 0.0, True
    last = int(bad_idx[-1])
    if last >= n_buckets - 1:
        return float(horizon_s), False
    return min((last + 1) * bucket_s, float(horizon_s)), True


def rto(
    requests: pd.DataFrame,
    fault_start_s: float,
    duration_s: float,
    threshold: float,
    bucket_s: float = RTO_BUCKET_S,
) -> tuple[float, float]:
    """Recovery time of legitimate sign-ins after the fault start.

    The baseline is the pooled success rate of legitimate sign-ins before the
    fault (1.0 when there was none, i.e. the fault starts at t = 0). Buckets are
    ``bucket_s`` long and aligned on the fault start: bucket j is
    ``[fault + j·bucket, fault + (j+1)·bucket)``; the last one may be cut short by
    the end of the run. A bucket is *bad* when it has sign-ins and its success
    rate is below ``threshold × baseline``; empty buckets are neither. RTO is the
    end of the last bad bucket (measured from the fault start), so its resolution
    is ``bucket_s`` and it is rounded up; 0 when no bucket is bad.

    Args:
        requests: the ``requests`` table.
        fault_start_s: start of the first fault (s); NaN without fault.
        duration_s: run duration (s).
        threshold: share of the baseline that counts as recovered (e.g. 0.99).
        bucket_s: bucket length (s).

    Returns:
        ``(rto_s, recovered)``: ``rto_s`` is NaN without a fault, and
        ``duration − fault_start`` (censored at the run end) when the last bucket
        is still bad, in which case ``recovered`` is 0.0 (else 1.0; NaN without a
        fault).
    """
    if not is_number(fault_start_s) or fault_start_s >= duration_s:
        return NAN, NAN
    sign_in = legit_sign_in_mask(requests)
    t = requests["time_s"].to_numpy(dtype=np.float64)[sign_in]
    ok = ok_mask(requests)[sign_in]
    pre = t < fault_start_s
    baseline = float(ok[pre].mean()) if pre.any() else 1.0
    horizon = duration_s - fault_start_s
    n_buckets = max(1, math.ceil(horizon / bucket_s))
    post = (t >= fault_start_s) & (t < duration_s)
    b = ((t[post] - fault_start_s) // bucket_s).astype(np.int64)
    total = np.bincount(b, minlength=n_buckets)
    good = np.bincount(b, weights=ok[post].astype(np.float64), minlength=n_buckets)
    bad = (total > 0) & (good < _TOLERANCE * threshold * baseline * total)
    value, recovered = _last_recovery(bad, n_buckets, bucket_s, horizon)
    return value, 1.0 if recovered else 0.0


def dns_convergence(
    requests: pd.DataFrame,
    flip_s: float,
    new_region: str | None,
    end_s: float,
    share: float,
    bucket_s: float = DNS_BUCKET_S,
) -> float:
    """Time from the DNS flip until ≥ ``share`` of legitimate requests reach the new region.

    Legitimate requests of every operation in ``[flip, end)`` are bucketed by
    ``bucket_s`` from the flip; the denominator includes requests that reached
    no region. A bucket is *bad* when it has requests and fewer than ``share``
    of them reached ``new_region``. Convergence is the end of the last bad
    bucket (0 when none is bad); when the last bucket is still bad the value is
    censored at ``end − flip``.

    Args:
        requests: the ``requests`` table.
        flip_s: when the failover record started answering the new region (s).
        new_region: the region it answers.
        end_s: end of the observation (the fault's end; traffic may move back after).
        share: the converged share (e.g. 0.99).
        bucket_s: bucket length (s).

    Returns:
        Seconds; NaN when there was no flip or the window is empty.
    """
    if not is_number(flip_s) or new_region is None or not end_s > flip_s:
        return NAN
    rows = legit_mask(requests)
    t = requests["time_s"].to_numpy(dtype=np.float64)
    rows &= (t >= flip_s) & (t < end_s)
    t = t[rows]
    reached = (requests["region"] == new_region).to_numpy(dtype=bool)[rows]
    horizon = end_s - flip_s
    n_buckets = max(1, math.ceil(horizon / bucket_s))
    b = ((t - flip_s) // bucket_s).astype(np.int64)
    total = np.bincount(b, minlength=n_buckets)
    hit = np.bincount(b, weights=reached.astype(np.float64), minlength=n_buckets)
    bad = (total > 0) & (hit < _TOLERANCE * share * total)
    value, _ = _last_recovery(bad, n_buckets, bucket_s, horizon)
    return value


def dns_share_moved(
    requests: pd.DataFrame,
    flip_s: float,
    new_region: str | None,
    after_s: float,
    end_s: float,
    bucket_s: float = DNS_BUCKET_S,
) -> float:
    """Share of legitimate first attempts reaching the new region ``after_s`` after the flip.

    Measured over the bucket ``[flip + after, flip + after + bucket)``: how much of
    the traffic had followed the DNS change by then (Flavel et al. 2014 report 90 %
    within 60 s for a 20 s TTL). Retries are left out: they repeat attempts that
    hit the old region with the same cached answer. NaN without a flip, past
    ``end_s`` or with no request.
    """
    start = flip_s + after_s
    if not is_number(flip_s) or new_region is None or not start + bucket_s <= end_s:
        return NAN
    t = requests["time_s"].to_numpy(dtype=np.float64)
    rows = legit_mask(requests) & (t >= start) & (t < start + bucket_s)
    if "attempt" in requests:
        rows &= requests["attempt"].to_numpy() == 0
    total = int(rows.sum())
    if total == 0:
        return NAN
    reached = (requests["region"] == new_region).to_numpy(dtype=bool)[rows]
    return float(reached.sum()) / total


def recovery_metrics(
    requests: pd.DataFrame,
    facts: RunFacts,
    rto_threshold: float,
    dns_converged: float,
) -> dict[str, float]:
    """RTO and its parts.

    Args:
        requests: the ``requests`` table.
        facts: the run's incident timeline.
        rto_threshold: ``run.rto_threshold`` (fraction of the baseline).
        dns_converged: ``run.dns_converged`` (fraction of traffic).

    Returns:
        ``rto_s`` and ``rto_recovered`` (see :func:`rto`); ``detection_s`` =
        detection − fault start; ``decision_s`` = promotion start − detection;
        ``promotion_s`` = writable − promotion start; ``dns_convergence_s`` (see
        :func:`dns_convergence`, observed until the fault ends, or the run ends
        when the flip came after the fault) with ``dns_converged`` (1 when the
        share was reached and held before that end, 0 when the value is censored:
        clients that never re-resolve can keep a mix below 99 % for good), and
        ``dns_share_moved_60s`` (:func:`dns_share_moved` 60 s after the flip).
        Each part is NaN when one of its two instants did not happen.
    """
    rto_s, recovered = rto(requests, facts.fault_start_s, facts.duration_s, rto_threshold)
    end = facts.fault_end_s
    if not (is_number(end) and is_number(facts.dns_flip_s) and end > facts.dns_flip_s):
        end = facts.duration_s
    convergence = dns_convergence(
        requests, facts.dns_flip_s, facts.dns_flip_region, end, dns_converged
    )
    if is_number(convergence):
        converged = 1.0 if convergence < end - facts.dns_flip_s else 0.0
    else:
        converged = NAN
    return {
        "rto_s": rto_s,
        "rto_recovered": recovered,
        "detection_s": facts.detection_s - facts.fault_start_s,
        "decision_s": facts.promotion_start_s - facts.detection_s,
        "promotion_s": facts.writable_s - facts.promotion_start_s,
        "dns_convergence_s": convergence,
        "dns_converged": converged,
        "dns_share_moved_60s": dns_share_moved(
            requests, facts.dns_flip_s, facts.dns_flip_region, 60.0, end
        ),
    }
