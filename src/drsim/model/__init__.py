"""The simulation model: a validated Scenario in, the records of one replication out.

``simulate(scenario, replication)`` runs the control plane (SimPy: faults,
health checks, DNS, failover), generates the arrival streams, builds the
columnar user directory and serves every request in time order. It knows no
files, YAML, plots or CLI.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from drsim.model.arrivals import generate_arrivals
from drsim.model.capacity_schedule import Schedule, build_schedule
from drsim.model.control import ControlTimeline, run_control_plane
from drsim.model.corruption import plan_corruption
from drsim.model.dataplane import DataPlane
from drsim.model.directory import Directory
from drsim.model.heap import collector_paused, keep_heap
from drsim.model.operations import base_latency_s
from drsim.model.quotas import BatchAssumptionBroken
from drsim.model.recorder import DataPlaneOutput
from drsim.model.replay import down_spans, region_sojourns_s
from drsim.model.routing import build_router
from drsim.model.streams import Streams
from drsim.model.traffic import scripted_arrivals
from drsim.records import (
    EVENT_KINDS,
    OP_CODE,
    OPERATIONS,
    OUTCOME_CODE,
    OUTCOMES,
    WRITE_KINDS,
    RunRecords,
    categorical,
)
from drsim.scenario.schema import Scenario

REGION_DOWN_TIMEOUT_S = 5.0  # a client gives up on a dead endpoint after this [assumption]

__all__ = ["simulate"]


def simulate(
    scenario: Scenario,
    replication: int = 0,
    script: list[tuple[float, str, int]] | None = None,
    batch: bool = True,
) -> RunRecords:
    """Run one replication of ``scenario``.

    Args:
        scenario: A validated scenario.
        replication: Replication index; random streams derive from
            ``(scenario.run.seed, replication)`` only.
        script: Instead of the scenario's traffic, exactly these requests:
            ``(time_s, operation, user)``; attackers' guesses are ``"guess"``
            rows aimed at the first attacker (user = the targeted account).
        batch: Serve requests in vectorised batches (the default); ``False`` serves
            them one at a time — the reference the batches must reproduce exactly.

    Returns:
        The run's record tables (see :mod:`drsim.records`).
    """
    keep_heap()  # big temporaries reused from the heap, not faulted in afresh
    with collector_paused():
        return _simulate(scenario, replication, script, batch)


def _simulate(scenario: Scenario, replication: int,
              script: list[tuple[float, str, int]] | None, batch: bool) -> RunRecords:
    """:func:`simulate`'s run."""
    streams = Streams(scenario.run.seed, replication)
    drains: list[float] = []
    control = run_control_plane(scenario, streams)
    while control.undrained is not None:  # failback.wait_for_backlog
        drains.append(_drain_s(scenario, streams, control, script, batch))
        control = run_control_plane(scenario, streams, drains)
    corruption = plan_corruption(scenario, streams, control)
    arrivals = _arrivals(scenario, streams, script)
    signups = int(np.count_nonzero(arrivals.op == OP_CODE["sign_up"]))
    directory = Directory(scenario, streams, scenario.users.population + signups,
                          arrivals.signup_kinds)
    directory_bytes = directory.nbytes()
    router = build_router(scenario, control, directory, dns_outages(control))
    schedule = build_schedule(scenario, control, streams)
    plane = DataPlane(scenario, streams, control, arrivals, directory, router, batch, schedule,
                      corruption)
    # From here on the plane holds the run's state alone, so that it is freed with the plane.
    del arrivals, directory, router
    try:
        output = plane.run()
    except BatchAssumptionBroken:
        output = None
    del plane
    if output is None:
        # A batch would have throttled a request it served: redo the run exactly.
        records = simulate(scenario, replication, script, batch=False)
        records.meta["batch_fallback"] = True
        return records
    meta = dict(control.meta)
    meta.update(
        seed=scenario.run.seed,
        replication=replication,
        population=scenario.users.population,
        users_created=output.users_created,
        duration_s=scenario.run.duration,
        directory_bytes=directory_bytes,
    )
    if output.dependency_failures:
        meta["dependency_failures"] = output.dependency_failures
    if corruption is not None:
        meta.update(corruption.facts(scenario.region_names))
    events = _events_table(scenario, control, schedule.events if schedule else [])
    return RunRecords(
        requests=_requests_table(scenario, control, output, schedule,
                                 down_spans(scenario, events)),
        writes=_writes_table(scenario, output),
        locks=_locks_table(scenario, output),
        events=events,
        meta=meta,
    )


def _arrivals(scenario: Scenario, streams: Streams,
              script: list[tuple[float, str, int]] | None):
    """The run's first attempts: the scenario's traffic, or the script."""
    if script is None:
        return generate_arrivals(scenario, streams)
    return scripted_arrivals(script, scenario.users.population)


def _drain_s(scenario: Scenario, streams: Streams, control: ControlTimeline,
             script: list[tuple[float, str, int]] | None, batch: bool) -> float:
    """When the failback waiting at ``control.undrained`` completes: the data plane serves
    the run up to that instant (the timeline before it is complete, and a data plane's
    state at an instant depends only on what came before), the reverse backlog's last
    apply time, capped by ``failback.max_wait``.

    The control plane then runs again with this instant known; the run before it is the
    same, so the final pass finds the same backlog (each waiting failback costs one
    partial extra pass of the data plane).
    """
    start, p, s = control.undrained  # type: ignore[misc]
    corruption = plan_corruption(scenario, streams, control)
    arrivals = _arrivals(scenario, streams, script)
    signups = int(np.count_nonzero(arrivals.op == OP_CODE["sign_up"]))
    directory = Directory(scenario, streams, scenario.users.population + signups,
                          arrivals.signup_kinds)
    router = build_router(scenario, control, directory, dns_outages(control))
    plane = DataPlane(scenario, streams, control, arrivals, directory, router, batch,
                      build_schedule(scenario, control, streams), corruption)
    del arrivals, directory, router
    try:
        drained = plane.drain_s(start, p, s)
    except BatchAssumptionBroken:
        del plane
        return _drain_s(scenario, streams, control, script, batch=False)
    return min(drained, start + scenario.failover.failback.max_wait)


def dns_outages(control: ControlTimeline) -> list[tuple[float, float, float]]:
    """Intervals during which the DNS provider was down, with the serve-stale share."""
    outages: list[tuple[float, float, float]] = []
    epochs = control.epochs
    for i, epoch in enumerate(epochs):
        if not epoch.dns_down:
            continue
        end = epochs[i + 1].start_s if i + 1 < len(epochs) else math.inf
        if outages and outages[-1][1] == epoch.start_s:
            start, _, share = outages[-1]
            outages[-1] = (start, end, min(share, epoch.serve_stale))
        else:
            outages.append((epoch.start_s, end, epoch.serve_stale))
    return outages


def _requests_table(scenario: Scenario, control: ControlTimeline, out: DataPlaneOutput,
                    schedule: Schedule | None = None,
                    downs: list[np.ndarray] | None = None) -> pd.DataFrame:
    """The ``requests`` table (see :mod:`drsim.records`): ``out``'s rows, in time order.

    Takes over ``out``'s request columns (already in time order, ``out`` lets go of
    them). Every table column is made once and handed to pandas without a copy: the
    peak stays near ``out`` plus the table instead of several times the table.
    """
    n = len(out.time_s)
    time_s, op, user, client = out.time_s, out.op, out.user, out.client
    attacker, region, outcome, attempt = out.attacker, out.region, out.outcome, out.attempt
    out.time_s = out.op = out.user = out.client = None
    out.attacker = out.region = out.outcome = out.attempt = None
    stale = _flags(n, out.stale_index)
    staleness = np.full(n, np.nan, dtype=np.float32)
    staleness[out.stale_index] = out.staleness_s
    extra = _flags(n, out.extra_guess_index)
    shadow = _flags(n, out.shadow_locked_index)
    latency = _latency_s(scenario, control, time_s, op, region, outcome)
    _add_queueing(scenario, latency, time_s, op, region, outcome, client, attacker,
                  schedule.clocks if schedule is not None else None, downs)

    names = list(scenario.region_names) + ["none"]
    region_codes = np.where(region >= 0, region, len(names) - 1)
    clients = [k.name for k in scenario.clients] + [a.name for a in scenario.attackers]
    # A client kind and an attacker may share a name: keep categories unique.
    unique_clients, remap = _unique_categories(clients)
    client_codes = np.where(attacker >= 0, attacker + len(scenario.clients), client)
    if (remap != np.arange(len(remap))).any():
        client_codes = remap[client_codes]
    return pd.DataFrame(
        {
            "time_s": time_s,
            "op": categorical(op, OPERATIONS),
            "user": user,
            "client": categorical(client_codes, unique_clients),
            "attacker": attacker >= 0,
            "region": categorical(region_codes, names),
            "outcome": categorical(outcome, OUTCOMES),
            "latency_s": latency,
            "attempt": attempt,
            "stale": stale,
            "staleness_s": staleness,
            "extra_guess": extra,
            "shadow_locked": shadow,
        },
        copy=False,  # the columns are this table's own: no copy, no consolidation
    )


def _flags(n: int, rows: np.ndarray) -> np.ndarray:
    """A bool column, True at ``rows``."""
    flag = np.zeros(n, dtype=np.bool_)
    flag[rows] = True
    return flag


def _latency_s(scenario: Scenario, control: ControlTimeline, time_s: np.ndarray,
               op: np.ndarray, region: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Each attempt's latency (float32): the operation's base latency, plus the reached
    region's added latency in the epoch of the attempt, the client's timeout on a dead
    region, and the synchronous replication round trip of a successful write.

    ``time_s`` is sorted: each epoch's rows are one slice (the first epoch starts at 0).
    """
    latency = base_latency_s()[op]
    added = np.array([e.added_latency_s for e in control.epochs], dtype=np.float32)
    edges = [0, *np.searchsorted(time_s, control.epoch_starts[1:], side="left").tolist(),
             len(time_s)]
    for epoch, (start, end) in enumerate(itertools.pairwise(edges)):
        if not added[epoch].any():
            continue  # adds 0 (the usual epoch)
        rows = region[start:end]
        reached = rows >= 0
        latency[start:end][reached] += added[epoch, rows[reached]]
    latency[outcome == OUTCOME_CODE["region_down"]] = REGION_DOWN_TIMEOUT_S
    latency[outcome == OUTCOME_CODE["circuit_open"]] = 0.0  # failed fast in the client
    if scenario.replication.mode == "sync":
        writes = np.isin(op, [OP_CODE[o] for o in (
            "sign_up", "profile_update", "password_change", "sign_out", "admin_disable")])
        latency[writes & (outcome == OUTCOME_CODE["ok"])] += scenario.replication.sync_latency
    return latency


def _add_queueing(scenario: Scenario, latency: np.ndarray, time_s: np.ndarray, op: np.ndarray,
                  region: np.ndarray, outcome: np.ndarray, client: np.ndarray,
                  attacker: np.ndarray, clocks: list | None = None,
                  downs: list[np.ndarray] | None = None) -> None:
    """Add each attempt's wait and service at its region's queue to its latency (regions
    with a capacity, :mod:`drsim.model.capacity`; ``downs``: when each was down); an
    attempt that timed out took its client's timeout."""
    for rows, sojourn in region_sojourns_s(scenario, time_s, op, region, outcome, clocks,
                                           downs):
        latency[rows] += sojourn.astype(np.float32)  # the other rows: + 0 changes nothing
    timed_out = np.flatnonzero(outcome == OUTCOME_CODE["timeout"])
    if len(timed_out):
        limits = np.array([k.timeout or np.inf for k in scenario.clients], dtype=np.float32)
        legit = attacker[timed_out] < 0
        latency[timed_out[legit]] = limits[client[timed_out[legit]]]


def _unique_categories(names: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct names, in first-seen order, and each name's code among them."""
    unique: list[str] = []
    remap = np.empty(len(names), dtype=np.int16)
    for i, name in enumerate(names):
        if name not in unique:
            unique.append(name)
        remap[i] = unique.index(name)
    return unique, remap


def _writes_table(scenario: Scenario, out: DataPlaneOutput) -> pd.DataFrame:
    w = out.writes
    names = list(scenario.region_names)
    return pd.DataFrame(
        {
            "write_id": w["write_id"],
            "time_s": w["time_s"],
            "user": w["user"],
            "kind": categorical(w["kind"], WRITE_KINDS),
            "origin": categorical(w["origin"], names),
            "target": categorical(w["target"], names),
            "applied_s": w["applied_s"],
            "lost": w["lost"],
            "conflict": w["conflict"],
            "stuck": w["stuck"],
            "split": w["split"],
        }
    )


def _locks_table(scenario: Scenario, out: DataPlaneOutput) -> pd.DataFrame:
    scopes = list(scenario.region_names) + ["global", "shared"]
    if out.locks:
        users, scope, start, end = zip(*out.locks, strict=True)
    else:
        users, scope, start, end = (), (), (), ()
    codes = np.array([scopes.index(s) for s in scope], dtype=np.int64)
    return pd.DataFrame(
        {
            "user": np.array(users, dtype=np.int64),
            "scope": categorical(codes, scopes),
            "start_s": np.array(start, dtype=np.float64),
            "end_s": np.array(end, dtype=np.float64),
        }
    )


def _events_table(scenario: Scenario, control: ControlTimeline,
                  extra: list[tuple] = ()) -> pd.DataFrame:
    events = sorted([*control.events, *extra], key=lambda e: e[0])
    kinds = list(EVENT_KINDS)
    regions = sorted({e[2] for e in events} | {""} | set(scenario.region_names))
    return pd.DataFrame(
        {
            "time_s": np.array([e[0] for e in events], dtype=np.float64),
            "kind": pd.Categorical([e[1] for e in events], categories=kinds),
            "region": pd.Categorical([e[2] for e in events], categories=regions),
            "value": np.array([e[3] for e in events], dtype=np.float64),
            "detail": [e[4] for e in events],
        }
    )
