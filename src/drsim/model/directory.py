"""The user directory, columnar: one row per user in numpy arrays, one replica per region.

Per user (static, drawn once from the ``users`` and ``clients`` streams): MFA
kind, federated or not and whether the user signed in to the primary before,
whether the user's relying party pins the issuer, the client kind, the
effective DNS caching period of the user's resolver and its phase, the home
region used by latency/weighted routing.

Truth (what has been acknowledged anywhere): newest credential and profile
versions, the session (issuing region, issue time: −inf when there is none or it
was revoked; it expires ``sessions.refresh_token`` after its issue).

Per region replica: exists, credential version (−1: imported without a
password hash), profile version, time of the newest applied revocation,
disabled. Versions count acknowledged writes of that user (0 at start).
About 86 bytes per user with two regions.

``varied`` marks the users whose replicas may no longer all hold the start state
(present, enabled, never revoked, credential and profile at version 0 as the
truth): the vectorised rules read the replicas of those only. It is set where a
write is acknowledged, before the write can reach any replica, and never
cleared; a user created by a sign-up, or absent from some replica at the start,
is varied from the start.
"""

from __future__ import annotations

from array import array

import numpy as np

from drsim.model.distributions import below, categories, sample
from drsim.model.homes import draw_client_kinds
from drsim.model.streams import DeferredUniforms, Streams
from drsim.scenario.schema import ClampTtl, ExtendTtl, HonourTtl, PinAnswer, Scenario

MFA_KINDS = ("none", "sms", "email", "totp")

def raw(values: np.ndarray) -> memoryview:
    """``values`` as a column: a memoryview of them (booleans as int8), no copy. Scalar
    access through it is as fast as a Python ``array``'s in the request loop (≈ 25 ns);
    vector operations use :func:`view`, which shares the same memory.
    """
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        values = values.view(np.int8)
    return memoryview(values)


_DTYPES = {"b": np.int8, "h": np.int16, "i": np.int32, "q": np.int64, "d": np.float64}


def view(stored: memoryview | array | bytearray) -> np.ndarray:
    """A numpy view (no copy) of a column: a :func:`raw` one, a Python ``array`` (the
    logs that grow), or a bytearray (a column of uint8)."""
    if isinstance(stored, memoryview):
        return np.asarray(stored)
    if isinstance(stored, bytearray):
        return np.frombuffer(stored, dtype=np.uint8)
    return np.frombuffer(stored, dtype=_DTYPES[stored.typecode])

MFA_SMS, MFA_EMAIL, MFA_TOTP = 1, 2, 3
NO_HASH = -1


class Directory:
    """Columnar user store for one run.

    Columns are memoryviews of numpy arrays (:func:`raw`: fast scalar access in the
    request loop); :func:`view` gives the numpy array of any of them for vector work.

    Args:
        scenario: The scenario.
        streams: The run's random streams.
        capacity: Rows to allocate (initial population + possible sign-ups).
        signup_kinds: The client kind of each sign-up's user, in sign-up order, when the
            traffic decided it (client kinds with time zones); else drawn like the others.
    """

    def __init__(self, scenario: Scenario, streams: Streams, capacity: int,
                 signup_kinds: np.ndarray | None = None) -> None:
        users = scenario.users
        self.population = population = users.population
        self.capacity = capacity
        self.created = 0  # users created by sign-ups so far
        self.born = bytearray(b"\x01" * population + bytes(capacity - population))
        rng = streams.get("users")
        mix = users.mfa
        shares = _normalised([mix.none, mix.sms, mix.email, mix.totp])
        self.mfa = raw(categories(rng, shares, capacity))
        self.federated = raw(rng.random(capacity) < users.federated)
        fed_seen = rng.random(capacity) < users.federated_seen_on_primary
        fed_seen[population:] = False
        self.fed_seen = raw(fed_seen)
        self.pins_issuer = raw(below(rng, scenario.sessions.issuer_pinning, capacity))
        # Read during a DNS outage only: drawn then (8 B per user otherwise not held).
        self._stale_draws: DeferredUniforms | None = DeferredUniforms(rng, capacity)
        self._stale_draw: memoryview | None = None

        self._draw_clients(scenario, streams.get("clients"), capacity, signup_kinds)

        # Truth: what has been acknowledged anywhere.
        self.newest_cred = raw(np.zeros(capacity, dtype=np.int32))
        self.newest_profile = raw(np.zeros(capacity, dtype=np.int32))
        sessions = scenario.sessions
        has_session = below(rng, users.with_session, capacity)
        has_session[population:] = False
        age = rng.uniform(0.0, sessions.refresh_token, capacity)
        # When the user's refresh token was issued; −inf: none, or revoked (signed out).
        self.session_issued = raw(np.where(has_session, -age, -np.inf))
        primary = _authority_at_start(scenario)
        self.session_region = raw(np.full(capacity, primary, dtype=np.int8))

        # One replica per region.
        mode = scenario.replication.mode
        self.exists: list[memoryview] = []
        self.cred: list[memoryview] = []
        self.profile: list[memoryview] = []
        self.revoked_at: list[memoryview] = []
        self.disabled: list[memoryview] = []
        uniform = True  # every replica holds every initial user, with a password hash
        for r, region in enumerate(scenario.regions):
            exists = np.zeros(capacity, dtype=np.int8)
            cred = np.zeros(capacity, dtype=np.int32)
            holds_users = (
                r == primary or region.role == "peer" or mode in ("async", "sync", "periodic_export")
            )
            if holds_users:
                exists[:population] = 1
            if mode == "periodic_export" and r != primary and region.role != "peer":
                cred[:] = NO_HASH
                uniform = False
            uniform &= holds_users
            self.exists.append(raw(exists))
            self.cred.append(raw(cred))
            self.profile.append(raw(np.zeros(capacity, dtype=np.int32)))
            self.revoked_at.append(raw(np.full(capacity, -np.inf)))
            self.disabled.append(raw(np.zeros(capacity, dtype=np.int8)))
        varied = np.ones(capacity, dtype=np.int8)
        if uniform:
            varied[:population] = 0
        self.varied = raw(varied)

    def _draw_clients(self, scenario: Scenario, rng: np.random.Generator, capacity: int,
                      signup_kinds: np.ndarray | None) -> None:
        kinds = scenario.clients
        client = draw_client_kinds(scenario, rng, capacity)
        if signup_kinds is not None:
            client[self.population:self.population + len(signup_kinds)] = signup_kinds
        ttl = scenario.dns.ttl
        period = np.empty(capacity)
        longest = np.zeros(len(kinds))
        for index, kind in enumerate(kinds):
            mine = np.flatnonzero(client == index)  # positions: the kinds are interleaved
            count = len(mine)
            behaviour = kind.dns
            if isinstance(behaviour, HonourTtl):
                values = np.full(count, ttl)
            elif isinstance(behaviour, ClampTtl):
                values = np.full(count, max(ttl, behaviour.min_ttl))
            elif isinstance(behaviour, ExtendTtl):
                values = ttl + sample(behaviour.extra, rng, count)
            elif isinstance(behaviour, PinAnswer):
                values = sample(behaviour.keep_for, rng, count)
            else:  # pragma: no cover - the schema admits nothing else
                raise TypeError(behaviour)
            period[mine] = np.maximum(values, 1e-3)
            longest[index] = period[mine].max(initial=0.0)  # NaN if one is
        finite = np.isfinite(period)
        phase = np.where(finite, rng.random(capacity) * np.where(finite, period, 0.0), -1.0)
        names = scenario.region_names
        homed = scenario.dns.routing == "latency" or (
            scenario.dns.routing == "failover"
            and any(kind != "failover" for kind in scenario.dns.endpoints.values()))
        if homed:
            homes = np.array([names.index(k.home) if k.home else 0 for k in kinds], dtype=np.int8)
            home = homes[client]
        elif scenario.dns.routing == "weighted":
            weights = scenario.dns.weights or {}
            p = _normalised([weights.get(name, 0.0) for name in names])
            home = categories(rng, p, capacity)
        else:
            home = np.zeros(capacity, dtype=np.int8)
        self.client = raw(client)
        self.dns_period = raw(period)
        # Per client kind, its users' longest DNS caching period: most kinds have one
        # period for all, so a check against it reads a user's kind (one byte), not the
        # user's period (eight).
        self.longest_period = longest
        self.dns_phase = raw(phase)
        self.home = raw(home)

    def copy_replica(self, source: int, target: int) -> None:
        """Make ``target``'s replica identical to ``source``'s (resync)."""
        for column in (self.exists, self.cred, self.profile, self.revoked_at, self.disabled):
            view(column[target])[:] = view(column[source])

    def merge_replica(self, source: int, target: int) -> None:
        """Bring ``source``'s changes into ``target`` without erasing what only it holds.

        Users existing in either exist; the newer credential and profile versions win
        (an imported user's missing hash never overwrites a real one); disables and
        revocations add up.
        """
        view(self.exists[target])[:] |= view(self.exists[source])
        for column in (self.cred, self.profile, self.revoked_at):
            np.maximum(view(column[target]), view(column[source]), out=view(column[target]))
        view(self.disabled[target])[:] |= view(self.disabled[source])

    @property
    def stale_draw(self) -> memoryview:
        """Each user's draw: below a DNS outage's serve-stale share, its resolver serves
        the answer it holds (drawn on first use, as at the start)."""
        if self._stale_draw is None:
            self._stale_draw = raw(self._stale_draws.values())
            self._stale_draws = None
        return self._stale_draw

    def nbytes(self) -> int:
        """Memory held by the directory's columns (bytes)."""
        total = 0
        for value in vars(self).values():
            columns = value if isinstance(value, list) else [value]
            total += sum(memoryview(c).nbytes for c in columns
                         if isinstance(c, memoryview | array | bytearray))
        return total


def _normalised(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    total = array.sum()
    return array / total if total > 0 else np.full(len(array), 1.0 / len(array))


def _authority_at_start(scenario: Scenario) -> int:
    roles = [r.role for r in scenario.regions]
    return roles.index("primary") if "primary" in roles else 0
