"""Notes: every NaN metric has its reason in words, every censored one a warning."""

import math

from drsim.metrics.compute import compute_metrics
from drsim.metrics.notes import NO_FAULT, UNDEFINED, metric_notes

OUTAGE = {"kind": "region_outage", "region": "r1", "start": "120s", "duration": "3m"}
EVENTS = [
    {"time_s": 120.0, "kind": "fault_start", "value": 0},
    {"time_s": 300.0, "kind": "fault_end", "value": 0},
    {"time_s": 150.0, "kind": "health", "region": "r1", "detail": "unhealthy"},
    {"time_s": 150.0, "kind": "dns_answer", "detail": "r2"},
]


def sign_ins(start, n, outcome="ok", step=1.0):
    return [{"time_s": start + i * step, "user": i, "outcome": outcome} for i in range(n)]


def notes_of(records, scenario):
    values = compute_metrics(records, scenario)
    return values, metric_notes(records, scenario, values)


def assert_every_nan_has_a_note(values, notes):
    """Every NaN has a note, and a specific one (not the generic fallback)."""
    missing = [k for k, v in values.items()
               if math.isnan(v) and notes.get(k, UNDEFINED) == UNDEFINED]
    assert not missing, missing


def test_no_sign_ins_during_the_fault_is_nan_with_a_reason(make_records, make_scenario):
    # The issue: sign-ins only before the fault used to give rto_s = 0 and dns_converged = 1.
    records = make_records(requests=sign_ins(0, 60), events=EVENTS)
    values, notes = notes_of(records, make_scenario(faults=[OUTAGE]))
    for name in ("rto_s", "rto_90_s", "incident.1.rto_99_s", "availability_during_fault"):
        assert math.isnan(values[name]), name
        assert notes[name] == "no legitimate sign-ins during the fault", name
    assert math.isnan(values["dns_converged"]) and math.isnan(values["dns_convergence_s"])
    assert notes["dns_converged"] == "no legitimate requests after the DNS flip"
    assert values["detection_s"] == 30.0 and "detection_s" not in notes
    assert "no promotion started" in notes["decision_s"]
    assert_every_nan_has_a_note(values, notes)


def test_thin_minutes_say_too_few_to_judge(make_records, make_scenario):
    rows = sign_ins(0, 60) + sign_ins(130, 3, "region_down", step=60.0)
    values, notes = notes_of(make_records(requests=rows, events=EVENTS),
                             make_scenario(faults=[OUTAGE]))
    assert math.isnan(values["rto_s"])
    assert notes["rto_s"].startswith("fewer than 10 legitimate sign-ins in every minute")
    assert values["affected_users"] == 3
    assert "of the 3 users who failed a sign-in" in notes["time_to_first_success_p50_s"]


def test_no_fault_means_no_incident_metric(make_records, make_scenario):
    values, notes = notes_of(make_records(requests=sign_ins(0, 60)), make_scenario())
    for name in ("detection_s", "rto_s", "rto_50_s", "headline_incident",
                 "never_recovered_users.mfa_unsupported", "failed_logins_during_fault"):
        assert notes[name] == NO_FAULT, name
    assert values["incidents"] == 0 and "incidents" not in notes
    assert notes["staleness_p99_s"] == "no stale profile read in this run"
    assert notes["exposure_credential_censored_share"] == (
        "no credential exposure window in this run")
    assert_every_nan_has_a_note(values, notes)


def test_censored_values_are_flagged(make_records, make_scenario):
    writes = [
        {"write_id": 1, "kind": "credential", "time_s": 10, "applied_s": 13},
        {"write_id": 2, "kind": "credential", "time_s": 20},
        {"write_id": 3, "kind": "credential", "time_s": 30},
    ]
    rows = sign_ins(0, 60) + sign_ins(120, 480, "region_down")  # never back
    values, notes = notes_of(make_records(requests=rows, writes=writes, events=EVENTS),
                             make_scenario(faults=[OUTAGE]))
    assert values["exposure_credential_censored"] == 2
    assert notes["exposure_credential_max_s"].startswith(
        "2 of 3 credential exposure windows (67 %) were still open at the end of the run")
    assert values["rto_recovered"] == 0.0 and "censored" in notes["rto_s"]
    assert "rto_recovered" not in notes
    assert "exposure_revocation_max_s" not in notes


def test_every_nan_of_a_simulated_run_has_a_note():
    from drsim.model import simulate
    from tests.model.conftest import build_scenario

    scenario = build_scenario(
        traffic={"sign_in": "2/s"},
        faults=[{**OUTAGE, "start": "100s", "duration": "60s"},
                {"kind": "partition", "regions": ["r1", "r2"], "start": "300s",
                 "duration": "30s"}],
    )
    records = simulate(scenario, 0)
    values = compute_metrics(records, scenario)
    assert values["incidents"] == 2
    assert_every_nan_has_a_note(values, metric_notes(records, scenario, values))


def test_people_metrics_say_why_they_are_nan(make_records, make_scenario):
    """Staleness ages by cause: none of that cause, or too few; read-your-writes: no
    read-back; users who failed: nobody of that population or home was active."""
    stale = {"op": "profile_read", "region": "r2", "stale": True, "staleness_s": 2.0}
    records = make_records(
        requests=[{**stale, "user": 1, "time_s": 10.0}, {**stale, "user": 2, "time_s": 11.0}],
        writes=[{"write_id": u, "user": u, "time_s": 9.0, "applied_s": 20.0} for u in (1, 2)])
    scenario = make_scenario(clients=[
        {"name": "web", "share": "50%", "dns": {"behaviour": "honour"}},
        {"name": "far", "share": "50%", "home": "r2", "dns": {"behaviour": "honour"}}])
    values, notes = notes_of(records, scenario)
    assert values["staleness_p50_s.replication_lag"] == 2.0
    assert notes["staleness_p90_s.replication_lag"] == (
        "only 2 stale profile reads caused by replication lag: a 90th percentile needs at "
        "least 10")
    assert notes["staleness_p50_s.other"] == "no stale profile read caused by other in this run"
    assert notes["read_your_writes_violation_share"] == (
        "no user read their profile back right after updating it in this run")
    assert values["users_failed_share.web"] == 0.0
    assert notes["users_failed_share.far"] == "no user of the population far made a request in the run"
    assert notes["users_failed_share.home.r2"] == "no user homed in r2 made a request in the run"
    assert_every_nan_has_a_note(values, notes)


def test_an_rto_of_zero_says_nothing_needed_recovering(make_records, make_scenario):
    """Sign-ins that never dipped give RTO 0 s: a note says it is not a fast failover."""
    rows = sign_ins(0, 600)  # one a second, all ok, through the fault
    values, notes = notes_of(make_records(requests=rows, events=EVENTS),
                             make_scenario(faults=[OUTAGE]))
    assert values["rto_s"] == 0.0 and values["rto_recovered"] == 1.0
    assert notes["rto_s"].startswith("sign-ins never fell below this level")
    rows = sign_ins(0, 120) + sign_ins(120, 120, "region_down") + sign_ins(240, 360)
    values, notes = notes_of(make_records(requests=rows, events=EVENTS),
                             make_scenario(faults=[OUTAGE]))
    assert values["rto_s"] > 0 and "rto_s" not in notes
