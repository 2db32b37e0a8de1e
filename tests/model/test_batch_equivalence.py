"""Batched serving is an optimisation only: it must reproduce the one-at-a-time reference.

Every table of the run is compared exactly, on shipped scenarios shrunk to a
small population, covering failover, gray failure, quotas that throttle,
synchronous peers, export/import, lazy migration, write bursts, attackers, token
replays, shared lockout counters, one region and client kinds in time zones.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rates_only import RATES_ONLY

from drsim.model import simulate
from drsim.model.attackers import Attackers
from drsim.model.batch import BatchServer
from drsim.model.operations import LOCKED
from drsim.model.routing import Router
from drsim.model.waves import WaveServer
from drsim.scenario import load_scenario

SCENARIOS = [
    "cognito-active-passive",
    "fast-health-check",
    "idp-outage",
    "gray-failure",
    "quota-throttle-after-failover",
    "keycloak-multisite",
    "custom-export-import",
    "migration-trigger",
    "credential-stuffing-during-failover",
    "replication-backlog",
    "partition",
    "manual-failover",
    "auth0-contract",
    "token-replay-during-failover",
    "global-lockout",
    "kms-outage",
    "single-region",
    "read-local-write-primary",
    "password-change-during-failover",
    "failback-while-backlog-drains",
    "failover-to-small-secondary",
    "outage-at-business-peak",
    "flapping-primary",
    "three-regions",
    "signing-key-rotation",  # relying parties read the records: the tables decide
    "trigger-in-failed-region",
    "control-plane-in-failed-region",
    "split-brain",  # two regions take writes; reconciliation at failback
    "credential-stuffing-burst",
    "failover-to-cold-small-secondary",
    "thundering-herd-at-failback",
    "thundering-herd-at-failback-reopen",  # a reopen ramp: its window served one at a time
    "replicated-corruption",
]

QUARTER = ["traffic.sign_in=8.75/s", "traffic.federated_sign_in=0.5/s", "traffic.sign_up=0.25/s",
           "traffic.password_change=7.5/min", "attackers.0.rate=0.5/s",
           "regions.0.capacity.vcpus=1.5", "run.duration=32m"]  # 6 minutes after failback

EXTRA = {
    "token-replay-during-failover": ["attackers.1.targets=5000"],  # ≤ the population
    "flapping-primary": ["faults.0.duration=3m", "faults.0.repeat.every=6m"],  # five flaps
    "three-regions": ["faults.1.start=20m"],  # the outage within the partition (faults.0)
    "credential-stuffing-burst": ["attackers.1.start=15m", "attackers.1.duration=5m"],
    # Overloaded: a quarter of the traffic and capacity (the same utilisation) keeps them cheap.
    "failover-to-cold-small-secondary": [*QUARTER, "regions.1.capacity.vcpus=0.75",
                                         "regions.1.capacity.scale_up.to=1.5"],
    "thundering-herd-at-failback": [*QUARTER, "regions.1.capacity.vcpus=1.5"],
    "thundering-herd-at-failback-reopen": [*QUARTER, "regions.1.capacity.vcpus=1.5"],
    "replicated-corruption": ["faults.0.detected_after=5m", "backups.restore_time=5m"],
}


TABLES = ("requests", "writes", "locks", "events")


def assert_same_run(batched, reference, name: str = "") -> None:
    """Every record table and the run's meta are identical in both serving modes."""
    for table in TABLES:
        assert getattr(batched, table).equals(getattr(reference, table)), f"{name} {table}"
    assert batched.meta == reference.meta


@pytest.mark.parametrize("sets", [["failover.failback.wait_for_backlog=true"],
                                  ["failover.failback.wait_for_backlog=true",
                                   "failover.failback.max_wait=1m",
                                   "failover.failback.unreplicated_writes=reconcile"]])
def test_waiting_for_the_backlog_equals_sequential_reference(sets):
    """A failback waiting for the reverse backlog: the drain instant found by a partial
    pass of the data plane is the same served either way, and so is the run."""
    scenario = load_scenario("failback-while-backlog-drains", [
        "users.population=20000", "run.duration=40m", "faults.0.start=10m",
        "faults.0.duration=15m", *sets])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert (batched.events.kind == "failback_start").sum() == 1
    assert_same_run(batched, reference)


@pytest.mark.parametrize("name", SCENARIOS)
def test_batched_run_equals_sequential_reference(name):
    scenario = load_scenario(name, ["users.population=20000", "run.duration=40m",
                                    "faults.0.start=10m", "faults.0.duration=15m",
                                    *EXTRA.get(name, [])])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert len(batched.requests) > 10_000
    assert_same_run(batched, reference, name)


@pytest.mark.parametrize("sets", [[], [f"clients.{k}.timeout=null" for k in range(5)]],
                         ids=["timeouts", "no-timeouts"])
def test_a_scale_up_on_utilisation_equals_sequential_reference(sets):
    """A watch fed by the queue: one at a time in the reference, at each batch's booking
    (the minute's total decides) — with client timeouts, and without (the queue is then
    tracked for the watch alone)."""
    scenario = load_scenario("failover-to-cold-small-secondary", [
        "users.population=20000", "faults.0.start=10m", "faults.0.duration=15m",
        *EXTRA["failover-to-cold-small-secondary"], "run.duration=22m",
        "regions.1.capacity.scale_up.trigger=utilisation", *sets])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert (batched.events.kind == "capacity").sum() == 1
    assert_same_run(batched, reference)


OVERLOAD = ["regions.0.capacity.vcpus=6", "regions.1.capacity.vcpus=3",
            *(f"clients.{k}.timeout=10s" for k in range(5)),
            "clients.1.retry.budget.capacity=500", "clients.2.retry.jitter_kind=full",
            "clients.3.retry.jitter_kind=equal"]


CLIENT_SIDE = [*OVERLOAD, "clients.0.circuit_breaker={}",
               "clients.4.circuit_breaker={failures: 3, open_for: 20s, half_open_probes: 2}",
               "clients.3.retry.throttling={max_tokens: 20}",
               "sessions.single_flight=false", "sessions.concurrent_calls={1: 50%, 3: 50%}"]


@pytest.mark.parametrize("sets", [
    pytest.param(OVERLOAD, id="timeouts-budget-jitter"),
    pytest.param(CLIENT_SIDE, id="breakers-throttling-concurrent-refresh"),
    pytest.param(["regions.0.capacity.vcpus=4", "regions.1.capacity.vcpus=4"],
                 id="capacity-without-timeouts"),
])
def test_overload_equals_sequential_reference(sets):
    """Capacity with client timeouts (batches checked against the queue's bound, spans
    of overload one at a time), a retry budget (its kind one at a time), full and equal
    jitter; and capacity alone (the sojourns worked out from the records)."""
    scenario = load_scenario("cognito-active-passive", [
        "users.population=20000", "run.duration=40m", "faults.0.start=10m",
        "faults.0.duration=15m", *sets])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert "batch_fallback" not in batched.meta
    assert_same_run(batched, reference)
    if sets is OVERLOAD:
        assert (batched.requests.outcome == "timeout").sum() > 1000
    if sets is CLIENT_SIDE:
        assert (batched.requests.outcome == "circuit_open").sum() > 1000


@pytest.mark.parametrize(("caps", "throttled"), [
    pytest.param(["dependencies.0.capacity=1/s", "dependencies.1.capacity=40/s"], True,
                 id="over-capacity"),
    pytest.param(["dependencies.0.capacity=20/s", "dependencies.1.capacity=500/s"], False,
                 id="within-capacity"),
])
def test_capped_dependencies_equal_sequential_reference(caps, throttled, monkeypatch):
    """A sender and a trigger with a capacity: batches are served only when no bucket can
    run dry in them (their takes booked at the end), the rest one at a time."""
    scenario = load_scenario("trigger-in-failed-region", [
        "users.population=2000", "run.duration=8m", "faults.0.start=2m",
        "faults.0.duration=4m", *caps])
    served = []
    serve = BatchServer.serve

    def counting(server, i, j, t1):
        served.append(serve(server, i, j, t1))
        return served[-1]

    monkeypatch.setattr(BatchServer, "serve", counting)
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert ((batched.requests.outcome == "dependency_throttled").sum() > 1000) == throttled
    assert throttled or any(served)  # within capacity, batches serve the takes
    assert_same_run(batched, reference)


@pytest.mark.parametrize("name", ["retry-storm-no-backoff", "retry-storm-budget"])
def test_retry_storms_equal_sequential_reference(name):
    """The metastable storm (every attempt timed out and retried at once, the region
    overloaded to the end) and its recovery with backoff and a retry quota, shrunk: the
    trigger at 10 min, the run ending 10 min after it."""
    scenario = load_scenario(name, ["users.population=20000", "run.duration=22m",
                                    "faults.0.start=10m", "traffic.bursts.0.start=12m"])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert (batched.requests.outcome == "timeout").sum() > 1000
    assert_same_run(batched, reference)


def test_retry_storm_with_shedding_equals_sequential_reference():
    """The storm at regions that shed (max_wait, admission per priority), shrunk as
    above but ending 3 min after the surge: batches before the trigger and after it, one
    at a time while a queue sheds."""
    scenario = load_scenario("retry-storm-shedding", [
        "users.population=20000", "run.duration=18m", "faults.0.start=10m",
        "traffic.bursts.0.start=12m"])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert (batched.requests.outcome == "shed").sum() > 1000
    assert_same_run(batched, reference)


def test_retry_storm_at_lifo_and_drop_oldest_regions_equals_sequential_reference():
    """The storm at a LIFO primary and a drop-oldest secondary, shrunk (a quarter of the
    traffic and capacity, ending 4 min after the surge): attempts parked and decided at
    their service, and their retries — the same tables."""
    scenario = load_scenario("retry-storm-lifo", [
        "users.population=5000", "traffic.sign_in=8.75/s", "traffic.federated_sign_in=0.5/s",
        "traffic.sign_up=0.25/s", "traffic.password_change=7.5/min", "attackers.0.rate=0.5/s",
        "regions.0.capacity.vcpus=1.25", "regions.1.capacity.vcpus=1.25",
        "faults.0.start=20m", "traffic.bursts.0.start=22m", "run.duration=29m"])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert (batched.requests.outcome == "timeout").sum() > 1000
    assert_same_run(batched, reference)


STORM = ["users.population=3000", "run.duration=40m", "faults.0.start=10m",
         "faults.0.duration=15m", "attackers.0.start=0s", "attackers.0.rate=30/s",
         "attackers.0.targets=400", "lockout.threshold=3", "lockout.first_lock=20s",
         "lockout.reset_after=5m"]


@pytest.mark.parametrize("sets", [
    pytest.param([], id="per-region-counters"),
    pytest.param(["lockout.scope=global"], id="shared-counters"),
    pytest.param(["lockout.ladder=linear", "lockout.step=30s"], id="linear-ladder"),
])
def test_guessing_storm_equals_sequential_reference(sets, monkeypatch):
    """Two attackers (avoid_locked and round_robin) guess a few hundred accounts many
    times per batch, some of which legitimate users also use: the batch serves most
    guesses vectorised, in rounds per account, and the owners' sign-ins in waves
    (some refused as locked out); it must match the reference."""
    scenario = load_scenario("credential-stuffing-during-failover", STORM + sets)
    stuffer = scenario.attackers[0]
    sprayer = stuffer.model_copy(update={"name": "sprayer", "endpoint_choice": "round_robin",
                                         "rate": 10.0, "success_probability": 0.05})
    scenario = scenario.model_copy(update={"attackers": [stuffer, sprayer]})
    vectorised = []
    serve_guesses = Attackers.serve_guesses
    locked_sign_ins = []  # legitimate sign-ins refused by lockout in a wave
    count_sign_ins = WaveServer._count_sign_ins

    def counting(attackers, arrivals, rows, *rest):
        vectorised.append(len(rows))
        serve_guesses(attackers, arrivals, rows, *rest)

    def counting_sign_ins(waves, t, user, outcome, row_of, held, *rest):
        locked_sign_ins.append(int((outcome[held] == LOCKED).sum()))
        count_sign_ins(waves, t, user, outcome, row_of, held, *rest)

    monkeypatch.setattr(Attackers, "serve_guesses", counting)
    monkeypatch.setattr(WaveServer, "_count_sign_ins", counting_sign_ins)
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    guesses = int((batched.requests["op"] == "guess").sum())
    assert sum(vectorised) > guesses // 4
    assert sum(locked_sign_ins) > 100
    assert len(batched.locks) > 100
    assert_same_run(batched, reference)


def test_busy_writers_equal_sequential_reference(monkeypatch):
    """A small pool writing often: many users write and read in the same batch, across a
    failover that moves their DNS answers, with lags short enough to apply in the batch.
    Writers whose answer stays put are served in rounds; the run must match the reference."""
    scenario = load_scenario("cognito-active-passive", [
        *RATES_ONLY, "users.population=2000", "run.duration=30m", "faults.0.start=8m",
        "faults.0.duration=10m", "traffic.profile_update=20/s", "traffic.password_change=5/s",
        "traffic.sign_out=5/s", "traffic.profile_read=20/s", "replication.lag=0.5s"])
    in_rounds, held_back = [], []  # per batch: writers steady, writers not
    steady = Router.steady

    def counting(router, t, users, t_end):
        answer = steady(router, t, users, t_end)
        in_rounds.append(int(answer.sum()))
        held_back.append(len(answer) - in_rounds[-1])
        return answer

    monkeypatch.setattr(Router, "steady", counting)
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert sum(in_rounds) > 1000
    assert max(held_back) > 0  # some batches straddle a DNS change
    assert_same_run(batched, reference)


def test_applies_first_equal_sequential_reference(monkeypatch):
    """A replication apply due in a batch before every request of its user there is made
    first, and the user's requests are served with the batch; an apply after one of them
    keeps the user one at a time. Reads go to the nearest region here (read-local), where
    an apply made out of order would change what they read: the run must match the
    reference."""
    scenario = load_scenario("read-local-write-primary", [
        "users.population=5000", "run.duration=30m", "faults.0.start=10m",
        "faults.0.duration=10m"])
    first_of_users_in_batch, after = [], []  # applies made first, and not, of such users
    applied_first = BatchServer._applied_first

    def counting(server, t, user, n_arrivals, stand_ins, times, apply_users):
        first = applied_first(server, t, user, n_arrivals, stand_ins, times, apply_users)
        concerned = np.isin(apply_users, user)  # their user has requests in the batch
        first_of_users_in_batch.append(int((first & concerned).sum()))
        after.append(int((~first & concerned).sum()))
        return first

    monkeypatch.setattr(BatchServer, "_applied_first", counting)
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    assert sum(first_of_users_in_batch) > 100 and sum(after) > 10
    assert_same_run(batched, reference)


def test_newcomers_are_served_in_rounds(monkeypatch):
    """A new user signs in, completes the profile and reads it back seconds after the
    sign-up, mostly in its batch: a sign-up sure to succeed (decided as a wave decides it)
    lets the newcomer's requests be served like anyone's — few go one at a time — and the
    run still equals the reference."""
    from drsim.model.dataplane import DataPlane
    from drsim.model.operations import SIGN_UP

    scenario = load_scenario("cognito-active-passive", [
        "users.population=20000", "run.duration=15m", "faults.0.start=5m",
        "faults.0.duration=5m"])
    one_at_a_time = []
    serve_arrival = DataPlane.serve_arrival

    def counting(plane, index):
        one_at_a_time.append(int(plane.recorder.op[index]) == SIGN_UP)
        serve_arrival(plane, index)

    monkeypatch.setattr(DataPlane, "serve_arrival", counting)
    batched = simulate(scenario, 0, batch=True)
    slow_sign_ups = sum(one_at_a_time)
    monkeypatch.setattr(DataPlane, "serve_arrival", serve_arrival)
    reference = simulate(scenario, 0, batch=False)
    sign_ups = int(((reference.requests.op == "sign_up") & (reference.requests.attempt == 0)).sum())
    assert sign_ups > 500
    assert slow_sign_ups < 0.5 * sign_ups  # the outage's refused sign-ups go one at a time
    assert_same_run(batched, reference)


# The split-brain scenario under an arbiter whose observers lose the primary (the link
# between the regions stays up: both sides replicate to each other during the split).
ARBITER_CUT = ["failover.detector=arbiter",
               "faults.0={kind: observer_partition, region: us-east-1, start: 10m, "
               "duration: 15m}"]


@pytest.mark.parametrize("fencing", ["false", "true"])
def test_an_arbiter_cut_off_from_the_primary_equals_sequential_reference(fencing):
    scenario = load_scenario("split-brain", ["users.population=20000", "run.duration=30m",
                                             *ARBITER_CUT, f"failover.fencing={fencing}"])
    batched = simulate(scenario, 0, batch=True)
    reference = simulate(scenario, 0, batch=False)
    writers = batched.events.loc[batched.events.kind == "writers", "value"]
    assert writers.max() == (1 if fencing == "true" else 2)
    assert (batched.writes.split > 0).any() == (fencing == "false")
    assert_same_run(batched, reference)


RETRIED_SIGN_UP = Path(__file__).parent / "examples" / "sign_up_retried_into_its_newcomers_batch.json"


def test_a_sign_up_retried_into_the_batch_of_its_newcomers_request():
    """A request for a newcomer's id is served for a stand-in only if that sign-up has
    not succeeded by then. A batch settles it at its start for the newcomers whose
    sign-up it does not hold; a sign-up retried into the batch (from the agenda, its
    first attempt refused in an earlier batch) is one it holds, so the request is decided
    when served. The example, found by the random invariants: user 109's sign-up is
    refused at 95.3 s, retried at 97.3 s, when it succeeds; its federated sign-in at
    103.0 s, in the same batch, is its own (``user_not_found`` at r2), not user 72's."""
    from .test_invariants import assert_records_equal, valid

    scenario = valid(json.loads(RETRIED_SIGN_UP.read_text()))
    batched, reference = simulate(scenario, 0), simulate(scenario, 0, batch=False)
    req = reference.requests
    retried = req[(req.op == "sign_up") & (req.attempt == 1) & (req.outcome == "ok")]
    assert 109 in set(retried.user)
    mine = req[(req.user == 109) & (req.op == "federated_sign_in")]
    assert (mine.time_s > retried[retried.user == 109].time_s.min()).all() and len(mine)
    assert_records_equal(batched, reference)
