"""Journeys: what signed-in people do while their session is active.

A legitimate sign-in (password or federated) starts a session that stays active for
``sessions.active_for``. While it is, its client holds an access token and refreshes
it per ``sessions.refresh_policy`` (per-user tokens), its user makes the requests of
``sessions.actions`` (Poisson over the active time), and at its end the user signs out
with probability ``sessions.sign_out_at_end``. With ``sessions.in_progress_at_start``,
the sessions of a stationary stream of sign-ins at the t = 0 rate λ are in progress
when the run starts: Poisson(λ·E[A]) of them, each of length-biased length ℓ
(density ℓ·f(ℓ)/E[A]) begun U·ℓ before t = 0 — so every session-driven rate is
stationary from the first second, long sessions included.

Little's law gives the known answers: with sign-ins at λ per second and a mean
active time m, N = λ·m sessions are active; refreshes every I arrive at ≈ N / I per
second, and an action at rate r at N·r.

Open loop: a session's requests happen whether or not its sign-in succeeded (a
refresh that finds no session is served as the sign-in it becomes). Everything is
arrays: one row per session, never an object per user.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from drsim.model.distributions import length_biased, sample
from drsim.model.homes import homed, users_in_progress
from drsim.model.streams import DeferredUniforms, Streams, skip_doubles
from drsim.model.traffic import (
    Arrivals,
    follow_ups,
    followed_ops,
    followed_rates,
    merged,
    picked_users,
    populations_rate_multiplier,
)
from drsim.records import OP_CODE
from drsim.scenario.schema import OPERATIONS, Scenario

SIGN_INS = ("sign_in", "federated_sign_in")


def refresh_interval(scenario: Scenario, lifetime: np.ndarray) -> np.ndarray:
    """How long after a token is issued its client refreshes it (``sessions.refresh_policy``)."""
    sessions = scenario.sessions
    if sessions.refresh_policy == "half_life":
        return lifetime / 2.0
    if sessions.refresh_policy == "reactive":
        return lifetime
    return np.maximum(lifetime - sessions.refresh_before, 1.0)


def with_sessions(scenario: Scenario, streams: Streams, arrivals: Arrivals) -> Arrivals:
    """The arrivals and every request their sessions make, in time order.

    Sessions start at the arrivals' legitimate sign-ins, follow-ups included (``sessions``
    stream) and, with ``in_progress_at_start``, before the run (``sessions/before``). The
    sessions' requests are followed per ``traffic.follow_ups`` too (streams
    ``follow_up/k/sessions``), e.g. a read-back after an in-session update; a sign-in that
    follows a session's request does not start a session of its own.
    """
    parts = _session_requests(scenario, streams, arrivals)
    return merged(arrivals, [*parts, _followed(scenario, streams, parts)])


def _session_requests(scenario: Scenario, streams: Streams,
                      arrivals: Arrivals) -> list[dict[str, np.ndarray]]:
    """The requests of the sessions, before follow-ups: the refreshes of each group of
    sessions (:func:`_session_groups`), then each group's actions and sign-outs. A group's
    requests are made, and its columns released, before the next group is drawn."""
    acting = streams.get("sessions/actions")
    refreshes: list[dict[str, np.ndarray]] = []
    actions: list[dict[str, np.ndarray]] = []
    for rng, session in _session_groups(scenario, streams, arrivals):
        refreshes.append(_refreshes(scenario, rng, *session))
        actions.extend(_actions(scenario, acting, *session))
        del session
    return [*refreshes, *actions]


def _session_groups(scenario: Scenario, streams: Streams, arrivals: Arrivals
                    ) -> Iterator[tuple[np.random.Generator, tuple[np.ndarray, ...]]]:
    """The sessions' groups, one at a time, each with its stream and its columns (begin,
    end, user, pick): the sessions the arrivals' legitimate sign-ins start (stream
    ``sessions``), then, with ``in_progress_at_start``, those in progress at t = 0
    (``sessions/before``)."""
    starts = np.flatnonzero((arrivals.attacker < 0) & np.isin(
        arrivals.op, [OP_CODE[op] for op in SIGN_INS]))
    rng = streams.get("sessions")
    begin = arrivals.time_s[starts]
    end = begin + sample(scenario.sessions.active_for, rng, len(starts))
    session = (begin, end, arrivals.user[starts], arrivals.pick[starts])
    del starts, begin, end
    yield rng, session
    del session
    if scenario.sessions.in_progress_at_start:
        before = streams.get("sessions/before")
        yield before, _sessions_before(scenario, streams, before)


def _followed(scenario: Scenario, streams: Streams,
              parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The follow-ups of the sessions' requests (streams ``follow_up/k/sessions``), drawn
    from the requests some rule follows, in the order of ``parts``."""
    followed = followed_ops(scenario)
    keep = [np.isin(part["op"], followed) for part in parts]
    rows = {name: np.concatenate([np.empty(0, parts[0][name].dtype)]
                                 + [part[name][k] for part, k in zip(parts, keep, strict=True)])
            for name in ("t", "op", "user", "pick")}
    return follow_ups(scenario, streams, rows, "/sessions")


def _sessions_before(scenario: Scenario, streams: Streams,
                     rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """The sessions in progress at t = 0 of sign-ins (their follow-ups included) at the
    t = 0 rate λ since forever:
    N ~ Poisson(λ·E[A]) (Little's law), each of length-biased length, begun a uniform
    share of it before 0 (the age of an interval in progress)."""
    active_for = scenario.sessions.active_for
    at_start = {op: scenario.traffic.rate_of(op) * float(populations_rate_multiplier(
        scenario, op, np.zeros(1))[0]) for op in OPERATIONS}
    rates = followed_rates(scenario, at_start)
    rate = sum(rates[op] for op in SIGN_INS)
    count = rng.poisson(rate * active_for.mean_s)
    length = length_biased(active_for, rng, count)
    begin = -rng.random(count) * length
    pick = rng.random(count)
    if homed(scenario) or scenario.users.activity is not None:
        user, pick = users_in_progress(scenario, streams, pick)
    else:
        user = picked_users(np.full(count, OP_CODE["sign_in"], np.int8), pick,
                            scenario.users.population)
    return begin, begin + length, user, pick


def _refreshes(scenario: Scenario, rng: np.random.Generator, begin: np.ndarray,
               end: np.ndarray, user: np.ndarray, pick: np.ndarray) -> dict[str, np.ndarray]:
    """Each session's token refreshes inside the run: every access token (lifetime uniform
    on ``[access_token, access_token + spread]``) is refreshed per the refresh policy while
    the session is active.

    Round k draws the k-th lifetime of every session still active, in session order.
    While few sessions remain (long sessions: hundreds of rounds), several rounds are
    drawn at once (:func:`_rounds_of_refreshes`); with fixed lifetimes, the rounds before
    t = 0 are skipped (:func:`_skipped_rounds`). The draws, times and rows are those of
    one round at a time.
    """
    end = np.minimum(end, scenario.run.duration)
    skipped, t = _skipped_rounds(scenario, begin)
    session = np.arange(len(begin), dtype=np.int32 if len(begin) < 1 << 31 else np.int64)
    times, owners, per_round = [], [], []
    rows = 1
    while len(session):
        rows = min(rows, max(1, REFRESH_BLOCK // len(session)))
        t_rows, alive = _rounds_of_refreshes(scenario, rng, t, end[session], rows)
        active, t = session[alive[-1]], t_rows[-1][alive[-1]]
        if len(alive) == 1 and not (t < 0.0).any():
            # One round, all of it in the run: its refreshes are those of the sessions still
            # active, their times the next round's start (no masks, no copies; with the
            # cumulative sum of one row skipped, 1 M users' refreshes 137 → 113 ms loaded).
            times.append(t)
            owners.append(active)
            per_round.append(np.array([len(t)]))
        else:
            inside = alive & (t_rows >= 0.0)  # round by round, in session order
            times.append(t_rows[inside])
            owners.append(np.broadcast_to(session, inside.shape)[inside])
            per_round.append(np.count_nonzero(inside, axis=1))
            del inside
        rows = 2 * len(alive)  # a long stretch without ends: draw more rounds at once
        session = active
    del end, session, t
    rows = np.concatenate([np.empty(0, np.int32), *owners])
    del owners
    times = np.concatenate([np.empty(0), *times])
    if skipped.any():  # in the order of the rounds had none been skipped
        order = _by_round_then_row(_rounds_of_rows(np.concatenate(per_round), skipped, rows),
                                   rows)
        rows = rows[order]
        times = times[order]
        del order
        skip_doubles(rng, int(skipped.sum()))  # the skipped rounds' draws
    return {"t": times, "op": np.full(len(rows), OP_CODE["refresh"], np.int8),
            "user": user[rows], "pick": pick[rows], "u": DeferredUniforms(rng, len(rows))}


def _rounds_of_rows(per_round: np.ndarray, skipped: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The round of each refresh had none been skipped: round k of the loop has
    ``per_round[k]`` rows, ``skipped[row]`` later for its session. Two bytes a row when the
    rounds fit."""
    dtype = np.uint16 if int(skipped.max()) + len(per_round) <= 1 << 16 else np.int64
    rounds = np.repeat(np.arange(len(per_round), dtype=dtype), per_round)
    rounds += skipped.astype(dtype)[rows]
    return rounds


def _by_round_then_row(rounds: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``np.lexsort((rows, rounds))``, faster: one sort of packed keys (the round, the row,
    then the position, so that equal pairs keep their order) orders them, as
    :func:`~drsim.model.traffic.time_order` does times. At 1 M users (1.06 M refreshes of
    sessions in progress at t = 0) 15 ms, where a stable sort of the rows and a radix
    sort of the rounds took 24 ms. Negative values, or keys over 64 bits: lexsort."""
    n = len(rounds)
    if n == 0 or rounds.min() < 0 or rows.min() < 0:
        return np.lexsort((rows, rounds))
    position_bits = max(1, (n - 1).bit_length())
    row_bits = int(rows.max()).bit_length()
    if int(rounds.max()).bit_length() + row_bits + position_bits > 64:
        return np.lexsort((rows, rounds))
    keys = rounds.astype(np.uint64)
    keys <<= np.uint64(row_bits + position_bits)
    for start in range(0, n, 1 << 20):  # a block at a time: no other n-long temporary
        block = keys[start:start + (1 << 20)]
        block |= rows[start:start + (1 << 20)].astype(np.uint64) << np.uint64(position_bits)
        block |= np.arange(start, start + len(block), dtype=np.uint64)
    keys.sort()
    keys &= np.uint64((1 << position_bits) - 1)
    return keys.view(np.int64)


def _skipped_rounds(scenario: Scenario, begin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many rounds of refreshes each session may skip, and its last refresh before
    the first round not skipped: with a fixed lifetime (no spread) the rounds before t = 0
    draw values that make no difference and record nothing (no session ends before 0),
    and while a sum stays ≤ 0 each addition of the interval is exact if the interval is
    a multiple of the spacing of floats at the earliest start (as at the reference's
    one hour); then the k-th refresh is ``begin + k × interval`` exactly. Else none."""
    sessions = scenario.sessions
    if sessions.access_token_spread > 0 or not len(begin) or begin.min() >= 0.0:
        return np.zeros(len(begin), dtype=np.int64), begin
    step = float(refresh_interval(scenario, np.array([sessions.access_token]))[0])
    if math.fmod(step, float(np.spacing(-begin.min()))) != 0.0:
        return np.zeros(len(begin), dtype=np.int64), begin
    count = np.divide(begin, -step)  # refreshes before 0 (none from 0 on), then exact:
    np.ceil(count, out=count)
    count -= 1.0
    np.maximum(count, 0.0, out=count)
    sum_ = np.empty_like(count)  # one buffer for the sums below, not a temporary each
    while True:
        more = _begin_plus(begin, count, 1.0, step, sum_) < 0.0
        fewer = (count > 0.0) & (_begin_plus(begin, count, 0.0, step, sum_) >= 0.0)
        if not (more.any() or fewer.any()):
            break
        count += more
        count -= fewer
    return count.astype(np.int64), _begin_plus(begin, count, 0.0, step, sum_)


def _begin_plus(begin: np.ndarray, count: np.ndarray, more: float, step: float,
                out: np.ndarray) -> np.ndarray:
    """``begin + (count + more) × step``, into ``out``."""
    np.add(count, more, out=out)
    out *= step
    out += begin
    return out


REFRESH_BLOCK = 1 << 16
"""Lifetimes drawn at once by :func:`_refreshes` (one round at least)."""


def _rounds_of_refreshes(scenario: Scenario, rng: np.random.Generator, t: np.ndarray,
                         end: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``rows`` rounds of refreshes of sessions last refreshed at ``t``, up to and
    including the first round in which one of them ends: the times (one row per round:
    each the previous plus the next interval, added in turn) and which sessions are
    still active after each. The stream is left as if one round at a time had drawn
    the rounds returned (draws past them are taken back). A fixed lifetime (no spread)
    draws ``low + 0 × random()``, ``low`` whatever the draw: its draws are skipped."""
    sessions = scenario.sessions
    low, high = sessions.access_token, sessions.access_token + sessions.access_token_spread
    fixed = high == low
    state = rng.bit_generator.state if rows > 1 and not fixed else None
    if fixed:
        steps = np.full((rows, len(t)), refresh_interval(scenario, np.array([low]))[0])
    else:  # rng.uniform(low, high, n) draws low + (high − low) × random(): the same, faster
        steps = refresh_interval(scenario, low + (high - low) * rng.random((rows, len(t))))
    steps[0] += t
    t_rows = np.cumsum(steps, axis=0, out=steps) if rows > 1 else steps  # one row: as is
    alive = t_rows < end
    ended = np.flatnonzero(~alive.all(axis=1))
    if len(ended) and ended[0] + 1 < rows:
        rows = int(ended[0]) + 1
        if not fixed:
            rng.bit_generator.state = state
            rng.random(rows * len(t))
    if fixed:
        skip_doubles(rng, rows * len(t))
    return t_rows[:rows], alive[:rows]


def _actions(scenario: Scenario, rng: np.random.Generator, begin: np.ndarray,
             end: np.ndarray, user: np.ndarray, pick: np.ndarray) -> list[dict[str, np.ndarray]]:
    """The requests of ``sessions.actions`` (Poisson over each session's active time in the
    run) and the sign-outs that end sessions (``sessions.sign_out_at_end``).

    Which sessions act, and which sign out, is drawn :data:`ACTION_BLOCK` sessions at a
    time (the same draws, in the same order), so that no session-long temporary is made:
    at 100 k users those of the 726 k sessions in progress at t = 0 (≈ 22 MiB) set the
    peak of the arrivals' generation."""
    sessions = scenario.sessions
    horizon = scenario.run.duration
    blocks = [slice(start, start + ACTION_BLOCK) for start in range(0, len(begin), ACTION_BLOCK)]
    parts = []
    for op, rate in sessions.actions.items():
        owner = np.concatenate([np.empty(0, np.int64), *(
            _acting(rng, rate, begin[b], end[b], horizon) + b.start for b in blocks)])
        active_from, span = _active(begin[owner], end[owner], horizon)
        span *= rng.random(len(owner))
        span += active_from  # active_from + random × span, as drawn
        parts.append(_rows(span, op, user[owner], pick[owner], rng))
    if sessions.sign_out_at_end > 0:
        ends = np.concatenate([np.empty(0, np.int64), *(
            _signing_out(rng, end[b], horizon, sessions.sign_out_at_end) + b.start
            for b in blocks)])
        parts.append(_rows(end[ends], "sign_out", user[ends], pick[ends], rng))
    return parts


ACTION_BLOCK = 1 << 17
"""Sessions whose actions and sign-outs :func:`_actions` draws at once."""


def _active(begin: np.ndarray, end: np.ndarray, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """When each session's active time in the run starts, and how long it is (≥ 0)."""
    active_from = np.maximum(begin, 0.0)
    span = np.minimum(end, horizon)
    span -= active_from
    np.maximum(span, 0.0, out=span)  # as np.clip(span, 0.0, None): no NaN here
    return active_from, span


def _acting(rng: np.random.Generator, rate: float, begin: np.ndarray, end: np.ndarray,
            horizon: float) -> np.ndarray:
    """The sessions (rows) making each request of an action at ``rate``, in session order."""
    counts = rng.poisson(rate * _active(begin, end, horizon)[1])
    some = np.flatnonzero(counts)
    return np.repeat(some, counts[some])


def _signing_out(rng: np.random.Generator, end: np.ndarray, horizon: float,
                 probability: float) -> np.ndarray:
    """The sessions (rows) whose end inside the run is a sign-out."""
    ends = np.flatnonzero((end >= 0.0) & (end < horizon))
    return ends[rng.random(len(ends)) < probability]


def _rows(t: np.ndarray, op: str, user: np.ndarray, pick: np.ndarray,
          rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"t": t, "op": np.full(len(t), OP_CODE[op], np.int8), "user": user, "pick": pick,
            "u": DeferredUniforms(rng, len(t))}
