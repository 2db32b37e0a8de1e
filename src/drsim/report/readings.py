"""Readings: each headline metric of a DR run as one sentence a reviewer can repeat.

"26,903 sign-ins failed (95 % CI 26,100–27,700), 64 % while DNS still
pointed at the failed region us-east-1" — the number, its confidence interval
and what it means, written from the summary's estimates and, when the record
tables were kept, from the requests themselves (which failures happened
before the DNS record flipped and which came from clients' cached answers).

:func:`run_readings` covers one run, :func:`compare_readings` the paired
differences of a comparison. Readings never raise on missing metrics: an
absent metric simply has no reading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from drsim.metrics.staleness import STALE_CAUSES, staleness_origin_words
from drsim.report.formatting import (
    fmt_ci,
    fmt_seconds,
    fmt_share,
    fmt_value,
    humanize,
    metric_kind,
    number,
)
from drsim.scenario.schema import GrayFailure, RegionOutage, Scenario

Metrics = Mapping[str, Mapping[str, Any]]

HEADLINE_LABELS: dict[str, str] = {
    "failed_logins": "Failed sign-ins",
    "failed_login_users": "Users with a failed sign-in",
    "failed_operations": "Failed other operations",
    "availability": "Sign-in availability",
    "rto_s": "RTO",
    "rpo_lost_writes": "RPO: writes at risk at promotion",
    "stale_reads": "Stale profile reads",
    "users_failed_share": "Users who could not complete a request",
    "lockout_extra_guesses": "Extra attacker guesses",
    "stale_credential_signins": "Sign-ins with a superseded password",
    "sessions_disrupted": "Sessions disrupted",
    "cost_per_month_usd": "Cost per month",
    "overload_sustained_s": "Overload after its trigger",
    "split_brain_s": "Split brain: two regions taking writes",
    "corruption_exposure_s": "Corrupt data served",
}
"""The run report's headline metrics, in order, with their labels."""

OPERATION_WORDS = {
    "refresh": "token refreshes",
    "sign_up": "sign-ups",
    "profile_update": "profile updates",
    "password_change": "password changes",
    "sign_out": "sign-outs",
}


@dataclass(frozen=True)
class Reading:
    """One headline metric: label, mean, confidence interval and the sentence that reads it."""

    metric: str
    label: str
    value: str
    ci: str
    text: str


@dataclass(frozen=True)
class SignInShares:
    """Where the failed sign-ins of a run went, pooled over the replications with records.

    Attributes:
        failed: Failed legitimate sign-in attempts.
        to_failed_region: Of them, attempts sent to the failed region (their DNS
            answer named it).
        before_flip: Of those, attempts made before the DNS record flipped
            (all of them when it never flipped).
        cached: Of those, attempts after the flip: clients whose cached answer
            still named the failed region.
        failed_region: The region the first fault hit.
        flipped: Whether the DNS record flipped in every replication counted.
        replications: Replications counted.
    """

    failed: int
    to_failed_region: int
    before_flip: int
    cached: int
    failed_region: str
    flipped: bool
    replications: int


def failed_region(scenario: Scenario | None) -> str | None:
    """The region the first region-level fault (outage or gray failure) hits, if any."""
    if scenario is None:
        return None
    for fault in sorted(scenario.faults, key=lambda f: f.start):
        if isinstance(fault, RegionOutage | GrayFailure):
            return fault.region
    return None


def sign_in_shares(source: Any) -> SignInShares | None:
    """Failed sign-ins by where DNS sent them, from a run directory's records.

    Args:
        source: A :class:`~drsim.report.sources.RunSource` with records kept.

    Returns:
        The pooled counts, or None without records or without a region fault.
    """
    region = failed_region(source.scenario)
    reps = source.kept_replications
    if region is None or not reps:
        return None
    totals = np.zeros(4, dtype=np.int64)
    flipped = True
    for rep in reps:
        meta = source.meta.get(rep, {})
        start = number(meta.get("fault_start_s"))
        flip = number(meta.get("dns_flip_s"))
        if start is None:
            continue
        req = source.read_table("requests", rep, ["time_s", "op", "attacker", "region", "outcome"])
        sign_in = req["op"].isin(["sign_in", "federated_sign_in"]).to_numpy(dtype=bool)
        failed = sign_in & ~req["attacker"].to_numpy(dtype=bool) & (
            req["outcome"].astype(str).to_numpy() != "ok"
        )
        there = failed & (req["region"].astype(str).to_numpy() == region)
        t = req["time_s"].to_numpy(dtype=float)
        if flip is None:
            flipped = False
            before = there
        else:
            before = there & (t < flip)
        totals += [failed.sum(), there.sum(), before.sum(), (there & ~before).sum()]
    return SignInShares(int(totals[0]), int(totals[1]), int(totals[2]), int(totals[3]), region,
                        flipped, len(reps))


# --------------------------------------------------------------------------- helpers


def _mean(metrics: Metrics, name: str) -> float | None:
    entry = metrics.get(name)
    return number(entry.get("mean")) if entry else None


def _fmt(metrics: Metrics, name: str, kind: str | None = None) -> str:
    return fmt_value(_mean(metrics, name), kind or metric_kind(name))


def _top(metrics: Metrics, prefix: str) -> list[tuple[str, float]]:
    """``prefix.<key>`` entries with a positive mean, largest first."""
    items = [(name[len(prefix) + 1:], _mean(metrics, name) or 0.0)
             for name in metrics if name.startswith(prefix + ".") and name.count(".") == 1]
    return sorted(((k, v) for k, v in items if v > 0), key=lambda kv: (-kv[1], kv[0]))


def _reading(metrics: Metrics, name: str, text: str, label: str | None = None) -> Reading:
    kind = metric_kind(name)
    entry = metrics.get(name) or {}
    return Reading(name, label or HEADLINE_LABELS.get(name, humanize(name)),
                   fmt_value(entry.get("mean"), kind), fmt_ci(entry, kind), text)


def _with_ci(metrics: Metrics, name: str, what: str) -> str:
    kind = metric_kind(name)
    entry = metrics.get(name) or {}
    ci = fmt_ci(entry, kind)
    return f"{fmt_value(entry.get('mean'), kind)} {what}" + (f" ({ci})" if ci else "")


# --------------------------------------------------------------------------- one run


def failed_logins_text(metrics: Metrics, shares: SignInShares | None,
                       region: str | None) -> str:
    """The failed sign-in reading, with the share DNS sent to the failed region."""
    text = _with_ci(metrics, "failed_logins", "sign-ins failed")
    total = _mean(metrics, "failed_logins") or 0.0
    if shares is not None and shares.failed:
        share = fmt_share(shares.to_failed_region, shares.failed)
        text += f", {share} while DNS still pointed at the failed region {shares.failed_region}"
        if shares.flipped and shares.to_failed_region:
            text += (f" ({fmt_share(shares.before_flip, shares.failed)} before the record "
                     f"flipped, {fmt_share(shares.cached, shares.failed)} from answers cached "
                     "after it)")
        elif not shares.flipped:
            text += " (the record never flipped)"
    elif region and total:
        there = _mean(metrics, f"failed_logins_by_region.{region}")
        if there is not None:
            text += f", {fmt_share(there, total)} of them sent to the failed region {region}"
    causes = _top(metrics, "failed_logins")
    if causes and total:
        cause, n = causes[0]
        text += f"; main cause {humanize(cause)} ({fmt_share(n, total)})"
    return text + "."


def _failed_users_text(m: Metrics) -> str:
    text = _with_ci(m, "failed_login_users", "users failed at least one sign-in")
    never = _mean(m, "users_locked_out_of_fault")
    if never is not None:
        text += f"; {fmt_value(never, 'count')} of them never got in during the fault"
    return text + "."


def _failed_operations_text(m: Metrics) -> str:
    text = _with_ci(m, "failed_operations", "other operations failed")
    total = _mean(m, "failed_operations") or 0.0
    ops = _top(m, "failed_operations")
    causes = _top(m, "failed_operations_by_cause")
    if ops and total:
        text += f", {fmt_share(ops[0][1], total)} of them {OPERATION_WORDS.get(ops[0][0], humanize(ops[0][0]))}"
    if causes and total:
        text += f"; main cause {humanize(causes[0][0])} ({fmt_share(causes[0][1], total)})"
    return text + "."


def _availability_text(m: Metrics) -> str:
    text = f"{_fmt(m, 'availability')} of sign-in attempts succeeded over the run"
    during = _mean(m, "availability_during_fault")
    if during is not None:
        text += f", {fmt_value(during, 'pct')} during the fault"
    return text + "."


def _stale_reads_text(m: Metrics) -> str:
    origin = " " + staleness_origin_words({name: _mean(m, name) for name in (
        "stale_reads", *(f"stale_reads.{cause}" for cause in STALE_CAUSES))})
    if not (_mean(m, "stale_reads") or 0.0):
        return ("No profile read returned an older version than the newest acknowledged."
                + _read_your_writes_text(m))
    causes = []
    for cause, n in _top(m, "stale_reads"):
        ages = [f"{q} {_fmt(m, f'staleness_{q}_s.{cause}')}" for q in ("p50", "p90", "p99")
                if _mean(m, f"staleness_{q}_s.{cause}") is not None]
        causes.append(f"{humanize(cause)} {fmt_value(n, 'count')}"
                      + (f" ({', '.join(ages)})" if ages else ""))
    return (_with_ci(m, "stale_reads", "profile reads served an older version")
            + f" ({_fmt(m, 'stale_read_fraction', 'pct')} of reads); staleness p50 "
            f"{_fmt(m, 'staleness_p50_s')}, p99 {_fmt(m, 'staleness_p99_s')}, "
            f"max {_fmt(m, 'staleness_max_s')}"
            + (f". By cause: {'; '.join(causes)}" if causes else "") + "." + origin
            + _read_your_writes_text(m))


def _read_your_writes_text(m: Metrics) -> str:
    """`` 3 of 40 reads right after the user's own update (7.5 %) missed it.``"""
    backs = _mean(m, "read_your_writes_read_backs")
    if not backs:
        return ""
    return (f" {_fmt(m, 'read_your_writes_violations')} of {fmt_value(backs, 'count')} reads "
            f"right after the user's own update ({_fmt(m, 'read_your_writes_violation_share')}) "
            "missed it.")


def _users_failed_text(m: Metrics) -> str:
    """The share of active users who could not complete a request, the hardest-hit
    populations and each home region."""
    text = (_with_ci(m, "users_failed_share", "of active users could not complete what they "
                     "came to do") + " (a request whose last attempt failed, from the fault "
            "to the end of the run)")
    home = "users_failed_share.home."
    groups = [(name[len("users_failed_share."):], _mean(m, name)) for name in m
              if name.startswith("users_failed_share.") and not name.startswith(home)]
    worst = sorted(((k, v) for k, v in groups if v), key=lambda kv: (-kv[1], kv[0]))[:3]
    if worst:
        text += "; hardest hit: " + ", ".join(f"{k} {fmt_value(v, 'pct')}" for k, v in worst)
    homes = [(name[len(home):], _mean(m, name)) for name in m if name.startswith(home)]
    if len(homes) > 1:
        text += "; by home region: " + ", ".join(f"{k} {fmt_value(v, 'pct')}"
                                                 for k, v in homes if v is not None)
    return text + "."


EXPOSURE = (("stale_credential_signins", "sign-ins with a superseded password"),
            ("revoked_token_accepts", "revoked refresh tokens accepted"),
            ("disabled_user_signins", "sign-ins of disabled users"))
"""Exposure metrics read together in one sentence, and their words."""


def _exposure_text(m: Metrics) -> str:
    text = "; ".join(f"{_fmt(m, name)} {words}" for name, words in EXPOSURE if name in m)
    longest = _mean(m, "exposure_credential_max_s")
    if longest:
        text += f"; a password change took up to {fmt_seconds(longest)} to reach every region"
    return text[0].upper() + text[1:] + "."


def _cost_text(m: Metrics) -> str:
    parts = [f"replication {_fmt(m, 'cost_replication_per_month_usd')}",
             f"baseline {_fmt(m, 'cost_baseline_per_month_usd')}"]
    if _mean(m, "cost_m2m_per_month_usd"):
        parts.append(f"machine-to-machine tokens {_fmt(m, 'cost_m2m_per_month_usd')}")
    return (f"{_fmt(m, 'cost_per_month_usd')} per month for "
            f"{_fmt(m, 'monthly_active_users')} monthly active users: " + ", ".join(parts) + ".")


def run_readings(metrics: Metrics, scenario: Scenario | None = None,
                 shares: SignInShares | None = None) -> list[Reading]:
    """The headline readings of a run.

    Args:
        metrics: ``summary["metrics"]`` (mean, ci95, per_replication per metric).
        scenario: The scenario as run (names the failed region).
        shares: Failed sign-ins by where DNS sent them (:func:`sign_in_shares`).

    Returns:
        One :class:`Reading` per headline metric present, in report order.
    """
    m = metrics
    texts: list[tuple[str, Callable[[], str]]] = [  # (metric, its sentence), in report order
        ("failed_logins", lambda: failed_logins_text(m, shares, failed_region(scenario))),
        ("failed_login_users", lambda: _failed_users_text(m)),
        ("failed_operations", lambda: _failed_operations_text(m)),
        ("availability", lambda: _availability_text(m)),
        ("rto_s", lambda: rto_text(m, scenario)),
        ("rpo_lost_writes", lambda: rpo_text(m)),
        ("stale_reads", lambda: _stale_reads_text(m)),
        ("users_failed_share", lambda: _users_failed_text(m)),
        ("lockout_extra_guesses", lambda: lockout_text(m, scenario)),
    ]
    out = [_reading(m, name, text()) for name, text in texts if name in m]
    if any(name in m for name, _ in EXPOSURE):
        out.append(_reading(m, "stale_credential_signins", _exposure_text(m)))
    if "sessions_disrupted" in m:
        out.append(_reading(m, "sessions_disrupted", _with_ci(
            m, "sessions_disrupted",
            "users holding a valid session were forced to sign in again") + "."))
    if "cost_per_month_usd" in m:
        out.append(_reading(m, "cost_per_month_usd", _cost_text(m)))
    if _mean(m, "overload_sustained_s") is not None:
        out.append(_reading(m, "overload_sustained_s", overload_text(m)))
    out += [_reading(m, name, dependency_text(m, name[len("dependency_failures."):]),
                     f"Refused by {name[len('dependency_failures.'):]}")
            for name in m if name.startswith("dependency_failures.")]
    if "failover_blocked_s" in m:
        out.append(_reading(m, "failover_blocked_s", failover_blocked_text(m),
                            "Failover waiting for its control plane"))
    if _mean(m, "split_brain_s") is not None:
        out.append(_reading(m, "split_brain_s", split_brain_text(m)))
    if (_mean(m, BREAKER_METRIC) or 0.0) > 0:
        out.append(_reading(m, BREAKER_METRIC, breaker_text(m), "Failed fast by breakers"))
    if "corruption_exposure_s" in m:
        out.append(_reading(m, "corruption_exposure_s", corruption_text(m)))
    return out


def dependency_text(m: Metrics, name: str) -> str:
    """What one dependency (a sender, a trigger) refused, in words."""
    refused = _mean(m, f"dependency_failures.{name}") or 0.0
    if not refused:
        return f"The dependency {name} refused no request: it was up and within its capacity."
    return (f"{_with_ci(m, f'dependency_failures.{name}', 'attempts')} failed because they "
            f"needed {name} while it was down (its host region out — a failover does not move "
            "it — or its own fault) or over its capacity.")


def failover_blocked_text(m: Metrics) -> str:
    """How long the failover waited for its control plane, in words."""
    if not _mean(m, "failover_blocked_s"):
        return "The failover never waited for its control plane (it was up when needed)."
    return (f"The failover waited {_with_ci(m, 'failover_blocked_s', 'for its control plane')}"
            " before the runbook (or promotion) could run: a control plane in the failed "
            "region keeps the recovery path shut until the region — or a break-glass path "
            "— opens it.")


def split_brain_text(m: Metrics) -> str:
    """The split brain in words: how long two regions took writes, how many writes then,
    and what reconciliation kept and lost."""
    split = _mean(m, "split_brain_s") or 0.0
    if split == 0:
        return "No two regions ever took writes at once (no split brain)."
    writes = _mean(m, "split_writes") or 0.0
    text = (f"Two regions took writes for {_with_ci(m, 'split_brain_s', 'in all')}; "
            f"{writes:,.0f} writes were acknowledged meanwhile")
    conflicting = _mean(m, "conflicting_writes") or 0.0
    if conflicting == 0:
        return text + ", none of a password or profile written on both sides."
    users = _mean(m, "conflicting_users") or 0.0
    kept = _mean(m, "reconciled_writes_kept") or 0.0
    lost = _mean(m, "reconciled_writes_lost") or 0.0
    return (text + f"; {conflicting:,.0f} of them conflicting ({users:,.0f} users wrote the "
            f"same password or profile on both sides): reconciliation kept {kept:,.0f} and "
            f"lost {lost:,.0f}.")


BREAKER_METRIC = "failed_operations_by_cause.circuit_open"


def breaker_text(m: Metrics) -> str:
    """Client circuit breakers in words: the attempts they failed fast."""
    return (_with_ci(m, BREAKER_METRIC, "attempts failed fast in the clients while their "
                                        "circuit breaker was open")
            + ": they reached no region and were not retried.")


def corruption_text(m: Metrics) -> str:
    """A replicated corruption: how far it went, how long it was served, what the restore
    lost."""
    users = _mean(m, "corrupted_users")
    what = (f"{fmt_value(users, 'count')} users' profiles" if users else "the configuration")
    replicated = _mean(m, "corruption_replicated_s")
    text = f"A bad write corrupted {what}"
    text += (f"; replication copied it to the other regions within {fmt_seconds(replicated)}"
             if replicated is not None else "; it reached no other region")
    text += (f". Bad data was served for "
             f"{_with_ci(m, 'corruption_exposure_s', 'from the bad write')}")
    recovered = _mean(m, "corruption_recovered")
    if recovered is not None and recovered < 1:
        text += (f" (no restore by the end of the run in {fmt_share(1 - recovered, 1)} of "
                 "replications: censored)")
    reads = _mean(m, "corrupt_reads")
    if reads:
        regions = ", ".join(f"{fmt_value(v, 'count')} at {k}"
                            for k, v in _top(m, "corrupt_reads_by_region"))
        text += f"; {fmt_value(reads, 'count')} profile reads returned it ({regions})"
    if _mean(m, "failed_logins.misconfigured"):
        text += f"; {_fmt(m, 'failed_logins.misconfigured')} sign-ins failed (misconfigured)"
    rpo = _mean(m, "restore_rpo_s")
    if rpo is None:
        return text + ". No backup to restore from: failing over does not help either."
    return (text + f". The restore went back {fmt_seconds(rpo)} before the bad write on "
            f"average (the restore's RPO) and overwrote "
            f"{_with_ci(m, 'writes_lost_by_restore', 'later writes')} of "
            f"{_fmt(m, 'users_restored')} restored users.")


_SHED_WORDS = "attempts at once or pushed them out of a full queue (shed, no work done)"


def overload_text(m: Metrics) -> str:
    """The sustaining effect in words: did the overload outlive its trigger, and in how many
    replications did the run end in the bad state; the retry amplification beside it."""
    sustained = _mean(m, "overload_sustained_s")
    if sustained is None:
        return ("No trigger to outlive (no fault and no traffic burst) or no region with a "
                "capacity.")
    ends = [number(v) for v in (m.get("overload_end_state") or {}).get("per_replication") or []]
    bad = sum(1 for v in ends if v == 1.0)
    if bad:
        runs = f"{bad} of {len(ends)} replications" if ends else "the runs"
        text = (f"The overload outlived its trigger: a region was still overloaded "
                f"{_with_ci(m, 'overload_sustained_s', 'after the trigger ended')}, at the end "
                f"of {runs} (censored: the bad, metastable state — the work offered stays "
                "above capacity after its cause is gone)")
    elif sustained == 0:
        text = "No region was overloaded after the trigger ended"
    else:
        text = (f"The overload ended "
                f"{_with_ci(m, 'overload_sustained_s', 'after its trigger')} and every "
                "replication recovered (the backlog drained)")
    amplification = _mean(m, "attempts_per_first_attempt")
    if amplification is not None:
        text += f"; each first attempt brought {amplification:.2f} attempts in all"
    if _mean(m, "shed_attempts"):
        text += (f"; admission control refused "
                 f"{_with_ci(m, 'shed_attempts', _SHED_WORDS)}")
    return text + "."


def rto_text(m: Metrics, scenario: Scenario | None = None) -> str:
    """RTO and its parts in one sentence."""
    rto = _mean(m, "rto_s")
    if rto is None:
        return "No fault, so no recovery to time."
    threshold = "99 %" if scenario is None else f"{100 * scenario.run.rto_threshold:g} %"
    text = (f"Sign-in success was back to {threshold} of its pre-fault level "
            f"{_with_ci(m, 'rto_s', 'after the fault started')}")
    parts = [(label, _mean(m, name)) for name, label in (
        ("detection_s", "detection"), ("decision_s", "decision"), ("promotion_s", "promotion"),
        ("dns_convergence_s", "DNS convergence"))]
    converged = _mean(m, "dns_converged")
    shown = []
    for label, v in parts:
        if v is None:
            continue
        if label == "DNS convergence" and converged is not None and converged < 1:
            shown.append(f"{label} at least {fmt_seconds(v)} (99 % of traffic never reached "
                         f"the new region before the fault ended in "
                         f"{fmt_share(1 - converged, 1)} of replications)")
        else:
            shown.append(f"{label} {fmt_seconds(v)}")
    if shown:
        text += ": " + ", ".join(shown)
    moved = _mean(m, "dns_share_moved_60s")
    if moved is not None:
        text += f"; 60 s after the DNS flip {fmt_value(moved, 'pct')} of traffic had moved"
    recovered = _mean(m, "rto_recovered")
    if recovered is not None and recovered < 1:
        text += (f". In {fmt_share(1 - recovered, 1)} of replications sign-ins had not "
                 "recovered by the end of the run (RTO censored at the run's end)")
    return text + "."


def rpo_text(m: Metrics) -> str:
    """Writes at risk at promotion, by kind, and those lost for good."""
    n = _mean(m, "rpo_lost_writes")
    if not n:
        text = "No acknowledged write was missing from the promoted region at promotion"
    else:
        kinds = {"user": "sign-ups", "credential": "password changes",
                 "profile": "profile updates", "revocation": "revocations",
                 "disable": "disables"}
        parts = [f"{fmt_value(v, 'count')} {kinds.get(k, k)}"
                 for k, v in _top(m, "rpo_lost_writes")]
        text = _with_ci(m, "rpo_lost_writes",
                        "acknowledged writes had not reached the promoted region at promotion")
        if parts:
            text += f" ({', '.join(parts)})"
        span = _mean(m, "rpo_span_s")
        if span:
            text += f", spanning {fmt_seconds(span)} of writes"
    lost = _mean(m, "writes_lost")
    if lost is not None and n is not None and lost != n:
        text += f"; {fmt_value(lost, 'count')} were lost for good"
    conflicts = _mean(m, "failback_conflicts")
    if conflicts:
        text += f"; {fmt_value(conflicts, 'count')} failback conflicts"
    return text + "."


def lockout_text(m: Metrics, scenario: Scenario | None = None) -> str:
    """Extra guesses, bypass windows and compromised accounts."""
    n = _mean(m, "lockout_extra_guesses")
    if not n:
        text = "No extra guess: the lockout counters gave the attacker nothing beyond a global one"
    else:
        text = _with_ci(m, "lockout_extra_guesses",
                        "extra password guesses beyond what one global lockout counter allows")
        per = _mean(m, "lockout_extra_guesses_per_account")
        if per is not None:
            text += f" ({fmt_value(per, 'count')} per targeted account)"
        windows = _mean(m, "lockout_bypass_windows")
        if windows:
            text += (f"; {fmt_value(windows, 'count')} bypass windows, longest "
                     f"{_fmt(m, 'lockout_bypass_max_s')}")
    compromised = _mean(m, "accounts_compromised")
    if compromised is not None:
        text += (f"; {fmt_value(compromised, 'count')} accounts compromised beyond what a "
                 "shared (global) counter would have allowed")
        total = _mean(m, "accounts_compromised_total")
        if total is not None:
            text += f" (of {fmt_value(total, 'count')} compromised in all)"
    return text + "."
