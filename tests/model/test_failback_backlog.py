"""Known answers of a failback that replicates (``failover.failback.catch_up: replicate``).

The promoted secondary's writes reach the old primary over the secondary → primary
channel: a record acknowledged at ``a`` while the old primary was down (until its return
``R``) starts its lag at ``R``, one acknowledged after the return at ``a``; with an
exponential lag of mean ``m`` it is still in flight at ``t`` with probability
``exp(−(t − max(a, R))/m)``, and a user's records apply in order, so the user's i-th
record has applied by ``t`` iff its first i have: ``P(applied_i) = Π_{j≤i} (1 −
exp(−(t − start_j)/m))``. Everything here is computed from the scenario (YAML as a
dict) and the records, and compared with these forms within 4 standard deviations:

1. the reverse records still in flight at the failback instant ``F``;
2. the stale share of profile reads at the old primary after ``F``;
3. waiting for the backlog: the failback happens at the backlog's last apply (or after
   ``max_wait``), no write is taken meanwhile, and no read is stale for it;
4. accounting: every acknowledged write applies everywhere, or is counted lost.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from drsim.metrics.compute import compute_metrics
from drsim.model import simulate
from drsim.scenario.schema import Scenario

from .conftest import build_scenario

MEAN_S = 60.0  # the exponential lag's mean
OUTAGE = (300.0, 900.0)  # r1 down from 5 min to 15 min
Z = 4.0


def backlog_scenario(wait: bool = False, max_wait: str = "forever", seed: int = 3,
                     unreplicated: str = "reconcile", duration: str = "30m") -> Scenario:
    """Two regions, an exponential lag, profile traffic only, a 10-minute outage of the
    primary; failback one minute after the health checks pass (10 s probes, 1 failure)."""
    return build_scenario(
        users={"population": 5000},
        traffic={"profile_update": "5/s", "profile_read": "20/s"},
        replication={"mode": "async",
                     "lag": {"distribution": "exponential", "mean": f"{MEAN_S}s"}},
        health_check={"interval": "10s", "failure_threshold": 1},
        failover={"failback": {"delay": "60s", "catch_up": "replicate",
                               "unreplicated_writes": unreplicated,
                               "wait_for_backlog": wait, "max_wait": max_wait}},
        faults=[{"kind": "region_outage", "region": "r1", "start": "5m", "duration": "10m"}],
        run={"duration": duration, "seed": seed})


def reverse_rows(writes: pd.DataFrame) -> pd.DataFrame:
    """The secondary → primary records, with when each one's lag starts."""
    rows = writes[(writes.origin == "r2") & (writes.target == "r1")].copy()
    rows["start"] = np.maximum(rows.time_s.to_numpy(), OUTAGE[1])
    return rows.sort_values(["user", "time_s", "write_id"], kind="stable")


def applied_by(rows: pd.DataFrame, t: float) -> np.ndarray:
    """Each row's probability of having applied by ``t`` (in-order per user)."""
    q = np.where(rows.time_s.to_numpy() <= t,
                 1.0 - np.exp(-np.maximum(t - rows.start.to_numpy(), 0.0) / MEAN_S), 1.0)
    return pd.Series(q, index=rows.index).groupby(rows.user.to_numpy()).cumprod().to_numpy()


def nested_variance(users: np.ndarray, p: np.ndarray) -> float:
    """Variance of a sum of per-user nested indicators (the user's i-th is 1 ⇒ every
    later one is): Var = Σ_users (Σ_{i,l} p_{min(i,l)} − (Σ_i p_i)²)."""
    total = 0.0
    for _, idx in pd.Series(np.arange(len(users))).groupby(users):
        pu = p[idx.to_numpy()]  # non-decreasing in i
        k = len(pu)
        weights = 2 * (k - np.arange(k)) - 1  # pairs (i, l) with min(i, l) = i
        total += float((weights * pu).sum() - pu.sum() ** 2)
    return total


def test_reverse_records_in_flight_at_failback_match_the_closed_form():
    records = simulate(backlog_scenario())
    failback = records.meta["failback_s"]
    assert OUTAGE[1] + 60.0 <= failback <= OUTAGE[1] + 90.0
    rows = reverse_rows(records.writes)
    rows = rows[rows.time_s < failback]
    assert len(rows) > 2000  # ≈ 5/s over the failover
    in_flight = ~(rows.applied_s.to_numpy() <= failback)
    p = 1.0 - applied_by(rows, failback)
    expected, sd = p.sum(), math.sqrt(nested_variance(rows.user.to_numpy(), p))
    assert abs(in_flight.sum() - expected) <= Z * sd, (int(in_flight.sum()), expected, sd)
    # A user's only record, acknowledged while r1 was down, ships from the return: it is
    # in flight at F with probability e^{−(F − R)/m}.
    alone = (~rows.user.duplicated(keep=False) & (rows.time_s < OUTAGE[1])).to_numpy()
    q = math.exp(-(failback - OUTAGE[1]) / MEAN_S)
    n = int(alone.sum())
    assert n > 300
    assert abs(in_flight[alone].sum() - n * q) <= Z * math.sqrt(n * q * (1 - q))
    # None applied while the old primary was down, none before its acknowledgement.
    applied = rows.applied_s.dropna()
    assert (applied >= OUTAGE[1]).all()


@pytest.mark.parametrize("after_s", [0.0, 60.0, 180.0])
def test_stale_share_of_reads_at_the_old_primary_after_failback(after_s):
    """Reads at r1 in [F + d, F + d + 60 s): P(stale) = 1 − P(the user's reverse records
    acknowledged by then have all applied), 0 after the user's own update at r1."""
    records = simulate(backlog_scenario())
    failback = records.meta["failback_s"]
    req = records.requests
    start = failback + after_s
    reads = req[(req.op == "profile_read") & (req.outcome == "ok") & (req.region == "r1")
                & (req.time_s >= start) & (req.time_s < start + 60.0)]
    assert len(reads) > 500
    rows = reverse_rows(records.writes)
    rows = rows[rows.kind == "profile"]
    own = records.writes[(records.writes.origin == "r1") & (records.writes.time_s >= failback)]
    expected = np.zeros(len(reads))
    for k, (t, user) in enumerate(zip(reads.time_s, reads.user, strict=True)):
        if ((own.user == user) & (own.time_s <= t)).any():
            continue  # the user's own newer version is at r1
        mine = rows[(rows.user == user) & (rows.time_s <= t)]
        if len(mine):
            expected[k] = 1.0 - applied_by(mine, t)[-1]
    observed = int(reads.stale.sum())
    sd = math.sqrt(float((expected * (1.0 - expected)).sum()))
    print(observed, expected.sum(), sd)
    assert abs(observed - expected.sum()) <= Z * sd + 1.0, (observed, expected.sum(), sd)
    if after_s == 0.0:
        assert observed > 30  # the effect is there to measure
    # Every one of them is the failback backlog's.
    metrics = compute_metrics(records, backlog_scenario())
    assert metrics["stale_reads.failback_backlog"] >= observed


def test_waiting_for_the_backlog_fails_back_at_its_last_apply():
    plain, waiting = simulate(backlog_scenario()), simulate(backlog_scenario(wait=True))
    fence = plain.meta["failback_s"]  # when the failback would have happened
    ev = waiting.events
    assert ev[ev.kind == "failback_start"].time_s.tolist() == [fence]
    rows = reverse_rows(waiting.writes)
    backlog = rows[rows.time_s < fence]
    drained = backlog.applied_s.max()
    assert backlog.applied_s.notna().all()
    assert waiting.meta["failback_s"] == drained > fence + 5 * MEAN_S
    # Nothing is acknowledged while the backlog drains: writes are refused everywhere.
    req = waiting.requests
    between = (req.time_s >= fence) & (req.time_s < drained)
    assert not ((req.op == "profile_update") & (req.outcome == "ok") & between).any()
    assert (req[(req.op == "profile_update") & between].outcome == "read_only").all()
    # The run before the fence is the same run.
    before = plain.requests.time_s < fence
    assert plain.requests[before].reset_index(drop=True).equals(
        req[req.time_s < fence].reset_index(drop=True))
    metrics = compute_metrics(waiting, backlog_scenario(wait=True))
    assert metrics["stale_reads.failback_backlog"] == 0.0
    assert compute_metrics(plain, backlog_scenario())["stale_reads.failback_backlog"] > 0


def test_a_maximum_wait_fails_back_with_the_rest_in_flight():
    plain = simulate(backlog_scenario())
    capped = simulate(backlog_scenario(wait=True, max_wait="2m"))
    fence = plain.meta["failback_s"]
    assert capped.meta["failback_s"] == pytest.approx(fence + 120.0, abs=1e-9)
    rows = reverse_rows(capped.writes)
    assert (~(rows.applied_s <= capped.meta["failback_s"])).sum() > 0
    metrics = compute_metrics(capped, backlog_scenario(wait=True, max_wait="2m"))
    assert metrics["stale_reads.failback_backlog"] > 0


@pytest.mark.parametrize("unreplicated", ["lost", "reconcile"])
def test_every_acknowledged_write_applies_everywhere_or_is_counted_lost(unreplicated):
    """A record acknowledged 15 lag means before the end has applied (all but e^{−15} of
    them), or is lost (the RPO); the way back loses nothing."""
    scenario = backlog_scenario(unreplicated=unreplicated, duration="1h")
    records = simulate(scenario)
    w, req = records.writes, records.requests
    acks = req[(req.op == "profile_update") & (req.outcome == "ok")]
    assert w.write_id.nunique() == len(acks)
    assert len(w) == len(acks)  # one record per write: the other region
    settled = w[w.time_s < scenario.run.duration - 15 * MEAN_S]
    assert (settled.applied_s.notna() | settled.lost).all()
    assert (w[w.origin == "r2"].applied_s.notna()).all()
    metrics = compute_metrics(records, scenario)
    assert metrics["writes_lost"] == float(w.lost.sum())
    if unreplicated == "reconcile":
        assert metrics["writes_lost"] == 0.0
    assert (w[w.origin == "r2"].lost == 0).all()  # the way back loses nothing
