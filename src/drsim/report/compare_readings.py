"""Comparison readings: one sentence per design, its paired differences against the
baseline on the key metrics (``compare.json``'s ``differences``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drsim.report.formatting import DASH, fmt_ci, fmt_signed, humanize, metric_kind, number

Metrics = Mapping[str, Mapping[str, Any]]

COMPARE_METRICS: tuple[str, ...] = (
    "failed_logins",
    "rto_s",
    "lockout_extra_guesses",
    "rpo_lost_writes",
    "stale_reads",
    "cost_per_month_usd",
)
"""Metrics named in a comparison's one-line readings."""

COMPARE_WORDS = {
    "failed_logins": "failed sign-ins",
    "rto_s": "RTO",
    "lockout_extra_guesses": "extra guesses",
    "rpo_lost_writes": "writes at risk",
    "stale_reads": "stale reads",
    "cost_per_month_usd": "cost per month",
}


def difference_text(entry: Mapping[str, Any] | None, metric: str) -> str:
    """``−2,310 failed sign-ins (95 % CI −2,500 to −2,100)``; ``(not significant)`` when the
    paired interval contains zero."""
    if not entry or number(entry.get("mean")) is None:
        return f"{COMPARE_WORDS.get(metric, humanize(metric))} {DASH}"
    kind = metric_kind(metric)
    text = f"{COMPARE_WORDS.get(metric, humanize(metric))} {fmt_signed(entry['mean'], kind)}"
    ci = fmt_ci(entry, kind, signed=True)
    if ci:
        text += f" ({ci})"
    if entry.get("significant") is False and number(entry.get("mean")):
        text += " (not significant)"
    return text


def compare_readings(designs: Sequence[str], baseline: str,
                     differences: Mapping[str, Metrics],
                     metrics: Sequence[str] = COMPARE_METRICS) -> list[str]:
    """One sentence per design after the baseline: its paired differences on the key metrics.

    Args:
        designs: Design names, baseline first.
        baseline: The baseline's name.
        differences: Per design, its paired differences (``compare.json``'s
            ``differences[i]["metrics"]``).
        metrics: Metrics to mention (those present).

    Returns:
        ``"fast-health-check vs cognito-active-passive: failed sign-ins −2,310 (…); …"``.
    """
    out = []
    for design in designs:
        if design == baseline:
            continue
        diffs = differences.get(design) or {}
        parts = [difference_text(diffs.get(name), name) for name in metrics if name in diffs]
        if parts:
            out.append(f"{design} against {baseline}: " + "; ".join(parts) + ".")
    return out
