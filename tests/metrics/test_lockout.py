"""Lockout bypass: windows from lock intervals, extra guesses, compromised accounts."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drsim.metrics.lockout import lockout_bypass_windows, lockout_metrics, reachable_regions

from .conftest import build_locks

BOTH = ("r1", "r2")


def windows(rows, reachable=BOTH, duration=600.0):
    w = lockout_bypass_windows(build_locks(rows), reachable, duration)
    return [(int(u), s, e) for u, s, e in zip(w["user"], w["start_s"], w["end_s"], strict=True)]


def test_union_of_open_regions_makes_one_window():
    # r2 open on [0,6), r1 open on [4,10): some reachable region is open on all of [0,10).
    rows = [(1, "global", 0, 10), (1, "r1", 0, 4), (1, "r2", 6, 10)]
    assert windows(rows) == [(1, 0.0, 10.0)]


def test_all_reachable_regions_locked_means_no_window():
    rows = [(1, "global", 0, 10), (1, "r1", 0, 10), (1, "r2", 0, 10)]
    assert windows(rows) == []


def test_gaps_in_one_region_make_separate_windows():
    rows = [(1, "global", 0, 10), (1, "r1", 0, 10), (1, "r2", 2, 5)]
    assert windows(rows) == [(1, 0.0, 2.0), (1, 5.0, 10.0)]


def test_unreachable_regions_do_not_count():
    rows = [(1, "global", 0, 10), (1, "r1", 0, 4)]
    assert windows(rows, reachable=("r1",)) == [(1, 4.0, 10.0)]
    # r2 never locks but is reachable: the whole shadow lock is a window
    assert windows(rows, reachable=BOTH) == [(1, 0.0, 10.0)]


def test_region_lock_outside_the_shadow_lock_is_no_window():
    rows = [(1, "global", 5, 8), (1, "r1", 0, 20), (1, "r2", 0, 6)]
    assert windows(rows) == [(1, 6.0, 8.0)]


def test_shared_counter_has_no_window():
    assert windows([(1, "shared", 0, 10)]) == []
    assert windows([(1, "global", 0, 10), (1, "shared", 0, 10)]) == []


def test_overlapping_and_touching_intervals_merge():
    rows = [(1, "global", 0, 5), (1, "global", 5, 10), (1, "r1", 0, 3), (1, "r1", 2, 4)]
    assert windows(rows, reachable=("r1",)) == [(1, 4.0, 10.0)]


def test_accounts_do_not_mix_and_open_locks_end_at_run_end():
    rows = [
        (900_000_001, "global", 100, math.nan),  # still locked when the run ends
        (7, "global", 0, 10),
        (7, "r1", 0, 10),
        (7, "r2", 0, 10),
        (900_000_001, "r1", 100, 200),
        (900_000_001, "r2", 100, 300),
        (8, "r1", 0, 50),  # a region lock without a shadow lock is no window
    ]
    assert windows(rows, duration=600.0) == [(900_000_001, 200.0, 600.0)]


def test_no_locks_no_windows():
    assert windows([]) == []


def naive_windows(rows, reachable, duration, step=0.5):
    """Point-sampled reference: lock state at every half second, runs of 'bypass'."""
    grid = np.arange(0.0, duration, step) + step / 2
    out = []
    for user in sorted({r[0] for r in rows}):

        def locked(scope, user=user):
            mask = np.zeros(grid.size, dtype=bool)
            for u, s, a, b in rows:
                if u == user and s == scope:
                    mask |= (grid >= a) & (grid < b)
            return mask

        all_locked = np.ones(grid.size, dtype=bool)
        for region in reachable:
            all_locked &= locked(region)
        bypass = locked("global") & ~locked("shared") & ~all_locked
        edges = np.diff(np.concatenate([[0], bypass.astype(int), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        out += [
            (user, grid[s] - step / 2, grid[e - 1] + step / 2)
            for s, e in zip(starts, ends, strict=True)
        ]
    return out


interval = st.tuples(
    st.integers(0, 3),
    st.sampled_from(["global", "global", "r1", "r2", "r3", "shared"]),
    st.integers(0, 19),
    st.integers(1, 10),
).map(lambda t: (t[0], t[1], float(t[2]), float(t[2] + t[3])))


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(interval, max_size=14), reach=st.sampled_from([("r1",), BOTH, ("r1", "r2", "r3")])
)
def test_sweep_matches_point_sampling(rows, reach):
    got = windows(rows, reachable=reach, duration=40.0)
    assert got == naive_windows(rows, reach, 40.0)


def test_reachable_regions_from_the_attackers(make_scenario):
    three = [
        {"name": n, "role": r}
        for n, r in (("r1", "primary"), ("r2", "secondary"), ("r3", "secondary"))
    ]
    attacker = {"name": "a", "kind": "credential_stuffing", "rate": "1/s", "targets": 5}
    assert reachable_regions(make_scenario(regions=three)) == ("r1", "r2", "r3")
    only = make_scenario(regions=three, attackers=[{**attacker, "regions": ["r3", "r1"]}])
    assert reachable_regions(only) == ("r1", "r3")
    union = make_scenario(
        regions=three,
        attackers=[{**attacker, "regions": ["r1"]}, {**attacker, "name": "b", "regions": ["r2"]}],
    )
    assert reachable_regions(union) == ("r1", "r2")
    assert reachable_regions(make_scenario(regions=three, attackers=[attacker])) == (
        "r1",
        "r2",
        "r3",
    )


def test_extra_guesses_and_compromised_accounts(make_records):
    guess = {"op": "guess", "attacker": True, "client": "stuffer", "outcome": "wrong_password"}
    rec = make_records(
        requests=[
            {**guess, "user": 1, "region": "r1"},
            {**guess, "user": 1, "region": "r2", "extra_guess": True, "shadow_locked": True},
            {**guess, "user": 1, "region": "r2", "extra_guess": True, "outcome": "ok"},
            {**guess, "user": 2, "outcome": "ok"},  # compromised, but a global counter allows it
            {**guess, "user": 3, "outcome": "locked_out"},
            # legitimate rows never count
            {"op": "sign_in", "user": 4, "outcome": "ok"},
        ],
        locks=[(1, "global", 0, 10), (1, "r1", 0, 10), (1, "r2", 0, 4), (3, "global", 0, 5)],
    )
    m = lockout_metrics(rec.requests, rec.locks, BOTH, 600.0)
    assert m["lockout_extra_guesses"] == 2
    assert m["lockout_targeted_accounts"] == 3
    assert m["lockout_extra_guesses_per_account"] == pytest.approx(2 / 3)
    assert m["accounts_compromised"] == 1
    assert m["accounts_compromised_total"] == 2
    # windows: account 1 → [4,10); account 3 → [0,5) (no region lock at all)
    assert m["lockout_bypass_windows"] == 2
    assert m["lockout_bypass_total_s"] == 11.0
    assert m["lockout_bypass_max_s"] == 6.0


def test_no_attack_gives_zeros_and_undefined_per_account(make_records):
    rec = make_records(requests=[{"op": "sign_in"}])
    m = lockout_metrics(rec.requests, rec.locks, BOTH, 600.0)
    assert m["lockout_extra_guesses"] == 0
    assert math.isnan(m["lockout_extra_guesses_per_account"])
    assert m["lockout_bypass_windows"] == 0
    assert m["lockout_bypass_total_s"] == 0
    assert m["lockout_bypass_max_s"] == 0
    assert m["accounts_compromised"] == 0


def test_locks_are_cut_at_the_end_of_the_run():
    rows = [(1, "global", 500, 1400), (1, "r1", 500, 550), (1, "r2", 500, 1400)]
    assert windows(rows, duration=600.0) == [(1, 550.0, 600.0)]
