"""People-level metrics on hand-computed tables: final attempts, read-your-writes, users who
could not complete what they came to do (drsim.metrics.people)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drsim.metrics.people import (
    final_attempt_mask,
    home_regions,
    read_your_writes_metrics,
    users_failed_metrics,
)

CLIENTS = [
    {"name": "web", "share": "50%", "home": "r2", "dns": {"behaviour": "honour"},
     "retry": {"attempts": 3, "retry_on": ["region_down"]}},
    {"name": "app", "share": "50%", "dns": {"behaviour": "honour"},
     "retry": {"attempts": 2, "retry_on": ["region_down"]}},
]


@pytest.fixture
def scenario(make_scenario):
    return make_scenario(clients=CLIENTS)


def test_final_attempts_follow_the_retry_policy_and_forced_sign_ins(make_records, scenario):
    rows = [
        {"user": 1, "outcome": "region_down"},                          # web retries it …
        {"user": 1, "time_s": 1.0, "attempt": 1},                       # … here: final
        {"user": 2, "time_s": 599.0, "outcome": "region_down"},         # retry after the end
        {"user": 3, "outcome": "region_down", "attempt": 2},            # 3rd of 3: final
        {"user": 4, "outcome": "region_down", "attempt": 1, "client": "app"},  # 2nd of 2
        {"user": 5, "outcome": "throttled"},                            # not retried: final
        {"user": 6, "op": "refresh", "outcome": "token_rejected"},      # forced sign-in …
        {"user": 6, "time_s": 10.0, "attempt": 1},                      # … here
        {"user": 7, "op": "refresh", "outcome": "region_down", "attempt": 2},
        {"user": 8, "op": "guess", "outcome": "region_down", "attacker": True},
        {"user": 9, "op": "profile_read", "outcome": "region_down"},    # a sign-in is no
        {"user": 9, "time_s": 1.0, "attempt": 1},                       # retry of a read
    ]
    rec = make_records(requests=rows)
    assert final_attempt_mask(rec.requests, scenario).tolist() == [
        False, True, True, True, True, True, False, True, True, True, True, True]
    gives_up = scenario.model_copy(update={"sessions": scenario.sessions.model_copy(
        update={"on_refused_refresh": "give_up"})})
    assert final_attempt_mask(rec.requests, gives_up)[6]  # the user's session just ends


def test_read_your_writes_on_a_toy_table(make_records, scenario):
    """User 1 reads an update back twice: stale once (a violation), fresh once. User 2's
    stale read follows a sign-in (another device), user 3's a failed update, user 4's an
    update of user 5: none is a read-back. User 6's update is followed by a read that
    failed and was retried: the retry, stale, is the read-back (the failed try is not a
    request of its own)."""
    upd = {"op": "profile_update", "region": "r1"}
    read = {"op": "profile_read", "region": "r2"}
    stale = {**read, "stale": True, "staleness_s": 1.0}
    rows = [
        {**upd, "user": 1, "time_s": 1.0}, {**stale, "user": 1, "time_s": 2.0},
        {**upd, "user": 1, "time_s": 5.0}, {**read, "user": 1, "time_s": 9.0},
        {**upd, "user": 2, "time_s": 1.0}, {"op": "sign_in", "user": 2, "time_s": 1.5},
        {**stale, "user": 2, "time_s": 2.0},
        {**upd, "user": 3, "time_s": 1.0, "outcome": "read_only"}, {**stale, "user": 3, "time_s": 2.0},
        {**upd, "user": 5, "time_s": 1.0}, {**stale, "user": 4, "time_s": 2.0},
        {**upd, "user": 6, "time_s": 1.0},
        {**read, "user": 6, "time_s": 2.0, "outcome": "region_down"},
        {**stale, "user": 6, "time_s": 3.0, "attempt": 1},
    ]
    rec = make_records(requests=rows)
    m = read_your_writes_metrics(rec.requests, final_attempt_mask(rec.requests, scenario))
    assert m == {"read_your_writes_violations": 2.0, "read_your_writes_read_backs": 3.0,
                 "read_your_writes_violation_share": pytest.approx(2 / 3)}
    none = read_your_writes_metrics(rec.requests.iloc[:0], np.zeros(0, dtype=bool))
    assert none["read_your_writes_violations"] == 0
    assert math.isnan(none["read_your_writes_violation_share"])


def test_users_failed_on_a_toy_table(make_records, scenario):
    """Window [100, 600). web (home r2): user 1 fails for good, user 2 fails then succeeds
    on the retry, user 3 is refused by an attacker's lockout (counts); app (home r1, the
    first region): user 4 fine, user 5 failed only before the window, user 6 has only a
    refused refresh followed by a successful forced sign-in. Attackers, m2m and admin
    requests are no user's."""
    rows = [
        {"user": 1, "time_s": 150.0, "outcome": "region_down", "attempt": 2},
        {"user": 2, "time_s": 150.0, "outcome": "region_down"},
        {"user": 2, "time_s": 151.0, "attempt": 1},
        {"user": 3, "time_s": 200.0, "outcome": "locked_out"},
        {"user": 3, "time_s": 190.0, "op": "guess", "attacker": True, "outcome": "wrong_password"},
        {"user": 4, "time_s": 300.0, "client": "app"},
        {"user": 5, "time_s": 50.0, "client": "app", "outcome": "throttled"},
        {"user": 5, "time_s": 250.0, "client": "app"},
        {"user": 6, "time_s": 300.0, "client": "app", "op": "refresh",
         "outcome": "token_rejected"},
        {"user": 6, "time_s": 310.0, "client": "app", "attempt": 1},
        {"user": -1, "time_s": 300.0, "client": "app", "op": "m2m_token", "outcome": "throttled"},
        {"user": 7, "time_s": 300.0, "client": "app", "op": "admin_disable",
         "outcome": "region_down", "attempt": 1},
    ]
    rec = make_records(requests=rows)
    final = final_attempt_mask(rec.requests, scenario)
    m = users_failed_metrics(rec.requests, final, scenario, 100.0, 600.0)
    assert m == {"active_users": 6.0, "users_failed": 2.0,
                 "users_failed_share": pytest.approx(2 / 6),
                 "users_failed_share.web": pytest.approx(2 / 3),
                 "users_failed_share.app": 0.0,
                 "users_failed_share.home.r2": pytest.approx(2 / 3),
                 "users_failed_share.home.r1": 0.0}
    sparse = rec.requests.assign(user=rec.requests["user"] * 10**9)  # ids far apart
    assert users_failed_metrics(sparse, final, scenario, 100.0, 600.0) == m
    late = users_failed_metrics(rec.requests, final, scenario, 590.0, 600.0)
    assert late["active_users"] == 0 and math.isnan(late["users_failed_share"])
    assert math.isnan(late["users_failed_share.home.r1"])


def test_homes_mirror_the_directory(make_scenario):
    """clients[].home, else the first region (the directory's index 0), even when that is
    not the primary."""
    sc = make_scenario(regions=[{"name": "r2", "role": "secondary"},
                                {"name": "r1", "role": "primary"}], clients=CLIENTS)
    assert home_regions(sc) == {"web": "r2", "app": "r2"}
