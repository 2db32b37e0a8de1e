"""The router's steadiness test is safe: an answer it calls steady never changes.

:meth:`Router.steady` lets the batch serve a writer's several requests in rounds;
it must never call steady a client whose answer :meth:`Router.route` changes in
the interval (it may be conservative).
"""

from __future__ import annotations

import numpy as np

from drsim.model import dns_outages
from drsim.model.control import run_control_plane
from drsim.model.directory import Directory
from drsim.model.routing import build_router
from drsim.model.streams import Streams
from drsim.scenario import load_scenario


def test_a_steady_answer_never_changes():
    scenario = load_scenario("cognito-active-passive", [
        "users.population=3000", "run.duration=1h", "faults.0.start=10m",
        "faults.0.duration=20m", "dns.ttl=120s"])
    streams = Streams(scenario.run.seed, 0)
    control = run_control_plane(scenario, streams)
    assert len(control.record_times[0]) > 2  # a failover and a failback move the answer
    router = build_router(scenario, control, Directory(scenario, streams,
                                                       scenario.users.population),
                          dns_outages(control))
    rng = np.random.default_rng(5)
    users = np.arange(3000)
    verdicts = []
    for start in rng.uniform(0.0, 3300.0, 40):
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
