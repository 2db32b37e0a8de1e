"""Known answers of the heartbeat detector, fencing and split brain (issue 18).

- Detection: heartbeat exchanges every I from a uniform phase, timeout τ from the first
  failed one: a cut at c is detected τ + U·I after c (U uniform on [0, 1), the probe
  phase): always in [τ, τ + I), on average τ + I/2.
- Fencing: the primary's lease expires τ after the last exchange that got through, one
  interval before the detection, so before the secondary is writable: never two writers
  (and at most one writable region in every epoch).
- No fencing: ``split_brain_s`` equals the overlap of the two regions' writable
  intervals, computed here from the events (the primary's from the run's start to the
  end, the secondary's from its ``writable`` to the ``failback``).
- Conflicts: N users, each writing its profile as a Poisson process of rate u; the DNS
  record flips to the secondary when the split starts (promotion takes no time) and each
  client re-resolves on a grid of the TTL T from a uniform phase, so it moves X ~ U[0, T)
  later: its writes go to the primary before and to the secondary after. Over a split
  of length D it wrote on both sides with probability
  g(D) = (1/T) ∫₀^min(T,D) (1 − e^{−ux})(1 − e^{−u(D−x)}) dx
  (closed form below for T ≤ D), so E[conflicting users] = N·g(D).
- last-writer-wins keeps the side of each user's last write: the kept side holds the
  user's newest version in both regions at the end.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from drsim.metrics.compute import compute_metrics
from drsim.metrics.splitbrain import split_windows_from_events
from drsim.model import simulate
from drsim.model.control import run_control_plane
from drsim.model.detectors import split_windows
from drsim.model.streams import Streams
from drsim.records import EVENT_COLUMNS
from drsim.scenario.schema import Scenario, consistency_problems

from .conftest import build_scenario, scenario_dict

I_S, TAU_S, CUT_S, HEAL_S = 2.0, 9.0, 60.0, 300.0
TTL_S, USERS, RATE_PER_USER = 60.0, 1000, 2.0 / 60.0

APP_CLIENT = [{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
               "retry": {"attempts": 1}}]


UNTHROTTLED = {"user_update": "100000/s"}  # no quota refuses a write here


def partitioned(fencing: bool = False, writes: bool = True, **failover) -> Scenario:
    return build_scenario(
        regions=[{"name": "r1", "role": "primary", "quotas": UNTHROTTLED},
                 {"name": "r2", "role": "secondary", "quotas": UNTHROTTLED}],
        users={"population": USERS},
        clients=APP_CLIENT,
        dns={"ttl": f"{TTL_S:g}s"},
        traffic={"profile_update": f"{USERS * RATE_PER_USER * writes:g}/s"},
        faults=[{"kind": "partition", "regions": ["r1", "r2"], "start": f"{CUT_S:g}s",
                 "duration": f"{HEAL_S - CUT_S:g}s"}],
        failover={"detector": "heartbeat", "fencing": fencing, "promotion_time": "0s",
                  "heartbeat": {"interval": f"{I_S:g}s", "timeout": f"{TAU_S:g}s"},
                  **failover},
        replication={"mode": "async"},
        run={"duration": "330s", "seed": 11},  # the failback is at ≈ 300 s
    )


def events_of(scenario: Scenario, replication: int = 0) -> pd.DataFrame:
    timeline = run_control_plane(scenario, Streams(scenario.run.seed, replication))
    return pd.DataFrame(timeline.events, columns=list(EVENT_COLUMNS))


def first_time(events: pd.DataFrame, kind: str, region: str | None = None,
               detail: str | None = None) -> float:
    rows = events.loc[events["kind"] == kind]
    if region is not None:
        rows = rows.loc[rows["region"] == region]
    if detail is not None:
        rows = rows.loc[rows["detail"] == detail]
    return float(rows["time_s"].min()) if len(rows) else math.nan


def short(scenario: Scenario, duration: str = "100s") -> Scenario:
    """The same design over a shorter run with one health checker: only the detector's
    timing is looked at (200 control planes)."""
    data = scenario.model_dump(mode="json")
    data["run"]["duration"], data["health_check"]["checkers"] = duration, 1
    return Scenario.model_validate(data)


def test_heartbeat_detects_a_cut_at_tau_plus_the_probe_phase():
    scenario = short(partitioned(writes=False))
    delays = np.array([first_time(events_of(scenario, k), "detector", "r2", "lost") - CUT_S
                       for k in range(200)])
    assert delays.min() >= TAU_S and delays.max() < TAU_S + I_S
    # U uniform: mean τ + I/2, standard error I/√12/√n; half on either side of it.
    assert abs(delays.mean() - (TAU_S + I_S / 2)) < 4 * I_S / math.sqrt(12 * len(delays))
    assert 0.4 < np.mean(delays > TAU_S + I_S / 2) < 0.6


def test_health_checks_do_not_see_a_partition_but_the_heartbeat_promotes():
    events = events_of(partitioned(writes=False))
    assert (events.loc[events["kind"] == "health", "detail"] == "healthy").all()
    detected = first_time(events, "detector", "r2", "lost")
    assert first_time(events, "writable", "r2") == pytest.approx(detected)  # promotion 0 s
    heard = first_time(events, "detector", "r2", "heard")
    assert HEAL_S <= heard < HEAL_S + I_S
    assert first_time(events, "failback", "r1") == pytest.approx(heard)


def writable_overlap(events: pd.DataFrame, duration_s: float) -> float:
    """The overlap of r1's writable interval (start → fenced or demoted) with r2's
    (writable → failback), from the events alone."""
    stops = [first_time(events, kind, "r1") for kind in ("fenced", "demoted")]
    r1 = (0.0, min([t for t in stops if not math.isnan(t)], default=duration_s))
    r2 = (first_time(events, "writable", "r2"), first_time(events, "failback", "r1"))
    return max(0.0, min(r1[1], r2[1]) - max(r1[0], r2[0]))


def test_without_fencing_split_brain_is_the_measured_overlap():
    scenario = partitioned(writes=False)
    for k in range(5):
        events = events_of(scenario, k)
        overlap = writable_overlap(events, scenario.run.duration)
        # Detected τ after the first failed exchange, heard at the first one after the heal:
        # the same grid, and the cut lasts a whole number of intervals.
        assert overlap == pytest.approx(HEAL_S - CUT_S - TAU_S)
        windows = split_windows_from_events(events, scenario.run.duration)
        assert sum(b - a for a, b in windows) == pytest.approx(overlap)


def test_a_replaced_primary_is_demoted_when_reached_again_whenever_the_failback_comes():
    """Without fencing, the old primary learns of the promotion at the first exchange after
    the heal and stops taking writes then: the split brain is h − c − τ whether the
    failback follows at once, two minutes later, or never."""
    for failback in ({"delay": "120s"}, {"policy": "never"}):
        scenario = partitioned(writes=False, failback=failback)
        for k in range(3):
            events = events_of(scenario, k)
            heard = first_time(events, "detector", "r2", "heard")
            assert first_time(events, "demoted", "r1") == pytest.approx(heard)
            assert math.isnan(first_time(events, "failback", "r1"))  # after the run, or never
            windows = split_windows_from_events(events, scenario.run.duration)
            assert sum(b - a for a, b in windows) == pytest.approx(HEAL_S - CUT_S - TAU_S)


def test_with_fencing_there_is_never_a_second_writer():
    scenario = partitioned(fencing=True, writes=False)
    for k in range(5):
        timeline = run_control_plane(scenario, Streams(scenario.run.seed, k))
        assert all(sum(e.writable) <= 1 for e in timeline.epochs)
        assert split_windows(timeline.epochs) == []
        events = pd.DataFrame(timeline.events, columns=list(EVENT_COLUMNS))
        assert first_time(events, "fenced", "r1") == pytest.approx(
            first_time(events, "detector", "r2", "lost") - I_S)
        assert writable_overlap(events, scenario.run.duration) == 0.0


def both_sides_probability(d: float, u: float = RATE_PER_USER, t: float = TTL_S) -> float:
    """g(D) for T ≤ D: (1/T)[T(1 + e^{−uD}) − (1 − e^{−uT})/u − e^{−uD}(e^{uT} − 1)/u]."""
    assert t <= d
    e = math.exp(-u * d)
    return (t * (1 + e) - (1 - math.exp(-u * t)) / u - e * (math.exp(u * t) - 1) / u) / t


def test_both_sides_probability_matches_its_integral():
    d = 230.0
    x = np.linspace(0.0, TTL_S, 200_001)
    f = (1 - np.exp(-RATE_PER_USER * x)) * (1 - np.exp(-RATE_PER_USER * (d - x)))
    assert both_sides_probability(d) == pytest.approx(np.trapezoid(f, x) / TTL_S, rel=1e-9)


@pytest.fixture(scope="module")
def split_runs():
    scenario = partitioned()
    return scenario, [simulate(scenario, k) for k in range(4)]


def test_conflicting_users_follow_the_closed_form(split_runs):
    scenario, runs = split_runs
    observed = expected = variance = 0.0
    for records in runs:
        metrics = compute_metrics(records, scenario)
        (start, end), = split_windows_from_events(records.events, scenario.run.duration)
        assert metrics["split_brain_s"] == pytest.approx(end - start)
        g = both_sides_probability(end - start)
        observed += metrics["conflicting_users"]
        expected += USERS * g
        variance += USERS * g * (1 - g)
        assert metrics["reconciled_writes_kept"] + metrics["reconciled_writes_lost"] \
            == metrics["conflicting_writes"]
    assert abs(observed - expected) < 4 * math.sqrt(variance), (observed, expected)


def test_last_writer_wins_keeps_each_users_last_write(split_runs):
    scenario, runs = split_runs
    for records in runs:
        w = records.writes
        (start, end), = split_windows_from_events(records.events, scenario.run.duration)
        during = w.loc[(w["time_s"] >= start) & (w["time_s"] < end)]
        assert (during["split"] > 0).all()
        assert (w.loc[(w["time_s"] < start) | (w["time_s"] >= end), "split"] == 0).all()
        conflicting = during.loc[during["split"] >= 2]
        last = conflicting.sort_values("write_id").groupby("user").tail(1)
        assert (last["split"] == 2).all()  # the last write of each conflicting user is kept
        both = during.groupby("user")["origin"].nunique()
        assert set(both[both == 2].index) == set(conflicting["user"])


def test_primary_wins_keeps_the_old_primarys_side():
    scenario = partitioned(reconciliation="primary_wins")
    records = simulate(scenario, 0)
    conflicting = records.writes.loc[records.writes["split"] >= 2]
    assert len(conflicting)
    kept = conflicting["split"] == 2
    assert (conflicting.loc[kept, "origin"] == "r1").all()
    assert (conflicting.loc[~kept, "origin"] == "r2").all()


@pytest.mark.parametrize(("change", "message"), [
    ({"failover": {"detector": "heartbeat", "mode": "manual"}}, "mode must be 'automatic'"),
    ({"failover": {"fencing": True}}, "fencing needs detector 'heartbeat' or 'arbiter'"),
    ({"failover": {"detector": "heartbeat"}, "replication": {"mode": "sync"}},
     "mode must be 'async'"),
    ({"failover": {"detector": "heartbeat"},
      "regions": [{"name": "r1", "role": "primary"}, {"name": "r2", "role": "secondary"},
                  {"name": "r3", "role": "secondary"}]}, "one primary and one secondary"),
])
def test_inconsistent_detector_settings_are_named(change, message):
    scenario = Scenario.model_validate(scenario_dict(**change))
    problems = consistency_problems(scenario)
    assert any(message in p.message for p in problems), problems


def test_a_timeout_not_longer_than_the_interval_is_refused():
    with pytest.raises(ValueError, match="must exceed heartbeat.interval"):
        Scenario.model_validate(scenario_dict(
            failover={"detector": "heartbeat", "heartbeat": {"interval": "5s", "timeout": "5s"}}))


# --------------------------------------------------------------------------- the arbiter

OBSERVERS, QUORUM, ARB_I_S, ARB_TAU_S, OUTAGE_S = 5, 4, 10.0, 20.0, 60.0


def arbitrated(fault: dict) -> Scenario:
    return build_scenario(
        faults=[fault],
        failover={"detector": "arbiter", "promotion_time": "0s",
                  "arbiter": {"observers": OBSERVERS, "quorum": QUORUM,
                              "interval": f"{ARB_I_S:g}s", "timeout": f"{ARB_TAU_S:g}s"}},
        replication={"mode": "async"},
        run={"duration": "6m", "seed": 5},
    )


def test_the_arbiter_decides_at_tau_plus_the_quorums_order_statistic():
    """Observer i sees the outage dead τ + I·Uᵢ after it starts; a quorum of q out of n forms
    at the q-th smallest: τ + I·U₍q:n₎, mean τ + I·q/(n + 1), variance
    I²·q(n − q + 1)/((n + 1)²(n + 2))."""
    scenario = short(arbitrated({"kind": "region_outage", "region": "r1",
                                 "start": f"{OUTAGE_S:g}s", "duration": "4m"}))
    delays = np.array([first_time(events_of(scenario, k), "detector", "r2", "lost") - OUTAGE_S
                       for k in range(200)])
    assert delays.min() >= ARB_TAU_S and delays.max() < ARB_TAU_S + ARB_I_S
    n, q = OBSERVERS, QUORUM
    mean = ARB_TAU_S + ARB_I_S * q / (n + 1)
    sd = ARB_I_S * math.sqrt(q * (n - q + 1) / ((n + 1) ** 2 * (n + 2)))
    assert abs(delays.mean() - mean) < 4 * sd / math.sqrt(len(delays))
    assert delays.std() == pytest.approx(sd, rel=0.15)


def test_a_partition_between_the_regions_does_not_fool_the_arbiter():
    events = events_of(arbitrated({"kind": "partition", "regions": ["r1", "r2"],
                                   "start": "60s", "duration": "4m"}))
    assert not (events["kind"] == "detector").any()
    assert not (events["kind"] == "promotion_start").any()
    assert (events.loc[events["kind"] == "writers", "value"] == 1).all()


def test_the_arbiter_demotes_the_primary_it_promotes_over():
    scenario = arbitrated({"kind": "region_outage", "region": "r1", "start": "60s",
                           "duration": "2m"})
    timeline = run_control_plane(scenario, Streams(scenario.run.seed, 0))
    assert all(sum(e.writable) <= 1 for e in timeline.epochs)
    events = pd.DataFrame(timeline.events, columns=list(EVENT_COLUMNS))
    assert first_time(events, "writable", "r2") < 180.0 < first_time(events, "failback", "r1")
    assert split_windows(timeline.epochs) == []


def test_a_quorum_larger_than_the_observers_is_refused():
    with pytest.raises(ValueError, match="cannot exceed arbiter.observers"):
        Scenario.model_validate(scenario_dict(
            failover={"detector": "arbiter", "arbiter": {"observers": 3, "quorum": 4}}))
    scenario = Scenario.model_validate(scenario_dict(
        failover={"detector": "arbiter", "fencing": True}))
    assert consistency_problems(scenario) == []  # the observers' quorum renews the lease


def test_a_split_still_open_at_the_end_is_censored_and_says_so():
    from drsim.metrics.notes import metric_notes

    data = partitioned(writes=False, failback={"policy": "never"}).model_dump(mode="json")
    data["run"]["duration"] = f"{HEAL_S - 50:g}s"  # the link is still cut at the end
    scenario = Scenario.model_validate(data)
    records = simulate(scenario, 0)
    values = compute_metrics(records, scenario)
    assert values["split_brain_recovered"] == 0.0
    assert values["split_brain_s"] == pytest.approx(
        scenario.run.duration - first_time(records.events, "writable", "r2"))
    notes = metric_notes(records, scenario, values)
    assert "still took writes at the end of the run" in notes["split_brain_s"]


def test_a_dead_secondary_promotes_nothing_but_a_lease_fences_the_primary_meanwhile():
    """The primary cannot tell the secondary's death from a partition: with fencing it stops
    taking writes τ after the last exchange and takes them again at the first exchange
    after the secondary's return; the secondary, down, declares nothing."""
    scenario = build_scenario(
        faults=[{"kind": "region_outage", "region": "r2", "start": "60s", "duration": "2m"}],
        failover={"detector": "heartbeat", "fencing": True, "promotion_time": "0s",
                  "heartbeat": {"interval": f"{I_S:g}s", "timeout": f"{TAU_S:g}s"}},
        replication={"mode": "async"}, run={"duration": "5m", "seed": 2})
    events = events_of(scenario)
    assert not (events["kind"] == "detector").any()
    assert not (events["kind"] == "promotion_start").any()
    fenced = first_time(events, "fenced", "r1")
    assert TAU_S - I_S <= fenced - 60.0 < TAU_S
    back = events.loc[(events["kind"] == "writable") & (events["region"] == "r1")
                      & (events["time_s"] > 0), "time_s"]
    assert len(back) == 1 and 180.0 <= back.iloc[0] < 180.0 + I_S


# ------------------------------------------------------------- the primary cut off from the
# observers: CUT_OBS_N observers, a majority quorum, the cut from CUT_S to HEAL_S (a whole
# number of intervals), promotion 0 s.

CUT_OBS_N, CUT_OBS_Q = 5, 3


def observers_cut(fencing: bool, duration: str = "330s") -> Scenario:
    return build_scenario(
        faults=[{"kind": "observer_partition", "region": "r1", "start": f"{CUT_S:g}s",
                 "duration": f"{HEAL_S - CUT_S:g}s"}],
        failover={"detector": "arbiter", "fencing": fencing, "promotion_time": "0s",
                  "arbiter": {"observers": CUT_OBS_N, "quorum": CUT_OBS_Q,
                              "interval": f"{ARB_I_S:g}s", "timeout": f"{ARB_TAU_S:g}s"}},
        replication={"mode": "async"},
        run={"duration": duration, "seed": 7},
    )


def probe_ages(scenario: Scenario, replication: int, at: float) -> np.ndarray:
    """W: how long before ``at`` each observer last probed, in intervals (its phase is
    drawn first from the ``detector`` stream, observer by observer)."""
    rng = Streams(scenario.run.seed, replication).get("detector")
    phases = np.array([rng.uniform(0.0, ARB_I_S) for _ in range(CUT_OBS_N)])
    return np.sort(((at - phases) % ARB_I_S) / ARB_I_S)


def test_a_fenced_primary_cut_off_from_the_observers_stops_before_the_promotion():
    """Lease τ from the q-th most recent probe that got through: fenced at c + τ − I·W₍q:n₎;
    the verdict at c + τ + I·(1 − W)₍q:n₎ comes later (a majority quorum: at least I
    later), and the secondary takes writes then: never two writers."""
    scenario = observers_cut(fencing=True)
    q = CUT_OBS_Q
    for k in range(4):
        timeline = run_control_plane(scenario, Streams(scenario.run.seed, k))
        assert all(sum(e.writable) <= 1 for e in timeline.epochs)
        assert split_windows(timeline.epochs) == []
        events = pd.DataFrame(timeline.events, columns=list(EVENT_COLUMNS))
        w = probe_ages(scenario, k, CUT_S)
        fenced, lost = first_time(events, "fenced", "r1"), first_time(events, "detector", "r2")
        assert fenced == pytest.approx(CUT_S + ARB_TAU_S - ARB_I_S * w[q - 1])
        assert lost == pytest.approx(CUT_S + ARB_TAU_S + ARB_I_S * np.sort(1 - w)[q - 1])
        assert lost - fenced >= ARB_I_S - 1e-9
        assert first_time(events, "writable", "r2") == pytest.approx(lost)
        assert (events.loc[events["kind"] == "health", "detail"] == "healthy").all()
        assert writable_overlap(events, scenario.run.duration) == 0.0


def test_the_quorum_lease_expires_at_tau_less_the_quorums_order_statistic():
    """Over 100 control planes: fence − c = τ − I·W₍q:n₎, in (τ − I, τ], mean
    τ − I·q/(n + 1) (W uniform: the ages of the observers' last probes)."""
    scenario = short(observers_cut(fencing=True), "120s")
    delays = np.array([first_time(events_of(scenario, k), "fenced", "r1") - CUT_S
                       for k in range(100)])
    n, q = CUT_OBS_N, CUT_OBS_Q
    assert delays.min() > ARB_TAU_S - ARB_I_S and delays.max() <= ARB_TAU_S
    sd = ARB_I_S * math.sqrt(q * (n - q + 1) / ((n + 1) ** 2 * (n + 2)))
    assert abs(delays.mean() - (ARB_TAU_S - ARB_I_S * q / (n + 1))) < 4 * sd / 10


def test_an_unfenced_primary_cut_off_from_the_observers_is_a_split_brain():
    """The arbiter promotes the secondary but cannot demote the primary it cannot reach:
    both take writes from the verdict c + τ + I·(1 − W)₍q:n₎ until the failback when the
    quorum is gone, at h + I·(1 − W)₍n−q+1:n₎ (the cut lasts whole intervals, so the same
    W): split_brain_s = h − c − τ + I·[(1 − W)₍n−q+1₎ − (1 − W)₍q₎] (h − c − τ for
    q = (n + 1)/2), and it equals the overlap read from the events."""
    scenario = observers_cut(fencing=False)
    n, q = CUT_OBS_N, CUT_OBS_Q
    for k in range(4):
        records = simulate(scenario, k)
        events = records.events
        assert not (events["kind"] == "fenced").any()
        overlap = writable_overlap(events, scenario.run.duration)
        alive = np.sort(1 - probe_ages(scenario, k, CUT_S))
        closed = HEAL_S - CUT_S - ARB_TAU_S + ARB_I_S * (alive[n - q] - alive[q - 1])
        assert overlap == pytest.approx(closed)
        assert overlap == pytest.approx(HEAL_S - CUT_S - ARB_TAU_S)
        values = compute_metrics(records, scenario)
        assert values["split_brain_s"] == pytest.approx(overlap)
        assert values["split_brain_recovered"] == 1.0


def test_the_arbiter_demotes_a_replaced_primary_when_its_observers_reach_it_again():
    """Failback never: the quorum gone at h + I·(1 − W)₍n−q+1:n₎, the arbiter demotes the
    old primary it reaches again, so the split brain has the same closed form as with an
    immediate failback."""
    data = observers_cut(fencing=False).model_dump(mode="json")
    data["failover"]["failback"]["policy"] = "never"
    scenario = Scenario.model_validate(data)
    n, q = CUT_OBS_N, CUT_OBS_Q
    for k in range(3):
        events = events_of(scenario, k)
        alive = np.sort(1 - probe_ages(scenario, k, CUT_S))
        assert first_time(events, "demoted", "r1") == pytest.approx(
            HEAL_S + ARB_I_S * alive[n - q])
        windows = split_windows_from_events(events, scenario.run.duration)
        assert sum(b - a for a, b in windows) == pytest.approx(
            HEAL_S - CUT_S - ARB_TAU_S + ARB_I_S * (alive[n - q] - alive[q - 1]))


def test_an_observer_cut_shorter_than_the_verdict_fences_and_unfences_only():
    """A cut that heals before the quorum's verdict: no promotion; the fenced primary
    takes writes again at the first probes that restore a quorum."""
    scenario = observers_cut(fencing=True, duration="200s")
    data = scenario.model_dump(mode="json")
    data["faults"][0]["duration"] = f"{ARB_TAU_S:g}s"
    scenario = build_scenario(**{k: v for k, v in data.items()})
    events = events_of(scenario)
    assert not (events["kind"] == "promotion_start").any()
    fenced = first_time(events, "fenced", "r1")
    back = events.loc[(events["kind"] == "writable") & (events["region"] == "r1")
                      & (events["time_s"] > 0), "time_s"]
    heal = CUT_S + ARB_TAU_S
    assert fenced <= heal and len(back) == 1 and heal <= back.iloc[0] < heal + ARB_I_S


@pytest.mark.parametrize(("change", "message"), [
    ({}, "observer_partition needs failover.detector 'arbiter'"),
    ({"failover": {"detector": "arbiter"}, "fault_region": "r2"}, "expected 'r1', got 'r2'"),
])
def test_an_observer_cut_is_refused_without_an_arbiter_or_of_the_secondary(change, message):
    region = change.pop("fault_region", "r1")
    scenario = Scenario.model_validate(scenario_dict(
        faults=[{"kind": "observer_partition", "region": region, "start": "1m",
                 "duration": "1m"}], **change))
    assert any(message in p.message for p in consistency_problems(scenario))
