"""Known answers of flapping, hysteresis and the N-region promotion policy (issue 18).

A flapping primary (``region_outage`` with ``repeat``) of period P and outage
length D, health checks every I = 30 s with threshold k = 3 (16 checkers, 18 %):
each checker turns unhealthy (k−1)·I..k·I after an outage starts and healthy
again (k−1)·I..k·I after it ends, so with D = 3 min ≥ k·I + promotion (30 s)
every outage is detected and promoted, and every return is failed back:

- no hysteresis: failovers = failbacks = oscillations = the number of outages,
  read-only time = outages × promotion_time;
- ``failback.min_healthy`` H > P − D + k·I: the primary is never healthy for H during
  the flapping, so one failover and a single failback H after the last return;
  H < P − D − k·I: every outage is still a round trip;
- ``max_failovers_per_hour`` c: at most c failovers start in any hour.
- partial detection: one checker detects an outage of length D iff its probe
  offset into it is below D − (k−1)·I; outages 607 s apart sweep that offset
  evenly, so 30·(D − 60 s)/30 s of 30 outages are round trips.

With three regions, ``failover.promote`` picks first / operator / nearest (the
home of most clients) / least_lag (the channel cut longest ago), preferring a
healthy secondary.

Everything here is deterministic (no random draw decides a count); the control
plane draws only the checkers' phases.
"""

from __future__ import annotations

import pandas as pd
import pytest

from drsim.metrics.compute import compute_metrics
from drsim.model import simulate
from drsim.model.control import run_control_plane
from drsim.model.streams import Streams
from drsim.records import EVENT_COLUMNS
from drsim.scenario.schema import Scenario, consistency_problems

from .conftest import build_scenario, scenario_dict

P_S, D_S, TIMES, START_S = 600.0, 180.0, 6, 600.0
K_I_S = 90.0  # failure_threshold × interval: the latest a checker flips


def flapping(**failover) -> Scenario:
    return build_scenario(
        faults=[{"kind": "region_outage", "region": "r1", "start": "10m", "duration": "3m",
                 "repeat": {"every": "10m", "times": TIMES}}],
        health_check={"interval": "30s", "failure_threshold": 3},
        failover={"promotion_time": "30s", **failover},
        run={"duration": "2h", "seed": 3},
    )


def timeline_events(scenario: Scenario) -> pd.DataFrame:
    timeline = run_control_plane(scenario, Streams(scenario.run.seed, 0))
    return pd.DataFrame(timeline.events, columns=list(EVENT_COLUMNS))


def times_of(events: pd.DataFrame, kind: str) -> list[float]:
    return sorted(events.loc[events["kind"] == kind, "time_s"].tolist())


def test_repeat_expands_into_plain_windows():
    faults = flapping().faults
    assert [f.start for f in faults] == [START_S + k * P_S for k in range(TIMES)]
    assert all(f.duration == D_S and f.repeat is None for f in faults)


def test_without_hysteresis_every_outage_is_a_round_trip():
    scenario = flapping()
    metrics = compute_metrics(simulate(scenario), scenario)
    assert metrics["failovers"] == TIMES
    assert metrics["failbacks"] == TIMES
    assert metrics["oscillations"] == TIMES
    assert metrics["promotion_read_only_s"] == pytest.approx(TIMES * 30.0)


def test_min_healthy_longer_than_the_healthy_spell_keeps_the_secondary():
    hold = 600.0  # > P − D + k·I = 510 s
    scenario = flapping(failback={"min_healthy": "10m"})
    metrics = compute_metrics(simulate(scenario), scenario)
    assert (metrics["failovers"], metrics["failbacks"], metrics["oscillations"]) == (1, 1, 1)
    events = timeline_events(scenario)
    last_end = START_S + (TIMES - 1) * P_S + D_S
    (failback,) = times_of(events, "failback")
    assert last_end + K_I_S * 2 / 3 + hold <= failback <= last_end + K_I_S + hold


def test_min_healthy_shorter_than_the_healthy_spell_still_flaps():
    scenario = flapping(failback={"min_healthy": "5m"})  # < P − D − k·I = 330 s
    events = timeline_events(scenario)
    assert len(times_of(events, "promotion_start")) == TIMES
    assert len(times_of(events, "failback")) == TIMES


@pytest.mark.parametrize("cap", [1, 2, 4])
def test_max_failovers_per_hour_caps_the_oscillations(cap):
    scenario = flapping(max_failovers_per_hour=cap)
    metrics = compute_metrics(simulate(scenario), scenario)
    # The six outages fall within 53 minutes: the cap decides the count.
    assert metrics["failovers"] == cap
    assert metrics["oscillations"] == cap
    events = timeline_events(scenario)
    starts = times_of(events, "promotion_start")
    assert all(sum(t <= u < t + 3600.0 for u in starts) <= cap for t in starts)
    assert times_of(events, "failover_held")
    held = simulate(scenario).events
    assert (held["kind"] == "failover_held").any()


def test_over_a_long_flap_the_cap_holds_in_every_hour():
    scenario = build_scenario(
        faults=[{"kind": "region_outage", "region": "r1", "start": "10m", "duration": "3m",
                 "repeat": {"every": "10m", "times": 20}}],
        health_check={"interval": "30s", "failure_threshold": 3},
        failover={"promotion_time": "30s", "max_failovers_per_hour": 2},
        run={"duration": "4h", "seed": 3},
    )
    starts = times_of(timeline_events(scenario), "promotion_start")
    assert all(sum(t <= u < t + 3600.0 for u in starts) <= 2 for t in starts)
    assert len(starts) >= 4  # the window slides: more after the first hour


@pytest.mark.parametrize(("repeat", "duration", "message"), [
    ({"every": "5m", "times": 3}, "6m", "must be longer than duration"),
    ({"every": "5m", "times": 3}, "forever", "finite duration"),
    ({"every": "5m", "times": 1}, "1m", "greater than or equal to 2"),
])
def test_bad_repeat_is_refused_clearly(repeat, duration, message):
    data = scenario_dict(faults=[{"kind": "region_outage", "region": "r1", "start": "1m",
                                  "duration": duration, "repeat": repeat}])
    with pytest.raises(ValueError, match=message):
        Scenario.model_validate(data)


# --------------------------------------------------------------------------- promotion policy

THREE = [{"name": "r1", "role": "primary"}, {"name": "r2", "role": "secondary"},
         {"name": "r3", "role": "secondary"}]
OUTAGE = {"kind": "region_outage", "region": "r1", "start": "10m", "duration": "forever"}


def promoted(faults=(), clients=None, **failover) -> str:
    sections = {"regions": THREE, "faults": [*faults, OUTAGE], "failover": failover,
                "run": {"duration": "20m", "seed": 2}}
    if clients is not None:
        sections["clients"] = clients
    events = timeline_events(build_scenario(**sections))
    (region,) = events.loc[events["kind"] == "promotion_start", "region"].tolist()
    return region


def homes(r2: str, r3: str) -> list[dict]:
    return [{"name": "a", "share": r2, "home": "r2", "dns": {"behaviour": "honour"}},
            {"name": "b", "share": r3, "home": "r3", "dns": {"behaviour": "honour"}}]


def test_first_promotes_the_first_listed_secondary():
    assert promoted() == "r2"
    assert promoted(clients=homes("10%", "90%")) == "r2"


def test_operator_promotes_the_named_region():
    assert promoted(promote="operator", promote_region="r3") == "r3"


def test_nearest_promotes_the_home_of_most_clients():
    assert promoted(clients=homes("40%", "60%"), promote="nearest") == "r3"
    assert promoted(clients=homes("60%", "40%"), promote="nearest") == "r2"


def test_nearest_prefers_a_healthy_secondary():
    down = {"kind": "region_outage", "region": "r3", "start": "1m", "duration": "forever"}
    assert promoted([down], clients=homes("40%", "60%"), promote="nearest") == "r2"


def test_least_lag_avoids_the_secondary_cut_off_most_recently():
    cut = {"kind": "partition", "regions": ["r1", "r2"], "start": "2m", "duration": "6m"}
    assert promoted([cut], promote="least_lag") == "r3"
    assert promoted([cut]) == "r2"
    assert promoted(promote="least_lag") == "r2"  # a tie: the first listed


def test_the_promoted_region_takes_the_writes():
    scenario = build_scenario(regions=THREE, faults=[OUTAGE],
                              failover={"promote": "operator", "promote_region": "r3"},
                              traffic={"sign_up": "2/s"}, run={"duration": "20m", "seed": 2})
    records = simulate(scenario)
    events = records.events
    writable = events.loc[(events["kind"] == "writable") & (events["time_s"] > 0), "region"]
    assert writable.tolist() == ["r3"]


@pytest.mark.parametrize(("failover", "message"), [
    ({"promote": "operator"}, "needs failover.promote_region"),
    ({"promote_region": "r3"}, "only with promote: operator"),
])
def test_bad_promotion_policy_is_refused_clearly(failover, message):
    with pytest.raises(ValueError, match=message):
        Scenario.model_validate(scenario_dict(regions=THREE, failover=failover))


def test_operator_region_must_be_a_secondary():
    scenario = Scenario.model_validate(scenario_dict(
        regions=THREE, failover={"promote": "operator", "promote_region": "r1"}))
    (problem,) = consistency_problems(scenario)
    assert problem.key_path == ("failover", "promote_region")
    assert "not a secondary" in problem.message


@pytest.mark.parametrize(("outage_s", "detected"), [(65, 5), (75, 15), (85, 25)])
def test_without_hysteresis_the_round_trips_are_the_detected_outages(outage_s, detected):
    """One checker (I = 30 s, k = 3) detects an outage of length D iff its probe offset u
    into the outage is below D − (k − 1)·I. Outages every 607 s shift that offset by 7 s
    (mod 30 s) each time, so 30 outages see 30 offsets one second apart and exactly
    30·(D − 60 s)/30 s of them are detected; each is one failover and one failback."""
    scenario = build_scenario(
        faults=[{"kind": "region_outage", "region": "r1", "start": "10m",
                 "duration": f"{outage_s}s", "repeat": {"every": "607s", "times": 30}}],
        health_check={"interval": "30s", "failure_threshold": 3, "checkers": 1,
                      "healthy_fraction": "0%"},
        failover={"promotion_time": "30s"},
        run={"duration": "6h", "seed": 5},
    )
    metrics = compute_metrics(simulate(scenario), scenario)
    assert metrics["failovers"] == detected
    assert metrics["failbacks"] == detected
    assert metrics["oscillations"] == detected
