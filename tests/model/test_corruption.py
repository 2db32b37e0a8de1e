"""Known answers of replicated corruption and restores from backups (issue 18).

1. The bad profile writes are ordinary writes: their records reach the secondary with
   the channel's lag (exponential here: Kolmogorov–Smirnov), and a read there is
   ``corrupt`` exactly from its user's record's apply time until the restore's record
   arrives — failing over does not help;
2. the restore's RPO (bad write − last snapshot) is uniform on [0, I): mean I/2;
3. corrupt reads at the primary are Poisson with mean λ_read × share × exposure, the
   exposure being detection + restore time;
4. ``restore: everything`` loses every profile update acknowledged between the snapshot
   and the restore: μ × (restore − snapshot) (Poisson), exactly the writes table's count;
   ``affected_users`` loses the corrupted users' share of them;
5. a bad configuration fails every sign-in (``misconfigured``) in each region from its
   arrival there until the restored one arrives.

Counts are Poisson: tolerances are 4 standard errors (deterministic seeds).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given, seed, settings
from scipy import stats

from drsim.metrics import summarise
from drsim.metrics.compute import compute_metrics
from drsim.model import simulate
from drsim.model.control import run_control_plane
from drsim.model.corruption import plan_corruption
from drsim.model.streams import Streams
from drsim.scenario import units

from .conftest import build_scenario
from .test_invariants import (
    SEED,
    SETTINGS,
    assert_records_equal,
    check_never_ok_while_down,
    check_one_outcome,
    check_replication_order,
    scenario_dicts,
    valid,
)

Z = 4.0
# Clients at home in r2 read there (latency record); writes go to the primary r1.
HOMES = {"clients": [{"name": "east", "share": "50%", "home": "r1", "dns": {"behaviour": "honour"}},
                     {"name": "west", "share": "50%", "home": "r2",
                      "dns": {"behaviour": "honour"}}],
         "dns": {"ttl": "60s", "endpoints": {"profile_read": "latency", "sign_in": "latency",
                                             "federated_sign_in": "latency"}}}
LAG = {"mode": "async", "lag": {"distribution": "exponential", "mean": "5s"}}


def _corruption(**extra):
    return {"kind": "corruption", "start": "2m", "share": "10%", "detected_after": "3m",
            **extra}


def _run(faults, traffic, backups=None, batch=True, seed=1, users=1000, duration="10m",
         **sections):
    scenario = build_scenario(users={"population": users}, traffic=traffic, faults=faults,
                              replication=sections.pop("replication", LAG), backups=backups,
                              run={"duration": duration, "seed": seed}, **sections)
    records = simulate(scenario, 0, batch=batch)
    return scenario, records, compute_metrics(records, scenario)


def _bad_rows(records):
    writes = records.writes
    first, count = records.meta["corruption_first_write_id"], records.meta["corrupted_users"]
    ids = writes["write_id"].to_numpy()
    return writes[(ids >= first) & (ids < first + count)]


def test_bad_rows_reach_each_region_at_their_apply_time():
    scenario, records, metrics = _run([_corruption()], {"profile_read": "40/s"},
                                      {"interval": "10m", "restore_time": "1m"}, **HOMES)
    bad = _bad_rows(records)
    assert len(bad) == metrics["corrupted_users"] == 100  # 10 % of 1000, one row each
    assert (bad["kind"] == "profile").all() and (bad["time_s"] == 120.0).all()
    assert (bad["origin"] == "r1").all() and (bad["target"] == "r2").all()
    lags = bad["applied_s"].to_numpy() - 120.0
    assert stats.kstest(lags / 5.0, "expon").pvalue > 1e-3  # the channel's own lag
    assert metrics["corruption_replicated_s"] == pytest.approx(lags.max())
    # A read at r2 of a corrupted user is corrupt exactly from its bad row's arrival until
    # the restore's row (written at r1 at 6 min) arrives.
    restore = records.writes[(records.writes["time_s"] == 360.0)]
    arrived_bad = dict(zip(bad["user"], bad["applied_s"], strict=True))
    arrived_good = dict(zip(restore["user"], restore["applied_s"], strict=True))
    req = records.requests
    reads = req[(req["op"] == "profile_read") & req["user"].isin(arrived_bad)]
    at_r2 = reads[reads["region"] == "r2"]
    expected = [arrived_bad[u] <= t < arrived_good[u]
                for t, u in zip(at_r2["time_s"], at_r2["user"], strict=True)]
    assert (at_r2["outcome"] == "corrupt").tolist() == expected
    assert sum(expected) > 50
    at_r1 = reads[reads["region"] == "r1"]
    assert ((at_r1["outcome"] == "corrupt")
            == ((at_r1["time_s"] >= 120.0) & (at_r1["time_s"] < 360.0))).all()
    assert metrics["corrupt_reads"] == (req["outcome"] == "corrupt").sum()


def test_restore_rpo_is_uniform_on_zero_to_the_interval():
    interval = 3600.0
    scenario = build_scenario(faults=[_corruption()], backups={"interval": "1h"},
                              health_check={"checkers": 1, "interval": "5m"})
    rpo = []
    for replication in range(400):
        streams = Streams(scenario.run.seed, replication)
        plan = plan_corruption(scenario, streams, run_control_plane(scenario, streams))
        rpo.append(plan.start_s - plan.snapshot_s)
    rpo = np.array(rpo)
    assert rpo.min() >= 0 and rpo.max() < interval
    assert abs(rpo.mean() - interval / 2) < Z * interval / math.sqrt(12 * len(rpo))
    assert stats.kstest(rpo / interval, "uniform").pvalue > 1e-3
    # The run reports the same RPO as its plan.
    records = simulate(scenario, 7)
    streams = Streams(scenario.run.seed, 7)
    plan = plan_corruption(scenario, streams, run_control_plane(scenario, streams))
    metrics = compute_metrics(records, scenario)
    assert metrics["restore_rpo_s"] == pytest.approx(plan.start_s - plan.snapshot_s)


def test_corrupt_reads_are_read_rate_share_and_exposure():
    rate = 20.0
    _, records, metrics = _run([_corruption(detected_after="5m")],
                               {"profile_read": f"{rate:g}/s"},
                               {"interval": "10m", "restore_time": "5m"}, duration="20m")
    exposure = 600.0  # detected after 5 min, restored 5 min later
    assert metrics["corruption_detection_s"] == 300.0
    assert metrics["corruption_exposure_s"] == exposure
    assert metrics["corruption_recovered"] == 1.0
    expected = rate * 0.10 * exposure  # every read is at the primary: 1 200
    assert abs(metrics["corrupt_reads"] - expected) < Z * math.sqrt(expected)
    assert metrics["corrupt_reads_by_region.r2"] == 0
    req = records.requests
    bad = req[req["outcome"] == "corrupt"]["time_s"]
    assert bad.min() >= 120.0 and bad.max() < 120.0 + exposure


def test_without_backups_the_corruption_stays_and_the_exposure_is_censored():
    _, _, metrics = _run([_corruption()], {"profile_read": "5/s"})
    assert metrics["corruption_recovered"] == 0.0
    assert metrics["corruption_exposure_s"] == 600.0 - 120.0  # to the run's end
    assert math.isnan(metrics["restore_rpo_s"])
    assert metrics["users_restored"] == metrics["writes_lost_by_restore"] == 0.0


@pytest.mark.parametrize("restore", ["everything", "affected_users"])
def test_everything_restore_loses_the_updates_since_the_snapshot(restore):
    mu = 5.0
    _, records, metrics = _run([_corruption()], {"profile_update": f"{mu:g}/s"},
                               {"interval": "1h", "restore_time": "1m", "restore": restore},
                               seed=3)
    meta = records.meta
    snapshot, restored = meta["backup_snapshot_s"], meta["corruption_restored_s"]
    assert restored == 120.0 + 180.0 + 60.0
    writes = records.writes
    bad = set(_bad_rows(records)["write_id"])
    corrupted = set(_bad_rows(records)["user"])
    since = writes[(writes["kind"] == "profile") & (writes["time_s"] > snapshot)
                   & (writes["time_s"] < restored) & ~writes["write_id"].isin(bad)]
    share = 1.0
    if restore == "affected_users":
        since = since[since["user"].isin(corrupted)]
        share = 0.10
    # The writes the restore overwrote, exactly; and their closed form (Poisson; the
    # snapshot is before the run: the updates start at 0).
    assert metrics["writes_lost_by_restore"] == since["write_id"].nunique()
    expected = mu * share * (restored - max(snapshot, 0.0))
    assert abs(metrics["writes_lost_by_restore"] - expected) < Z * math.sqrt(expected)
    restored_users = set(since["user"]) | corrupted
    assert metrics["users_restored"] == len(restored_users)


def test_every_acknowledged_write_is_applied_lost_or_restored_over():
    """Accounting with a failover in the middle: every write's records are applied, lost
    (counted), or still in flight at the run's end; the restore's losses are counted."""
    outage = {"kind": "region_outage", "region": "r1", "start": "4m", "duration": "3m"}
    _, records, metrics = _run([_corruption(), outage],
                               {"profile_update": "5/s", "profile_read": "5/s",
                                "sign_in": "5/s"},
                               {"interval": "5m", "restore_time": "2m"},
                               failover={"failback": {"unreplicated_writes": "lost"}})
    writes = records.writes
    applied = writes["applied_s"].notna()
    lost = writes["lost"]
    in_flight = writes["time_s"] > 600.0 - 120.0  # the last 2 min: lag or a paused channel
    assert (applied | lost | in_flight).all()
    assert metrics["writes_lost"] == writes[lost]["write_id"].nunique()
    assert metrics["writes_lost_by_restore"] > 0


def test_failing_over_does_not_stop_corrupt_reads():
    """The primary fails after the bad write replicated: the promoted secondary serves the
    same corrupt profiles (no backups: nothing restores them)."""
    outage = {"kind": "region_outage", "region": "r1", "start": "4m", "duration": "forever"}
    _, records, metrics = _run([_corruption(), outage], {"profile_read": "20/s"})
    req = records.requests
    corrupted = set(_bad_rows(records)["user"])
    after = req[(req["op"] == "profile_read") & (req["region"] == "r2")
                & req["user"].isin(corrupted)]
    assert len(after) > 100
    assert (after["outcome"] == "corrupt").all()
    assert metrics["corrupt_reads_by_region.r2"] == len(after)


def test_a_bad_write_at_a_region_that_takes_no_writes_is_refused():
    _, records, metrics = _run([_corruption(region="r2")], {"profile_read": "5/s"})
    assert records.meta["corruption_refused"] == 1.0
    assert metrics["corrupted_users"] == 0 and metrics["corrupt_reads"] == 0
    assert math.isnan(metrics["corruption_exposure_s"])


def test_configuration_fails_sign_ins_where_it_arrived():
    lag = {"mode": "async", "lag": {"distribution": "constant", "value": "40s"}}
    _, records, metrics = _run([_corruption(scope="configuration")],
                               {"sign_in": "20/s", "federated_sign_in": "5/s"},
                               {"interval": "10m", "restore_time": "1m"},
                               replication=lag, **HOMES)
    meta = records.meta
    assert meta["misconfigured_from_s.r1"] == 120.0
    assert meta["misconfigured_from_s.r2"] == 160.0  # one replication lag later
    assert meta["misconfigured_until_s.r1"] == 360.0  # detected at 5 min, restored at 6
    assert meta["misconfigured_until_s.r2"] == 400.0
    assert metrics["corruption_replicated_s"] == 40.0
    assert metrics["corrupted_users"] == 0
    req = records.requests
    sign_ins = req[req["op"].isin(["sign_in", "federated_sign_in"])]
    for region in ("r1", "r2"):
        here = sign_ins[sign_ins["region"] == region]
        window = ((here["time_s"] >= meta[f"misconfigured_from_s.{region}"])
                  & (here["time_s"] < meta[f"misconfigured_until_s.{region}"]))
        assert ((here["outcome"] == "misconfigured") == window).all()
        assert window.sum() > 1000
        assert ((here["op"] == "federated_sign_in") & window).sum() > 100
    assert metrics["failed_logins.misconfigured"] == (sign_ins["outcome"] == "misconfigured").sum()
    assert 0 < metrics["corruption_affected_users"] <= 1000


@pytest.mark.parametrize("scope", ["profiles", "configuration"])
def test_batches_equal_the_reference_with_a_corruption(scope):
    outage = {"kind": "region_outage", "region": "r1", "start": "4m", "duration": "2m"}
    traffic = {"profile_read": "30/s", "profile_update": "5/s", "sign_in": "20/s",
               "federated_sign_in": "5/s"}
    runs = [_run([_corruption(scope=scope), outage], traffic,
                 {"interval": "5m", "restore_time": "1m", "restore": "everything"},
                 batch=batch, users=3000, **HOMES)[1] for batch in (True, False)]
    for table in ("requests", "writes", "locks", "events"):
        assert getattr(runs[0], table).equals(getattr(runs[1], table)), table
    assert runs[0].meta == runs[1].meta


def test_a_shorter_backup_interval_has_a_lower_restore_rpo_and_loses_fewer_writes():
    """Direction: snapshots every 5 minutes against a daily export (DOMAIN.md's custom
    export/import), a whole-table restore 4 min after the bad write at 15 min: the
    restore's RPO is U[0, I), and the updates lost are μ × (RPO + 4 min) — with a daily
    export, every update since the run began; six replications each, 95 % intervals apart."""

    def summary(interval):
        scenario = build_scenario(
            users={"population": 1000}, traffic={"profile_update": "5/s"},
            faults=[_corruption(start="15m")], replication=LAG,
            backups={"interval": interval, "restore_time": "1m", "restore": "everything"},
            run={"duration": "20m", "seed": 5})
        return summarise([compute_metrics(simulate(scenario, rep), scenario)
                          for rep in range(6)])

    daily, often = summary("1d"), summary("5m")
    for metric in ("restore_rpo_s", "writes_lost_by_restore"):
        assert often[metric]["ci95"][1] < daily[metric]["ci95"][0], metric
    assert max(often["restore_rpo_s"]["per_replication"]) < 300


def with_a_corruption(data: dict) -> dict:
    """A random scenario of the invariant suite with a corruption fault at 30 % of the run
    (profiles or configuration, by the seed's parity), detected 10 % later, and backups
    restoring everything or the affected users 10 % after that."""
    duration_s = units.parse_duration(data["run"]["duration"])
    seed = data["run"]["seed"]
    corruption = {"kind": "corruption", "start": f"{0.3 * duration_s:.3f}s", "share": "20%",
                  "scope": "configuration" if seed % 3 == 0 else "profiles",
                  "detected_after": f"{0.1 * duration_s:.3f}s"}
    backups = {"interval": f"{0.2 * duration_s:.3f}s",
               "restore_time": f"{0.1 * duration_s:.3f}s",
               "restore": "everything" if seed % 2 else "affected_users"}
    return {**data, "faults": [*data["faults"], corruption], "backups": backups}


@seed(int(os.environ.get("CORRUPTION_SEED", SEED)))
@settings(SETTINGS, max_examples=int(os.environ.get("CORRUPTION_EXAMPLES", "10")))
@given(scenario_dicts().map(with_a_corruption).map(valid))
def test_random_scenarios_with_a_corruption_keep_their_invariants(scenario):
    """Outages, partitions, failovers, attackers, journeys and peers drawn at random, with a
    corruption and its restore: one outcome per request, per-user replication order, no ok
    while down, and batches equal to the reference."""
    records = simulate(scenario)
    for check in (check_never_ok_while_down, check_replication_order, check_one_outcome):
        check(records, scenario)
    assert_records_equal(records, simulate(scenario, batch=False))
