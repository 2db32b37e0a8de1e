"""The scenario library: golden summaries and the direction checks a reviewer expects.

Every shipped scenario runs shrunk (20 000 users, 80 minutes: the faults of the
library start at 30 min) and its metrics are compared with a committed golden
file. Goldens are regenerated only on purpose: ``make goldens`` (or
``DRSIM_REGENERATE_GOLDENS=1 pytest tests/test_library.py``), and the diff is
reviewed like code.

The direction checks run a few designs with three replications and require the
difference to be clear: confidence intervals that do not overlap.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from drsim.experiment.runner import run_one
from drsim.metrics import summarise
from drsim.scenario import load_scenario, scenarios_dir
from drsim.scenario.loader import parse_scenario

GOLDEN_DIR = Path(__file__).parent / "golden"
SHRINK = ["users.population=20000", "run.duration=80m"]
# Overloaded scenarios are served one at a time: a quarter of the traffic and capacity (the
# same utilisation) and a 10-minute outage at 15 min keep them cheap.
QUARTER = ["traffic.sign_in=8.75/s", "traffic.federated_sign_in=0.5/s", "traffic.sign_up=0.25/s",
           "traffic.password_change=7.5/min", "attackers.0.rate=0.5/s", "run.duration=40m",
           "faults.0.start=15m", "faults.0.duration=10m", "regions.0.capacity.vcpus=1.5"]
HERD = [*QUARTER, "regions.1.capacity.vcpus=1.5"]
# A storm at a LIFO region is served one at a time throughout (a batch may hold no wait):
# a quarter of the traffic and capacity, 5 minutes after the trigger.
STORM_QUARTER = ["users.population=10000", "traffic.sign_in=8.75/s",
                 "traffic.federated_sign_in=0.5/s", "traffic.sign_up=0.25/s",
                 "traffic.password_change=7.5/min", "attackers.0.rate=0.5/s",
                 "regions.0.capacity.vcpus=1.25", "regions.1.capacity.vcpus=1.25",
                 "run.duration=40m"]
SHRINK_EXTRA = {"token-replay-during-failover": ["attackers.1.targets=2000"],  # still 10 %
                "thundering-herd-at-failback": HERD,
                "thundering-herd-at-failback-reopen": HERD,
                "failover-to-cold-small-secondary": [*QUARTER, "regions.1.capacity.vcpus=0.75",
                                                     "regions.1.capacity.scale_up.to=1.5"],
                "retry-storm-lifo": STORM_QUARTER}
REGENERATE = os.environ.get("DRSIM_REGENERATE_GOLDENS") == "1"
LIBRARY = sorted(p.stem for p in scenarios_dir().glob("*.yaml"))
DIRECTION = ["cognito-active-passive", "single-region", "global-lockout", "keycloak-multisite",
             "custom-export-import", "fast-health-check", "read-local-write-primary",
             "password-change-during-failover", "outage-at-business-peak", "flapping-primary",
             "three-regions"]
REPS = 3

_cache: dict[tuple[str, int], dict[str, float]] = {}


def metrics_of(name: str, replication: int) -> dict[str, float]:
    """One shrunk replication's metrics (cached across tests)."""
    key = (name, replication)
    if key not in _cache:
        result = run_one(load_scenario(name, SHRINK + SHRINK_EXTRA.get(name, [])), replication)
        assert result.status == "ok", result.error
        _cache[key] = result.metrics
    return _cache[key]


def summary_of(name: str) -> dict[str, dict]:
    return summarise([metrics_of(name, rep) for rep in range(REPS)])


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("name", LIBRARY)
def test_golden_summary(name):
    metrics = {k: (None if isinstance(v, float) and math.isnan(v) else v)
               for k, v in metrics_of(name, 0).items()}
    path = GOLDEN_DIR / f"{name}.json"
    if REGENERATE or not path.exists():
        if not REGENERATE:
            pytest.fail(f"no golden for {name}: run `make goldens` and review the new file")
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
    golden = json.loads(path.read_text())
    assert sorted(golden) == sorted(metrics), "metric names changed: regenerate on purpose"
    changed = {k: (golden[k], metrics[k]) for k in golden if not _same(golden[k], metrics[k])}
    assert not changed, f"{name} drifted from its golden (golden, now): {changed}"


def _ci(summary: dict, metric: str) -> tuple[float, float]:
    lo, hi = summary[metric]["ci95"]
    return lo, hi


def test_single_region_fails_more_logins_than_active_passive():
    single, reference = summary_of("single-region"), summary_of("cognito-active-passive")
    assert _ci(single, "failed_logins")[0] > _ci(reference, "failed_logins")[1]


def test_read_local_reads_stale_and_fails_fewer_sign_ins_during_the_outage():
    """Reads at the nearest region see replication lag (read-backs after the user's own
    update); users nearest the secondary keep signing in while the primary is down."""
    local, reference = summary_of("read-local-write-primary"), summary_of("cognito-active-passive")
    assert _ci(local, "stale_reads")[0] > _ci(reference, "stale_reads")[1]
    assert _ci(local, "stale_reads")[0] > 0
    assert (_ci(local, "failed_logins_during_fault")[1]
            < _ci(reference, "failed_logins_during_fault")[0])
    # in the reference every read is at the active region: staleness only from transitions
    assert reference["stale_reads.replication_lag"]["per_replication"] == [0.0] * REPS
    assert _ci(local, "stale_reads.replication_lag")[0] > 0


def test_other_devices_meet_a_superseded_password_after_a_password_change():
    """A password change at the primary, then sign-ins on the user's other devices at the
    secondary before the change has replicated: refused as stale_credential."""
    race = summary_of("password-change-during-failover")
    reference = summary_of("cognito-active-passive")
    assert _ci(race, "failed_logins.stale_credential")[0] > 0
    assert (_ci(race, "failed_logins.stale_credential")[0]
            > _ci(reference, "failed_logins.stale_credential")[1])


def test_a_failback_that_does_not_wait_reads_the_backlog_stale_and_waiting_fails_back_later():
    """Failing back with the reverse backlog in flight: reads at the old primary miss the
    secondary's writes (failback_backlog); waiting for it fails back later, without them,
    refusing writes meanwhile (read_only)."""
    eager = summary_of("failback-while-backlog-drains")
    waiting = summarise([
        run_one(load_scenario("failback-while-backlog-drains",
                              [*SHRINK, "failover.failback.wait_for_backlog=true"]), rep).metrics
        for rep in range(REPS)])
    assert _ci(eager, "stale_reads.failback_backlog")[0] > 0
    assert waiting["stale_reads.failback_backlog"]["per_replication"] == [0.0] * REPS
    assert (_ci(waiting, "incident.1.time_to_failback_s")[0]
            > _ci(eager, "incident.1.time_to_failback_s")[1])
    assert (_ci(waiting, "failed_operations_by_cause.read_only")[0]
            > _ci(eager, "failed_operations_by_cause.read_only")[1])
    # the reference copies on failback: nothing is stale for the backlog
    reference = summary_of("cognito-active-passive")
    assert reference["stale_reads.failback_backlog"]["per_replication"] == [0.0] * REPS


def test_global_lockout_gives_no_extra_guesses_where_the_reference_gives_some():
    reference, fixed = summary_of("cognito-active-passive"), summary_of("global-lockout")
    assert all(v == 0 for v in fixed["lockout_extra_guesses"]["per_replication"])
    assert _ci(reference, "lockout_extra_guesses")[0] > 0


def test_keycloak_multisite_loses_nothing():
    keycloak = summary_of("keycloak-multisite")
    assert keycloak["rpo_lost_writes"]["per_replication"] == [0.0] * REPS


def test_custom_export_import_forces_password_resets():
    export = summary_of("custom-export-import")
    assert _ci(export, "failed_logins.password_reset_required")[0] > 0
    reference = summary_of("cognito-active-passive")
    assert reference["failed_logins.password_reset_required"]["mean"] == 0


def test_tokens_not_accepted_across_regions_force_people_to_sign_in_again():
    """A separate backup pool refuses the primary's refresh tokens: after the failover
    every session's next refresh is refused and its person signs in again."""
    export, reference = summary_of("custom-export-import"), summary_of("cognito-active-passive")
    assert _ci(export, "forced_reauthentications")[0] > 0
    assert reference["forced_reauthentications"]["per_replication"] == [0.0] * REPS


def test_fast_health_check_detects_sooner():
    fast, reference = summary_of("fast-health-check"), summary_of("cognito-active-passive")
    assert _ci(fast, "detection_s")[1] < _ci(reference, "detection_s")[0]


def test_token_replay_is_honoured_where_revocations_lag_and_more_when_they_never_arrive():
    lagging = summary_of("token-replay-during-failover")
    assert _ci(lagging, "revoked_token_accepts")[0] > 0
    assert _ci(lagging, "stale_credential_signins")[0] > 0
    never = summarise([
        run_one(load_scenario("token-replay-during-failover",
                              [*SHRINK, *SHRINK_EXTRA["token-replay-during-failover"],
                               "replication.data.revocations=false"]), rep).metrics
        for rep in range(REPS)
    ])
    assert _ci(never, "revoked_token_accepts")[0] > _ci(lagging, "revoked_token_accepts")[1]


def test_a_half_size_secondary_is_overloaded_through_the_failover_and_the_primary_never():
    """The secondary's 3 vCPUs are offered ≈ 1.2× their capacity (plus retries) from the
    failover to failback (≈ 29 minutes); the primary's 6 vCPUs never are; the clients'
    10 s timeouts fire and retries amplify the load (replication 0, the golden's run)."""
    metrics = metrics_of("failover-to-small-secondary", 0)
    assert metrics["overloaded_minutes.us-east-1"] == 0
    assert 25 <= metrics["overloaded_minutes.eu-west-1"] <= 35
    assert metrics["timeouts"] > 0 and metrics["latency_p99_s"] == 10.0
    assert metrics["attempts_per_first_attempt"] > 1.2


def test_a_retry_storm_without_backoff_outlives_its_trigger_and_a_retry_budget_recovers():
    """The same trigger (a 2-minute outage and the surge after it) at regions with room
    for ≈ 1.4× their normal load: clients retrying every timeout at once keep us-east-1
    overloaded to the end of every run (censored); the SDKs' standard mode (full-jitter
    backoff, a retry quota) lets the backlog drain within minutes."""
    storm = summary_of("retry-storm-no-backoff")
    budget = summary_of("retry-storm-budget")
    assert _ci(storm, "overload_sustained_s")[0] > _ci(budget, "overload_sustained_s")[1]
    assert storm["overload_end_state"]["mean"] == 1.0
    assert budget["overload_end_state"]["mean"] == 0.0
    assert _ci(budget, "overload_sustained_s")[1] < 15 * 60
    assert (_ci(storm, "attempts_per_first_attempt")[0]
            > _ci(budget, "attempts_per_first_attempt")[1])


def test_shedding_ends_the_retry_storm_that_fifo_sustains():
    """The same storm at regions that refuse at once what they could not serve in time
    (8 s of queued work; sign-ins above 2 s): nothing admitted times out, the shed
    clients' instant retries cost no work, and the overload ends with its trigger where
    FIFO's outlives it to the end of every run."""
    storm = summary_of("retry-storm-no-backoff")
    shedding = summary_of("retry-storm-shedding")
    assert _ci(storm, "overload_sustained_s")[0] > _ci(shedding, "overload_sustained_s")[1]
    assert shedding["overload_end_state"]["mean"] == 0.0
    assert shedding["timeouts"]["per_replication"] == [0.0] * REPS
    assert _ci(shedding, "shed_attempts")[0] > 0
    assert _ci(shedding, "availability")[0] > _ci(storm, "availability")[1]
def test_lifo_ends_the_retry_storm_that_fifo_sustains():
    """The same storm (shrunk alike: a quarter of the traffic and capacity) at a primary
    serving the newest request first: it serves clients still waiting, so availability is
    higher, the stale requests time out once at the bottom of the stack (fewer timeouts,
    less amplification), and the overload ends within minutes of its trigger where FIFO's
    lasts to the end of every run."""
    lifo = summary_of("retry-storm-lifo")
    fifo = summarise([run_one(load_scenario("retry-storm-no-backoff", SHRINK + STORM_QUARTER),
                              rep).metrics for rep in range(REPS)])
    assert _ci(lifo, "availability")[0] > _ci(fifo, "availability")[1]
    assert _ci(fifo, "overload_sustained_s")[0] > _ci(lifo, "overload_sustained_s")[1]
    assert fifo["overload_end_state"]["mean"] == 1.0
    assert lifo["overload_end_state"]["mean"] == 0.0
    assert _ci(fifo, "timeouts")[0] > _ci(lifo, "timeouts")[1]
    assert (_ci(fifo, "attempts_per_first_attempt")[0]
            > _ci(lifo, "attempts_per_first_attempt")[1])


def test_a_cold_failback_herd_outlives_its_trigger_and_a_reopen_ramp_prevents_it():
    """Every client returns at failback to a primary whose caches restarted empty (3× cost):
    its queue passes the clients' timeout, retries keep it above capacity to the end of
    every run; admitting 20 % → 100 % of its capacity over 10 minutes refuses the excess
    at once instead (throttled), so nothing times out and nothing stays overloaded."""
    herd = summary_of("thundering-herd-at-failback")
    ramp = summary_of("thundering-herd-at-failback-reopen")
    assert _ci(herd, "overload_sustained_s")[0] > _ci(ramp, "overload_sustained_s")[1]
    assert _ci(herd, "timeouts")[0] > _ci(ramp, "timeouts")[1]
    assert herd["overload_end_state"]["mean"] == 1.0
    assert ramp["overload_end_state"]["mean"] == 0.0
    assert (_ci(ramp, "failed_logins.throttled")[0]
            > _ci(herd, "failed_logins.throttled")[1])  # the ramp's price: fast refusals


def test_an_outage_at_the_primary_markets_business_peak_fails_more_sign_ins_than_at_night():
    """Client kinds in their markets' time zones, local-time profiles: the outage at Monday
    09:00 in the primary's market (both markets busy) fails more sign-ins than the same
    outage at 03:00 there (only Europe's morning traffic)."""
    peak = summary_of("outage-at-business-peak")
    night = summarise([
        run_one(load_scenario("outage-at-business-peak",
                              [*SHRINK, "run.start=Monday 07:30"]), rep).metrics
        for rep in range(REPS)
    ])
    assert (_ci(peak, "failed_logins_during_fault")[0]
            > _ci(night, "failed_logins_during_fault")[1])


def _summary_with(name: str, sets: list[str]) -> dict[str, dict]:
    return summarise([run_one(load_scenario(name, [*SHRINK, *sets]), rep).metrics
                      for rep in range(REPS)])


def test_a_credential_stuffing_burst_crowds_people_out_of_the_failed_over_secondary():
    """10× the sign-in traffic for 10 minutes of the failover: the guesses take the
    secondary's sign-in quota and capacity, so people's sign-ins are throttled and time
    out; without the burst the secondary carries the failover with neither (runs cut
    one minute after the burst)."""
    sets = ["run.duration=46m"]
    burst = _summary_with("credential-stuffing-burst", sets)
    calm = _summary_with("credential-stuffing-burst", [*sets, "attackers=[{name: stuffer, "
                         "kind: credential_stuffing, rate: 2/s, targets: 1000}]"])
    assert _ci(burst, "failed_logins")[0] > _ci(calm, "failed_logins")[1]
    for cause in ("throttled", "timeout"):
        assert calm[f"failed_logins.{cause}"]["mean"] == 0.0
        assert _ci(burst, f"failed_logins.{cause}")[0] > 1000


def test_hysteresis_makes_a_flapping_primary_oscillate_less():
    """Five 3-minute outages 8 minutes apart: five round trips without hysteresis; a 10-minute
    minimum healthy time keeps the secondary through the flapping (one), a cap of 2 per hour
    stops at two."""
    flapping = summary_of("flapping-primary")
    held = _summary_with("flapping-primary", ["failover.failback.min_healthy=10m"])
    capped = _summary_with("flapping-primary", ["failover.max_failovers_per_hour=2"])
    assert _ci(flapping, "oscillations")[0] > _ci(capped, "oscillations")[1]
    assert _ci(capped, "oscillations")[0] > _ci(held, "oscillations")[1]
    assert _ci(flapping, "promotion_read_only_s")[0] > _ci(held, "promotion_read_only_s")[1]


def test_promoting_the_least_lagged_secondary_loses_fewer_writes_than_the_first():
    """A partition cut us-west-2 (listed first) off ten minutes before the outage: promoting
    it puts the partition's writes at risk; least_lag promotes eu-west-1."""
    least_lag = summary_of("three-regions")
    first = _summary_with("three-regions", ["failover.promote=first"])
    assert _ci(first, "rpo_lost_writes")[0] > _ci(least_lag, "rpo_lost_writes")[1]


SPLIT_BRAIN_SMALL = ["users.population=2000", "run.duration=12m", "faults.0.start=3m",
                     "faults.0.duration=6m", "traffic.sign_in=4/s"]  # < 1 s a run


def test_fencing_leaves_no_time_with_two_writers():
    """Without fencing both regions take writes from the secondary's promotion until the
    partition heals; with fencing the old primary's lease expires first: never two writers."""
    def summary(fencing: str) -> dict[str, dict]:
        scenario = load_scenario("split-brain", [*SPLIT_BRAIN_SMALL, f"failover.fencing={fencing}"])
        return summarise([run_one(scenario, rep).metrics for rep in range(REPS)])

    split, fenced = summary("false"), summary("true")
    assert _ci(split, "split_brain_s")[0] > _ci(fenced, "split_brain_s")[1]
    assert _ci(split, "split_writes")[0] > _ci(fenced, "split_writes")[1]
    assert fenced["split_brain_s"]["mean"] == 0.0 and fenced["split_writes"]["mean"] == 0.0


def test_an_arbiter_cut_off_from_the_primary_splits_unless_the_lease_fences_it():
    """The split-brain scenario under an arbiter whose observers lose us-east-1 (the link
    between the regions is up): unfenced, the arbiter promotes eu-west-1 but cannot demote
    us-east-1 — two writers until the cut ends; fenced, the quorum lease expires first."""
    def summary(fencing: str) -> dict[str, dict]:
        scenario = load_scenario("split-brain", [
            *SPLIT_BRAIN_SMALL, "failover.detector=arbiter", f"failover.fencing={fencing}",
            "faults.0={kind: observer_partition, region: us-east-1, start: 3m, duration: 6m}"])
        return summarise([run_one(scenario, rep).metrics for rep in range(REPS)])

    split, fenced = summary("false"), summary("true")
    assert _ci(split, "split_brain_s")[0] > _ci(fenced, "split_brain_s")[1]
    assert fenced["split_brain_s"]["mean"] == 0.0 and fenced["split_writes"]["mean"] == 0.0
    assert split["split_writes"]["mean"] > 0.0


def _signing_key_variant(yaml_tail: str, overrides: list[str]) -> dict[str, dict]:
    """Three shrunk replications of signing-key-rotation with ``yaml_tail`` merged in."""
    text = f"extends: signing-key-rotation\nname: signing-key-variant\n{yaml_tail}"
    scenario = parse_scenario(text, base_dir=scenarios_dir(), overrides=[*SHRINK, *overrides])
    return summarise([run_one(scenario, rep).metrics for rep in range(REPS)])


ROTATION = ("faults:\n  - {kind: signing_key_rotated, start: 30m, duration: 1s}\n"
            "relying_parties:\n  jwks_caches:\n    - {share: 100%, ttl: %s}\n")


def test_after_a_rotation_short_caches_and_refetching_reject_fewer_calls_than_forever():
    """A rotation that publishes the new key as it starts signing: a cache kept forever
    rejects the new key's tokens to the end of the run, a 60 s cache for ≈ 30 s, and a
    relying party that refetches on an unknown key not at all."""
    forever = _signing_key_variant(ROTATION.replace("%s", "forever"), [])
    short = _signing_key_variant(ROTATION.replace("%s", "60s"), [])
    refetch = _signing_key_variant(ROTATION.replace("%s", "forever"),
                                   ["relying_parties.refresh_on_unknown_key=true"])
    rejections = "relying_party_rejections"
    assert _ci(short, rejections)[1] < _ci(forever, rejections)[0]
    assert refetch[rejections]["per_replication"] == [0.0] * REPS
    assert forever["relying_party_rejection_s"]["mean"] == pytest.approx(50 * 60)


def test_refetching_on_an_unknown_key_ends_the_tail_of_a_removed_key():
    """The key is missing for 2 h: an hour-long cache fetches in the window at a uniform
    phase φ and rejects until its fetch 2 h later (φ after the key is back: exactly 2 h
    of rejecting), unless it refetches on the unknown key (then until at most
    refetch_interval, 5 min, after the key is back: 2 h + ≤ 5 min − φ)."""
    hourly = "relying_parties:\n  jwks_caches:\n    - {share: 100%, ttl: 1h}\n"
    longer = ["run.duration=4h"]
    cached = _signing_key_variant(hourly, longer)
    refetch = _signing_key_variant(hourly,
                                   [*longer, "relying_parties.refresh_on_unknown_key=true"])
    rejections = "relying_party_rejections"
    assert _ci(refetch, rejections)[1] < _ci(cached, rejections)[0]
    assert cached["relying_party_rejection_s"]["mean"] == pytest.approx(2 * 3600)
    assert _ci(refetch, "relying_party_rejection_s")[1] < 2 * 3600


# Dependencies (issue 18): small runs (1 000 users, 20 min, the outage 3–18 min, sign-ins at
# 2/s, no attacker), three replications per design.
DEPENDENCY_SMALL = ["users.population=1000", "run.duration=20m", "faults.0.start=3m",
                    "faults.0.duration=15m", "traffic.sign_in=2/s", "attackers=[]"]
REPLICATED_DEPENDENCIES = [
    "dependencies.0.serves=[us-east-1]", "dependencies.1.serves=[us-east-1]",
    "dependencies.2={name: sms-eu, kind: sms, hosted_in: eu-west-1, serves: [eu-west-1], "
    "used_by: [sign_in]}",
    "dependencies.3={name: token-trigger-eu, kind: trigger, hosted_in: eu-west-1, "
    "serves: [eu-west-1], used_by: [sign_in, federated_sign_in, refresh]}"]
QUICK_OPERATOR = ["failover.manual.page=1m", "failover.manual.acknowledge=1m",
                  "failover.manual.decide=1m"]


def _small_summary(name: str, sets: list[str]) -> dict[str, dict]:
    return summarise([run_one(load_scenario(name, [*DEPENDENCY_SMALL, *sets]), rep).metrics
                      for rep in range(REPS)])


def test_a_trigger_in_the_failed_region_fails_sign_ins_the_replicated_design_serves():
    """The sender and the token trigger hosted in us-east-1: after the failover every token
    the secondary would issue is refused (dependency_down), so sign-in availability during
    the outage is nil; with one of each in each region it is not, and recovery (to 50 %)
    comes with the failover instead of the region's return."""
    shared = _small_summary("trigger-in-failed-region", [])
    replicated = _small_summary("trigger-in-failed-region", REPLICATED_DEPENDENCIES)
    assert _ci(shared, "failed_logins.dependency_down")[0] > 0
    assert replicated["failed_logins.dependency_down"]["per_replication"] == [0.0] * REPS
    assert (_ci(shared, "availability_during_fault")[1]
            < _ci(replicated, "availability_during_fault")[0])
    assert _ci(shared, "rto_50_s")[0] > _ci(replicated, "rto_50_s")[1]
    assert _ci(shared, "dependency_failures.token-trigger")[0] > 0


def test_a_control_plane_in_the_failed_region_makes_the_manual_failover_slower():
    """The runbook's control plane in us-east-1: the operator waits for it (failover_blocked_s)
    until the region is back, so the RTO (to 50 %) is the outage; with the control plane
    elsewhere the same operator fails over well before."""
    inside = _small_summary("control-plane-in-failed-region", QUICK_OPERATOR)
    elsewhere = _small_summary("control-plane-in-failed-region",
                               [*QUICK_OPERATOR, "dependencies.0.hosted_in=null"])
    assert _ci(inside, "rto_50_s")[0] > _ci(elsewhere, "rto_50_s")[1]
    assert _ci(inside, "failover_blocked_s")[0] > 0
    assert elsewhere["failover_blocked_s"]["per_replication"] == [0.0] * REPS
def test_failing_over_after_a_replicated_corruption_serves_the_same_bad_profiles():
    """The bad bulk update replicated in seconds; the primary then fails a minute later
    (for 10 min, no restore yet): the promoted secondary serves the corrupted profiles —
    failing over moves the corrupt reads to eu-west-1, it does not stop them. (Shrunk
    further, to 40 min, to keep the test short.)"""
    stay = summary_of("replicated-corruption")
    text = ("extends: replicated-corruption\nname: corruption-then-outage\nfaults:\n"
            "  - {kind: corruption, scope: profiles, share: 5%, start: 10m, detected_after: 1h}\n"
            "  - {kind: region_outage, region: us-east-1, start: 11m, duration: 10m}\n")
    scenario = parse_scenario(text, base_dir=scenarios_dir(),
                              overrides=[*SHRINK, "run.duration=40m"])
    failover = summarise([run_one(scenario, rep).metrics for rep in range(REPS)])
    secondary = "corrupt_reads_by_region.eu-west-1"
    assert stay[secondary]["per_replication"] == [0.0] * REPS
    assert _ci(failover, secondary)[0] > _ci(stay, secondary)[1]
    # Most corrupt reads while the primary is down come from the secondary: ~10 of 29 min.
    assert _ci(failover, secondary)[0] > 0.2 * _ci(failover, "corrupt_reads")[1]
    assert _ci(stay, "corruption_replicated_s")[1] < 60  # the bad write replicated in seconds
