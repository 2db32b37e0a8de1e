"""The router's steadiness test is safe: an answer it calls steady never changes.

:meth:`Router.steady` lets the batch serve a writer's several requests in rounds;
it must never call steady a client whose answer :meth:`Router.route` changes in
the interval (it may be conservative).
"""

from __future__ import annotations

import numpy as np
import pytest

from drsim.model import dns_outages
from drsim.model.control import run_control_plane
from drsim.model.directory import Directory
from drsim.model.routing import build_router
from drsim.model.streams import Streams
from drsim.scenario import load_scenario


@pytest.mark.parametrize("ttl", ["120s", "900s"])  # 900 s: many clients refresh no more
def test_a_steady_answer_never_changes(ttl):           # in a window after a change in it
    scenario = load_scenario("cognito-active-passive", [
        "users.population=3000", "run.duration=1h", "faults.0.start=10m",
        "faults.0.duration=20m", f"dns.ttl={ttl}"])
    streams = Streams(scenario.run.seed, 0)
    control = run_control_plane(scenario, streams)
    assert len(control.record_times[0]) > 2  # a failover and a failback move the answer
    router = build_router(scenario, control, Directory(scenario, streams,
                                                       scenario.users.population),
                          dns_outages(control))
    rng = np.random.default_rng(5)
    users = np.arange(3000)
    verdicts = []
    for start in [0.0, 5.0, *rng.uniform(0.0, 3300.0, 40)]:  # from 0: refreshes before it
        end = start + rng.uniform(10.0, 300.0)
        steady = router.steady(start, users, end)
        grid = np.linspace(start, end, 400, endpoint=False)
        answers = np.array([router.route_many(np.full(len(users), x), users, users * 0)
                            for x in grid])
        constant = (answers == answers[0]).all(axis=0)
        assert not (steady & ~constant).any(), f"called steady, yet moved in [{start}, {end})"
        verdicts.append((steady.mean(), constant.mean()))
    steady_share, constant_share = np.array(verdicts).mean(axis=0)
    assert steady_share > 0.8 * constant_share  # conservative, not useless
    assert constant_share < 1.0  # some windows do contain a change


def test_steady_from_each_users_own_instant_is_steady_from_that_instant():
    """A batch asks from each writer's first write on: one instant per user gives, user by
    user, the verdict of that user's instant alone."""
    router, control = _router("cognito-active-passive", ["faults.0.start=10m",
                                                         "faults.0.duration=20m"])
    change = control.record_times[0][1]
    rng = np.random.default_rng(9)
    users = rng.integers(0, 4000, 500)
    start = change + rng.uniform(-300.0, 300.0, len(users))
    end = change + 400.0
    one_each = [bool(router.steady(float(s), np.array([u]), end)[0])
                for s, u in zip(start.tolist(), users.tolist(), strict=True)]
    verdict = router.steady(start, users, end)
    assert verdict.tolist() == one_each
    assert 0 < verdict.sum() < len(users)  # later starts past the change: steady


def _router(name: str, sets: list[str]):
    scenario = load_scenario(name, ["users.population=4000", *sets])
    streams = Streams(scenario.run.seed, 0)
    control = run_control_plane(scenario, streams)
    directory = Directory(scenario, streams, scenario.users.population)
    return build_router(scenario, control, directory, dns_outages(control)), control


def _windows(times: list, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Batch-like windows: before the first change, straddling and just after each change,
    and long after."""
    out = [(0.0, 200.0)]
    for change in times[1:]:
        for offset in (-100.0, -1.0, 0.0, 1e-9, 30.0, 90.0, 600.0, 5000.0):
            start = max(0.0, change + offset)
            out.append((start, start + rng.uniform(1e-6, 240.0)))
    return out


def test_a_batch_of_routes_agrees_with_one_at_a_time():
    """``route_many`` (a settled answer for clients that refreshed since the record's last
    change, the arithmetic for the rest) is ``route``'s answer for every request: one home
    (failover record) and several (latency record, per-operation endpoints), with and
    without a DNS outage (every answer worked out), on windows at and around each change."""
    cases = [
        ("cognito-active-passive", []),
        ("cognito-active-passive", ["dns.ttl=10s"]),
        ("read-local-write-primary", []),
        ("cognito-active-passive", [
            "faults.1={kind: dns_outage, start: 40m, duration: 5m, serve_stale: 50%}"]),
    ]
    rng = np.random.default_rng(11)
    settled = 0
    for name, sets in cases:
        router, control = _router(name, sets)
        changes = sorted({t for times in control.record_times for t in times})
        assert len(changes) > 1
        ops = np.arange(10) % 3  # sign-in, sign-up and refresh codes among them
        for start, end in _windows(changes, rng):
            users = rng.integers(0, 4000, 3000)
            t = np.sort(rng.uniform(start, end, len(users)))
            op = ops[users % len(ops)]
            many = router.route_many(t, users, op)
            one = [router.route(x, u, o) for x, u, o in zip(t.tolist(), users.tolist(),
                                                           op.tolist(), strict=True)]
            assert many.tolist() == one, (name, sets, start, end)
            settled += not router.outages
    assert settled > 50


def test_serve_stale_draws_are_drawn_on_first_use_as_at_the_start():
    """The users' serve-stale draws (read during a DNS outage only) are the fifth draw of
    the ``users`` stream, whenever they are first read, and the draws after them (the
    sessions' issue times) are those of drawing them at the start."""
    scenario = load_scenario("cognito-active-passive", ["users.population=3000"])
    streams = Streams(scenario.run.seed, 0)
    directory = Directory(scenario, streams, 3_100)
    expected = streams.get("users")
    expected.random(4 * 3_100)  # MFA, federated, seen on the primary, issuer pinning
    assert np.array_equal(np.asarray(directory.stale_draw), expected.random(3_100))
    assert directory.stale_draw is directory.stale_draw  # drawn once
    has_session = expected.random(3_100) < scenario.users.with_session
    has_session[3_000:] = False
    age = expected.uniform(0.0, scenario.sessions.refresh_token, 3_100)
    assert np.array_equal(np.asarray(directory.session_issued),
                          np.where(has_session, -age, -np.inf))
