"""Invariants of the model over random valid small scenarios (Hypothesis).

Every scenario is drawn from the whole scenario language — one, two or three
regions or a synchronous peer pair, every replication mode and lag
distribution, throughput caps, every DNS behaviour and routing, retry
policies, health-check votes, automatic / manual / no failover, failback
policies, lockout presets and scopes, all three attacker kinds, and faults of
every kind at random times — kept small (50–500 users, 2–10 minutes) so
that one run costs a fraction of a second. On the records of each run:

* no request is served ``ok`` by a region while it is down;
* a passive region never accepts a write (write operations end ``ok`` only
  in a region that was writable at that instant, read from the ``events``);
* per-user replication order holds (for each user, kind and target, the
  applied writes apply in the order they were acknowledged), and nothing
  applies before it was acknowledged or after it was lost;
* a user who never existed is never served (ids beyond the population plus
  the sign-ups never appear, a failed sign-up has user −1, a created user
  is served nowhere before its creation and only where its record is);
* every request has exactly one outcome;
* the same seed gives identical records, and so does serving one request at a
  time instead of in vectorised batches;
* changing only the failover design leaves the arrival stream identical.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drsim.model import simulate
from drsim.records import ATTACK_OPERATIONS, OPERATIONS, RunRecords
from drsim.scenario.schema import OPERATIONS as LEGIT_OPERATIONS
from drsim.scenario.schema import OUTCOME_CAUSES, Scenario, consistency_problems

WRITE_OPERATIONS = ("sign_up", "profile_update", "password_change", "sign_out", "admin_disable")
REPLAYS = ("replay_refresh", "replay_old_password", "replay_disabled")
NAMES = ("r1", "r2", "r3")

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --------------------------------------------------------------------------- strategies


def seconds(low: float, high: float) -> st.SearchStrategy[str]:
    return st.floats(low, high, allow_nan=False).map(lambda x: f"{x:.3f}s")


def rate(high: float) -> st.SearchStrategy[str]:
    return st.one_of(st.just("0/s"), st.floats(0.01, high).map(lambda x: f"{x:.3f}/s"))


def percent(low: float = 0.0, high: float = 100.0) -> st.SearchStrategy[str]:
    return st.floats(low, high).map(lambda x: f"{x:.2f}%")


@st.composite
def distribution(draw, low: float = 0.0, high: float = 30.0) -> Any:
    kind = draw(st.sampled_from(["plain", "constant", "exponential", "lognormal", "uniform",
                                 "empirical"]))
    if kind == "plain":
        return draw(seconds(low, high))
    if kind == "constant":
        return {"distribution": "constant", "value": draw(seconds(low, high))}
    if kind == "exponential":
        return {"distribution": "exponential", "mean": draw(seconds(max(low, 0.01), high))}
    if kind == "lognormal":
        median = draw(st.floats(0.05, max(high / 5, 0.1)))
        return {"distribution": "lognormal", "median": f"{median:.3f}s",
                "p99": f"{median * draw(st.floats(1.5, 10.0)):.3f}s"}
    if kind == "uniform":
        a, b = sorted(draw(st.lists(st.floats(low, high), min_size=2, max_size=2)))
        return {"distribution": "uniform", "low": f"{a:.3f}s", "high": f"{b:.3f}s"}
    return {"distribution": "empirical",
            "samples": draw(st.lists(seconds(low, high), min_size=1, max_size=5))}


@st.composite
def shares(draw, n: int) -> list[str]:
    """``n`` integer percentages adding up to exactly 100 %."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 100]
    return [f"{bounds[i + 1] - bounds[i]}%" for i in range(n)]


@st.composite
def client_kind(draw, name: str, share: str, regions: list[str]) -> dict[str, Any]:
    behaviour = draw(st.sampled_from(["honour", "clamp", "extend", "pin"]))
    dns: dict[str, Any] = {"behaviour": behaviour}
    if behaviour == "clamp":
        dns["min_ttl"] = draw(seconds(1, 300))
    elif behaviour == "extend":
        dns["extra"] = draw(distribution(0, 300))
    elif behaviour == "pin":
        dns["keep_for"] = draw(st.one_of(st.just("forever"), distribution(1, 600)))
    causes = draw(st.lists(st.sampled_from(OUTCOME_CAUSES[1:]), max_size=6, unique=True))
    retry = {
        "attempts": draw(st.integers(1, 4)),
        "backoff": draw(seconds(0, 5)),
        "multiplier": draw(st.floats(1.0, 3.0)),
        "jitter": draw(percent()),
    }
    if draw(st.booleans()):
        retry["retry_on"] = causes
    return {"name": name, "share": share, "dns": dns, "retry": retry,
            "home": draw(st.sampled_from(regions))}


@st.composite
def fault(draw, regions: list[str], duration_s: float) -> dict[str, Any]:
    kinds = ["region_outage", "gray_failure", "replication_stall", "kms_outage",
             "idp_outage", "dns_outage"]
    if len(regions) > 1:
        kinds.append("partition")
    kind = draw(st.sampled_from(kinds))
    out: dict[str, Any] = {
        "kind": kind,
        "start": draw(seconds(0, duration_s * 0.95)),
        "duration": draw(st.one_of(st.just("forever"), seconds(1, duration_s))),
    }
    if kind in ("region_outage", "gray_failure"):
        out["region"] = draw(st.sampled_from(regions))
    if kind == "gray_failure":
        out["error_rate"] = draw(percent())
        out["added_latency"] = draw(seconds(0, 2))
        out["probe_error_rate"] = draw(percent())
    if kind == "partition":
        out["regions"] = draw(st.lists(st.sampled_from(regions), min_size=2, max_size=2,
                                       unique=True))
    if kind == "kms_outage" and draw(st.booleans()):
        out["regions"] = draw(st.lists(st.sampled_from(regions), min_size=1, unique=True))
    if kind == "dns_outage":
        out["serve_stale"] = draw(percent())
    return out


@st.composite
def attacker(draw, name: str, regions: list[str], population: int,
             duration_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "kind": draw(st.sampled_from(["credential_stuffing", "password_spraying",
                                      "token_replay"])),
        "rate": draw(st.floats(0.05, 5.0).map(lambda x: f"{x:.3f}/s")),
        "targets": draw(st.integers(1, min(population, 30))),
        "endpoint_choice": draw(st.sampled_from(["round_robin", "avoid_locked"])),
        "success_probability": draw(percent(0, 30)),
        "replay_delay": draw(distribution(0, 60)),
        "start": draw(seconds(0, duration_s / 2)),
        "duration": draw(st.one_of(st.just("forever"), seconds(1, duration_s))),
    }
    if draw(st.booleans()):
        out["regions"] = draw(st.lists(st.sampled_from(regions), min_size=1, unique=True))
    return out


@st.composite
def lockout(draw) -> Any:
    if draw(st.booleans()):
        preset = draw(st.sampled_from(["cognito", "keycloak", "microsoft", "none"]))
        if draw(st.booleans()):
            return preset
        return {"preset": preset, "scope": draw(st.sampled_from(["region", "global"]))}
    first = draw(st.floats(1, 120))
    return {
        "threshold": draw(st.integers(1, 8)),
        "ladder": draw(st.sampled_from(["exponential", "linear"])),
        "first_lock": f"{first:.3f}s",
        "factor": draw(st.floats(1, 3)),
        "step": draw(seconds(0, 60)),
        "cap": f"{first * draw(st.floats(1, 20)):.3f}s",
        "reset_after": draw(seconds(1, 1800)),
        "scope": draw(st.sampled_from(["region", "global"])),
    }


@st.composite
def scenario_dicts(draw) -> dict[str, Any]:
    """A random valid small scenario, as the YAML would load."""
    layout = draw(st.sampled_from(["active_passive", "active_passive", "three", "single",
                                   "peers"]))
    if layout == "single":
        regions = [{"name": "r1", "role": "primary"}]
    elif layout == "peers":
        regions = [{"name": "r1", "role": "peer"}, {"name": "r2", "role": "peer"}]
    elif layout == "three":
        regions = [{"name": "r1", "role": "primary"}, {"name": "r2", "role": "secondary"},
                   {"name": "r3", "role": "secondary"}]
    else:
        regions = [{"name": "r1", "role": "primary"}, {"name": "r2", "role": "secondary"}]
    names = [r["name"] for r in regions]
    for region in regions:
        if draw(st.booleans()):
            region["quotas"] = {"sign_in": draw(rate(20)), "user_update": draw(rate(10)),
                                "sign_up": draw(rate(10)), "burst": draw(seconds(0.1, 5))}
    duration_s = draw(st.floats(120, 600))
    population = draw(st.integers(50, 500))

    modes = ["sync"] if layout == "peers" else [
        "async", "async", "sync", "periodic_export", "migrate_on_sign_in", "none"]
    replication: dict[str, Any] = {
        "mode": draw(st.sampled_from(modes)),
        "lag": draw(distribution(0, 30)),
        "export_interval": draw(seconds(10, 300)),
        "sync_latency": draw(seconds(0, 0.1)),
        "data": {key: draw(st.booleans()) for key in ("users", "credentials", "profiles",
                                                     "revocations")},
    }
    if draw(st.booleans()):
        replication["throughput"] = draw(st.floats(0.2, 20).map(lambda x: f"{x:.3f}/s"))

    mfa = draw(shares(4))
    users = {
        "population": population,
        "mfa": dict(zip(("none", "sms", "email", "totp"), mfa, strict=True)),
        "federated": draw(percent(0, 50)),
        "federated_seen_on_primary": draw(percent()),
        "with_session": draw(percent()),
    }
    n_clients = draw(st.integers(1, 2))
    clients = [draw(client_kind(f"c{i}", share, names))
               for i, share in enumerate(draw(shares(n_clients)))]
    traffic: dict[str, Any] = {op: draw(rate(3)) for op in LEGIT_OPERATIONS}
    traffic["admin_disable"] = draw(rate(0.2))
    if draw(st.booleans()):
        traffic["bursts"] = [{
            "operation": draw(st.sampled_from([*LEGIT_OPERATIONS, "all"])),
            "start": draw(seconds(0, duration_s * 0.9)),
            "duration": draw(seconds(1, 120)),
            "multiplier": draw(st.floats(0.1, 5)),
        }]
    routing = draw(st.sampled_from(["failover", "failover", "latency", "weighted"]))
    dns: dict[str, Any] = {"ttl": draw(seconds(1, 120)), "routing": routing}
    if routing == "weighted":
        dns["weights"] = dict(zip(names, draw(shares(len(names))), strict=True))
    faults = draw(st.lists(fault(names, duration_s), max_size=4))
    attackers = [draw(attacker(f"a{i}", names, population, duration_s))
                 for i in range(draw(st.integers(0, 2)))]
    return {
        "name": "random",
        "regions": regions,
        "replication": replication,
        "users": users,
        "clients": clients,
        "traffic": traffic,
        "attackers": attackers,
        "dns": dns,
        "health_check": {
            "interval": draw(seconds(2, 30)),
            "failure_threshold": draw(st.integers(1, 5)),
            "checkers": draw(st.integers(1, 5)),
            "healthy_fraction": draw(percent(0, 60)),
        },
        "failover": {
            "mode": draw(st.sampled_from(["automatic", "manual", "none"])),
            "automation_delay": draw(distribution(0, 60)),
            "promotion_time": draw(seconds(0, 60)),
            "manual": {step: draw(distribution(0, 60))
                       for step in ("page", "acknowledge", "decide", "runbook")},
            "failback": {
                "policy": draw(st.sampled_from(["automatic", "manual", "never"])),
                "delay": draw(seconds(0, 60)),
                "unreplicated_writes": draw(st.sampled_from(["lost", "reconcile"])),
            },
        },
        "sessions": {
            "access_token": draw(seconds(300, 3600)),
            "refresh_token": draw(seconds(3600, 86400)),
            "cross_region_tokens": draw(st.booleans()),
            "issuer_pinning": draw(percent(0, 50)),
        },
        "lockout": draw(lockout()),
        "faults": faults,
        "run": {"duration": f"{duration_s:.3f}s", "seed": draw(st.integers(0, 2**31))},
    }


def valid(data: dict[str, Any]) -> Scenario:
    scenario = Scenario.model_validate(data)
    assert not consistency_problems(scenario), consistency_problems(scenario)
    return scenario


scenarios = scenario_dicts().map(valid)


# --------------------------------------------------------------------------- record helpers


def step_lookup(times: np.ndarray, values: list, at: np.ndarray, default) -> list:
    """Value of a step function (last row at or before each instant) at ``at``."""
    index = np.searchsorted(times, at, side="right") - 1
    return [values[i] if i >= 0 else default for i in index]


def writable_timeline(records: RunRecords, scenario: Scenario) -> tuple[np.ndarray, list]:
    """Instants and the set of writable regions from each on, read from the events.

    ``writable``: the region takes writes (single-writer designs: it alone);
    ``promotion_start``: active-passive — no region takes writes while the
    secondary promotes; peers ("fenced") — that site leaves the group;
    ``failback``: active-passive — the old primary alone takes writes again;
    peers ("rejoined") — that site is back in the group.
    """
    peers = any(r.role == "peer" for r in scenario.regions)
    ev = records.events
    ev = ev[ev.kind.isin(["writable", "promotion_start", "failback"])]
    current: set[str] = set()
    times: list[float] = []
    states: list[frozenset[str]] = []
    for t, kind, region in zip(ev.time_s, ev.kind.astype(str), ev.region.astype(str),
                               strict=True):
        if kind == "writable":
            current = current | {region} if peers else {region}
        elif kind == "promotion_start":
            current = current - {region} if peers else set()
        else:
            current = current | {region} if peers else {region}
        times.append(float(t))
        states.append(frozenset(current))
    return np.array(times), states


def region_states(records: RunRecords, region: str) -> tuple[np.ndarray, list[str]]:
    ev = records.events
    rows = ev[(ev.kind == "region_state") & (ev.region == region)]
    return rows.time_s.to_numpy(), rows.detail.astype(str).tolist()


# --------------------------------------------------------------------------- invariants


def check_never_ok_while_down(records: RunRecords, scenario: Scenario) -> None:
    req = records.requests
    for name in scenario.region_names:
        times, states = region_states(records, name)
        assert len(times) and times[0] == 0.0
        served = req[(req.region == name) & (req.outcome == "ok")]
        state = step_lookup(times, states, served.time_s.to_numpy(), "up")
        bad = served[[s == "down" for s in state]]
        assert bad.empty, f"served ok by {name} while it was down:\n{bad.head()}"


def check_passive_never_writes(records: RunRecords, scenario: Scenario) -> None:
    times, states = writable_timeline(records, scenario)
    peers = any(r.role == "peer" for r in scenario.regions)
    if not peers:
        assert all(len(s) <= 1 for s in states), "two regions writable at once"
    req = records.requests
    writes = req[req.op.isin(WRITE_OPERATIONS) & (req.outcome == "ok")]
    state = step_lookup(times, states, writes.time_s.to_numpy(), frozenset())
    bad = writes[[str(r) not in s for r, s in zip(writes.region, state, strict=True)]]
    assert bad.empty, f"write accepted by a passive region:\n{bad.head()}"
    # The writes table agrees: every acknowledged write's origin was writable.
    w = records.writes
    state = step_lookup(times, states, w.time_s.to_numpy(), frozenset())
    bad = w[[str(r) not in s for r, s in zip(w.origin, state, strict=True)]]
    assert bad.empty, f"replicated write from a passive origin:\n{bad.head()}"


def check_replication_order(records: RunRecords, scenario: Scenario) -> None:
    w = records.writes
    applied = w[w.applied_s.notna()]
    assert (applied.applied_s >= applied.time_s).all(), "a write applied before its ack"
    assert w[w.lost].applied_s.isna().all(), "a lost write applied"
    ordered = applied.sort_values(["time_s", "write_id"], kind="stable")
    for (user, kind, target), group in ordered.groupby(["user", "kind", "target"],
                                                       observed=True, sort=False):
        a = group.applied_s.to_numpy()
        if np.any(np.diff(a) < 0):
            i = int(np.argmax(np.diff(a) < 0))
            raise AssertionError(
                f"user {user} {kind}→{target}: applied out of order\n{group.iloc[i:i + 2]}")


def check_never_existed_never_served(records: RunRecords, scenario: Scenario) -> None:
    """Ids beyond the population are reserved by sign-up arrivals (the k-th sign-up
    reserves ``population + k``); such a user exists once its sign-up succeeded."""
    req = records.requests
    population = records.meta["population"]
    legit = req[~req.attacker]
    signups = legit[legit.op == "sign_up"]
    reserved = population + int((signups.attempt == 0).sum())
    assert (signups[signups.outcome != "ok"].user == -1).all(), "a failed sign-up got a user"
    made = signups[signups.outcome == "ok"]
    assert made.user.is_unique, "two sign-ups created the same user"
    assert ((made.user >= population) & (made.user < reserved)).all()
    assert len(made) == records.meta["users_created"]
    assert (legit[legit.op == "m2m_token"].user == -1).all()
    others = legit[~legit.op.isin(["sign_up", "m2m_token"])]
    assert ((others.user >= 0) & (others.user < reserved)).all(), "a request for no user"
    attacks = req[req.attacker]
    assert ((attacks.user >= 0) & (attacks.user < population)).all()
    # A user created by a sign-up is acted on only after the sign-up succeeded.
    born = pd.Series(made.time_s.to_numpy(), index=made.user.to_numpy())
    newcomers = others[others.user >= population]
    unborn = newcomers[~newcomers.user.isin(born.index)]
    assert unborn.empty, f"requests of users whose sign-up never succeeded:\n{unborn.head()}"
    early = newcomers[newcomers.time_s.to_numpy() < born.loc[newcomers.user].to_numpy()]
    assert early.empty, f"requests of users before their sign-up:\n{early.head()}"


def check_served_only_where_present(records: RunRecords, scenario: Scenario) -> None:
    """A user created by a sign-up is served ``ok`` only in the region that created it
    or in a region its ``user`` record had reached by then (per the writes table).

    Checked where the writes table is the whole story of how a user reaches a
    region: async, sync without peers, periodic export (not lazy migration, which
    copies on sign-in, nor peers, which resynchronise by copy on rejoin).
    """
    peers = any(r.role == "peer" for r in scenario.regions)
    if scenario.replication.mode not in ("async", "sync", "periodic_export") or peers:
        return
    req = records.requests
    population = records.meta["population"]
    legit = req[~req.attacker]
    made = legit[(legit.op == "sign_up") & (legit.outcome == "ok")]
    home = dict(zip(made.user.tolist(), made.region.astype(str).tolist(), strict=True))
    w = records.writes
    w = w[(w.kind == "user") & w.applied_s.notna()]
    arrived = {(u, str(t)): a for u, t, a in zip(w.user, w.target, w.applied_s, strict=True)}
    served = legit[(legit.user >= population) & (legit.outcome == "ok")
                   & ~legit.op.isin(["sign_up", "m2m_token"])]
    for t, op, user, region in zip(served.time_s, served.op.astype(str), served.user,
                                   served.region.astype(str), strict=True):
        if region == home[user]:
            continue
        applied = arrived.get((user, region), math.inf)
        assert applied <= t, (
            f"user {user} (created in {home[user]}) served {op} ok in {region} at t={t:.3f}s, "
            f"but its record applied there at {applied}")


def check_one_outcome(records: RunRecords, scenario: Scenario) -> None:
    req = records.requests
    for column in ("op", "outcome", "region", "client"):
        assert req[column].notna().all(), f"a request without {column}"
    assert req.time_s.is_monotonic_increasing
    assert (req.time_s >= 0).all() and (req.time_s < scenario.run.duration).all()
    assert (req.attempt >= 0).all()
    assert req[req.attacker].op.isin(ATTACK_OPERATIONS).all()
    assert req[~req.attacker].op.isin(LEGIT_OPERATIONS).all()
    assert np.isfinite(req.latency_s).all() and (req.latency_s >= 0).all()
    assert not (req.stale & ((req.op != "profile_read") | (req.outcome != "ok"))).any()
    assert req.staleness_s.notna().equals(req.stale)
    assert (req[req.stale].staleness_s >= 0).all()
    assert not (req.extra_guess & (req.op != "guess")).any()
    assert list(req.op.cat.categories) == list(OPERATIONS)
    assert list(req.outcome.cat.categories) == list(OUTCOME_CAUSES)


def assert_records_equal(a: RunRecords, b: RunRecords) -> None:
    for table in ("requests", "writes", "locks", "events"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)
    assert {k: v for k, v in a.meta.items() if k != "batch_fallback"} == {
        k: v for k, v in b.meta.items() if k != "batch_fallback"}


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(scenarios)
def test_no_request_served_ok_by_a_region_while_it_is_down(scenario):
    check_never_ok_while_down(simulate(scenario), scenario)


@SETTINGS
@given(scenarios)
def test_a_passive_region_never_accepts_a_write(scenario):
    check_passive_never_writes(simulate(scenario), scenario)


@SETTINGS
@given(scenarios)
def test_per_user_replication_order_is_preserved(scenario):
    check_replication_order(simulate(scenario), scenario)


@SETTINGS
@given(scenarios)
def test_a_user_who_never_existed_is_never_served(scenario):
    check_never_existed_never_served(simulate(scenario), scenario)


@SETTINGS
@given(scenarios)
def test_a_created_user_is_served_only_where_its_record_is(scenario):
    check_served_only_where_present(simulate(scenario), scenario)


@SETTINGS
@given(scenarios)
def test_every_request_has_exactly_one_outcome(scenario):
    check_one_outcome(simulate(scenario), scenario)


@SETTINGS
@given(scenarios, st.integers(0, 3))
def test_same_seed_gives_identical_records(scenario, replication):
    assert_records_equal(simulate(scenario, replication), simulate(scenario, replication))


@SETTINGS
@given(scenarios)
def test_batched_serving_equals_the_sequential_reference(scenario):
    assert_records_equal(simulate(scenario, batch=True), simulate(scenario, batch=False))


def other_failover_design(data: dict[str, Any], choice: int) -> dict[str, Any]:
    changed = {**data, "failover": dict(data["failover"]),
               "health_check": dict(data["health_check"])}
    if choice == 0:
        modes = ["automatic", "manual", "none"]
        changed["failover"]["mode"] = modes[(modes.index(data["failover"]["mode"]) + 1) % 3]
    elif choice == 1:
        changed["health_check"]["interval"] = "7.5s"
        changed["health_check"]["failure_threshold"] = 2
    elif choice == 2:
        changed["failover"]["promotion_time"] = "2s"
        changed["failover"]["failback"] = {"policy": "never"}
    else:
        changed["dns"] = {**data["dns"], "ttl": "5s"}
    return changed


@SETTINGS
@given(scenario_dicts(), st.integers(0, 3))
def test_changing_only_the_failover_design_keeps_the_arrivals(data, choice):
    a = simulate(valid(data)).requests
    b = simulate(valid(other_failover_design(data, choice))).requests

    def first_attempts(req: pd.DataFrame) -> pd.DataFrame:
        first = req[(req.attempt == 0) & ~req.op.isin(REPLAYS)]
        out = first[["time_s", "op", "attacker"]].reset_index(drop=True)
        out["target"] = np.where(first.attacker, first.user, -1)
        return out

    pd.testing.assert_frame_equal(first_attempts(a), first_attempts(b), check_exact=True)


def test_strategy_covers_the_language():
    """The generator reaches every fault kind, mode and layout (guards the strategy itself)."""
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(scenario_dicts())
    def collect(data):
        seen.add(f"mode:{data['replication']['mode']}")
        seen.add(f"failover:{data['failover']['mode']}")
        seen.add(f"regions:{len(data['regions'])}")
        seen.update(f"fault:{f['kind']}" for f in data["faults"])
        seen.update(f"attacker:{a['kind']}" for a in data["attackers"])

    collect()
    expected = {f"mode:{m}" for m in ("async", "sync", "periodic_export", "migrate_on_sign_in",
                                      "none")}
    expected |= {f"fault:{k}" for k in ("region_outage", "gray_failure", "replication_stall",
                                        "partition", "kms_outage", "idp_outage", "dns_outage")}
    expected |= {"failover:automatic", "failover:manual", "failover:none", "regions:1",
                 "regions:2", "regions:3"}
    expected |= {f"attacker:{k}" for k in ("credential_stuffing", "password_spraying",
                                           "token_replay")}
    assert expected <= seen, expected - seen

