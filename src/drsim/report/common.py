"""Pieces every kind of report shares: the metric list of a review, estimate tables, targets.

A *review metric* is one a DR review looks at first (failed sign-ins, RTO,
RPO, staleness, lockout bypass, cost …); tables of runs, designs and sweep
points show these, in this order, and the appendix lists every metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from drsim.report.document import Paragraph, Section, Table
from drsim.report.formatting import fmt_estimate, fmt_value, metric_kind
from drsim.report.targets import Target, describe

REVIEW_METRICS: tuple[tuple[str, str], ...] = (
    ("failed_logins", "failed sign-ins"),
    ("failed_login_users", "users with a failed sign-in"),
    ("failed_operations", "failed other operations"),
    ("availability", "sign-in availability"),
    ("rto_s", "RTO"),
    ("detection_s", "  detection"),
    ("decision_s", "  decision"),
    ("promotion_s", "  promotion"),
    ("dns_convergence_s", "  DNS convergence"),
    ("rpo_lost_writes", "RPO: writes at risk"),
    ("stale_reads", "stale profile reads"),
    ("staleness_p99_s", "staleness p99"),
    ("lockout_extra_guesses", "extra attacker guesses"),
    ("lockout_bypass_max_s", "longest lockout bypass window"),
    ("accounts_compromised", "accounts compromised beyond a shared counter"),
    ("accounts_compromised_total", "accounts compromised (total)"),
    ("sessions_disrupted", "sessions disrupted"),
    ("cost_per_month_usd", "cost per month"),
)
"""(metric, label) pairs shown in the tables of a review, in order."""

CI_NOTE = ("Means over replications with 95 % confidence intervals (“95 % CI lo–hi”) that "
           "respect each metric: counts never below 0, shares within 0–100 %, durations "
           "skewed (docs/model.md, Intervals); counts are per run of the scenario. "
           "Every metric's meaning: docs/metrics.md.")


def review_metrics(available: Iterable[str]) -> list[tuple[str, str]]:
    """The review metrics present in ``available``."""
    have = set(available)
    return [(m, label) for m, label in REVIEW_METRICS if m in have]


def all_metrics_table(metrics: Mapping[str, Mapping[str, Any]], caption: str) -> Table:
    """Every metric with its mean and 95 % CI (the appendix)."""
    rows = []
    for name in sorted(metrics):
        entry = metrics[name]
        kind = metric_kind(name)
        lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
        rows.append([name, fmt_value(entry.get("mean"), kind), fmt_value(lo, kind),
                     fmt_value(hi, kind)])
    return Table(["metric", "mean", "95 % CI low", "95 % CI high"], rows, caption,
                 numeric=frozenset({1, 2, 3}))


def targets_section(targets: Sequence[Target], settings: Sequence[tuple[str, Mapping[str, Any]]],
                    what: str) -> Section:
    """A table of settings × targets: each target's estimate and whether it is met.

    Args:
        targets: The parsed targets.
        settings: ``(name, {metric: estimate})`` per setting (the run, each design …).
        what: What a setting is, for the text (``design``, ``run``).
    """
    from drsim.report.targets import evaluate

    header = [what] + [str(t) for t in targets] + ["meets (mean)", "meets (95 % CI)"]
    rows = []
    met_mean = met_ci = 0
    for name, estimates in settings:
        cells = [name]
        for t in targets:
            cells.append(fmt_estimate(estimates.get(t.metric), metric_kind(t.metric)))
        a, b = evaluate(targets, estimates)
        met_mean += a
        met_ci += b
        cells += ["yes" if a else "no", "yes" if b else "no"]
        rows.append(cells)
    summary = (f"Target: {describe(targets)}. {met_mean} of {len(settings)} {what}"
               f"{'s' if len(settings) != 1 else ''} meet it on the mean, {met_ci} with 95 % "
               "confidence (the whole confidence interval on the right side).")
    return Section("Target", [Paragraph(summary, "lead"), Table(header, rows)])
