"""Dependencies (issue 18): senders, triggers and a failover's control plane, against
answers computed by hand.

1. A sender that is down refuses the sign-ins of its MFA kind's users only: a Poisson
   count with mean rate × share × outage; a trigger hosted in a failed region refuses
   every sign-in its failed-over secondary serves.
2. A capped dependency passes min(offered, capacity) (+ the bucket's depth).
3. A failover that needs a control plane: the DNS flip comes at
   max(operator ready, control-plane back) + runbook, break_glass_after bounds the wait,
   and a control plane that returns with the failed region means no failover at all.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from drsim.metrics.compute import compute_metrics
from drsim.model import simulate
from drsim.model.control import run_control_plane
from drsim.model.streams import Streams

from .conftest import build_scenario

NO_RETRY = [{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
             "retry": {"attempts": 1}}]
PLAIN_USERS = {"population": 20000, "federated": "0%", "with_session": "0%"}


def _mfa_users(kind: str, share: str) -> dict:
    rest = f"{100 - float(share.rstrip('%')):g}%"
    mfa = {"none": rest, "sms": "0%", "email": "0%", "totp": "0%", kind: share}
    return {**PLAIN_USERS, "mfa": mfa}


def _poisson_ok(count: int, mean: float, z: float = 4.0) -> bool:
    return abs(count - mean) <= z * math.sqrt(mean)


SENDER = {"name": "sms", "kind": "sms", "hosted_in": "r1", "used_by": ["sign_in"]}


@pytest.mark.parametrize(("kind", "share"), [("sms", "100%"), ("sms", "30%"), ("email", "30%")])
def test_a_sender_outage_fails_its_mfa_users_sign_ins_at_rate_times_share_times_duration(
        kind, share):
    """20 sign-ins/s, the sender down 5 min: dependency_down ≈ Poisson(20 × share × 300 s)
    (the users' MFA share is drawn: its binomial spread is within the tolerance), the
    other users unaffected — an SMS sender's outage spares email users and the reverse;
    the metric names the dependency."""
    other = "email" if kind == "sms" else "sms"
    users = _mfa_users(kind, share)
    if share != "100%":  # as many users of the other kind, who must not notice
        users["mfa"] = {**users["mfa"], other: share, "none": "40%"}
    scenario = build_scenario(
        users=users, clients=NO_RETRY, traffic={"sign_in": "20/s"},
        dependencies=[{**SENDER, "kind": kind}],
        faults=[{"kind": "dependency_outage", "name": "sms", "start": "2m", "duration": "5m"}])
    records = simulate(scenario, 0)
    req = records.requests
    down = req.outcome == "dependency_down"
    assert _poisson_ok(int(down.sum()), 20.0 * float(share.rstrip("%")) / 100 * 300.0)
    times = req.time_s[down]
    assert times.min() >= 120.0 and times.max() < 420.0
    assert set(req.outcome.unique()) <= {"ok", "dependency_down"}
    metrics = compute_metrics(records, scenario)
    assert metrics["dependency_failures.sms"] == down.sum()
    assert metrics["failed_logins.dependency_down"] == down.sum()


def test_a_trigger_in_the_failed_region_fails_every_sign_in_the_secondary_serves():
    """A pre-token-generation trigger hosted in r1 and used by both regions: once DNS has
    moved to r2 (flip + TTL, every client re-resolved), every sign-in there is refused
    until r1 returns — a Poisson count at the sign-in rate over that window; with a
    trigger hosted in each region (the replicated design) none is."""
    faults = [{"kind": "region_outage", "region": "r1", "start": "2m", "duration": "10m"}]
    trigger = {"name": "claims", "kind": "trigger", "hosted_in": "r1",
               "used_by": ["sign_in"]}
    common = dict(users=PLAIN_USERS, clients=NO_RETRY, traffic={"sign_in": "20/s"},
                  dns={"ttl": "10s"}, health_check={"interval": "10s"}, faults=faults,
                  run={"duration": "15m", "seed": 1},
                  secondary_limits={"totp_mfa": True})
    records = simulate(build_scenario(dependencies=[trigger], **common), 0)
    flip = records.meta["dns_flip_s"]
    req = records.requests
    window = (req.time_s >= flip + 10.0) & (req.time_s < 720.0)
    assert (req.region[window] == "r2").all()
    down = (req.outcome[window] == "dependency_down").sum()
    assert down == window.sum()
    assert _poisson_ok(int(down), 20.0 * (720.0 - flip - 10.0))
    replicated = [{**trigger, "serves": ["r1"]},
                  {**trigger, "name": "claims-r2", "hosted_in": "r2", "serves": ["r2"]}]
    records = simulate(build_scenario(dependencies=replicated, **common), 0)
    assert not (records.requests.outcome == "dependency_down").any()


@pytest.mark.parametrize(("offered", "capacity"), [(20.0, 5.0), (1.0, 10.0)])
def test_a_capped_trigger_passes_min_of_offered_and_capacity(offered, capacity):
    """Sign-ups through a pre-sign-up trigger of capacity c (bucket 1 s deep) for 10 min:
    over capacity, c × 600 + c succeed (the bucket starts full), up to the refill lost
    between arrivals, and the rest are throttled; under it, everything passes."""
    scenario = build_scenario(
        users=PLAIN_USERS, clients=NO_RETRY, traffic={"sign_up": f"{offered:g}/s"},
        dependencies=[{"name": "pre-sign-up", "kind": "trigger", "hosted_in": "r1",
                       "used_by": ["sign_up"], "capacity": f"{capacity:g}/s"}])
    req = simulate(scenario, 0).requests
    ok = int((req.outcome == "ok").sum())
    if offered > capacity:
        # Tokens: c at the first arrival, then c per second until the last (the bucket is
        # dry at nearly every arrival: less than one token and one refill gap are left).
        first, last = float(req.time_s.min()), float(req.time_s.max())
        tokens = capacity + capacity * (last - first)
        assert tokens - 2.0 <= ok <= tokens
        assert abs(ok - capacity * 601.0) <= 3.0  # min(offered, capacity) × 10 min + depth
        assert (req.outcome == "dependency_throttled").sum() == len(req) - ok
    else:
        assert ok == len(req) and _poisson_ok(ok, offered * 600.0)


# --------------------------------------------------------------------------- control plane

STEPS = {"page": "1m", "acknowledge": "1m", "decide": "1m", "runbook": "2m"}


def _control(hosted_in, faults, mode="manual", **failover):
    scenario = build_scenario(
        run={"duration": "2h", "seed": 3},
        dependencies=[{"name": "api", "kind": "control_plane", "hosted_in": hosted_in}],
        failover={"mode": mode, "manual": STEPS, "control_plane": "api", **failover},
        faults=faults)
    return run_control_plane(scenario, Streams(3, 0))


OUTAGE = {"kind": "region_outage", "region": "r1", "start": "5m", "duration": "55m"}
CP_DOWN = {"kind": "dependency_outage", "name": "api", "start": "0s", "duration": "20m"}


@pytest.mark.parametrize(("cp_faults", "break_glass", "expected_wait"), [
    ([], None, lambda ready: 0.0),  # up: as without a control plane
    ([CP_DOWN], None, lambda ready: 1200.0 - ready),  # back at 20 min
    ([CP_DOWN], "5m", lambda ready: 300.0),  # the break-glass path after 5 min
    ([{**CP_DOWN, "start": "30m"}], None, lambda ready: 0.0),  # down only later
])
def test_the_failover_flips_at_max_of_operator_and_control_plane_plus_runbook(
        cp_faults, break_glass, expected_wait):
    """Operator ready at detection + 3 min; the control plane (hosted outside the regions)
    down from 0 to 20 min: the DNS flip is at ready + wait + runbook (2 min), the wait
    max(0, 20 min − ready) or break_glass_after, and failover_blocked_s is the wait."""
    timeline = _control(None, [OUTAGE, *cp_faults], break_glass_after=break_glass)
    ready = timeline.meta["detection_s"] + 180.0
    wait = expected_wait(ready)
    assert timeline.meta["dns_flip_s"] == pytest.approx(ready + wait + 120.0)
    assert timeline.meta["failover_blocked_s"] == pytest.approx(wait)


def test_a_control_plane_in_the_failed_region_means_no_failover():
    """Hosted in r1: the operator waits until r1 returns (60 min), runs the runbook, finds
    the primary healthy and gives up — no flip, no promotion, the wait is the rest of
    the outage."""
    timeline = _control("r1", [OUTAGE])
    ready = timeline.meta["detection_s"] + 180.0
    assert timeline.meta["dns_flip_s"] is None and timeline.meta["promotion_start_s"] is None
    assert timeline.meta["failover_blocked_s"] == pytest.approx(3600.0 - ready)


def test_an_automatic_promotion_waits_for_the_control_plane_but_dns_does_not():
    """Automatic: the health check moves DNS at detection; the promotion needs the control
    plane and starts when it is back (20 min)."""
    timeline = _control(None, [OUTAGE, CP_DOWN], mode="automatic")
    assert timeline.meta["dns_flip_s"] == pytest.approx(timeline.meta["detection_s"])
    assert timeline.meta["promotion_start_s"] == pytest.approx(1200.0)
    assert np.isclose(timeline.meta["failover_blocked_s"],
                      1200.0 - timeline.meta["detection_s"])


def test_the_rto_is_the_blocked_flip_plus_dns():
    """End to end: sign-ins at 20/s, clients honouring a 10 s TTL, the control plane back
    at 20 min: the RTO (to 50 %, counted from the outage at 5 min in whole minutes) is
    the flip — max(operator ready, 20 min) + runbook — plus at most the TTL and a
    minute's window."""
    scenario = build_scenario(
        users=PLAIN_USERS, clients=NO_RETRY, traffic={"sign_in": "20/s"},
        dns={"ttl": "10s"}, run={"duration": "40m", "seed": 3},
        dependencies=[{"name": "api", "kind": "control_plane", "hosted_in": None}],
        failover={"mode": "manual", "manual": STEPS, "control_plane": "api"},
        faults=[OUTAGE, CP_DOWN])
    records = simulate(scenario, 0)
    flip = records.meta["dns_flip_s"]
    assert flip == pytest.approx(1200.0 + 120.0)
    rto = compute_metrics(records, scenario)["rto_50_s"]
    assert flip - 300.0 <= rto <= flip - 300.0 + 10.0 + 60.0
