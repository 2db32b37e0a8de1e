"""Traffic: arrival streams of legitimate operations and attackers' guesses.

Arrivals are generated up front as arrays (no process per user or request):
each operation is a non-homogeneous Poisson process — base rate × daily
profile × bursts — drawn by thinning from its own named stream, so changing
one operation's rate or the failover design never moves another stream's
arrivals (common random numbers).

Who acts is drawn here too. The k-th sign-up arrival reserves user id
``population + k``; any other request picks uniformly among the initial users
and the ids reserved by earlier sign-ups. If the picked sign-up has not
succeeded by then, the data plane substitutes an initial user. With client
time zones or activity weights, the pick is made within the request's
population and by weight (:mod:`drsim.model.homes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drsim.model.distributions import sample
from drsim.model.homes import (
    homed,
    peak_profile_factor,
    population_picks,
    population_shares,
    profile_factor,
)
from drsim.model.streams import DeferredUniforms, Streams
from drsim.records import OP_CODE
from drsim.scenario.schema import OPERATIONS, Attacker, Scenario


@dataclass
class Arrivals:
    """Time-sorted first attempts: legitimate operations and attackers' guesses."""

    time_s: np.ndarray  # float64, sorted
    op: np.ndarray  # int8 operation code (records.OP_CODE)
    user: np.ndarray  # int64: acting user / reserved id (sign-up) / target account; -1: none
    pick: np.ndarray  # float64 in [0, 1): the user pick (legit); an attacker's luck (guesses)
    u: np.ndarray  # float64 in [0, 1): this arrival's own draw (e.g. hit by a gray failure)
    attacker: np.ndarray  # int16: attacker index, or -1 for legitimate traffic
    signup_kinds: np.ndarray | None = None  # int8 client kind of the k-th sign-up (homed)

    def __len__(self) -> int:
        return len(self.time_s)


def rate_multiplier(scenario: Scenario, operation: str, t: np.ndarray,
                    offset_s: float = 0.0) -> np.ndarray:
    """Profile × burst multiplier of ``operation``'s rate at times ``t`` (seconds) for a
    population ``offset_s`` east of UTC (profiles in local time, bursts in run time)."""
    traffic = scenario.traffic
    factor = profile_factor(scenario, t, offset_s)
    for burst in traffic.bursts:
        if burst.operation in (operation, "all"):
            inside = (t >= burst.start) & (t < burst.start + burst.duration)
            factor = np.where(inside, factor * burst.multiplier, factor)
    return factor


def populations_rate_multiplier(scenario: Scenario, operation: str,
                                t: np.ndarray) -> np.ndarray:
    """:func:`rate_multiplier` of all client kinds together: Σ share × multiplier in each
    kind's local time when kinds have time zones (else the UTC one, unchanged)."""
    if not homed(scenario):
        return rate_multiplier(scenario, operation, t)
    total = np.zeros_like(t)
    for share, kind in zip(population_shares(scenario), scenario.clients, strict=True):
        total += share * rate_multiplier(scenario, operation, t, kind.time_zone or 0.0)
    return total


def _max_multiplier(scenario: Scenario, operation: str) -> float:
    peak = peak_profile_factor(scenario)
    bursts = [b.multiplier for b in scenario.traffic.bursts if b.operation in (operation, "all")]
    # Overlapping bursts multiply; the product of all >1 multipliers bounds the peak.
    for m in bursts:
        peak *= max(m, 1.0)
    return peak


def poisson_times(rng: np.random.Generator, rate: float, start: float, end: float) -> np.ndarray:
    """Sorted arrival times of a homogeneous Poisson process on [start, end)."""
    if rate <= 0 or end <= start:
        return np.empty(0)
    count = rng.poisson(rate * (end - start))
    return np.sort(rng.uniform(start, end, count))


def operation_times(scenario: Scenario, streams: Streams, operation: str,
                    kind: int | None = None) -> np.ndarray:
    """Arrival times of one legitimate operation over the run (thinning); with ``kind``,
    those of client kind ``kind`` alone (its share of the rate, in its local time)."""
    base = scenario.traffic.rate_of(operation)
    name, offset = f"arrivals/{operation}", 0.0
    if kind is not None:
        base *= population_shares(scenario)[kind]
        name, offset = f"{name}/{kind}", scenario.clients[kind].time_zone or 0.0
    rng = streams.get(name)
    peak = _max_multiplier(scenario, operation)
    times = poisson_times(rng, base * peak, 0.0, scenario.run.duration)
    keep = rng.random(len(times)) * peak < rate_multiplier(scenario, operation, times, offset)
    return times[keep]


def attacker_guesses(
    scenario: Scenario, streams: Streams, index: int, attacker: Attacker
) -> tuple[np.ndarray, np.ndarray]:
    """Guess times and target accounts of a guessing attacker."""
    rng = streams.get(f"attacker/{attacker.name}")
    targets = attacker_targets(scenario, streams, attacker)
    end = min(scenario.run.duration, attacker.start + attacker.duration)
    times = poisson_times(rng, attacker.rate, attacker.start, end)
    if attacker.kind == "password_spraying":
        accounts = targets[np.arange(len(times)) % len(targets)]
    else:
        accounts = targets[rng.integers(0, len(targets), len(times))]
    return times, accounts


def attacker_targets(scenario: Scenario, streams: Streams, attacker: Attacker) -> np.ndarray:
    """The accounts an attacker targets (drawn from the initial population)."""
    rng = streams.get(f"targets/{attacker.name}")
    population = scenario.users.population
    count = min(attacker.targets, population)
    return np.sort(rng.choice(population, size=count, replace=False)).astype(np.int64)


def scripted_arrivals(requests: list[tuple[float, str, int]], population: int,
                      attacker: int = 0) -> Arrivals:
    """Arrivals from a script of ``(time_s, operation, user)``: tiny exact scenarios.

    ``user`` is the acting user for legitimate operations (ignored for sign-ups,
    which get the next reserved id, and M2M tokens) or the targeted account for
    an attacker's ``guess`` (aimed by attacker ``attacker``).
    """
    ordered = sorted(requests, key=lambda r: r[0])
    ops = np.array([OP_CODE[op] for _, op, _ in ordered], dtype=np.int8)
    users = np.array([u for _, _, u in ordered], dtype=np.int64)
    is_guess = ops == OP_CODE["guess"]
    return Arrivals(
        time_s=np.array([t for t, _, _ in ordered], dtype=np.float64),
        op=ops,
        user=_reserve_signups(ops, users, population),
        pick=np.zeros(len(ordered)),
        u=np.full(len(ordered), 0.5),
        attacker=np.where(is_guess, attacker, -1).astype(np.int16),
    )


def _reserve_signups(ops: np.ndarray, users: np.ndarray, population: int) -> np.ndarray:
    """The k-th sign-up gets id ``population + k``; M2M requests have no user."""
    signup = ops == OP_CODE["sign_up"]
    users = np.where(signup, population + np.cumsum(signup) - 1, users)
    return np.where(ops == OP_CODE["m2m_token"], -1, users).astype(np.int64)


def rate_arrivals(scenario: Scenario, streams: Streams) -> Arrivals:
    """The first attempts of the per-operation rates and the attackers, sorted by time.

    The sources (one per operation — or per operation and client kind when kinds have
    time zones — and one per guessing attacker) are merged once: each column is written
    source by source into one buffer and taken from it in time order, so the peak is
    ≈ 45 bytes per arrival (35 kept) rather than one per-source copy, one concatenated
    copy and one sorted copy of every column.
    """
    sources = _sources(scenario, streams)
    counts = [len(t) for t in sources.times]
    bounds = np.cumsum([0, *counts])
    time_s = np.concatenate(sources.times)
    del sources.times
    order = time_order(time_s)
    time_s = time_s[order]
    op = np.repeat(np.array(sources.codes, dtype=np.int8), counts)[order]
    attacker = np.repeat(np.array(sources.attackers, dtype=np.int16), counts)[order]
    pick = _merged_draws(sources.pick_streams, bounds, order)
    u = _merged_draws(sources.u_streams, bounds, order)
    # Guesses come last among the sources: their rows' targeted accounts, in time order.
    guesses = np.flatnonzero(attacker >= 0)
    guess_accounts = np.concatenate([np.empty(0, np.int64), *sources.accounts])
    guess_accounts = guess_accounts[order[guesses] - bounds[sources.legitimate]]
    signup_kinds = None
    if homed(scenario) or scenario.users.activity is not None:
        population_of_row = np.repeat(np.array(sources.kinds, dtype=np.int8), counts)[order]
        del order
        picked = population_picks(scenario, streams, op, pick, population_of_row)
        user, pick, signup_kinds = picked.user, picked.pick, picked.signup_kinds
    else:
        del order
        user = picked_users(op, pick, scenario.users.population)
    user[guesses] = guess_accounts
    return Arrivals(time_s=time_s, op=op, user=user, pick=pick, u=u, attacker=attacker,
                    signup_kinds=signup_kinds)


@dataclass
class _Sources:
    """The arrival sources, in merge order: legitimate ones first, then attackers'."""

    codes: list[int] = field(default_factory=list)
    attackers: list[int] = field(default_factory=list)
    kinds: list[int] = field(default_factory=list)  # client kind; 0: not homed; −1: guesses
    times: list[np.ndarray] = field(default_factory=list)
    pick_streams: list[np.random.Generator] = field(default_factory=list)
    u_streams: list[np.random.Generator] = field(default_factory=list)
    accounts: list[np.ndarray] = field(default_factory=list)
    legitimate: int = 0  # how many sources are legitimate traffic

    def add(self, code: int, attacker: int, kind: int, times: np.ndarray,
            pick: np.random.Generator, u: np.random.Generator) -> None:
        self.codes.append(code)
        self.attackers.append(attacker)
        self.kinds.append(kind)
        self.times.append(times)
        self.pick_streams.append(pick)
        self.u_streams.append(u)


def _sources(scenario: Scenario, streams: Streams) -> _Sources:
    """Every source's times and draw streams. With time zones, an operation has one source
    per client kind; its kinds share the operation's pick and u streams (drawn in turn)."""
    sources = _Sources()
    kinds = list(range(len(scenario.clients))) if homed(scenario) else [None]
    for operation in OPERATIONS:
        pick, u = streams.get(f"pick/{operation}"), streams.get(f"u/{operation}")
        for kind in kinds:
            sources.add(OP_CODE[operation], -1, kind or 0,
                        operation_times(scenario, streams, operation, kind), pick, u)
    sources.legitimate = len(sources.codes)
    for index, attacker in enumerate(scenario.attackers):
        if attacker.kind == "token_replay":
            continue
        t, acc = attacker_guesses(scenario, streams, index, attacker)
        luck = streams.get(f"luck/{attacker.name}")  # a guess's luck, then its own draw
        sources.add(OP_CODE["guess"], index, -1, t, luck, luck)
        sources.accounts.append(acc)
    return sources


def with_follow_ups(scenario: Scenario, streams: Streams, arrivals: Arrivals) -> Arrivals:
    """The arrivals and the requests that follow them (``traffic.follow_ups``), in time order."""
    followed = np.flatnonzero((arrivals.attacker < 0)
                              & np.isin(arrivals.op, followed_ops(scenario)))
    rows = {"t": arrivals.time_s[followed], "op": arrivals.op[followed],
            "user": arrivals.user[followed], "pick": arrivals.pick[followed]}
    added = follow_ups(scenario, streams, rows)
    return merged(arrivals, [added]) if len(added["t"]) else arrivals


def followed_ops(scenario: Scenario) -> list[int]:
    """The operation codes some ``traffic.follow_ups`` rule follows: only requests of
    these can have a follow-up (:func:`follow_ups` may be given these alone)."""
    return sorted({OP_CODE[rule.after] for rule in scenario.traffic.follow_ups})


def follow_ups(scenario: Scenario, streams: Streams, rows: dict[str, np.ndarray],
               stream_suffix: str = "") -> dict[str, np.ndarray]:
    """The requests that follow legitimate ``rows`` (columns t, op, user, pick; the rows of
    other operations than :func:`followed_ops` may be left out, they make no difference).

    Rule ``k`` draws from its own stream ``follow_up/k`` (plus ``stream_suffix``): for
    each request of its ``after`` operation (including earlier rules' follow-ups),
    ``count`` chances with its probability, each ``delay`` later, by the same user. A
    follow-up keeps the user pick of the request it follows, so a newcomer whose sign-up
    has not succeeded is stood in for by the same initial user.
    """
    pool = {name: rows[name] for name in ("t", "op", "user", "pick")}
    added: list[dict[str, np.ndarray]] = [_no_rows()]
    for index, rule in enumerate(scenario.traffic.follow_ups):
        rng = streams.get(f"follow_up/{index}{stream_suffix}")
        chances = np.repeat(np.flatnonzero(pool["op"] == OP_CODE[rule.after]), rule.count)
        chosen = chances[rng.random(len(chances)) < rule.probability]
        when = pool["t"][chosen] + sample(rule.delay, rng, len(chosen))
        inside = when < scenario.run.duration
        chosen, when = chosen[inside], when[inside]
        new = {"t": when, "op": np.full(len(chosen), OP_CODE[rule.then], np.int8),
               "user": pool["user"][chosen], "pick": pool["pick"][chosen],
               "u": rng.random(len(chosen))}
        added.append(new)
        pool = {name: np.concatenate([pool[name], new[name]]) for name in pool}
    return {name: np.concatenate([a[name] for a in added]) for name in added[0]}


def followed_rates(scenario: Scenario, rates: dict[str, float]) -> dict[str, float]:
    """Per-operation ``rates`` (per second) plus the expected rates of their follow-ups,
    rule by rule: a rule follows earlier rules' follow-ups too, as :func:`follow_ups` does
    (follow-ups past the end of the run aside)."""
    rates = dict(rates)
    for rule in scenario.traffic.follow_ups:
        rates[rule.then] += rule.count * rule.probability * rates[rule.after]
    return rates


def _no_rows() -> dict[str, np.ndarray]:
    return {"t": np.empty(0), "op": np.empty(0, np.int8), "user": np.empty(0, np.int64),
            "pick": np.empty(0), "u": np.empty(0)}


def merged(arrivals: Arrivals, parts: list[dict[str, np.ndarray]]) -> Arrivals:
    """The arrivals and the legitimate first attempts of ``parts`` (each with columns t, op,
    user, pick, u; u may be :class:`~drsim.model.streams.DeferredUniforms`), in time order
    (at equal times, the arrivals first, then the parts in order, each part's rows in
    their order).

    One stable sort of all the times (:func:`time_order`) orders them: a stable order of
    the concatenation is that order, so no part is sorted on its own. Every other column
    is then put in place source by source (each row at its rank in time order), as it
    was given.

    Consumes ``arrivals`` and ``parts``: each source is released once placed. The peak is
    the sources, the ranks and the columns merged so far: no column is held three times
    (sources, concatenation, result), which at 100 k users set the generation's peak.
    """
    n = len(arrivals) + sum(len(part["t"]) for part in parts)
    time_s = np.concatenate([arrivals.time_s, *(part.pop("t") for part in parts)])
    arrivals.time_s = None
    order = time_order(time_s)
    time_s = time_s[order]
    rank = np.empty_like(order)  # each concatenated row's position in time order
    for start in range(0, n, BLOCK):  # a block at a time: no other n-long temporary
        rank[order[start:start + BLOCK]] = np.arange(start, min(n, start + BLOCK))
    del order

    def column(name: str) -> np.ndarray:
        sources = [getattr(arrivals, name), *(part.pop(name) for part in parts)]
        setattr(arrivals, name, None)
        values = np.empty(n, dtype=np.result_type(*(  # np.concatenate's dtype
            np.float64 if isinstance(source, DeferredUniforms) else source for source in sources)))
        start = 0
        for k, source in enumerate(sources):
            sources[k] = None
            deferred = isinstance(source, DeferredUniforms)
            for block in source.blocks() if deferred else (source,):
                values[rank[start:start + len(block)]] = block
                start += len(block)
        return values

    merged_columns = {name: column(name) for name in ("op", "user", "pick", "u")}
    attacker = np.full(n, -1, np.int16)  # legitimate: attacker −1
    attacker[rank[:len(arrivals.attacker)]] = arrivals.attacker
    arrivals.attacker = None
    return Arrivals(time_s=time_s, attacker=attacker, signup_kinds=arrivals.signup_kinds,
                    **merged_columns)


def time_order(t: np.ndarray) -> np.ndarray:
    """``np.argsort(t, kind="stable")``, faster on times far from sorted: times ≥ 0 sort as
    their bit patterns, so one sort of packed keys (the times' high bits, then the index)
    orders them, and the few runs of keys with equal high bits are put in time order
    (stably) after it."""
    n = len(t)
    bits = max(1, (n - 1).bit_length())
    if (n < 2 or bits > 40 or np.signbit(t).any() or np.isnan(t).any()
            or np.count_nonzero(t[1:] < t[:-1]) < n // 16):
        return np.argsort(t, kind="stable")  # a few sorted runs: a merge sort is faster
    shift = np.uint64(bits)
    keys = t.view(np.uint64) >> shift
    keys <<= shift
    for start in range(0, n, BLOCK):  # the index, a block at a time (no n-long temporary)
        keys[start:start + BLOCK] |= np.arange(start, min(n, start + BLOCK), dtype=np.uint64)
    keys.sort()
    same = np.empty(n - 1, dtype=np.bool_)  # equal high bits, a block at a time
    for start in range(0, n - 1, BLOCK):
        end = min(n - 1, start + BLOCK)
        np.less(keys[start + 1:end + 1] ^ keys[start:end], np.uint64(1 << bits),
                out=same[start:end])
    keys &= np.uint64((1 << bits) - 1)
    order = keys.view(np.int64)
    if same.any():
        tied = np.zeros(n, dtype=np.bool_)
        tied[1:] = same
        tied[:-1] |= same
        k = np.flatnonzero(tied)
        starts = np.ones(len(k), dtype=np.bool_)  # k starts a run of equal high bits
        starts[1:] = ~same[k[1:] - 1]
        rows = order[k]
        order[k] = rows[np.lexsort((rows, t[rows], np.cumsum(starts)))]
    return order


BLOCK = 1 << 20
"""Rows a temporary of :func:`merged` and :func:`time_order` covers at once."""


def _merged_draws(generators: list[np.random.Generator], bounds: np.ndarray,
                  order: np.ndarray) -> np.ndarray:
    """Source ``k``'s next ``bounds[k + 1] − bounds[k]`` uniforms from ``generators[k]``,
    all sources merged into time order by ``order``."""
    draws = np.empty(bounds[-1])
    for rng, start, end in zip(generators, bounds[:-1], bounds[1:], strict=True):
        rng.random(out=draws[start:end])
    return draws[order]


def picked_users(op: np.ndarray, pick: np.ndarray, population: int) -> np.ndarray:
    """Who acts (see the module docstring): ``⌊pick × pool⌋``, where the pool is the
    initial users plus the ids reserved by earlier sign-ups; the k-th sign-up reserves
    ``population + k``; M2M requests have no user (−1). Computed in place (one int64
    array, no float64 temporary)."""
    signup = op == OP_CODE["sign_up"]
    user = np.cumsum(signup, dtype=np.int64)
    user -= signup
    user += population  # the pool's size; at a sign-up row, its reserved id
    np.multiply(pick, user, out=user, where=~signup, casting="unsafe")  # truncates, as astype
    user[op == OP_CODE["m2m_token"]] = -1
    return user
