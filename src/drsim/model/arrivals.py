"""Every first attempt of a run, in time order: the per-operation rates and the attackers
(:mod:`drsim.model.traffic`), the requests that follow them (``traffic.follow_ups``), and
the sessions that sign-ins start (:mod:`drsim.model.journeys`) and, without single-flight
refresh, the concurrent copies of each refresh (:mod:`drsim.model.concurrent_refresh`)."""

from __future__ import annotations

from drsim.model.concurrent_refresh import with_concurrent_refreshes
from drsim.model.journeys import with_sessions
from drsim.model.streams import Streams
from drsim.model.traffic import Arrivals, rate_arrivals, with_follow_ups
from drsim.scenario.schema import Scenario


def generate_arrivals(scenario: Scenario, streams: Streams) -> Arrivals:
    """All first attempts of the run, sorted by time (at equal times, in source order)."""
    arrivals = rate_arrivals(scenario, streams)
    if scenario.traffic.follow_ups:
        arrivals = with_follow_ups(scenario, streams, arrivals)
    if scenario.sessions.active_for is not None:
        arrivals = with_sessions(scenario, streams, arrivals)
    if not scenario.sessions.single_flight:
        arrivals = with_concurrent_refreshes(scenario, streams, arrivals)
    return arrivals
