"""The simulation model: a validated Scenario in, the records of one replication out.

``simulate(scenario, replication)`` runs the control plane (SimPy: faults,
health checks, DNS, failover), generates the arrival streams, builds the
columnar user directory and serves every request in time order. It knows no
files, YAML, plots or CLI.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from drsim.model.control import ControlTimeline, run_control_plane
from drsim.model.dataplane import (
    BatchAssumptionBroken,
    DataPlane,
    DataPlaneOutput,
    base_latency_s,
)
from drsim.model.directory import Directory, Router
from drsim.model.streams import Streams
from drsim.model.traffic import generate_arrivals, scripted_arrivals
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
    streams = Streams(scenario.run.seed, replication)
    control = run_control_plane(scenario, streams)
    population = scenario.users.population
    arrivals = (
        generate_arrivals(scenario, streams)
        if script is None
        else scripted_arrivals(script, population)
    )
    signups = int(np.count_nonzero(arrivals.op == OP_CODE["sign_up"]))
    directory = Directory(scenario, streams, scenario.users.population + signups)
    router = Router(
        directory,
        control.record_times,
        control.record_answers,
        dns_outages(control),
        single_home=scenario.dns.routing == "failover",
    )
    try:
        output = DataPlane(scenario, streams, control, arrivals, directory, router, batch).run()
    except BatchAssumptionBroken:
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
        directory_bytes=directory.nbytes(),
    )
    del arrivals, directory, router  # free the run's state before building the tables
    return RunRecords(
        requests=_requests_table(scenario, control, output),
        writes=_writes_table(scenario, output),
        locks=_locks_table(scenario, output),
        events=_events_table(scenario, control),
        meta=meta,
    )


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


def _requests_table(scenario: Scenario, control: ControlTimeline,
                    out: DataPlaneOutput) -> pd.DataFrame:
    n = len(out.time_s)
    order = np.lexsort((out.order_key, out.time_s))
    stale = np.zeros(n, dtype=np.bool_)
    stale[out.stale_index] = True
    staleness = np.full(n, np.nan, dtype=np.float32)
    staleness[out.stale_index] = out.staleness_s
    extra = np.zeros(n, dtype=np.bool_)
    extra[out.extra_guess_index] = True
    shadow = np.zeros(n, dtype=np.bool_)
    shadow[out.shadow_locked_index] = True

    region = out.region.astype(np.int64)
    latency = base_latency_s()[out.op.astype(np.int64)]
    epoch_index = np.searchsorted(control.epoch_starts, out.time_s, side="right") - 1
    added = np.array([e.added_latency_s for e in control.epochs], dtype=np.float32)
    reached = region >= 0
    latency = latency.copy()
    latency[reached] += added[epoch_index[reached], region[reached]]
    latency[out.outcome == OUTCOME_CODE["region_down"]] = REGION_DOWN_TIMEOUT_S
    if scenario.replication.mode == "sync":
        writes = np.isin(out.op, [OP_CODE[o] for o in (
            "sign_up", "profile_update", "password_change", "sign_out", "admin_disable")])
        latency[writes & (out.outcome == OUTCOME_CODE["ok"])] += scenario.replication.sync_latency

    names = list(scenario.region_names) + ["none"]
    region_codes = np.where(region >= 0, region, len(names) - 1)
    clients = [k.name for k in scenario.clients] + [a.name for a in scenario.attackers]
    attacker = out.attacker.astype(np.int64)
    client_codes = np.where(attacker >= 0, len(scenario.clients) + attacker,
                            out.client.astype(np.int64))
    # A client kind and an attacker may share a name: keep categories unique.
    unique_clients, client_codes = _unique_categories(clients, client_codes)

    # Build the table already in time order: one copy per column, no frame-wide reorder.
    return pd.DataFrame(
        {
            "time_s": out.time_s[order],
            "op": categorical(out.op[order], OPERATIONS),
            "user": out.user[order],
            "client": categorical(client_codes[order], unique_clients),
            "attacker": (attacker >= 0)[order],
            "region": categorical(region_codes[order], names),
            "outcome": categorical(out.outcome[order], OUTCOMES),
            "latency_s": latency.astype(np.float32)[order],
            "attempt": out.attempt[order],
            "stale": stale[order],
            "staleness_s": staleness[order],
            "extra_guess": extra[order],
            "shadow_locked": shadow[order],
        }
    )


def _unique_categories(names: list[str], codes: np.ndarray) -> tuple[list[str], np.ndarray]:
    unique: list[str] = []
    remap = np.empty(len(names), dtype=np.int64)
    for i, name in enumerate(names):
        if name not in unique:
            unique.append(name)
        remap[i] = unique.index(name)
    return unique, remap[codes] if len(codes) else codes


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


def _events_table(scenario: Scenario, control: ControlTimeline) -> pd.DataFrame:
    events = sorted(control.events, key=lambda e: e[0])
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
