"""People-level metrics against closed forms, through YAML alone (issue #14).

Known answers:

- every profile update read back ``d`` later at the user's home secondary, the update at
  the primary: the read-your-writes violation share is P(L > d) = e^(−d/m) for an
  exponential replication lag of mean m (the read-back of test_journeys.py, now as a
  metric);
- a second read of the same update, later (the user's other device), is stale with
  P(L > d₂) but is no read-back — its user's previous request was a read — so the share
  stays e^(−d₁/m) and the stale reads outnumber the violations by N·e^(−d₂/m);
- a population whose sign-ins go to a region that is down from the fault to the end
  of the run fails every one of them (share 1), one homed in the healthy region none
  (share 0), and the overall share is the first population's share of the users.
"""

from __future__ import annotations

import math

from drsim.metrics import compute_metrics, metric_notes
from drsim.model import simulate
from drsim.scenario import parse_scenario

Z = 4.0  # tolerance in standard errors

READ_BACKS = """\
name: read-backs
regions:
  - {{name: primary, role: primary}}
  - {{name: secondary, role: secondary}}
users: {{population: 400k}}
clients:
  - {{name: app, share: 100%, home: secondary, dns: {{behaviour: honour}}}}
dns:
  endpoints: {{profile_read: latency}}   # writes go to the primary's failover record
traffic:
  sign_in: 0/s
  federated_sign_in: 0/s
  refresh: 0/s
  sign_up: 0/s
  profile_read: 0/s
  profile_update: 5/s
  password_change: 0/s
  sign_out: 0/s
  admin_disable: 0/s
  follow_ups:
{rules}
replication:
  lag: {{distribution: exponential, mean: {mean}s}}
run: {{duration: 30m, seed: 5}}
"""


def _metrics(text: str) -> tuple[dict[str, float], int]:
    scenario = parse_scenario(text)
    records = simulate(scenario, 0)
    updates = int((records.requests["op"] == "profile_update").sum())
    return compute_metrics(records, scenario), updates


def _within(share: float, n: float, expected: float) -> None:
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(share - expected) < Z * se + 1e-3, (share, expected, n)


def test_read_back_violations_are_p_lag_over_d():
    rule = "    - {after: profile_update, then: profile_read, delay: 1s}"
    m, updates = _metrics(READ_BACKS.format(rules=rule, mean=2.0))
    n = m["read_your_writes_read_backs"]
    assert 0.99 * updates < n <= updates  # every read is a read-back (inside the run)
    _within(m["read_your_writes_violation_share"], n, math.exp(-1.0 / 2.0))
    assert m["read_your_writes_violations"] == m["stale_reads"]


def test_a_later_read_by_another_device_is_not_a_read_back():
    rules = ("    - {after: profile_update, then: profile_read, delay: 1s}\n"
             "    - {after: profile_update, then: profile_read, delay: 3s}")
    m, updates = _metrics(READ_BACKS.format(rules=rules, mean=2.0))
    n = m["read_your_writes_read_backs"]
    assert 0.99 * updates < n <= updates  # one read-back per update, not two
    _within(m["read_your_writes_violation_share"], n, math.exp(-1.0 / 2.0))
    later = math.exp(-3.0 / 2.0)  # the later read is stale this often, and no violation
    extra = m["stale_reads"] - m["read_your_writes_violations"]
    assert abs(extra - n * later) < Z * math.sqrt(n * later * (1 - later)), (extra, n * later)


ONE_REGION_DOWN = """\
name: one-region-down
regions:
  - {name: east, role: primary}
  - {name: west, role: secondary}
users: {population: 20000, federated: 0%, mfa: {none: 100%, sms: 0%, email: 0%, totp: 0%}}
clients:
  - {name: east-app, share: 30%, home: east, dns: {behaviour: honour}}
  - {name: west-app, share: 70%, home: west, dns: {behaviour: honour}}
dns:
  endpoints: {sign_in: local}         # a backend in the user's home region, no DNS
traffic:
  sign_in: 20/s
  federated_sign_in: 0/s
  refresh: 0/s
  sign_up: 0/s
  profile_read: 0/s
  profile_update: 0/s
  password_change: 0/s
  sign_out: 0/s
  admin_disable: 0/s
faults:
  - {kind: region_outage, region: east, start: 10m, duration: 20m}   # to the end of the run
run: {duration: 30m, seed: 6}
"""


def test_a_pinned_population_fails_and_a_local_one_does_not():
    scenario = parse_scenario(ONE_REGION_DOWN)
    records = simulate(scenario, 0)
    m = compute_metrics(records, scenario)
    assert m["users_failed_share.east-app"] == 1.0
    assert m["users_failed_share.west-app"] == 0.0
    assert m["users_failed_share.home.east"] == 1.0
    assert m["users_failed_share.home.west"] == 0.0
    n = m["active_users"]
    assert n > 10000  # 20/s for 20 min over 20k users: most of them
    _within(m["users_failed_share"], n, 0.3)  # east's share of the users
    assert m["users_failed"] == round(m["users_failed_share"] * n)
    # before the fault nobody failed: the window starts at the fault
    assert m["failed_logins"] == m["failed_logins.region_down"]
    assert "users_failed_share" not in metric_notes(records, scenario, m)
