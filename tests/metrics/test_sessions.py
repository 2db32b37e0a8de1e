"""Sessions disrupted: distinct users whose refresh was refused."""

from drsim.metrics.sessions import sessions_disrupted_metrics


def test_refused_refreshes_disrupt_distinct_users(make_records):
    refresh = {"op": "refresh"}
    rec = make_records(
        requests=[
            {**refresh, "user": 1, "outcome": "token_rejected", "region": "r2"},
            {**refresh, "user": 1, "outcome": "token_rejected", "region": "r2", "attempt": 1},
            {**refresh, "user": 2, "outcome": "user_not_found", "region": "r2"},
            {**refresh, "user": 3, "outcome": "region_down"},  # transient: session survives
            {**refresh, "user": 4, "outcome": "ok"},
            {"op": "sign_in", "user": 5, "outcome": "user_not_found"},  # not a session
            {"op": "replay_refresh", "user": 6, "attacker": True, "outcome": "token_rejected"},
        ]
    )
    m = sessions_disrupted_metrics(rec.requests)
    assert m["sessions_disrupted"] == 2
    assert m["sessions_disrupted_refreshes"] == 3


def test_no_refusal_no_disruption(make_records):
    rec = make_records(requests=[{"op": "refresh"}])
    assert sessions_disrupted_metrics(rec.requests)["sessions_disrupted"] == 0
