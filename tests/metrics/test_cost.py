"""Cost per month from MAU, replicas and M2M tokens."""

import pytest

from drsim.metrics.cost import MONTH_S, cost_metrics


def m2m_rows(n_ok, n_fail):
    return [{"op": "m2m_token", "outcome": "ok"}] * n_ok + [
        {"op": "m2m_token", "outcome": "throttled"}
    ] * n_fail


def test_cost_with_one_replica(make_records, make_scenario):
    scenario = make_scenario(users={"population": 1000}, run={"duration": "1h"})
    rec = make_records(requests=m2m_rows(10, 2))
    m = cost_metrics(rec.requests, scenario, users_created=100)
    mau = 0.6 * 1100
    assert m["monthly_active_users"] == pytest.approx(mau)
    assert m["cost_replication_per_month_usd"] == pytest.approx(mau * 0.0045)
    assert m["cost_baseline_per_month_usd"] == pytest.approx(mau * 0.015)
    tokens_per_month = 10 * 730  # 10 tokens per hour, 730 hours
    assert MONTH_S == 730 * 3600
    assert m["cost_m2m_per_month_usd"] == pytest.approx(tokens_per_month / 1000 * 0.00225 * 1.3)
    assert m["cost_m2m_surcharge_per_month_usd"] == pytest.approx(
        tokens_per_month / 1000 * 0.00225 * 0.3
    )
    assert m["cost_per_month_usd"] == pytest.approx(
        mau * (0.0045 + 0.015) + tokens_per_month / 1000 * 0.00225 * 1.3
    )


def test_cost_without_replication_has_no_add_on(make_records, make_scenario):
    scenario = make_scenario(
        users={"population": 1000}, run={"duration": "1h"}, replication={"mode": "none"}
    )
    m = cost_metrics(make_records(requests=m2m_rows(10, 0)).requests, scenario, users_created=0)
    assert m["cost_replication_per_month_usd"] == 0.0
    assert m["cost_m2m_surcharge_per_month_usd"] == 0.0
    assert m["cost_per_month_usd"] == pytest.approx(600 * 0.015 + 7.3 * 0.00225)


def test_cost_plus_tier_with_two_replicas(make_records, make_scenario):
    regions = [
        {"name": "r1", "role": "primary"},
        {"name": "r2", "role": "secondary"},
        {"name": "r3", "role": "secondary"},
    ]
    scenario = make_scenario(regions=regions, users={"population": 1000}, pricing={"tier": "plus"})
    m = cost_metrics(make_records().requests, scenario, users_created=0)
    assert m["cost_replication_per_month_usd"] == pytest.approx(600 * 0.006 * 2)
    assert m["cost_baseline_per_month_usd"] == pytest.approx(600 * 0.02)
    assert m["cost_m2m_per_month_usd"] == 0.0
