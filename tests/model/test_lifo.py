"""Known answers of the deferred disciplines (``lifo``, ``drop_oldest``), through scenarios.

1. M/D/1 LIFO (non-preemptive), Poisson arrivals, no timeouts: the mean wait is FIFO's,
   Pollaczek–Khinchine ρs/(2(1 − ρ)) (the order of service is blind to service times in
   a work-conserving queue), and the second moment is FIFO's divided by 1 − ρ, FIFO's
   being Takács' 2E[W]² + λs³/(3(1 − ρ)).
2. drop_oldest with ``max_queue`` = K − 1: the count in the system is the M/D/1/K chain,
   so the share pushed out is drop-tail's M/D/1/K blocking, and on the same arrivals the
   very same attempts count: as many shed, the same time-average number waiting
   (Little), while the requests served wait less than under drop-tail (the waits of
   those pushed out no longer count).
3. 2× overload with a 10 s client timeout: FIFO's goodput collapses to 0; LIFO and
   drop_oldest keep completing the capacity in time.
4. Every attempt at a deferred region is recorded exactly once; the records' replay of
   the queue gives each the sojourn the run decided; batches reproduce the reference.
5. A region that goes down loses its queue, whatever the discipline: a FIFO region's
   outcomes attempt by attempt (Lindley by hand), the work offered, retries timed from
   the loss, and the records' replay on a scaled-up region's clock.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from drsim.metrics.overload import overload_timeline
from drsim.model import REGION_DOWN_TIMEOUT_S, simulate
from drsim.model.batch import BatchServer
from drsim.model.capacity import TICKS_PER_S, Queues, service_ticks
from drsim.model.capacity_schedule import clocks_of
from drsim.model.dataplane import DataPlane
from drsim.model.recorder import Recorder
from drsim.model.replay import down_spans, replay_deferred, sojourn_s
from drsim.records import OP_CODE, OUTCOME_CODE

from .conftest import build_scenario
from .test_known_answers import ONLY_PASSWORD_USERS, Z
from .test_shedding import md1k_blocking

SIGN_IN_S = 0.15  # a sign-in's base latency (operations.base_latency_s)


def scenario(vcpus: float, rate: float, duration: str, timeout: str | None = None,
             attempts: int = 1, seed: int = 3, bursts: list | None = None,
             backoff: str = "0s", faults: list | None = None, **capacity):
    """One region with a capacity, Poisson sign-ins at ``rate`` and nothing else (but
    ``faults``)."""
    client = {"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
              "retry": {"attempts": attempts, "backoff": backoff, "jitter": "0%"}}
    if timeout is not None:
        client["timeout"] = timeout
    return build_scenario(
        regions=[{"name": "r1", "role": "primary", "quotas": {"sign_in": "100000/s"},
                  "capacity": {"vcpus": vcpus, **capacity}}],
        users={"population": 20_000, **ONLY_PASSWORD_USERS}, clients=[client],
        traffic={"sign_in": f"{rate}/s", "bursts": bursts or []},
        run={"duration": duration, "seed": seed}, faults=faults or [])


def waits(s, records) -> np.ndarray:
    """Each attempt's wait before service (s): latency less base latency and service."""
    service = service_ticks(s)[0, OP_CODE["sign_in"]] / 1e6
    return records.requests.latency_s.to_numpy(np.float64) - SIGN_IN_S - service


def batch_means(values: np.ndarray, batches: int = 30) -> tuple[float, float]:
    """The mean and its standard error by batch means."""
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    return float(values.mean()), float(means.std(ddof=1) / math.sqrt(batches))


# --------------------------------------------------------------------------- M/D/1 LIFO


def test_md1_lifo_mean_wait_is_pollaczek_khinchine_and_second_moment_is_fifos_over_1_minus_rho():
    """Sign-ins at 100/s, s = 7 ms (ρ = 0.7), 12 minutes: the LIFO mean wait within CIs of
    ρs/(2(1 − ρ)) = 8.17 ms, its E[W²] of Takács' FIFO value / (1 − ρ); FIFO's own E[W²]
    on the same arrivals is far below LIFO's interval (the test tells them apart)."""
    rate, service_ms = 100.0, 7.0
    vcpus = 1000.0 / (15.0 * service_ms)
    lifo = scenario(vcpus, rate, "12m", discipline="lifo")
    s = service_ticks(lifo)[0, OP_CODE["sign_in"]] / 1e6
    rho = rate * s
    mean_fifo = rho * s / (2 * (1 - rho))
    second_fifo = 2 * mean_fifo ** 2 + rate * s ** 3 / (3 * (1 - rho))
    second_lifo = second_fifo / (1 - rho)
    w = waits(lifo, simulate(lifo, 0))[600:]  # past the first seconds from empty
    mean, se = batch_means(w)
    assert abs(mean - mean_fifo) <= Z * se, (mean, mean_fifo, se)
    second, se2 = batch_means(w ** 2)
    assert abs(second - second_lifo) <= Z * se2, (second, second_lifo, se2)
    fifo = scenario(vcpus, rate, "12m")
    w_fifo = waits(fifo, simulate(fifo, 0))[600:]
    assert np.mean(w_fifo) == pytest.approx(mean, rel=1e-3)  # work-conserving: same total
    assert np.mean(w_fifo ** 2) < second - 2 * Z * se2


# --------------------------------------------------------------------------- drop_oldest


@pytest.mark.parametrize("rho", [1.5])
def test_drop_oldest_sheds_md1k_blocking_and_matches_drop_tail_count_for_count(rho):
    """Sign-ins at 100/s served in s = ρ/100 s each, max_queue = K − 1 = 3: the share
    pushed out is M/D/1/K's blocking; drop-tail (max_wait = (K − 1)·s) on the same
    arrivals sheds exactly as many and has the same time-average number waiting, while
    the requests drop_oldest serves wait less on average."""
    k, rate = 4, 100.0
    service_ms = 10.0 * rho
    vcpus = 1000.0 / (15.0 * service_ms)
    oldest = scenario(vcpus, rate, "8m", discipline="drop_oldest", max_queue=k - 1)
    tail = scenario(vcpus, rate, "8m", max_wait=f"{(k - 1) * service_ms}ms")
    records = simulate(oldest, 0)
    req = records.requests
    shed = (req.outcome == "shed").to_numpy()
    assert set(req.outcome.astype(str)) == {"ok", "shed"}
    expected = md1k_blocking(rho, k)
    share, se = batch_means(shed.astype(float))
    assert abs(share - expected) <= Z * se, (share, expected)
    tail_records = simulate(tail, 0)
    tail_shed = (tail_records.requests.outcome == "shed").to_numpy()
    assert shed.sum() == tail_shed.sum()
    # Time waiting, summed over every entrant (a pushed-out one: until it was pushed out).
    w_oldest = waits(oldest, records)
    w_oldest[shed] += service_ticks(oldest)[0, OP_CODE["sign_in"]] / 1e6  # none served
    w_tail = waits(tail, tail_records)[~tail_shed]
    assert w_oldest.sum() == pytest.approx(w_tail.sum(), rel=1e-4)
    assert w_oldest[~shed].mean() < w_tail.mean()


# --------------------------------------------------------------------------- overload


def _ok_per_minute(records) -> np.ndarray:
    req = records.requests
    ok = req[req.outcome == "ok"]
    done = ok.time_s.to_numpy() + ok.latency_s.to_numpy(np.float64) - SIGN_IN_S
    return np.histogram(done, bins=np.arange(60.0, 241.0, 60.0))[0]


@pytest.mark.parametrize("capacity", [{"discipline": "lifo"},
                                      {"discipline": "drop_oldest", "max_queue": 5}])
def test_lifo_and_drop_oldest_keep_goodput_at_capacity_where_fifo_collapses(capacity):
    """Sign-ins at 2× what 2 vCPUs serve (30/s), clients time out after 10 s: FIFO's
    backlog passes the timeout within the first minutes and nothing completes in time;
    LIFO and drop_oldest serve the newest first and complete ≥ 0.9 × 30/s in time."""
    fifo = simulate(scenario(2.0, 60.0, "5m", timeout="10s"), 0)
    assert _ok_per_minute(fifo)[-1] == 0
    records = simulate(scenario(2.0, 60.0, "5m", timeout="10s", **capacity), 0)
    per_minute = _ok_per_minute(records)
    assert np.all(per_minute >= 0.9 * 30 * 60), per_minute
    assert np.all(per_minute <= 30 * 60 + 1), per_minute
    ok = records.requests[records.requests.outcome == "ok"]
    assert ok.latency_s.max() <= 10.0


# --------------------------------------------------------------------------- exactness


def replayed_as_decided(s, records, started: dict[float, float], at_least: int,
                        downs: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The records' replay of the queue (:func:`sojourn_s`) gives each parked attempt
    that was served (``started``: arrival → when its service began; more than
    ``at_least`` of them) the sojourn the run decided: its service began at the event's
    tick + 1. Returns the requests' times and the replay's sojourns."""
    req = records.requests
    t = req.time_s.to_numpy()
    op = req.op.cat.codes.to_numpy()
    sojourn = sojourn_s(s, t, op, req.region.cat.codes.to_numpy(),
                        req.outcome.cat.codes.to_numpy(), downs=downs)
    ticks = service_ticks(s)[0]
    rows = np.flatnonzero(np.isin(t, list(started)))
    begun = np.array([started[x] for x in t[rows]])
    decided = (np.round(begun * 1e6) + 1 + ticks[op[rows]] - np.ceil(t[rows] * 1e6)) / 1e6
    assert len(rows) > at_least and np.allclose(sojourn[rows], decided, rtol=0, atol=1e-9)
    return t, sojourn


@pytest.mark.parametrize("capacity", [{"discipline": "lifo"},
                                      {"discipline": "drop_oldest", "max_queue": 1000}])
def test_every_attempt_is_recorded_once_and_batches_match_the_reference(capacity,
                                                                       monkeypatch):
    """Quiet, a 6× burst of sign-ins over capacity with timeouts and instant retries,
    quiet again: every attempt is recorded once (first attempts by row, retries by their
    agenda number), each decided at or after its arrival; batches equal the reference."""
    s = build_scenario(
        regions=[{"name": "r1", "role": "primary",
                  "quotas": {"sign_in": "100000/s", "user_read": "100000/s"},
                  "capacity": {"vcpus": 2.0, **capacity}}],
        users={"population": 5_000, **ONLY_PASSWORD_USERS},
        clients=[{"name": "app", "share": "100%", "dns": {"behaviour": "honour"},
                  "timeout": "5s", "retry": {"attempts": 3, "backoff": "0s",
                                             "jitter": "0%"}}],
        traffic={"sign_in": "6/s", "profile_read": "100/s", "bursts": [
            {"operation": "sign_in", "start": "2m", "duration": "1m", "multiplier": 6}]},
        run={"duration": "5m", "seed": 2})
    seen: Counter = Counter()
    started: dict[float, float] = {}  # a parked attempt's arrival → when its service began
    pushed_out: dict[float, float] = {}  # → when it was pushed out
    record, serve_parked, conclude = Recorder.record, DataPlane.serve_parked, DataPlane.conclude

    def counting(self, index, t, op, user, client, attacker, attempt, region, seq, served):
        seen[(index, seq if index < 0 else 0)] += 1
        record(self, index, t, op, user, client, attacker, attempt, region, seq, served)

    def starting(self, call, now):
        started[call[0]] = now
        serve_parked(self, call, now)

    def ending(self, call, now, outcome):
        if outcome == OUTCOME_CODE["shed"]:
            pushed_out[call[0]] = now
        conclude(self, call, now, outcome)

    monkeypatch.setattr(Recorder, "record", counting)
    monkeypatch.setattr(DataPlane, "serve_parked", starting)
    monkeypatch.setattr(DataPlane, "conclude", ending)
    reference = simulate(s, 0, batch=False)
    monkeypatch.undo()
    assert max(seen.values()) == 1
    assert len(seen) == len(reference.requests)
    # The records' replay of the queue gives each parked attempt the sojourn the run
    # decided: its service began at the event's tick + 1, or it waited until pushed out.
    t, sojourn = replayed_as_decided(s, reference, started, at_least=1000)
    rows = np.flatnonzero(np.isin(t, list(pushed_out)))
    assert len(rows) == len(pushed_out)
    assert np.array_equal(sojourn[rows], np.array([pushed_out[x] for x in t[rows]]) - t[rows])
    batched = simulate(s, 0)
    outcomes = set(reference.requests.outcome.astype(str))
    assert "timeout" in outcomes
    assert ("shed" in outcomes) == (capacity["discipline"] == "drop_oldest")
    for name in ("requests", "writes"):
        assert getattr(batched, name).equals(getattr(reference, name)), name


def _down_under_load(capacity: dict, timeout: str | None = None, attempts: int = 1):
    """Sign-ins at 1.5× capacity (22.5/s at 15/s; ``attempts``, retried after 1 s) for 4
    minutes at one region with ``capacity``, down from 2:00 to 2:30; clients time out
    after ``timeout``."""
    return scenario(1.0, 22.5, "4m", timeout, attempts, seed=4, backoff="1s",
                    faults=[{"kind": "region_outage", "region": "r1", "start": "2m",
                             "duration": "30s"}], **capacity)


@pytest.mark.parametrize("timeout", ["10s", None])
@pytest.mark.parametrize("capacity", [{"discipline": "lifo"},
                                      {"discipline": "drop_oldest", "max_queue": 300}])
def test_a_region_that_goes_down_loses_its_queue(capacity, timeout, monkeypatch):
    """Sign-ins at 1.5× capacity (22.5/s at 15/s) for 4 minutes, the region down from
    2:00 to 2:30: a queue holds dozens to hundreds at 2:00. Every attempt still waiting ends
    ``region_down`` at that instant (its client told then, its retry timed from then);
    the dead region starts no service; each attempt that arrived before the outage is
    served, pushed out or lost, once. The records' replay, told when the region was down,
    gives every served attempt the sojourn the run decided and the lost ones the latency
    of ``region_down``; batches equal the reference."""
    down, up = 120.0, 150.0
    s = _down_under_load(capacity, timeout)
    started: dict[float, float] = {}  # a parked attempt's arrival → when its service began
    ended: dict[float, tuple[float, int]] = {}  # → when and how it ended unserved
    serve_parked, conclude = DataPlane.serve_parked, DataPlane.conclude

    def starting(self, call, now):
        started[call[0]] = now
        serve_parked(self, call, now)

    def ending(self, call, now, outcome):
        ended.setdefault(call[0], (now, outcome))
        conclude(self, call, now, outcome)

    monkeypatch.setattr(DataPlane, "serve_parked", starting)
    monkeypatch.setattr(DataPlane, "conclude", ending)
    reference = simulate(s, 0, batch=False)
    monkeypatch.undo()
    assert not any(down <= at < up for at in started.values())
    lost = {t for t, (at, outcome) in ended.items() if outcome == OUTCOME_CODE["region_down"]}
    assert len(lost) > 50 and all(ended[t][0] == down and t < down for t in lost)
    pushed = {t for t, (_, outcome) in ended.items() if outcome == OUTCOME_CODE["shed"]}
    assert not lost & (pushed | {t for t, at in started.items() if at < down})
    req = reference.requests
    t = req.time_s.to_numpy()
    outcome = req.outcome.astype(str).to_numpy()
    assert set(t[outcome == "region_down"]) >= lost
    assert (outcome[(t >= down) & (t < up)] == "region_down").all()
    # The replay, told when the region was down, gives each served attempt the sojourn
    # the run decided and the lost ones none of their own.
    spans = down_spans(s, reference.events)
    assert spans[0].tolist() == [[down, up]]
    _, sojourn = replayed_as_decided(s, reference, started, at_least=500, downs=spans)
    rows = np.flatnonzero(np.isin(t, list(lost)))
    assert len(rows) == len(lost) and (sojourn[rows] == 0).all()
    assert (req.latency_s.to_numpy()[rows] == REGION_DOWN_TIMEOUT_S).all()
    batched = simulate(s, 0)
    for name in ("requests", "writes"):
        assert getattr(batched, name).equals(getattr(reference, name)), name


@pytest.mark.parametrize("capacity", [{"discipline": "lifo"},
                                      {"discipline": "drop_oldest", "max_queue": 100},
                                      {"discipline": "fifo"}])
def test_the_work_a_queue_lost_when_its_region_went_down_was_offered_to_it(capacity):
    """Utilisation is the work offered to a region's queue ÷ its capacity: at a region
    that goes down, the attempts its queue lost were offered too. Known answer:
    sign-ins at 1.5× capacity, no retries, no timeouts, the region down from 2:00 to
    2:30: every attempt arriving in the minute before the outage was offered, so that
    minute's utilisation is their count × service ÷ (capacity × 60 s), lost ones included
    (≈ 1.46; counting only the work served, it read 1.0)."""
    s = _down_under_load(capacity)
    records = simulate(s, 0)
    t = records.requests.time_s.to_numpy()
    outcome = records.requests.outcome.astype(str).to_numpy()
    before = (t >= 60.0) & (t < 120.0)
    assert (before & (outcome == "region_down")).sum() > 50  # lost with the queue
    service_s = service_ticks(s)[0, OP_CODE["sign_in"]] / TICKS_PER_S
    timeline = overload_timeline(records, s)
    utilisation = timeline.set_index("start_s")["utilisation"]
    assert utilisation[60.0] == pytest.approx(before.sum() * service_s / 60.0, rel=1e-12)
    during = (t >= 120.0) & (t < 150.0)  # refused at the dead region: offered nothing
    assert (outcome[during] == "region_down").all()
    after = (t >= 180.0) & (t < 240.0)
    assert utilisation[180.0] == pytest.approx(after.sum() * service_s / 60.0, rel=1e-12)


def fifo_by_hand(t: np.ndarray, service: int, down: float, up: float, limit: float
                 ) -> tuple[list[str], dict[float, float]]:
    """A FIFO region's outcomes, attempt by attempt in arrival order (Lindley's recursion
    in whole microseconds): an attempt arriving while the region is up starts at
    max(free, its tick); one that would start after the region goes down (its start tick
    f with (f − 1) µs ≥ ``down``) is lost then — ``region_down``, or ``timeout`` if its
    client gave up first — and does no work; the others are served (``timeout`` past
    ``limit`` less a sign-in's base latency). Returns the outcomes and each served
    attempt's sojourn (s)."""
    free, outcomes, sojourns = 0, [], {}
    for x in t.tolist():
        if down <= x < up:
            outcomes.append("region_down")
            continue
        a = math.ceil(x * 1e6)
        start = max(free, a)
        if x < down and (start - 1) / 1e6 >= down:
            outcomes.append("region_down" if x + limit - SIGN_IN_S >= down else "timeout")
            continue
        free = start + service
        sojourns[x] = (free - a) / 1e6
        outcomes.append("timeout" if SIGN_IN_S + sojourns[x] > limit else "ok")
    return outcomes, sojourns


@pytest.mark.parametrize("timeout", [None, "10s"])
def test_a_fifo_region_that_goes_down_loses_the_attempts_still_waiting(timeout):
    """FIFO decides at an arrival, since its start is known then, and so is the instant
    its region goes down: sign-ins at 1.5× capacity build a backlog of ≈ 60 s of work by
    2:00, when the region goes down. The attempts that would start after that instant
    are lost (``region_down``, their client told then; ``timeout`` where its client gave
    up first), do no work, and the first attempts after the outage find no backlog. Known
    answer: every outcome as :func:`fifo_by_hand` decides it; with no timeout, the lost
    ones number the arrivals before 2:00 less the ≈ 15/s × 120 s the server started
    (they used to be served by the dead region). The records' replay gives each served
    attempt its sojourn and the lost ones ``region_down``'s latency; batches equal the
    reference."""
    down, up = 120.0, 150.0
    s = _down_under_load({"discipline": "fifo"}, timeout)
    reference = simulate(s, 0, batch=False)
    req = reference.requests
    t = req.time_s.to_numpy()
    outcome = req.outcome.astype(str).to_numpy()
    service = int(service_ticks(s)[0, OP_CODE["sign_in"]])
    limit = math.inf if timeout is None else 10.0
    expected, sojourns = fifo_by_hand(t, service, down, up, limit)
    assert outcome.tolist() == expected
    lost = (t < down) & (outcome == "region_down")
    if timeout is None:
        started = down * 1e6 / service  # the server is busy from the first seconds on
        assert lost.sum() == pytest.approx((t < down).sum() - started, rel=0.02)
    else:  # most of the backlog had timed out already: ≈ 10 s of arrivals were lost
        assert 150 < lost.sum() < 250
        assert ((t < down) & (outcome == "timeout")).sum() > 500
    latency = req.latency_s.to_numpy()
    assert (latency[lost] == REGION_DOWN_TIMEOUT_S).all()
    served = np.flatnonzero(outcome == "ok")
    assert len(served) > (3000 if timeout is None else 800)  # FIFO's goodput collapses
    assert np.allclose(latency[served] - SIGN_IN_S, [sojourns[x] for x in t[served]],
                       rtol=0, atol=1e-5)  # float32 latencies
    batched = simulate(s, 0)
    assert "batch_fallback" not in batched.meta  # no batch promised what it could not
    for name in ("requests", "writes"):
        assert getattr(batched, name).equals(getattr(reference, name)), name


@pytest.mark.parametrize("timeout", [None, "20s"])
def test_the_fifo_replay_on_a_scaled_up_region_gives_the_sojourns_the_run_decided(
        timeout, monkeypatch):
    """A FIFO region scaling up (1 → 1.05 vCPUs after 30 s: its virtual clock) goes down
    under 1.5× load: the records' replay, segment by segment on the clock, gives every
    attempt served the sojourn :meth:`Queues.take` decided one at a time, and the run lost
    hundreds with the queue. With a timeout, hundreds more whose clients had given up
    before the drop are lost too, their work never done: the replay ends their sojourn at
    the drop, and does not serve them (the backlog after it is the run's)."""
    s = _down_under_load({"discipline": "fifo", "scale_up": {"to": 1.05, "after": "30s",
                                                             "trigger": "start"}}, timeout)
    decided: dict[float, float] = {}
    take = Queues.take

    def taking(self, r, op, t, fixed=0.0, limit=math.inf):
        sojourn = take(self, r, op, t, fixed, limit)
        decided[t] = sojourn
        return sojourn

    monkeypatch.setattr(Queues, "take", taking)
    records = simulate(s, 0, batch=False)
    monkeypatch.undo()
    req = records.requests
    t, outcome = req.time_s.to_numpy(), req.outcome.astype(str).to_numpy()
    assert ((t < 120.0) & (outcome == "region_down")).sum() > 100
    sojourn = sojourn_s(s, t, req.op.cat.codes.to_numpy(), req.region.cat.codes.to_numpy(),
                        req.outcome.cat.codes.to_numpy(), clocks_of(s, records.events),
                        down_spans(s, records.events))
    served = np.flatnonzero(outcome == "ok")
    assert len(served) > 1000 and (t[served] > 150.0).sum() > 500
    assert np.allclose(sojourn[served], [decided[x] for x in t[served]], rtol=0, atol=1e-9)
    gave_up = np.flatnonzero(np.isin(t, [x for x, v in decided.items() if v == math.inf]))
    assert len(gave_up) > (100 if timeout else -1)
    assert (outcome[gave_up] == "timeout").all()
    assert np.allclose(sojourn[gave_up], 120.0 - t[gave_up], rtol=0, atol=1e-9)


def test_an_attempt_lost_with_a_fifo_queue_is_retried_from_when_the_region_went_down():
    """Its client learns of the loss when the region goes down (2:00): the retry, 1 s of
    backoff later, is at 2:01 (the region still down: ``region_down`` again)."""
    s = _down_under_load({"discipline": "fifo"}, attempts=2)
    req = simulate(s, 0).requests
    t, attempt = req.time_s.to_numpy(), req.attempt.to_numpy()
    outcome = req.outcome.astype(str).to_numpy()
    lost = (t < 120.0) & (outcome == "region_down") & (attempt == 0)
    retried = (attempt == 1) & (t == 121.0)
    assert lost.sum() > 500 and retried.sum() == lost.sum()
    assert (outcome[retried] == "region_down").all()


@pytest.mark.parametrize("capacity", [{"discipline": "lifo"},
                                      {"discipline": "drop_oldest", "max_queue": 1}])
def test_batches_serve_a_deferred_region_only_where_nobody_waits(capacity, monkeypatch):
    """Sign-ins at 20/s served in 2 µs (ρ = 4·10⁻⁵): a batch's thousands of arrivals
    rarely meet a busy server, so batches hold no wait and are served vectorised (effects
    at arrival: FIFO's); through a 50× burst some wait and those spans are served one at
    a time — the same tables."""
    s = scenario(33_333.0, 20.0, "9m", timeout="5s", attempts=2, seed=5, bursts=[
        {"operation": "sign_in", "start": "5m", "duration": "10s", "multiplier": 50}],
        **capacity)
    served: list[bool] = []
    serve = BatchServer.serve

    def counting(server, i, j, t1):
        served.append(serve(server, i, j, t1))
        return served[-1]

    monkeypatch.setattr(BatchServer, "serve", counting)
    batched = simulate(s, 0)
    reference = simulate(s, 0, batch=False)
    assert any(served) and not all(served)
    assert "batch_fallback" not in batched.meta
    assert batched.requests.equals(reference.requests)


def test_the_replay_by_hand():
    """Sign-ins of 10 µs arriving at 0, 1, 2, 3 and 10 µs. LIFO: the first is served at
    once (0–10); when the server frees at 10 it takes the newest waiting (3: 10–20): the
    arrival of tick 10 finds it taken, waits, and is the newest at 20 (20–30); then 2
    (30–40) and 1 (40–50). drop_oldest with 2 waiting: the arrival at 3 pushes out 1 (after
    2 µs); at 10 the server takes the oldest waiting (2: 10–20) before the arrival of that
    tick joins, which finds one waiting and pushes nobody out; then 3 (20–30) and the last
    (30–40), in arrival order."""
    t = np.array([0.0, 1.0, 2.0, 3.0, 10.0]) / 1e6
    s = np.full(5, 10)
    lifo = replay_deferred(t, s, True, None) * 1e6
    assert lifo == pytest.approx([10, 49, 38, 17, 20], abs=1e-6)
    oldest = replay_deferred(t, s, False, 2) * 1e6
    assert oldest == pytest.approx([10, 2, 18, 27, 30], abs=1e-6)


def test_the_replay_by_hand_with_the_region_going_down():
    """Sign-ins of 10 µs at 0, 1, 2 and 3 µs, the region down at 5 µs, one more at 20 µs:
    the first is in service (0–10) and keeps its sojourn; the three waiting are lost at
    5 µs (after 4, 3 and 2 µs), under either discipline; the last finds the server free
    (10 ≤ 20) and is served at once. A drop after the last arrival loses whoever still
    waits then."""
    t = np.array([0.0, 1.0, 2.0, 3.0, 20.0]) / 1e6
    s = np.full(5, 10)
    for newest_first, max_queue in ((True, None), (False, 2)):
        out = replay_deferred(t, s, newest_first, max_queue, np.array([5e-6])) * 1e6
        expected = [10, 4, 3, 2, 10] if max_queue is None else [10, 2, 3, 2, 10]
        assert out == pytest.approx(expected, abs=1e-6)
    late = replay_deferred(t[:4], s[:4], True, None, np.array([15e-6])) * 1e6
    assert late == pytest.approx([10, 14, 13, 17], abs=1e-6)  # 3 served 10–20; 1, 2 lost at 15
