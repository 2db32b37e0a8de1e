"""Lockout bypass: what per-region lockout counters give an attacker (MODEL.md 4).

Beside the real counters the model keeps a shadow *global* counter with the
same policy. An **extra guess** is an attacker guess the real system evaluated
but the global counter would have refused. A **lockout bypass window** of an
account is a maximal interval during which the shadow counter holds the
account locked while some region the attacker can reach does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import NAN, attacker_mask, n_distinct, ok_mask, op_mask
from drsim.metrics.intervals import merge_intervals, true_runs
from drsim.scenario.schema import Scenario

WINDOW_COLUMNS = ("user", "start_s", "end_s", "duration_s")

_GLOBAL, _SHARED = 0, 1  # scope ids; reachable region j has scope id 2 + j


def reachable_regions(scenario: Scenario) -> tuple[str, ...]:
    """Regions the attackers can reach: the union of their ``regions`` ('all' = every region).

    Without attackers every region counts as reachable (the windows then measure
    the gap between the per-region and the global counter as such).
    """
    names = scenario.region_names
    if not scenario.attackers:
        return names
    wanted: set[str] = set()
    for attacker in scenario.attackers:
        wanted |= set(names) if attacker.regions == "all" else set(attacker.regions)
    return tuple(n for n in names if n in wanted)


def lockout_bypass_windows(
    locks: pd.DataFrame, reachable: tuple[str, ...] | list[str], duration_s: float
) -> pd.DataFrame:
    """Maximal intervals where the shadow global lock holds but a reachable region is open.

    Lock intervals of one account and one scope are first merged (overlapping or
    touching intervals join). A ``"shared"`` lock (the real counter is global)
    locks every region, so a run with shared counters has no window. Lock
    intervals are cut at the end of the run: one still open (``end_s`` NaN) or
    scheduled to end later ends at ``duration_s``.

    Args:
        locks: the ``locks`` table (``user``, ``scope``, ``start_s``, ``end_s``).
        reachable: the regions the attacker can reach.
        duration_s: run duration (s).

    Returns:
        One row per window: ``user``, ``start_s``, ``end_s``, ``duration_s``,
        sorted by user then start.
    """
    reachable = list(dict.fromkeys(reachable))
    k = len(reachable)
    empty = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in WINDOW_COLUMNS}).astype(
        {"user": np.int64}
    )
    if len(locks) == 0:
        return empty

    scope_id = _scope_ids(locks["scope"], reachable)
    keep = scope_id >= 0
    if not keep.any():
        return empty
    users = locks["user"].to_numpy(dtype=np.int64)[keep]
    start = locks["start_s"].to_numpy(dtype=np.float64)[keep]
    end = locks["end_s"].to_numpy(dtype=np.float64)[keep]
    end = np.minimum(np.where(np.isnan(end), float(duration_s), end), float(duration_s))
    scope_id = scope_id[keep]

    user_index, user_values = pd.factorize(users, sort=True)
    n_scopes = 2 + k
    keys, start, end = merge_intervals(user_index * n_scopes + scope_id, start, end)
    owner = keys // n_scopes
    sid = keys % n_scopes

    # Sweep line: +1 at each start, −1 at each end, per account and scope kind.
    owner2 = np.concatenate([owner, owner])
    times = np.concatenate([start, end])
    sign = np.concatenate([np.ones(owner.size, np.int64), -np.ones(owner.size, np.int64)])
    sid2 = np.concatenate([sid, sid])
    d_global = np.where(sid2 == _GLOBAL, sign, 0)
    d_shared = np.where(sid2 == _SHARED, sign, 0)
    d_region = np.where(sid2 >= 2, sign, 0)

    order = np.lexsort((times, owner2))
    owner2, times = owner2[order], times[order]
    first = np.ones(times.size, dtype=bool)
    first[1:] = (owner2[1:] != owner2[:-1]) | (times[1:] != times[:-1])
    at = np.flatnonzero(first)
    # Each account's deltas sum to zero, so one running sum over all accounts is exact.
    g = np.cumsum(np.add.reduceat(d_global[order], at))
    s = np.cumsum(np.add.reduceat(d_shared[order], at))
    r = np.cumsum(np.add.reduceat(d_region[order], at))
    locked_somewhere_open = (g > 0) & (s == 0) & (r < k)
    w_owner, w_start, w_end = true_runs(owner2[at], times[at], locked_somewhere_open)
    return pd.DataFrame(
        {
            "user": np.asarray(user_values)[w_owner].astype(np.int64),
            "start_s": w_start,
            "end_s": w_end,
            "duration_s": w_end - w_start,
        }
    )


def _scope_ids(scope: pd.Series, reachable: list[str]) -> np.ndarray:
    """Scope id per lock row: 0 global, 1 shared, 2+j reachable region j, −1 ignored."""
    ids = {"global": _GLOBAL, "shared": _SHARED} | {r: 2 + j for j, r in enumerate(reachable)}
    if isinstance(scope.dtype, pd.CategoricalDtype):
        lookup = np.array([ids.get(str(c), -1) for c in scope.cat.categories] + [-1], np.int64)
        return lookup[scope.cat.codes.to_numpy()]  # code −1 (missing) maps to the last entry
    return np.array([ids.get(str(v), -1) for v in scope.to_numpy()], dtype=np.int64)


def lockout_metrics(
    requests: pd.DataFrame,
    locks: pd.DataFrame,
    reachable: tuple[str, ...] | list[str],
    duration_s: float,
) -> dict[str, float]:
    """Extra guesses, bypass windows and compromised accounts.

    Args:
        requests: the ``requests`` table.
        locks: the ``locks`` table.
        reachable: regions the attacker can reach (see :func:`reachable_regions`).
        duration_s: run duration (s).

    Returns:
        ``lockout_extra_guesses`` (attacker rows with ``extra_guess``),
        ``lockout_targeted_accounts`` (distinct accounts with ≥ 1 ``guess`` row),
        ``lockout_extra_guesses_per_account`` (extra guesses / targeted accounts;
        NaN when nothing was guessed), ``lockout_bypass_windows`` (count),
        ``lockout_bypass_total_s`` and ``lockout_bypass_max_s`` (0 when there is
        no window), ``accounts_compromised`` (distinct accounts with a ``guess``
        that ended ``ok`` and was an extra guess — what the global counter would
        not have allowed) and ``accounts_compromised_total`` (distinct accounts
        with any ``ok`` guess).
    """
    att = attacker_mask(requests)
    guesses = att & op_mask(requests, "guess")
    extra = att & requests["extra_guess"].to_numpy(dtype=bool)
    ok_guess = guesses & ok_mask(requests)
    users = requests["user"].to_numpy()
    targeted = n_distinct(users[guesses])
    n_extra = int(np.count_nonzero(extra))
    windows = lockout_bypass_windows(locks, reachable, duration_s)
    durations = windows["duration_s"].to_numpy(dtype=np.float64)
    return {
        "lockout_extra_guesses": float(n_extra),
        "lockout_targeted_accounts": float(targeted),
        "lockout_extra_guesses_per_account": n_extra / targeted if targeted else NAN,
        "lockout_bypass_windows": float(durations.size),
        "lockout_bypass_total_s": float(durations.sum()) if durations.size else 0.0,
        "lockout_bypass_max_s": float(durations.max()) if durations.size else 0.0,
        "accounts_compromised": float(n_distinct(users[ok_guess & extra])),
        "accounts_compromised_total": float(n_distinct(users[ok_guess])),
    }
