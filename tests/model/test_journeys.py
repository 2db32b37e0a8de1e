"""People, not arrivals: follow-up requests and per-operation endpoints, through YAML alone.

Known answers:

- a profile read back ``d`` after an update, the update at the primary and the read at
  the user's home secondary (``dns.endpoints: {profile_read: latency}``), is stale with
  probability P(L > d) for a replication lag L: exponential, lognormal and an empirical
  PBS fit (Bailis et al., VLDB 2012);
- a follow-up rule with ``count`` n and probability p yields n·p follow-ups per request.

Batches reproduce the reference with both: ``test_batch_equivalence.py``
(``read-local-write-primary``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from drsim.model import simulate
from drsim.model.streams import DeferredUniforms
from drsim.records import RunRecords
from drsim.scenario import parse_scenario
from drsim.scenario.schema import Scenario

Z = 4.0  # tolerance in standard errors

READ_BACK = """\
name: read-back
regions:
  - {{name: primary, role: primary}}
  - {{name: secondary, role: secondary}}
users: {{population: 400k}}
clients:
  - {{name: app, share: 100%, home: secondary, dns: {{behaviour: honour}}}}
dns:
  endpoints: {{profile_read: latency}}   # writes go to the primary's failover record
traffic:
  sign_in: 0/s
  federated_sign_in: 0/s
  refresh: 0/s
  sign_up: 0/s
  profile_read: 0/s
  profile_update: 5/s
  password_change: 0/s
  sign_out: 0/s
  admin_disable: 0/s
  follow_ups:
    - {{after: profile_update, then: profile_read, delay: {delay}}}
replication:
  lag: {lag}
run: {{duration: 30m, seed: 3}}
"""


def read_back(lag: str, delay: str) -> tuple[Scenario, RunRecords]:
    scenario = parse_scenario(READ_BACK.format(lag=lag, delay=delay))
    return scenario, simulate(scenario, 0)


def _stale_share(records: RunRecords) -> tuple[float, int]:
    requests = records.requests
    reads = requests[requests["op"] == "profile_read"]
    assert (reads["outcome"] == "ok").all()
    assert (reads["region"] == "secondary").all()  # the latency endpoint: the user's home
    updates = requests[requests["op"] == "profile_update"]
    assert (updates["region"] == "primary").all()  # the failover record
    assert 0.99 * len(updates) < len(reads) <= len(updates)  # read-backs inside the run
    return float(reads["stale"].mean()), len(reads)


def _check(share: float, n: int, expected: float) -> None:
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(share - expected) < Z * se + 1e-3, (share, expected, n)


@pytest.mark.parametrize(("mean_s", "delay_s"), [(2.0, 1.0), (1.0, 2.0)])
def test_read_back_after_exponential_lag(mean_s, delay_s):
    _, records = read_back(f"{{distribution: exponential, mean: {mean_s}s}}", f"{delay_s}s")
    share, n = _stale_share(records)
    assert n > 8000
    _check(share, n, math.exp(-delay_s / mean_s))


def test_read_back_after_lognormal_lag():
    scenario, records = read_back("{distribution: lognormal, median: 1s, p99: 10s}", "2s")
    lag = scenario.replication.lag
    _check(*_stale_share(records), 1.0 - stats.lognorm.cdf(2.0, lag.sigma,
                                                           scale=math.exp(lag.mu)))


def test_read_back_after_an_empirical_pbs_lag():
    """The LNKD-DISK write-latency fit of PBS, sampled, as an empirical lag (ms → s)."""
    from drsim.validation.pbs import LNKD_DISK_W

    samples_ms = LNKD_DISK_W.sample(np.random.default_rng(1), 2000)
    samples = ", ".join(f"{x / 1000.0:.6f}s" for x in samples_ms)
    delay_ms = 5.0
    _, records = read_back(f"{{distribution: empirical, samples: [{samples}]}}",
                           f"{delay_ms / 1000.0}s")
    share, n = _stale_share(records)
    _check(share, n, float(np.mean(np.round(samples_ms, 3) > delay_ms)))
    assert abs(share - (1.0 - LNKD_DISK_W.cdf(delay_ms))) < 0.05  # the fit itself


def test_follow_ups_per_request_are_count_times_probability():
    text = READ_BACK.format(lag="1s", delay="{distribution: uniform, low: 0s, high: 10s}")
    text = text.replace("    - {after: profile_update, then: profile_read, delay: "
                        "{distribution: uniform, low: 0s, high: 10s}}",
                        "    - {after: profile_update, then: profile_read, count: 3, "
                        "probability: 40%, delay: {distribution: uniform, low: 0s, high: 10s}}")
    records = simulate(parse_scenario(text), 0)
    ops = records.requests["op"]
    updates, reads = int((ops == "profile_update").sum()), int((ops == "profile_read").sum())
    expected = 1.2 * updates
    assert abs(reads - expected) < Z * math.sqrt(updates * 3 * 0.4 * 0.6)


def test_a_follow_up_is_by_the_same_user_after_its_request():
    text = READ_BACK.format(lag="1s", delay="{distribution: exponential, mean: 5s}")
    requests = simulate(parse_scenario(text), 0).requests
    first = requests[requests["attempt"] == 0]
    updates = first[first["op"] == "profile_update"][["time_s", "user"]]
    reads = first[first["op"] == "profile_read"][["time_s", "user"]]
    matched = pd.merge_asof(reads.sort_values("time_s"),
                            updates.rename(columns={"time_s": "update_s"}).sort_values("update_s"),
                            left_on="time_s", right_on="update_s", by="user",
                            direction="backward")
    assert len(reads) > 8000
    assert matched["update_s"].notna().all()  # each read follows an update of its user


LOCAL_READS = """\
name: local-reads
regions:
  - {name: primary, role: primary}
  - {name: secondary, role: secondary}
users: {population: 5000}
clients:
  - {name: app, share: 100%, home: secondary, dns: {behaviour: honour}}
dns:
  ttl: 30s
  endpoints: {profile_read: local}      # a backend in the user's home region, no DNS
traffic:
  sign_in: 5/s
  federated_sign_in: 0/s
  refresh: 0/s
  sign_up: 0/s
  profile_read: 5/s
  profile_update: 0/s
  password_change: 0/s
  sign_out: 0/s
  admin_disable: 0/s
faults:
  - {kind: dns_outage, start: 5m, duration: 10m, serve_stale: 0%}
  - {kind: region_outage, region: secondary, start: 20m, duration: 5m}
run: {duration: 30m, seed: 4}
"""


def test_a_local_endpoint_needs_no_dns_and_goes_down_with_its_region():
    requests = simulate(parse_scenario(LOCAL_READS), 0).requests
    first = requests[requests["attempt"] == 0]
    reads = first[first["op"] == "profile_read"]
    sign_ins = first[first["op"] == "sign_in"]
    assert (reads["region"] == "secondary").all()
    assert (sign_ins["region"].isin(["primary", "none"])).all()  # the failover record

    def within(rows, start_s, end_s):
        return rows[(rows["time_s"] >= start_s) & (rows["time_s"] < end_s)]["outcome"]

    dns_outage = (5 * 60 + 30, 15 * 60)  # every cached answer has expired
    assert (within(reads, *dns_outage) == "ok").all()
    assert (within(sign_ins, *dns_outage) == "dns_unavailable").mean() > 0.9
    region_outage = (20 * 60, 25 * 60)
    assert (within(reads, *region_outage) == "region_down").all()
    assert (within(sign_ins, *region_outage) == "ok").all()


def test_a_latency_endpoint_needs_client_homes():
    from drsim.scenario import ScenarioError

    text = READ_BACK.format(lag="1s", delay="1s").replace(
        "  - {name: app, share: 100%, home: secondary, dns: {behaviour: honour}}",
        "  - {name: app, share: 100%, dns: {behaviour: honour}}")
    with pytest.raises(ScenarioError, match="dns.endpoints.profile_read: a latency endpoint "
                                            "needs a 'home' region on client kinds"):
        parse_scenario(text)


SESSIONS = """\
name: sessions
regions:
  - {{name: primary, role: primary}}
  - {{name: secondary, role: secondary}}
users: {{population: 1M, with_session: 0%}}
clients: honour
sessions:
  access_token: {token}
  refresh_policy: {policy}
  refresh_before: 5m
  active_for: {{distribution: exponential, mean: 2h}}
  in_progress_at_start: {before}
traffic:
  sign_in: 0.2/s
  federated_sign_in: 0/s
  refresh: 0/s
  sign_up: 0/s
  profile_read: 0/s
  profile_update: 0/s
  password_change: 0/s
  sign_out: 0/s
  admin_disable: 0/s
run: {{duration: 16h, seed: 6}}
"""


@pytest.mark.parametrize(("token", "policy", "interval_s"), [
    ("5m", "reactive", 300.0), ("20m", "proactive", 900.0), ("10m", "half_life", 300.0)])
def test_refreshes_follow_the_tokens_users_hold(token, policy, interval_s):
    """N = λ·m active sessions (Little's law), each refreshing every I: ≈ N / I refreshes
    per second, less λ/2 for the sessions that end between two refreshes (a session of
    exponential length A refreshes ⌊A / I⌋ times: E = 1/(e^{I/m} − 1) = m/I − ½ + O(I/m)).
    Exactly, a sign-in at s adds refreshes at s + kI, k ≥ 1, while kI < A."""
    scenario = parse_scenario(SESSIONS.format(token=token, policy=policy, before="false"))
    requests = simulate(scenario, 0).requests
    rate, mean_s, horizon = 0.2, 7200.0, scenario.run.duration
    sign_ins = requests[(requests["op"] == "sign_in") & (requests["attempt"] == 0)]
    assert abs(len(sign_ins) - rate * horizon) < Z * math.sqrt(rate * horizon)
    refreshes = requests[(requests["op"].isin(["refresh", "sign_in"]))
                         & (requests["attempt"] == 0)]
    window = (horizon / 2, horizon)  # steady state: 4 mean session lengths after the start
    in_window = refreshes["time_s"].between(*window, inclusive="left").sum() - \
        sign_ins["time_s"].between(*window, inclusive="left").sum()
    k = np.arange(1, int(horizon // interval_s) + 1)
    survive = np.exp(-k * interval_s / mean_s)
    overlap = np.clip(np.minimum(horizon - k * interval_s, horizon)
                      - np.maximum(window[0] - k * interval_s, 0.0), 0.0, None)
    expected = rate * float((survive * overlap).sum())
    q = math.exp(-interval_s / mean_s)
    per_session_sq = q * (1 + q) / (1 - q) ** 2
    assert abs(in_window - expected) < Z * math.sqrt(rate * horizon * per_session_sq)
    little = rate * (mean_s / interval_s - 0.5) * (window[1] - window[0])  # N / I − λ/2
    assert abs(expected - little) / little < 0.01


@pytest.mark.parametrize("policy", ["sign_in", "give_up"])
def test_a_refused_refresh_forces_an_interactive_sign_in(policy):
    """Tokens not accepted across regions: after the failover every session issued by the
    primary is refused at the secondary, and its client signs in again 20 s later."""
    from drsim.metrics.compute import compute_metrics
    from drsim.scenario import load_scenario

    scenario = load_scenario("cognito-active-passive", [
        "users.population=20000", "run.duration=40m", "faults.0.start=10m",
        "faults.0.duration=15m", "attackers=[]", "sessions.cross_region_tokens=false",
        f"sessions.on_refused_refresh={policy}", "sessions.reauthentication_delay=20s"])
    records = simulate(scenario, 0)
    requests = records.requests
    refused = requests[(requests["op"] == "refresh")
                       & requests["outcome"].isin(["token_rejected", "user_not_found"])]
    refused = refused[refused["time_s"] < scenario.run.duration - 20.0]
    assert len(refused) > 1000
    follow = pd.merge(refused[["time_s", "user"]].assign(due=refused["time_s"] + 20.0),
                      requests[(requests["op"] == "sign_in") & (requests["attempt"] > 0)],
                      left_on=["user", "due"], right_on=["user", "time_s"], how="left",
                      suffixes=("", "_sign_in"))
    forced = compute_metrics(records, scenario)["forced_reauthentications"]
    if policy == "sign_in":
        # each refusal: a sign-in by the user, 20 s on (the next attempt of the same intent)
        assert follow["outcome"].notna().all()
        assert forced == len(refused)
    else:
        assert follow["outcome"].isna().all()
        assert forced == 0


JOURNEYS = """\
name: journeys
regions:
  - {{name: primary, role: primary}}
  - {{name: secondary, role: secondary}}
users: {{population: 1M, with_session: 100%}}
clients: honour
sessions:
  access_token: 10m
  refresh_policy: reactive
  active_for: {{distribution: exponential, mean: 1h}}
  actions: {{profile_read: {read_rate}, profile_update: 0/h}}
  sign_out_at_end: {sign_out}
  in_progress_at_start: true
traffic:
  sign_in: 0.5/s
  federated_sign_in: 0/s
  refresh: 0/s
  sign_up: 0/s
  profile_read: 0/s
  profile_update: 0/s
  password_change: 0/s
  sign_out: 0/s
  admin_disable: 0/s
run: {{duration: 4h, seed: 8}}
"""


def _first_attempts(text: str) -> tuple[Scenario, pd.DataFrame]:
    scenario = parse_scenario(text)
    requests = simulate(scenario, 0).requests
    return scenario, requests[(requests["attempt"] == 0) & ~requests["attacker"]]


def test_sessions_in_progress_at_the_start_make_refreshes_stationary():
    """Sessions begun before t = 0 are in progress when the run starts: sign-ins at λ, each
    active for an exponential time of mean m and refreshing every I, give an expected
    λ·q/(1 − q) refreshes per second from the first second (q = e^{−I/m}; Little's law:
    N / I − λ/2 + O(I/m)), in the first quarter of the run as in the last."""
    scenario, first = _first_attempts(JOURNEYS.format(read_rate="0/h", sign_out="0%"))
    rate, mean_s, interval_s = 0.5, 3600.0, 600.0
    q = math.exp(-interval_s / mean_s)
    per_second = rate * q / (1 - q)
    per_session_sq = q * (1 + q) / (1 - q) ** 2
    refreshes = first[first["op"] == "refresh"]["time_s"]
    quarter = scenario.run.duration / 4
    for start in (0.0, 3 * quarter):
        count = refreshes.between(start, start + quarter, inclusive="left").sum()
        expected = per_second * quarter
        assert abs(count - expected) < Z * math.sqrt(rate * quarter * per_session_sq), (
            start, count, expected)


def test_in_session_actions_arrive_at_active_sessions_times_their_rate():
    """An action at r per hour of activity: N = λ·m active sessions make N·r per second."""
    scenario, first = _first_attempts(JOURNEYS.format(read_rate="6/h", sign_out="0%"))
    rate, mean_s, per_s = 0.5, 3600.0, 6 / 3600
    reads = int((first["op"] == "profile_read").sum())
    horizon = scenario.run.duration
    expected = rate * mean_s * per_s * horizon
    # Each session adds Poisson(r·A) reads, A exponential: Var = λ·T·E[r·A + (r·A)²].
    sd = math.sqrt(rate * horizon * (per_s * mean_s + 2 * (per_s * mean_s) ** 2))
    assert abs(reads - expected) < Z * sd, (reads, expected)


def test_sessions_end_with_a_sign_out_at_the_configured_share():
    """At stationarity sessions end at the sign-in rate λ: a share p sign out, λ·p·T."""
    scenario, first = _first_attempts(JOURNEYS.format(read_rate="0/h", sign_out="40%"))
    expected = 0.5 * 0.4 * scenario.run.duration
    sign_outs = int((first["op"] == "sign_out").sum())
    assert abs(sign_outs - expected) < Z * math.sqrt(expected), (sign_outs, expected)


def test_an_action_is_made_by_the_user_of_a_session_while_it_is_active():
    """Without sessions at the start, every in-session read is by a user who signed in
    earlier in the run, and no later than the longest session after that sign-in."""
    text = JOURNEYS.format(read_rate="6/h", sign_out="0%").replace(
        "in_progress_at_start: true", "in_progress_at_start: false").replace(
        "{distribution: exponential, mean: 1h}", "{distribution: uniform, low: 10m, high: 20m}")
    _, first = _first_attempts(text)
    sign_ins = first[first["op"] == "sign_in"][["user", "time_s"]].sort_values("time_s")
    reads = first[first["op"] == "profile_read"][["user", "time_s"]].sort_values("time_s")
    assert len(reads) > 100
    last = pd.merge_asof(reads, sign_ins.rename(columns={"time_s": "signed_in"}),
                         left_on="time_s", right_on="signed_in", by="user")
    assert last["signed_in"].notna().all()
    assert ((last["time_s"] - last["signed_in"]) <= 20 * 60).all()


def test_journey_settings_need_sessions():
    with pytest.raises(Exception, match="needs sessions.active_for"):
        parse_scenario("name: x\nsessions: {actions: {profile_read: 1/h}}\n")


@pytest.mark.parametrize(("spec", "second_moment"), [
    ({"distribution": "exponential", "mean": "10s"}, 200.0),
    ({"distribution": "lognormal", "median": "10s", "p99": "40s"}, None),
    ({"distribution": "uniform", "low": "2s", "high": "8s"}, (8**3 - 2**3) / (3 * 6)),
    ({"distribution": "empirical", "samples": ["1s", "3s"]}, 5.0),
    ({"distribution": "constant", "value": "7s"}, 49.0),
])
def test_sessions_in_progress_are_length_biased(spec, second_moment):
    """An interval in progress at an instant has mean length E[A²] / E[A] (the inspection
    paradox): the lengths of the sessions in progress at t = 0."""
    from pydantic import TypeAdapter

    from drsim.model.distributions import length_biased
    from drsim.scenario.sections.distributions import Distribution

    dist = TypeAdapter(Distribution).validate_python(spec)
    if second_moment is None:  # lognormal: E[A²] = exp(2μ + 2σ²)
        second_moment = math.exp(2 * dist.mu + 2 * dist.sigma**2)
    draws = length_biased(dist, np.random.default_rng(1), 400_000)
    expected = second_moment / dist.mean_s
    assert abs(draws.mean() - expected) < 0.01 * expected, (draws.mean(), expected)


def _sessions_around_start(scenario, n: int):  # noqa: ANN202 - four columns
    """``n`` sessions (lognormal lengths around an hour), half begun before the run and
    half during it: their begin and end times, users and picks."""
    rng = np.random.default_rng(11)
    length = rng.lognormal(np.log(3600.0), 2.0, n)
    begin = np.concatenate([-rng.random(n // 2) * length[:n // 2],
                            rng.uniform(0, scenario.run.duration, n - n // 2)])
    return begin, begin + length, np.arange(n), rng.random(n)


@pytest.mark.parametrize(("token", "policy", "spread"), [
    ("1h", "reactive", "0s"), ("1000.3s", "reactive", "0s"), ("20m", "proactive", "10m"),
    ("10m", "half_life", "0s")])
def test_refresh_rounds_at_once_are_rounds_one_at_a_time(token, policy, spread, monkeypatch):
    """Refresh round k draws the k-th lifetime of every session still active: drawing
    several rounds at once (the stream rewound past the first ending) and, with fixed
    lifetimes, skipping the rounds before t = 0 give the rows, times and stream of one
    round at a time — on sessions begun up to a year before the run."""
    from drsim.model import journeys

    text = SESSIONS.format(token=token, policy=policy, before="true").replace(
        "  refresh_before: 5m", f"  refresh_before: 5m\n  access_token_spread: {spread}")
    scenario = parse_scenario(text)
    begin, end, user, pick = _sessions_around_start(scenario, 20_000)

    def refreshes() -> tuple[dict[str, np.ndarray], float]:
        stream = np.random.default_rng(12)
        rows = _drawn(journeys._refreshes(scenario, stream, begin, end, user, pick))
        return rows, stream.random()

    fast, after = refreshes()
    monkeypatch.setattr(journeys, "REFRESH_BLOCK", 1)
    monkeypatch.setattr(journeys, "_skipped_rounds",
                        lambda _, b: (np.zeros(len(b), dtype=np.int64), b))
    slow, after_slow = refreshes()
    assert len(slow["t"]) > 10_000
    for name in ("t", "user", "pick", "u"):
        assert np.array_equal(fast[name], slow[name]), name
    assert after == after_slow


@pytest.mark.parametrize(("token", "policy"), [("1h", "reactive"), ("1000.3s", "reactive"),
                                               ("10m", "half_life")])
def test_fixed_lifetimes_give_the_refreshes_of_drawing_them(token, policy):
    """With a fixed lifetime each round's draws make no difference and are skipped, not
    drawn: the rows, times, draws and stream are those of drawing every lifetime one round
    at a time (the specification below), on sessions begun up to weeks before the run."""
    from drsim.model import journeys

    scenario = parse_scenario(SESSIONS.format(token=token, policy=policy, before="true"))
    begin, end, user, pick = _sessions_around_start(scenario, 2_000)
    stream = np.random.default_rng(12)
    got = _drawn(journeys._refreshes(scenario, stream, begin, end, user, pick))

    spec = np.random.default_rng(12)
    low = scenario.sessions.access_token
    session, t, times, owners = np.arange(2_000), begin, [], []
    while len(session):  # round by round: every active session draws its next lifetime
        t = t + journeys.refresh_interval(scenario, spec.uniform(low, low, len(session)))
        alive = t < np.minimum(end[session], scenario.run.duration)
        times.append(t[alive & (t >= 0.0)])
        owners.append(session[alive & (t >= 0.0)])
        session, t = session[alive], t[alive]
    rows = np.concatenate(owners)
    assert len(rows) > 1_000
    assert np.array_equal(got["t"], np.concatenate(times))
    assert np.array_equal(got["user"], user[rows]) and np.array_equal(got["pick"], pick[rows])
    assert np.array_equal(got["u"], spec.random(len(rows)))
    assert stream.bit_generator.state == spec.bit_generator.state


@pytest.mark.parametrize("top_round", [40, 70_000, 1 << 40])  # packed keys; the fallback
def test_refreshes_order_by_round_then_row_is_lexsort(top_round):
    from drsim.model.journeys import _by_round_then_row

    rng = np.random.default_rng(5)
    runs = [np.sort(rng.choice(5000, size, replace=False)) for size in (5000, 3000, 800)]
    rows = np.concatenate(runs)  # session rows, increasing within each round drawn
    rounds = np.concatenate([np.full(len(run), k) for k, run in enumerate(runs)])
    rounds = rounds + rng.integers(0, top_round, 5000)[rows]  # skipped rounds per session
    assert np.array_equal(_by_round_then_row(rounds, rows), np.lexsort((rows, rounds)))


@pytest.mark.parametrize("seed", range(6))
def test_refreshes_order_by_round_then_row_is_a_stable_lexsort(seed):
    """Any rounds and rows, equal pairs and negative rounds included: lexsort's order."""
    from drsim.model.journeys import _by_round_then_row

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    rows = rng.integers(0, [1, 7, 1 << 20][seed % 3], n).astype(np.int32)
    rounds = rng.integers(-1 if seed == 5 else 0, [3, 300, 1 << 30][seed % 3], n)
    assert np.array_equal(_by_round_then_row(rounds, rows), np.lexsort((rows, rounds)))


def test_actions_drawn_a_block_of_sessions_at_a_time_are_those_drawn_at_once(monkeypatch):
    """:func:`_actions` draws which sessions act and sign out a block of sessions at a time:
    the rows, times, draws and stream are those of drawing for every session at once."""
    from drsim.model import journeys

    scenario = parse_scenario(SESSIONS.format(token="1h", policy="reactive", before="true"))
    sessions = scenario.sessions.model_copy(update={
        "actions": {"profile_read": 1 / 600, "profile_update": 1 / 5000},
        "sign_out_at_end": 0.3})
    scenario = scenario.model_copy(update={"sessions": sessions})
    begin, end, user, pick = _sessions_around_start(scenario, 5_000)

    def actions() -> tuple[list[dict[str, np.ndarray]], float]:
        stream = np.random.default_rng(13)
        parts = journeys._actions(scenario, stream, begin, end, user, pick)
        return [_drawn(part) for part in parts], stream.random()

    monkeypatch.setattr(journeys, "ACTION_BLOCK", 1 << 30)
    at_once, after = actions()
    monkeypatch.setattr(journeys, "ACTION_BLOCK", 77)
    blocks, after_blocks = actions()
    assert [len(part["t"]) for part in at_once] == [len(part["t"]) for part in blocks]
    assert min(len(part["t"]) for part in at_once) > 100
    for fast, slow in zip(blocks, at_once, strict=True):
        for name in ("t", "op", "user", "pick", "u"):
            assert np.array_equal(fast[name], slow[name]), name
    assert after == after_blocks


def _drawn(part: dict) -> dict[str, np.ndarray]:
    """A request part's columns, its deferred draws (``u``) drawn."""
    u = part["u"]
    assert isinstance(u, DeferredUniforms)
    return {**part, "u": u.values()}
