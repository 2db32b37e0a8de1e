"""Incidents: faults grouped, each measured from the fault that made the endpoint unhealthy."""

import math

import pytest

from drsim.metrics.incident_metrics import incident_metrics, rpo_by_incident
from drsim.metrics.incidents import FaultSpan, group_faults, headline_incident, incidents

OUTAGE = {"kind": "region_outage", "region": "r1"}
PARTITION = {"kind": "partition", "regions": ["r1", "r2"]}


def fault_events(*windows):
    """fault_start / fault_end events for (index, start, end) windows."""
    rows = []
    for index, start, end in windows:
        rows.append({"time_s": start, "kind": "fault_start", "value": index})
        rows.append({"time_s": end, "kind": "fault_end", "value": index})
    return rows


def unhealthy(time_s, region="r1"):
    return {"time_s": time_s, "kind": "health", "region": region, "detail": "unhealthy"}


def span(start, end, index=0):
    return FaultSpan(index, "region_outage", "r1", start, end)


def test_faults_that_overlap_or_touch_form_one_incident():
    groups = group_faults([span(20, 80, 0), span(45, 200, 1), span(200, 250, 2), span(251, 300, 3)])
    assert [[f.index for f in g] for g in groups] == [[0, 1, 2], [3]]
    assert group_faults([]) == []


def test_compound_fault_is_measured_from_the_outage_not_the_partition(make_records, make_scenario):
    # The example: partition at 20 s, primary outage at 45 s, detected at 74 s.
    scenario = make_scenario(faults=[
        {**PARTITION, "start": "20s", "duration": "60s"},
        {**OUTAGE, "start": "45s", "duration": "5m"},
    ])
    events = fault_events((0, 20, 80), (1, 45, 345)) + [unhealthy(74.0)]
    events += [{"time_s": 74.0, "kind": "dns_answer", "detail": "r2"},
               {"time_s": 90.0, "kind": "promotion_start", "region": "r2"},
               {"time_s": 120.0, "kind": "writable", "region": "r2"}]
    m = incident_metrics(make_records(events=events), scenario)
    assert m["incidents"] == 1 and m["headline_incident"] == 1
    assert m["incident.1.start_s"] == 20.0 and m["incident.1.anchor_s"] == 45.0
    assert m["incident.1.faults"] == 2 and m["incident.1.end_s"] == 345.0
    assert m["detection_s"] == m["incident.1.detection_s"] == 29.0
    assert m["decision_s"] == 16.0 and m["promotion_s"] == 30.0


def two_incident_events():
    events = fault_events((0, 100, 160), (1, 400, 460))
    events += [unhealthy(125.0), {"time_s": 170, "kind": "health", "region": "r1",
                                  "detail": "healthy"}, unhealthy(422.0)]
    events += [{"time_s": 140.0, "kind": "promotion_start", "region": "r2"},
               {"time_s": 150.0, "kind": "writable", "region": "r2"},
               {"time_s": 300.0, "kind": "failback", "region": "r1"}]
    return events


def test_two_faults_give_two_incidents_with_their_own_times(make_records, make_scenario):
    scenario = make_scenario(faults=[{**OUTAGE, "start": "100s", "duration": "60s"},
                                     {**OUTAGE, "start": "400s", "duration": "60s"}])
    m = incident_metrics(make_records(events=two_incident_events()), scenario)
    assert m["incidents"] == 2
    assert (m["incident.1.detection_s"], m["incident.2.detection_s"]) == (25.0, 22.0)
    assert m["incident.1.promotion_s"] == 10.0 and m["incident.1.time_to_failback_s"] == 200.0
    # The second incident has no promotion of its own: the first's does not leak into it.
    assert math.isnan(m["incident.2.decision_s"]) and math.isnan(m["incident.2.promotion_s"])
    assert math.isnan(m["incident.2.time_to_failback_s"])
    assert m["headline_incident"] == 1 and m["detection_s"] == 25.0


def test_headline_is_the_first_incident_that_made_the_primary_unhealthy(make_records,
                                                                        make_scenario):
    scenario = make_scenario(faults=[{**PARTITION, "start": "50s", "duration": "60s"},
                                     {**OUTAGE, "start": "300s", "duration": "60s"}])
    events = fault_events((0, 50, 110), (1, 300, 360)) + [unhealthy(330.0)]
    records = make_records(events=events)
    found = incidents(records, scenario)
    assert [i.verdict_region for i in found] == [None, "r1"]
    assert headline_incident(found, scenario) is found[1]
    m = incident_metrics(records, scenario)
    assert m["headline_incident"] == 2 and m["detection_s"] == 30.0
    assert math.isnan(m["incident.1.detection_s"])
    # An unhealthy secondary does not make the headline when the primary went unhealthy.
    events = fault_events((0, 50, 110), (1, 300, 360)) + [unhealthy(80.0, "r2"), unhealthy(330.0)]
    assert incident_metrics(make_records(events=events), scenario)["headline_incident"] == 2


def test_without_a_fault_there_is_no_incident(make_records, make_scenario):
    m = incident_metrics(make_records(), make_scenario())
    assert m["incidents"] == 0
    assert math.isnan(m["headline_incident"]) and math.isnan(m["detection_s"])
    assert not any(k.startswith("incident.") for k in m)


def test_legacy_records_with_meta_only_make_one_incident(make_records, make_scenario):
    meta = {"fault_start_s": 120.0, "fault_end_s": 330.0, "detection_s": 200.0}
    m = incident_metrics(make_records(meta=meta), make_scenario())
    assert m["incidents"] == 1 and m["incident.1.detection_s"] == 80.0


def test_writes_stuck_at_a_promotion_belong_to_its_incident(make_records, make_scenario):
    scenario = make_scenario(faults=[{**OUTAGE, "start": "100s", "duration": "60s"},
                                     {**OUTAGE, "start": "400s", "duration": "60s"}])
    events = two_incident_events() + [{"time_s": 430.0, "kind": "promotion_start",
                                       "region": "r1"}]
    writes = [
        {"write_id": 1, "time_s": 95.0, "stuck": True},
        {"write_id": 1, "time_s": 95.0, "stuck": True, "target": "r3"},  # same write: once
        {"write_id": 2, "time_s": 130.0, "stuck": True},
        {"write_id": 3, "time_s": 420.0, "stuck": True},
        {"write_id": 4, "time_s": 420.0, "stuck": False},
    ]
    records = make_records(events=events, writes=writes)
    assert rpo_by_incident(records.writes, incidents(records, scenario)) == [2.0, 1.0]
    m = incident_metrics(records, scenario)
    assert (m["incident.1.rpo_writes"], m["incident.2.rpo_writes"]) == (2.0, 1.0)


@pytest.mark.parametrize("interval, threshold", [(10.0, 3), (7.0, 2)])
def test_simulated_two_outages_are_detected_at_their_closed_forms(interval, threshold):
    """One checker at phase φ probes at φ + n·I: each outage is caught at its k-th failed probe."""
    from drsim.model import simulate
    from drsim.model.streams import Streams
    from tests.model.conftest import build_scenario

    faults = [(100.0, 60.0), (403.0, 60.0)]
    scenario = build_scenario(
        health_check={"interval": f"{interval}s", "failure_threshold": threshold,
                      "checkers": 1, "healthy_fraction": "18%"},
        faults=[{**OUTAGE, "start": f"{s}s", "duration": f"{d}s"} for s, d in faults],
    )
    phase = float(Streams(scenario.run.seed, 0).get("health").uniform(0.0, interval))
    m = incident_metrics(simulate(scenario, 0, script=[]), scenario)
    assert m["incidents"] == 2
    for number, (start, _) in enumerate(faults, start=1):
        first_failed = phase + math.ceil((start - phase) / interval) * interval
        expected = first_failed + (threshold - 1) * interval - start
        assert m[f"incident.{number}.detection_s"] == pytest.approx(expected, abs=1e-9)
        assert (threshold - 1) * interval <= expected <= threshold * interval


def test_within_an_incident_the_primary_verdict_decides(make_records, make_scenario):
    # A gray failure of r2 (unhealthy at 60 s) overlaps an outage of r1 (unhealthy at 95 s).
    scenario = make_scenario(faults=[
        {"kind": "gray_failure", "region": "r2", "start": "50s", "duration": "100s",
         "error_rate": "50%", "probe_error_rate": "100%"},
        {**OUTAGE, "start": "70s", "duration": "100s"},
    ])
    events = fault_events((0, 50, 150), (1, 70, 170)) + [unhealthy(60.0, "r2"), unhealthy(95.0)]
    m = incident_metrics(make_records(events=events), scenario)
    assert m["incidents"] == 1
    assert m["incident.1.anchor_s"] == 70.0 and m["detection_s"] == 25.0


def test_an_incident_does_not_take_the_next_ones_promotion(make_records, make_scenario):
    scenario = make_scenario(faults=[{**OUTAGE, "start": "100s", "duration": "60s"},
                                     {**OUTAGE, "start": "400s", "duration": "60s"}])
    events = fault_events((0, 100, 160), (1, 400, 460)) + [unhealthy(125.0), unhealthy(422.0)]
    events += [{"time_s": 430.0, "kind": "promotion_start", "region": "r2"},
               {"time_s": 440.0, "kind": "writable", "region": "r2"},
               {"time_s": 430.0, "kind": "dns_answer", "detail": "r2"}]
    m = incident_metrics(make_records(events=events), scenario)
    assert math.isnan(m["incident.1.decision_s"]) and math.isnan(m["incident.1.promotion_s"])
    assert (m["incident.2.decision_s"], m["incident.2.promotion_s"]) == (8.0, 10.0)


def test_peers_log_the_fence_when_it_is_done(make_records, make_scenario):
    # model/control.py _fence: the event comes promotion_time after the fence started.
    scenario = make_scenario(faults=[{**OUTAGE, "start": "100s", "duration": "5m"}],
                             failover={"mode": "automatic", "promotion_time": "20s"})
    events = fault_events((0, 100, 400)) + [unhealthy(125.0)]
    events += [{"time_s": 155.0, "kind": "promotion_start", "region": "r1", "detail": "fenced"}]
    m = incident_metrics(make_records(events=events), scenario)
    assert (m["detection_s"], m["decision_s"], m["promotion_s"]) == (25.0, 10.0, 20.0)
