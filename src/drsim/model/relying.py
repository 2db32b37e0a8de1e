"""Relying parties: which API calls with valid tokens are rejected, computed after the run.

The data plane issues tokens (successful sign-ins and refreshes in the ``requests``
table); relying parties only read them, so their validation is a vectorised pass over
the records and the fault schedule, with no effect on the data plane (docs/model.md,
"Relying parties"). The pass:

1. **Token segments**: each successful sign-in, federated sign-in or refresh of a
   legitimate user issues a token, live from its issuance until the user's next one,
   a sign-out, its expiry (``access_token + access_token_spread``) or the run's end.
   A user whose first token in the run comes from a refresh held a token issued one
   ``access_token`` earlier (sessions in progress at t = 0), live from 0.
2. **Keys**: the key that signs each token is the one signing at its issuance; each
   key has the times it is published (``signing_key_removed`` cuts a hole, a rotation
   ends the old key's publication ``duration`` after ``start``) and until when it is
   valid (a rotated key retires with its publication, a removed one stays valid).
3. **Relying parties**: each fetches the key set at a uniform phase every TTL (or
   restart interval; never for ``forever``), and with ``refresh_on_unknown_key`` also
   at the first call carrying a key it lacks (at most every ``refetch_interval``). It
   rejects a valid key over each stretch whose last fetch did not publish it.
4. **Calls**: a token holder calls at rate ``calls``, each call to a uniform relying
   party, so the calls a relying party gets over a stretch are Poisson with mean
   ``calls / count`` × the live tokens' time in it. Causes are checked in the order a
   JWT handler does: key (signature), then issuer, then clock (issued-at, expiry).

Everything is counted as an expected number of calls, then drawn once per cause from
Poisson (thinning a Poisson stream is exact), from the stream ``relying_parties``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from drsim.model.distributions import sample
from drsim.model.streams import Streams
from drsim.records import OP_CODE, OUTCOME_CODE
from drsim.scenario.schema import (
    ClockSkew,
    RelyingParties,
    Scenario,
    SigningKeyRemoved,
    SigningKeyRotated,
)

TOKEN_OPERATIONS = ("sign_in", "federated_sign_in", "refresh")
"""Operations whose success issues an access token."""

CAUSES = ("unknown_key", "issuer", "clock_skew")
"""Why a relying party rejects a valid token, in the order a JWT handler checks."""


@dataclass
class Key:
    """One signing key: signs tokens issued in [signs_from, signs_until), is valid until
    ``valid_until`` and is published over ``published`` (half-open intervals)."""

    signs_from: float
    signs_until: float = math.inf
    valid_until: float = math.inf
    published: list[tuple[float, float]] = field(default_factory=lambda: [(-math.inf, math.inf)])

    def is_published(self, t: np.ndarray) -> np.ndarray:
        """Whether a key set fetched at each ``t`` holds this key."""
        inside = np.zeros(len(t), dtype=bool)
        for lo, hi in self.published:
            inside |= (t >= lo) & (t < hi)
        return inside


@dataclass
class RelyingOutcome:
    """The relying parties' view of one replication."""

    rejections: dict[str, int]  # rejected calls with valid tokens, by cause
    expected: dict[str, float]  # their expectations (before the Poisson draw)
    rejecting_s: np.ndarray  # per relying party: time spent rejecting a valid key (s)
    calls: float  # expected API calls in the run


def signing_keys(scenario: Scenario) -> list[Key]:
    """The keys of the run from the signing-key faults, in order of their start."""
    keys = [Key(signs_from=-math.inf)]
    faults = [f for f in scenario.faults if isinstance(f, SigningKeyRotated | SigningKeyRemoved)]
    for fault in sorted(faults, key=lambda f: f.start):
        current = keys[_signing_index(keys, fault.start)]
        if isinstance(fault, SigningKeyRotated):
            end = fault.start + fault.duration
            current.signs_until = fault.start
            current.valid_until = end
            current.published = [(lo, min(hi, end)) for lo, hi in current.published if lo < end]
            keys.append(Key(signs_from=fault.start,
                            published=[(fault.start - fault.published_ahead, math.inf)]))
        else:
            cut_lo, cut_hi = fault.start, fault.start + fault.duration
            current.published = [piece for lo, hi in current.published
                                 for piece in ((lo, min(hi, cut_lo)), (max(lo, cut_hi), hi))
                                 if piece[0] < piece[1]]
    return keys


def _signing_index(keys: list[Key], t: float) -> int:
    starts = [k.signs_from for k in keys]
    return int(np.searchsorted(starts, t, side="right")) - 1


def token_segments(scenario: Scenario, requests: pd.DataFrame) -> pd.DataFrame:
    """Every token of the run: ``issued_s`` (its issuance), ``start_s``/``end_s`` (while
    it is live in the run) and ``region`` (the issuing region's index)."""
    sessions = scenario.sessions
    legit = ~requests["attacker"].to_numpy() & (
        requests["outcome"].cat.codes.to_numpy() == OUTCOME_CODE["ok"])
    op = requests["op"].cat.codes.to_numpy()
    token_codes = [OP_CODE[o] for o in TOKEN_OPERATIONS]
    rows = np.flatnonzero(legit & np.isin(op, [*token_codes, OP_CODE["sign_out"]]))
    t = requests["time_s"].to_numpy(np.float64)[rows]
    user = requests["user"].to_numpy(np.int64)[rows]
    order = np.argsort(user, kind="stable")  # the table is in time order already
    t, user, op = t[order], user[order], op[rows][order]
    is_token = np.isin(op, token_codes)
    region = requests["region"].cat.codes.to_numpy()[rows][order]
    same_next = np.append(user[1:] == user[:-1], False)
    nxt = np.where(same_next, np.append(t[1:], math.inf), math.inf)
    life = sessions.access_token + sessions.access_token_spread
    end = np.minimum(np.minimum(nxt, t + life), scenario.run.duration)
    first = np.append(True, user[1:] != user[:-1])
    carried = first & (op == OP_CODE["refresh"])
    primary = _primary_index(scenario)
    issued = np.concatenate([t[is_token], t[carried] - sessions.access_token])
    return pd.DataFrame({
        "issued_s": issued,
        "start_s": np.concatenate([t[is_token], np.zeros(int(carried.sum()))]),
        "end_s": np.concatenate([end[is_token], t[carried]]),
        "region": np.concatenate([region[is_token], np.full(int(carried.sum()), primary)]),
    })


def _primary_index(scenario: Scenario) -> int:
    roles = [r.role for r in scenario.regions]
    return roles.index("primary") if "primary" in roles else 0


def relying_party_outcome(scenario: Scenario, requests: pd.DataFrame,
                          replication: int) -> RelyingOutcome | None:
    """The relying parties' rejections of one replication (None without relying parties)."""
    rp = scenario.relying_parties
    if rp is None:
        return None
    rng = Streams(scenario.run.seed, replication).get("relying_parties")
    duration = float(scenario.run.duration)
    fetches = _fetch_schedules(rp, rng, duration)
    share = (rp.accept_secondary_issuer if rp.accept_secondary_issuer is not None
             else 1.0 - scenario.sessions.issuer_pinning)
    rejects_issuer = rng.random(rp.count) >= share
    keys = signing_keys(scenario)
    tokens = token_segments(scenario, requests)
    key_of = np.searchsorted([k.signs_from for k in keys], tokens["issued_s"].to_numpy(),
                             side="right") - 1
    stretches = [_rejecting_stretches(f, keys, rp, duration) for f in fetches]
    other = tokens["region"].to_numpy() != _primary_index(scenario)
    skewed = _skewed_segments(scenario, rp, tokens)
    expected = dict.fromkeys(CAUSES, 0.0)
    per_call = rp.calls / rp.count
    for k in range(len(keys)):
        mine = key_of == k
        for cls, rejecting in ((~other, np.zeros(rp.count, bool)), (other, rejects_issuer)):
            sel = mine & cls
            live = _LiveTime(tokens["start_s"].to_numpy()[sel], tokens["end_s"].to_numpy()[sel])
            key_time = np.array([live.over(s, k) for s in stretches])
            expected["unknown_key"] += per_call * key_time.sum()
            expected["issuer"] += per_call * (live.total * rejecting.sum()
                                              - key_time[rejecting].sum())
            skew = _LiveTime(*(a[sel] for a in skewed))
            skew_key = np.array([skew.over(s, k) for s in stretches])
            accepted = ~rejecting
            expected["clock_skew"] += per_call * (skew.total * accepted.sum()
                                                  - skew_key[accepted].sum())
    rejections = {c: int(rng.poisson(max(expected[c], 0.0))) for c in CAUSES}
    lengths = np.array([_union_length(s, duration) for s in stretches])
    live_s = float(np.sum(np.maximum(tokens["end_s"].to_numpy() - tokens["start_s"].to_numpy(),
                                     0.0)))
    return RelyingOutcome(rejections, expected, lengths, rp.calls * live_s)


def _fetch_schedules(rp: RelyingParties, rng: np.random.Generator,
                     duration: float) -> list[np.ndarray]:
    """Each relying party's key-set fetches: the last one before the run (−inf: long
    before), then every interval from a uniform phase."""
    shares = np.array([c.share for c in rp.jwks_caches])
    kinds = rng.choice(len(shares), size=rp.count, p=shares / shares.sum())
    interval = np.empty(rp.count)
    for i, cache in enumerate(rp.jwks_caches):
        spec = cache.restart if cache.ttl == "forever" and cache.restart is not None else cache.ttl
        interval[kinds == i] = sample(spec, rng, int(np.count_nonzero(kinds == i)))
    phase = rng.random(rp.count)
    out = []
    for gap, u in zip(interval, phase, strict=True):
        if not math.isfinite(gap) or gap <= 0:
            out.append(np.array([-math.inf]))
            continue
        first = u * gap
        grid = first + gap * np.arange(int(math.ceil((duration - first) / gap)) + 1)
        out.append(np.concatenate([[first - gap], grid[grid < duration]]))
    return out


def _rejecting_stretches(fetches: np.ndarray, keys: list[Key], rp: RelyingParties,
                         duration: float) -> list[list[tuple[float, float]]]:
    """Per key, the stretches over which this relying party rejects it while it is valid
    (its last fetch did not publish it); with refresh_on_unknown_key, the first call
    carrying the key fetches again (approximated by the stretch's start), at most every
    refetch_interval."""
    stretches = _stretches(fetches, keys, duration)
    if not rp.refresh_on_unknown_key:
        return stretches
    extra: list[float] = []
    now, last = -math.inf, -math.inf
    while True:
        pending = [(s, e) for per_key in stretches for s, e in per_key if e > now]
        if not pending:
            return stretches
        start, end = min(pending)
        refetch = max(start, last + rp.refetch_interval, now)
        if refetch < end:
            extra.append(refetch)
            last = now = refetch
            merged = np.sort(np.concatenate([fetches, extra]))
            stretches = _stretches(merged, keys, duration)
        else:
            now = end


def _stretches(fetches: np.ndarray, keys: list[Key],
               duration: float) -> list[list[tuple[float, float]]]:
    """Per key, ``[(start, end)]`` over which the cache (from the last fetch) lacks it
    while it is valid and signs or has signed tokens."""
    nxt = np.append(fetches[1:], duration)
    out = []
    for key in keys:
        lacks = ~key.is_published(fetches)
        lo = np.maximum(np.maximum(fetches, key.signs_from), 0.0)
        hi = np.minimum(np.minimum(nxt, key.valid_until), duration)
        keep = lacks & (hi > lo)
        out.append(list(zip(lo[keep].tolist(), hi[keep].tolist(), strict=True)))
    return out


def _union_length(stretches: list[list[tuple[float, float]]], duration: float) -> float:
    """Total time covered by any of the stretches, within the run."""
    spans = sorted((max(s, 0.0), min(e, duration)) for per_key in stretches for s, e in per_key)
    total, reach = 0.0, -math.inf
    for s, e in spans:
        if e > max(s, reach):
            total += e - max(s, reach)
            reach = e
    return total


def _skewed_segments(scenario: Scenario, rp: RelyingParties,
                     tokens: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per token, the part of its live segment a correct clock rejects because the issuing
    region's clock was off at issuance (empty: start = end)."""
    issued = tokens["issued_s"].to_numpy()
    start, end = tokens["start_s"].to_numpy(), tokens["end_s"].to_numpy()
    lo, hi = np.zeros(len(issued)), np.zeros(len(issued))
    life = scenario.sessions.access_token
    for fault in scenario.faults:
        if not isinstance(fault, ClockSkew) or fault.offset <= rp.leeway:
            continue
        hit = ((tokens["region"].to_numpy() == scenario.region_index(fault.region))
               & (issued >= fault.start) & (issued < fault.start + fault.duration))
        beyond = fault.offset - rp.leeway
        if fault.direction == "ahead":
            lo[hit], hi[hit] = issued[hit], issued[hit] + beyond
        else:
            lo[hit], hi[hit] = issued[hit] + life - beyond, issued[hit] + life
    lo, hi = np.maximum(lo, start), np.minimum(hi, end)
    return lo, np.maximum(hi, lo)


class _LiveTime:
    """Token-seconds of a set of live segments over any stretch, in O(log n) each:
    ∫ n(t) dt over [s, e) = G(e) − G(s), G(x) = Σ (min(x, end) − min(x, start))."""

    def __init__(self, start: np.ndarray, end: np.ndarray) -> None:
        keep = end > start
        self.start, self.end = np.sort(start[keep]), np.sort(end[keep])
        self.cum_start = np.concatenate([[0.0], np.cumsum(self.start)])
        self.cum_end = np.concatenate([[0.0], np.cumsum(self.end)])
        self.total = float(self.cum_end[-1] - self.cum_start[-1])

    def _g(self, x: np.ndarray) -> np.ndarray:
        def part(sorted_: np.ndarray, cum: np.ndarray) -> np.ndarray:
            below = np.searchsorted(sorted_, x, side="right")
            return cum[below] + x * (len(sorted_) - below)
        return part(self.end, self.cum_end) - part(self.start, self.cum_start)

    def over(self, stretches: list[list[tuple[float, float]]], key: int) -> float:
        """Token-seconds within this relying party's stretches for ``key``."""
        if not stretches[key] or not len(self.start):
            return 0.0
        spans = np.array(stretches[key], dtype=np.float64)
        return float(np.sum(self._g(spans[:, 1]) - self._g(spans[:, 0])))
