"""Evidence rules: when a window of traffic is judged, and when a level counts as reached.

A *window* (a minute for RTO, 10 s for DNS convergence) is judged only when it
holds at least ``run.min_attempts_per_window`` legitimate attempts
(:data:`MIN_ATTEMPTS_PER_WINDOW` by default); a window with fewer is
*unknown* — never "good", never "bad". A judged window is *good* when its
share reaches the target and *bad* otherwise. The comparison is exact integer
arithmetic on counts (``hits · d ≥ n · total`` for a target share ``n/d``), so
99 of 100 reaches 99 % without any rounding tolerance.

Recovery needs evidence: a level is reached at the start of the first *good*
window after the last *bad* one (or after the origin when none is bad); when
no good window follows the last bad one the value is censored at the horizon
and not recovered; with no judged window at all it is unknown (NaN).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from drsim.metrics._common import NAN

MIN_ATTEMPTS_PER_WINDOW = 10
"""Default of ``run.min_attempts_per_window``: fewer attempts make a window unknown."""

GOOD, UNKNOWN, BAD = 1, 0, -1
"""Window states."""

_MAX_DENOMINATOR = 1_000_000


def as_fraction(share: float) -> Fraction:
    """A share written as a percentage (e.g. 0.99) as the exact fraction it stands for (99/100)."""
    return Fraction(share).limit_denominator(_MAX_DENOMINATOR)


def level_label(level: float) -> str:
    """The percentage of a level for metric names: 0.5 → ``"50"``, 0.999 → ``"99_9"``."""
    percent = as_fraction(level) * 100
    if percent.denominator == 1:
        return str(percent.numerator)
    return f"{float(percent):g}".replace(".", "_")


def judge_windows(
    hits: np.ndarray, totals: np.ndarray, target: Fraction, min_attempts: int
) -> np.ndarray:
    """State of each window: GOOD, BAD or UNKNOWN.

    Args:
        hits: per window, the attempts that count towards the target (e.g. ``ok``).
        totals: per window, all attempts.
        target: the share to reach, exact (e.g. ``Fraction(99, 100) * baseline``).
        min_attempts: windows with fewer attempts are UNKNOWN.

    Returns:
        An int8 array of window states.
    """
    states = np.full(len(totals), UNKNOWN, dtype=np.int8)
    for j, (hit, total) in enumerate(zip(hits.tolist(), totals.tolist(), strict=True)):
        if total < min_attempts or total == 0:
            continue
        reached = int(hit) * target.denominator >= target.numerator * int(total)
        states[j] = GOOD if reached else BAD
    return states


def recovery_time(states: np.ndarray, window_s: float, horizon_s: float) -> tuple[float, float]:
    """When judged windows show the level reached for good.

    Args:
        states: window states from :func:`judge_windows`, window j covering
            ``[j·window_s, (j+1)·window_s)`` from the origin.
        window_s: window length (s).
        horizon_s: end of the observation, from the origin (s).

    Returns:
        ``(seconds, recovered)``: the start of the first good window after the
        last bad one and 1.0; ``(horizon_s, 0.0)`` when no good window follows
        the last bad one (censored); ``(NaN, NaN)`` with no judged window.
    """
    judged = np.flatnonzero(states != UNKNOWN)
    if judged.size == 0:
        return NAN, NAN
    bad = np.flatnonzero(states == BAD)
    after = int(bad[-1]) + 1 if bad.size else 0
    good = np.flatnonzero(states[after:] == GOOD)
    if good.size == 0:
        return float(horizon_s), 0.0
    return min((after + int(good[0])) * window_s, float(horizon_s)), 1.0
