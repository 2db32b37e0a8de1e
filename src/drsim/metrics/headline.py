"""The headline in words: what a reviewer should take away from one run's recovery.

:func:`headline_words` turns the headline incident's metrics into one
sentence, e.g. "50 % of sign-ins restored after 1.0 min, 90 % restored after
2.1 min, 99 % not restored before the end of the observation; TOTP users
(15 %) out until failback at 31 min." It is a pure function of the metrics (and optionally the scenario,
for the RTO levels); the report and the terminal call it. Times are from the
start of the fault that made the endpoint unhealthy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from drsim.metrics._common import is_number
from drsim.metrics.evidence import level_label
from drsim.metrics.failures import FAILURE_CAUSES
from drsim.scenario.schema import Scenario

GROUP_NAMES: dict[str, str] = {
    "mfa_unsupported": "TOTP users",
    "region_down": "clients still sent to the failed region",
    "region_error": "users hitting regional errors",
    "read_only": "users needing a write",
    "user_not_found": "users missing on the secondary",
    "federated_user_unseen": "federated users the primary had never seen",
    "stale_credential": "users whose new password had not replicated",
    "password_reset_required": "users forced to reset their password",
    "locked_out": "locked-out users",
    "throttled": "throttled users",
    "token_rejected": "users with rejected tokens",
    "idp_unavailable": "federated users",
    "kms_unavailable": "users behind the unavailable key",
    "dns_unavailable": "users without DNS answers",
    "sync_unavailable": "users needing a synchronous write",
    "user_disabled": "disabled users",
    "timeout": "users timed out by an overloaded region",
    "shed": "users shed by an overloaded region",
    "dependency_down": "users needing a sender or trigger that is down",
    "dependency_throttled": "users over a sender's or trigger's capacity",
    "circuit_open": "users stopped by their client's open circuit breaker",
    "corrupt": "users served a corrupted profile",
    "misconfigured": "users of a region with a corrupt configuration",
}
"""How a never-recovered group is named in words, by the cause of its last failure."""

MIN_GROUP_SHARE = 0.01
"""Never-recovered groups below this share of the users are summed as "others"."""

_LEVEL_KEY = re.compile(r"^rto_(\d+(?:_\d+)?)_s$")


def duration_words(seconds: float) -> str:
    """Seconds as a person reads them: ``45 s``, ``2.1 min``, ``31 min``."""
    if seconds < 60.0:
        return f"{seconds:.0f} s"
    if seconds < 600.0:
        return f"{seconds / 60.0:.1f} min"
    return f"{seconds / 60.0:.0f} min"


def percent_words(share: float) -> str:
    """A share as a person reads it: ``15 %``, ``<1 %``."""
    if 0.0 < share < 0.01:
        return "<1 %"
    return f"{100.0 * share:.0f} %"


def _level_labels(metrics: Mapping[str, float], scenario: Scenario | None) -> list[str]:
    """The RTO level labels (``"50"``, ``"99_9"``), ascending."""
    if scenario is not None:
        return [level_label(level) for level in scenario.run.rto_levels]
    labels = [m.group(1) for key in metrics if (m := _LEVEL_KEY.match(key))]
    return sorted(labels, key=lambda label: float(label.replace("_", ".")))


def _recovery_clause(metrics: Mapping[str, float], labels: list[str]) -> str:
    """'50 % and 90 % of sign-ins restored after 2.0 min, 99 % not before the end …'."""
    runs: list[tuple[list[str], str]] = []  # levels sharing one outcome, in order
    for label in labels:
        value = metrics.get(f"rto_{label}_s", math.nan)
        recovered = metrics.get(f"rto_{label}_recovered", math.nan)
        if recovered == 1.0 and value == 0.0:
            outcome = "held from the start"
        elif recovered == 1.0 and is_number(value):
            outcome = f"restored after {duration_words(value)}"
        elif recovered == 0.0:
            outcome = "not restored before the end of the observation"
        else:
            outcome = "unknown (too few sign-ins to judge)"
        if runs and runs[-1][1] == outcome:
            runs[-1][0].append(label.replace("_", ".") + " %")
        else:
            runs.append(([label.replace("_", ".") + " %"], outcome))
    parts = []
    for i, (levels, outcome) in enumerate(runs):
        named = levels[0] if len(levels) == 1 else ", ".join(levels[:-1]) + " and " + levels[-1]
        parts.append(f"{named}{' of sign-ins' if i == 0 else ''} {outcome}")
    return ", ".join(parts)


def _groups_clause(metrics: Mapping[str, float]) -> str:
    """'TOTP users (15 %) out until failback at 31 min', biggest group first."""
    counts = {c: metrics.get(f"never_recovered_users.{c}", 0.0) for c in FAILURE_CAUSES}
    groups = sorted((c for c, n in counts.items() if is_number(n) and n > 0),
                    key=lambda c: -counts[c])
    if not groups:
        return ""
    base = metrics.get("sign_in_users_after_fault", math.nan)
    shares = {c: counts[c] / base if is_number(base) and base > 0 else math.nan for c in groups}
    shown = [c for c in groups if shares[c] >= MIN_GROUP_SHARE] or groups[:1]
    named = []
    for cause in shown:
        name = GROUP_NAMES.get(cause, cause.replace("_", " "))
        named.append(f"{name} ({percent_words(shares[cause])})" if is_number(shares[cause])
                     else name)
    others = sum(counts[c] for c in groups if c not in shown)
    if others:
        named.append(f"{others:.0f} other user{'s' if others != 1 else ''}")
    failback = metrics.get("time_to_failback_s", math.nan)
    if is_number(failback):
        until = f"out until failback at {duration_words(failback)}"
    elif metrics.get("headline_incident", 1.0) < metrics.get("incidents", 1.0):
        until = "not back before the next incident"
    else:
        until = "not back before the end of the run"
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"{listed} {until}"


def headline_words(metrics: Mapping[str, float], scenario: Scenario | None = None) -> str:
    """One sentence saying how the headline incident recovered.

    Args:
        metrics: one run's metrics (:func:`~drsim.metrics.compute.compute_metrics`)
            or the means of several runs under the same names.
        scenario: the scenario, for its ``run.rto_levels`` (default: the
            ``rto_<level>_s`` keys found in ``metrics``).

    Returns:
        E.g. "50 % and 90 % of sign-ins restored after 2.0 min, 99 % not
        restored before the end of the observation; TOTP users (15 %) out until
        failback at 31 min." Shares of the never-recovered groups are
        of the users who tried to sign in between the fault and failback.
    """
    count = metrics.get("incidents", math.nan)
    if not is_number(count) or count == 0:
        return "No fault in this run: nothing to recover from."
    if not metrics.get("sign_in_users_after_fault", math.nan):
        return "No legitimate sign-ins after the fault: recovery cannot be judged."
    clauses = [_recovery_clause(metrics, _level_labels(metrics, scenario))]
    groups = _groups_clause(metrics)
    if groups:
        clauses.append(groups)
    sentence = "; ".join(clauses) + "."
    if count > 1:
        number = metrics.get("headline_incident", math.nan)
        which = f"incident {number:.0f}" if is_number(number) else "the headline incident"
        sentence = f"{count:.0f} incidents; {which}: {sentence}"
    return sentence[0].upper() + sentence[1:]
