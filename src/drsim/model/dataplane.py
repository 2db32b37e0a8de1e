"""The data plane: every request served, in time order, against the control timeline.

Requests are records, not processes. First attempts come from the arrival
arrays; retries, token replays and replication applies are items of one
time-ordered heap; control actions (promotion cut, failback, export snapshot,
rejoin) come from the control timeline. The control state is constant within an
epoch, so serving a request is a few look-ups: route → region state → quota →
role → user state → outcome. Every attempt ends in exactly one outcome cause.

:meth:`DataPlane._serve` is the one-at-a-time reference; batches
(:meth:`DataPlane._serve_batch`) serve most requests vectorised and reproduce it
exactly (see docs/model.md).
"""

from __future__ import annotations

import bisect
import heapq
import math
from array import array
from dataclasses import dataclass

import numpy as np

from drsim.model.control import DOWN, ControlTimeline, Epoch
from drsim.model.directory import (
    MFA_EMAIL,
    MFA_SMS,
    MFA_TOTP,
    NO_HASH,
    Directory,
    Router,
    view,
)
from drsim.model.lockout import LockoutTable
from drsim.model.replication import Channel, LagSampler
from drsim.model.streams import Streams
from drsim.model.traffic import Arrivals, attacker_targets
from drsim.records import OP_CODE, OUTCOME_CODE, WRITE_KINDS
from drsim.scenario.schema import Scenario

_CODE = OUTCOME_CODE
OK = _CODE["ok"]
REGION_DOWN = _CODE["region_down"]
REGION_ERROR = _CODE["region_error"]
READ_ONLY = _CODE["read_only"]
NOT_FOUND = _CODE["user_not_found"]
STALE_CRED = _CODE["stale_credential"]
RESET_REQUIRED = _CODE["password_reset_required"]
MFA_UNSUPPORTED = _CODE["mfa_unsupported"]
LOCKED = _CODE["locked_out"]
WRONG_PASSWORD = _CODE["wrong_password"]
THROTTLED = _CODE["throttled"]
TOKEN_REJECTED = _CODE["token_rejected"]
IDP_DOWN = _CODE["idp_unavailable"]
KMS_DOWN = _CODE["kms_unavailable"]
DNS_DOWN = _CODE["dns_unavailable"]
SYNC_DOWN = _CODE["sync_unavailable"]
DISABLED = _CODE["user_disabled"]

SIGN_IN = OP_CODE["sign_in"]
FEDERATED = OP_CODE["federated_sign_in"]
REFRESH = OP_CODE["refresh"]
SIGN_UP = OP_CODE["sign_up"]
PROFILE_READ = OP_CODE["profile_read"]
PROFILE_UPDATE = OP_CODE["profile_update"]
PASSWORD_CHANGE = OP_CODE["password_change"]
SIGN_OUT = OP_CODE["sign_out"]
ADMIN_DISABLE = OP_CODE["admin_disable"]
M2M = OP_CODE["m2m_token"]
GUESS = OP_CODE["guess"]
REPLAY_REFRESH = OP_CODE["replay_refresh"]
REPLAY_OLD_PASSWORD = OP_CODE["replay_old_password"]
REPLAY_DISABLED = OP_CODE["replay_disabled"]

WRITE_OPS = frozenset({SIGN_UP, PROFILE_UPDATE, PASSWORD_CHANGE, SIGN_OUT, ADMIN_DISABLE})
READ_OPS = (SIGN_IN, FEDERATED, REFRESH, PROFILE_READ, M2M)
"""Operations the batch path serves vectorised in every mode (they change only the user's
session); writes are vectorised too except under synchronous replication."""
REPLAYED_OPS = (PASSWORD_CHANGE, SIGN_OUT, ADMIN_DISABLE)
"""Writes a token-replay attacker reacts to (served one at a time when there is one)."""
QUOTA_CATEGORY = {
    SIGN_IN: "sign_in",
    FEDERATED: "federation",
    REFRESH: "token",
    SIGN_UP: "sign_up",
    PROFILE_READ: "user_read",
    PROFILE_UPDATE: "user_update",
    PASSWORD_CHANGE: "recovery",
    SIGN_OUT: "user_update",
    ADMIN_DISABLE: "user_update",
    M2M: "token",
    GUESS: "sign_in",
    REPLAY_REFRESH: "token",
    REPLAY_OLD_PASSWORD: "sign_in",
    REPLAY_DISABLED: "sign_in",
}
KIND_USER, KIND_CRED, KIND_PROFILE, KIND_REVOCATION, KIND_DISABLE = range(len(WRITE_KINDS))
IS_WRITE = np.zeros(len(OP_CODE), dtype=np.bool_)
IS_WRITE[list(WRITE_OPS)] = True
KIND_OF_OP = np.zeros(len(OP_CODE), dtype=np.int8)
KIND_OF_OP[[SIGN_UP, PASSWORD_CHANGE, PROFILE_UPDATE, SIGN_OUT, ADMIN_DISABLE]] = [
    KIND_USER, KIND_CRED, KIND_PROFILE, KIND_REVOCATION, KIND_DISABLE]

# Heap item priorities at equal times: applies before requests.
P_APPLY, P_REQUEST = 1, 2


@dataclass
class DataPlaneOutput:
    """Raw columns produced by the data plane (turned into tables by the model)."""

    time_s: np.ndarray
    op: np.ndarray
    user: np.ndarray
    client: np.ndarray
    attacker: np.ndarray
    region: np.ndarray
    outcome: np.ndarray
    attempt: np.ndarray
    order_key: np.ndarray  # at equal times: heap items by push order, then arrivals
    stale_index: np.ndarray
    staleness_s: np.ndarray
    extra_guess_index: np.ndarray
    shadow_locked_index: np.ndarray
    writes: dict[str, np.ndarray]
    locks: list[tuple[int, str, float, float]]
    users_created: int


class BatchAssumptionBroken(RuntimeError):
    """A batch's no-throttling guarantee did not hold: the run is redone one request at a time."""


class TokenBucket:
    """A per-region, per-category request quota."""

    __slots__ = ("rate", "capacity", "tokens", "last")

    def __init__(self, rate: float, depth_s: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * depth_s)
        self.tokens = self.capacity
        self.last = 0.0

    def take(self, t: float) -> bool:
        tokens = self.tokens + (t - self.last) * self.rate
        if tokens > self.capacity:
            tokens = self.capacity
        self.last = t
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            return True
        self.tokens = tokens
        return False

    def _lindley(self, times: np.ndarray) -> np.ndarray:
        """Capacity minus the tokens each take would find (none refused)."""
        deficit0 = self.capacity - self.tokens - 1.0
        cumulative = np.cumsum(1.0 - self.rate * np.diff(times, prepend=self.last))
        return cumulative - np.minimum(np.minimum.accumulate(cumulative), -deficit0)

    def book(self, times: np.ndarray) -> bool:
        """Take one token at each of these sorted times; False if one would have been refused."""
        deficits = self._lindley(times)
        if self.capacity - deficits.max() < 1.0 - 1e-9:
            return False
        self.tokens = float(self.capacity - deficits[-1] - 1.0)
        self.last = float(times[-1])
        return True

    def keeps(self, times: np.ndarray, margin: float) -> bool:
        """Whether takes at these sorted times would all find ≥ 1 + ``margin`` tokens."""
        if not len(times):
            return True
        start = min(self.capacity, self.tokens + (times[0] - self.last) * self.rate)
        if start - len(times) >= margin:  # enough even without refill
            return True
        return float(self.capacity - self._lindley(times).max()) >= 1.0 + margin


_MASK64 = (1 << 64) - 1


def mix64(x: int) -> int:
    """SplitMix64's finaliser: a well-mixed 64-bit integer from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def unit(key: int) -> float:
    """A uniform draw in [0, 1) that depends on ``key`` only (counter-based randomness)."""
    return (mix64(key) >> 11) * 2.0**-53


def mix64_many(x: np.ndarray) -> np.ndarray:
    """:func:`mix64` of a uint64 array (wrapping arithmetic gives the same bits)."""
    x = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def unit_many(keys: np.ndarray, salt: int) -> np.ndarray:
    """:func:`unit` of ``key ^ salt`` for a uint64 array of keys."""
    mixed = mix64_many(keys.astype(np.uint64) ^ np.uint64(salt))
    return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53


_NP_OF = {"d": np.float64, "b": np.int8, "q": np.int64, "h": np.int16}


class DataPlane:
    """Serves every request of one replication.

    Args:
        batch: Serve vectorisable requests in batches (default). ``False`` serves
            every request one at a time: the reference that batching reproduces
            exactly (tests compare the two).
    """

    MAX_BATCH = 65536  # arrivals per batch, at most (see batch_size)
    MAX_SPAN_S = 240.0  # simulated seconds per batch
    MIN_BATCH = 48  # fewer arrivals than this: not worth the vector overhead
    QUOTA_MARGIN = 3.0  # tokens kept free for retries and replays born inside a batch

    def __init__(self, scenario: Scenario, streams: Streams, control: ControlTimeline,
                 arrivals: Arrivals, directory: Directory, router: Router,
                 batch: bool = True) -> None:
        self.s = scenario
        self.control = control
        self.arrivals = arrivals
        self.d = directory
        self.router = router
        self.batch = batch
        self.n_regions = n = len(scenario.regions)
        roles = [r.role for r in scenario.regions]
        self.is_secondary = [role == "secondary" for role in roles]
        self.is_secondary_np = np.array(self.is_secondary, dtype=np.bool_)
        self.primary_role = roles.index("primary") if "primary" in roles else 0
        self.mode = scenario.replication.mode
        self.horizon = scenario.run.duration
        self.salt = int(streams.get("dynamic").integers(1, 1 << 62))

        categories = sorted(set(QUOTA_CATEGORY.values()))
        self.buckets = [
            [TokenBucket(getattr(region.quotas, c), region.quotas.burst) for c in categories]
            for region in scenario.regions
        ]
        category_of_op = np.array([categories.index(QUOTA_CATEGORY[op])
                                   for op in range(len(OP_CODE))], dtype=np.int64)
        self.category_of_op = category_of_op
        self.n_categories = len(categories)
        self.bucket_of = [
            {op: self.buckets[r][category_of_op[op]] for op in QUOTA_CATEGORY} for r in range(n)
        ]

        # Lockout: real counters (per region or shared) and the shadow global counter.
        self.locks: list[tuple[int, str, float, float]] = []
        policy = scenario.lockout
        shared = policy.scope == "global"
        scopes = ["shared"] if shared else [*scenario.region_names, "global"]
        self.lockout = LockoutTable(policy, scopes, self.locks, directory.capacity)
        self.own_scope = np.zeros(n, np.int64) if shared else np.arange(n)  # each region's
        self.shadow_scope = -1 if shared else n
        self.counters = [self.lockout.scope(int(x)) for x in self.own_scope]
        self.shadow = None if shared else self.lockout.scope(n)

        # Replication channels source → target (async only).
        data = scenario.replication.data
        self.ships = {
            KIND_USER: data.users,
            KIND_CRED: data.credentials,
            KIND_PROFILE: data.profiles,
            KIND_REVOCATION: data.revocations,
            KIND_DISABLE: data.revocations,
        }
        self.channels: dict[tuple[int, int], Channel] = {}
        if self.mode == "async":
            for a in range(n):
                for b in range(n):
                    if a != b:
                        self.channels[(a, b)] = Channel(
                            control.channel_pauses(a, b, self.horizon),
                            scenario.replication.throughput,
                        )
        self.lag = LagSampler(scenario.replication.lag, streams.get("lag"))
        self.capped = any(c.service_s for c in self.channels.values())
        self.ships_np = np.array([self.ships[k] for k in range(len(WRITE_KINDS))], np.bool_)
        # targets_of[origin]: the other regions, in the order a commit records them
        self.targets_of = np.array([[r for r in range(n) if r != o] for o in range(n)],
                                   dtype=np.int64).reshape(n, n - 1)

        # Writes table columns.
        self.w_id = array("q")
        self.w_time = array("d")
        self.w_user = array("q")
        self.w_kind = array("b")
        self.w_origin = array("b")
        self.w_target = array("b")
        self.w_applied = array("d")
        self.w_value = array("d")
        self.w_lost = bytearray()
        self.w_conflict = bytearray()
        self.w_stuck = bytearray()
        self.w_pending: dict[int, int] = {}  # rows whose apply is still in the heap
        self.write_count = 0
        self.profile_acks: dict[int, list[float]] = {}

        # Attackers.
        self.attacker_regions = [
            list(range(n)) if a.regions == "all" else [scenario.region_index(x) for x in a.regions]
            for a in scenario.attackers
        ]
        self.attacker_turn = [0] * len(scenario.attackers)
        self.replayers = []
        for index, attacker in enumerate(scenario.attackers):
            if attacker.kind == "token_replay":
                targets = set(attacker_targets(scenario, streams, attacker).tolist())
                delays = LagSampler(attacker.replay_delay, streams.get(f"replay/{attacker.name}"))
                self.replayers.append((index, targets, self.attacker_regions[index], delays))

        batched = list(READ_OPS)
        if self.mode != "sync":
            batched += [op for op in WRITE_OPS if not (self.replayers and op in REPLAYED_OPS)]
        self.is_batched = np.zeros(len(OP_CODE), dtype=np.bool_)
        self.is_batched[batched] = True
        self.client_retry = [k.retry for k in scenario.clients]
        self.client_retry_codes = [
            frozenset(OUTCOME_CODE[c] for c in k.retry.retry_on) for k in scenario.clients
        ]
        self.heap: list[tuple] = []
        self.seq = 0
        self._epoch_cache: dict[int, dict[str, np.ndarray]] = {}
        self.take_log: list | None = None  # a batch's quota takes, booked at its end
        self.batch_commits = None  # a batch's vectorised commits not yet made (see _flush_commits)
        self.mark = np.zeros(directory.capacity, dtype=np.int8)  # scratch flags, left all 0
        self.serving: tuple = ()  # order key of the request served one at a time in a batch
        # Larger batches amortise numpy's per-call cost, but the more users appear twice
        # in a batch (served in rounds: more, smaller waves): √(4320 × population) balances
        # it (measured at 100 k and 1 M users: 4–5 % faster than half that size; 65 536
        # arrivals at 1 M users, about 220 s of the reference traffic).
        self.batch_size = int(np.clip(np.sqrt(4320.0 * directory.population), 2048,
                                      self.MAX_BATCH))
        self.retry_attempts = np.array([p.attempts for p in self.client_retry], dtype=np.int64)
        self.retry_backoff = np.array([p.backoff for p in self.client_retry])
        self.retry_jitter = np.array([p.jitter for p in self.client_retry])
        # multiplier ** attempt, computed as the scalar path computes it (bit-identical)
        self.retry_growth = np.array([[p.multiplier ** a for a in range(21)]
                                      for p in self.client_retry])
        self.retry_on = np.zeros((len(self.client_retry), len(OUTCOME_CODE)), dtype=np.bool_)
        for kind, codes in enumerate(self.client_retry_codes):
            self.retry_on[kind, list(codes)] = True

    # ------------------------------------------------------------------ helpers

    def _push(self, t: float, priority: int, payload: tuple) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, priority, self.seq, payload))

    def _record_write(self, t: float, user: int, kind: int, origin: int, target: int,
                      applied: float, value: float) -> int:
        row = len(self.w_time)
        self.w_id.append(self.write_count)
        self.w_time.append(t)
        self.w_user.append(user)
        self.w_kind.append(kind)
        self.w_origin.append(origin)
        self.w_target.append(target)
        self.w_applied.append(applied)
        self.w_value.append(value)
        self.w_lost.append(0)
        self.w_conflict.append(0)
        self.w_stuck.append(0)
        return row

    def _commit(self, t: float, user: int, kind: int, origin: int, value: float,
                epoch: Epoch) -> None:
        """Replicate an acknowledged write from ``origin`` to the other regions."""
        if self.batch_commits is not None:  # a batch's vectorised commits that come first
            self._flush_commits(self.serving)
        self._ship(t, user, kind, origin, value, epoch)

    def _ship(self, t: float, user: int, kind: int, origin: int, value: float,
              epoch: Epoch | None) -> None:
        """Record (and, asynchronously, schedule) the replication of one write."""
        n = self.n_regions
        if self.mode == "sync":
            for r in range(n):
                if r != origin and epoch.in_sync[r]:
                    self._apply(r, user, kind, value)
                    self._record_write(t, user, kind, origin, r, t, value)
            self.write_count += 1
            return
        if self.mode == "async" and self.ships[kind]:
            for r in range(n):
                if r == origin:
                    continue
                channel = self.channels[(origin, r)]
                applied = channel.apply_time(user, t, self.lag.next())
                row = self._record_write(t, user, kind, origin, r, math.nan, value)
                if applied < self.horizon:
                    self._push(applied, P_APPLY, ("apply", row))
                    self.w_pending[row] = 1
        elif n > 1 and self.mode != "none":
            for r in range(n):
                if r != origin:
                    self._record_write(t, user, kind, origin, r, math.nan, value)
        self.write_count += 1

    def _reserve(self, t: np.ndarray, user: np.ndarray, kind: np.ndarray, origin: np.ndarray,
                 value: np.ndarray) -> tuple[np.ndarray, ...]:
        """Draw the lags and take the write ids of these commits now; make them later."""
        ids = self.write_count + np.arange(len(t), dtype=np.int64)
        self.write_count += len(t)
        shipped = int(self.ships_np[kind].sum()) * (self.n_regions - 1)
        lags = self.lag.take(shipped if self.mode == "async" else 0)
        return t, user, kind, origin, value, lags, ids

    def _commit_many(self, t: np.ndarray, user: np.ndarray, kind: np.ndarray,
                     origin: np.ndarray, value: np.ndarray, lags: np.ndarray | None = None,
                     ids: np.ndarray | None = None) -> None:
        """:meth:`_commit` of each write in turn (asynchronous and unreplicated modes),
        with the lags and write ids :meth:`_reserve` took for them, if it did."""
        m, n = len(t), self.n_regions
        if ids is None:
            ids = self.write_count + np.arange(m, dtype=np.int64)
            self.write_count += m
        if n == 1 or self.mode == "none":
            return
        # One record per (write, other region), write-major like _commit.
        rows = m * (n - 1)
        r_time = np.repeat(t, n - 1)
        r_user = np.repeat(user, n - 1)
        r_origin = np.repeat(origin, n - 1)
        r_target = self.targets_of[origin].ravel()
        due = np.full(rows, math.nan)
        if self.mode == "async":
            shipped = np.flatnonzero(np.repeat(self.ships_np[kind], n - 1))
            if lags is None:
                lags = self.lag.take(len(shipped))
            for (a, b), channel in self.channels.items():
                mine = shipped[(r_origin[shipped] == a) & (r_target[shipped] == b)]
                if len(mine):
                    due[mine] = channel.apply_times(r_user[mine].tolist(), r_time[mine],
                                                    lags[np.searchsorted(shipped, mine)])
        first = len(self.w_time)
        self.w_id.frombytes(np.repeat(ids, n - 1).tobytes())
        self.w_time.frombytes(r_time.astype(np.float64).tobytes())
        self.w_user.frombytes(r_user.astype(np.int64).tobytes())
        self.w_kind.frombytes(np.repeat(kind, n - 1).astype(np.int8).tobytes())
        self.w_origin.frombytes(r_origin.astype(np.int8).tobytes())
        self.w_target.frombytes(r_target.astype(np.int8).tobytes())
        self.w_applied.frombytes(np.full(rows, math.nan).tobytes())
        self.w_value.frombytes(np.repeat(value, n - 1).astype(np.float64).tobytes())
        for flags in (self.w_lost, self.w_conflict, self.w_stuck):
            flags.extend(bytes(rows))
        # Users of vectorised commits appear once in their batch: what applies before its
        # end is applied at the end of the batch (_serve_batch); the rest waits in the heap.
        now = np.flatnonzero(due < self.batch_end)
        self.applied_in_batch.append((due[now], first + now))
        pending = np.flatnonzero((due >= self.batch_end) & (due < self.horizon))
        for k, when in zip(pending.tolist(), due[pending].tolist(), strict=True):
            self._push(when, P_APPLY, ("apply", first + k))
            self.w_pending[first + k] = 1

    def _apply(self, r: int, user: int, kind: int, value: float) -> bool:
        """Apply a change at region ``r``; False when a newer version is there (conflict)."""
        d = self.d
        if kind == KIND_USER:
            d.exists[r][user] = 1
        elif kind == KIND_CRED:
            if d.cred[r][user] > value:
                return False
            d.cred[r][user] = int(value)
        elif kind == KIND_PROFILE:
            if d.profile[r][user] > value:
                return False
            d.profile[r][user] = int(value)
        elif kind == KIND_REVOCATION:
            if d.revoked_at[r][user] < value:
                d.revoked_at[r][user] = value
        elif kind == KIND_DISABLE:
            d.disabled[r][user] = 1
        return True

    def _apply_row(self, t: float, row: int) -> None:
        """A replication record reaches its target (its heap item fired, or a flush)."""
        if self.w_pending.pop(row, None) is None:
            return  # already applied by a flush, or discarded at promotion
        applied = self._apply(self.w_target[row], self.w_user[row], self.w_kind[row],
                              self.w_value[row])
        if not applied and self.w_stuck[row]:
            self.w_conflict[row] = 1
        self.w_applied[row] = t

    def _apply_rows(self, times: np.ndarray, rows: np.ndarray, scheduled: bool = True) -> None:
        """:meth:`_apply_row` of records of distinct users, all at once (``scheduled``:
        records in the heap; otherwise records applied as they are shipped)."""
        if scheduled:
            live = np.array([self.w_pending.pop(row, None) is not None
                             for row in rows.tolist()], dtype=np.bool_)
            times, rows = times[live], rows[live]
        d = self.d
        users = view(self.w_user)[rows]
        kinds, targets = view(self.w_kind)[rows], view(self.w_target)[rows]
        values = view(self.w_value)[rows]
        applied = np.ones(len(rows), dtype=np.bool_)
        columns = (d.exists, d.cred, d.profile, d.revoked_at, d.disabled)  # by KIND_*
        group = targets.astype(np.int64) * len(columns) + kinds
        groups = np.unique(group)
        for g in groups.tolist():
            r, kind = divmod(g, len(columns))
            at = np.flatnonzero(group == g) if len(groups) > 1 else np.arange(len(rows))
            who, value = users[at], values[at]
            stored = view(columns[kind][r])
            if kind in (KIND_CRED, KIND_PROFILE):  # a newer version there: conflict
                applied[at] = stored[who] <= value
                who, value = who[applied[at]], value[applied[at]]
            elif kind == KIND_REVOCATION:
                value = np.maximum(stored[who], value)
            else:
                value = 1
            stored[who] = value
        conflict = rows[~applied]
        view(self.w_conflict)[conflict] = view(self.w_stuck)[conflict]
        view(self.w_applied)[rows] = times

    def _action(self, t: float, action, epoch: Epoch) -> None:
        if action.kind == "promote":
            self._promote(action.region, action.other)
        elif action.kind == "failback":
            self._failback(t, action.region, action.other)
        elif action.kind == "export":
            self._export(t, action.region, action.other)
        elif action.kind == "rejoin":
            self.d.copy_replica(action.other, action.region)
            self._mark_copied(t, action.region)

    def _promote(self, s: int, old: int) -> None:
        """Promotion cut: what the old authority acknowledged and ``s`` lacks is the RPO.

        Under the ``lost`` policy the old authority's records still in flight, to any
        region, are discarded; under ``reconcile`` they keep going and are applied
        last-writer-wins when they arrive.
        """
        lost = self.s.failover.failback.unreplicated_writes == "lost"
        for row in range(len(self.w_time)):
            if self.w_origin[row] != old or self.w_lost[row]:
                continue
            pending = row in self.w_pending
            if not pending and not math.isnan(self.w_applied[row]):
                continue  # already applied
            if self.w_target[row] == s:
                self.w_stuck[row] = 1
            if lost or not pending:
                self.w_lost[row] = 1
                if pending:
                    del self.w_pending[row]

    def _failback(self, t: float, p: int, s: int) -> None:
        """The old primary takes writes again, with the authority's state merged in."""
        d = self.d
        for row in list(self.w_pending):  # flush what is in flight to the old primary
            if self.w_target[row] == p:
                self._apply_row(t, row)
        if self.mode in ("async", "sync"):
            d.copy_replica(s, p)  # a full replica: it adopts the authority's state
        else:
            d.merge_replica(s, p)  # a partial copy must not erase what only p holds
        self._mark_copied(t, p)
        if self.s.failover.failback.unreplicated_writes == "lost":
            # Lost writes are gone for good: "newest acknowledged" is what survived.
            view(d.newest_cred)[:] = np.maximum(view(d.cred[p]), 0)
            survived = view(d.profile[p])
            newest = view(d.newest_profile)
            for user in np.nonzero(newest > survived)[0].tolist():
                del self.profile_acks.get(user, [])[int(survived[user]):]
            newest[:] = survived

    def _export(self, t: float, r: int, source: int) -> None:
        """periodic_export: a snapshot of ``source`` into ``r``, without password hashes."""
        d = self.d
        new = (view(d.exists[source]) == 1) & (view(d.exists[r]) == 0)
        for column in (d.exists, d.profile, d.disabled, d.revoked_at):
            view(column[r])[:] = view(column[source])
        view(d.cred[r])[new] = NO_HASH
        self._mark_copied(t, r)

    def _mark_copied(self, t: float, r: int) -> None:
        """Writes acknowledged by now that reached ``r`` through a copy, not a record."""
        for row in range(len(self.w_time)):
            if (self.w_target[row] == r and math.isnan(self.w_applied[row])
                    and self.w_time[row] <= t and not self.w_lost[row]
                    and row not in self.w_pending):
                self.w_applied[row] = t

    # ------------------------------------------------------------------ the loop

    def run(self) -> DataPlaneOutput:
        """Serve every request of the run; returns the raw record columns."""
        arr = self.arrivals
        n_static = len(arr)
        self.n_static = n_static
        self.ops_np = arr.op.copy()  # a refresh without a session is recorded as a sign-in
        self.out_outcome = bytearray(n_static)
        self.out_region = array("b", bytes(n_static))
        self.out_user = array("q", bytes(8 * n_static))
        self.out_client = array("b", bytes(n_static))
        self.dyn = {name: array(code) for name, code in (
            ("time", "d"), ("op", "b"), ("user", "q"), ("client", "b"), ("attacker", "h"),
            ("region", "b"), ("outcome", "b"), ("attempt", "b"), ("seq", "q"))}
        self.stale_rows: list[int] = []
        self.staleness: list[float] = []
        self.extra_rows: list[int] = []
        self.shadow_rows: list[int] = []

        epochs = self.control.epochs
        actions = self.control.actions
        times = arr.time_s
        heap = self.heap
        horizon = self.horizon
        inf = math.inf
        epoch_i = 0
        next_epoch = epochs[1].start_s if len(epochs) > 1 else inf
        action_i = 0
        i = 0
        sequential_until = -inf  # serve one request at a time before this instant
        self.epoch = epochs[0]

        while True:
            t_static = times.item(i) if i < n_static else inf
            t_heap = heap[0][0] if heap else inf
            t_action = actions[action_i].time_s if action_i < len(actions) else inf
            t0 = min(t_static, t_heap, t_action)
            if t0 >= horizon:
                break
            while t0 >= next_epoch:
                epoch_i += 1
                next_epoch = epochs[epoch_i + 1].start_s if epoch_i + 1 < len(epochs) else inf
            self.epoch = epochs[epoch_i]
            if t_action <= t_static and t_action <= t_heap:
                self._action(t_action, actions[action_i], self.epoch)
                action_i += 1
                continue
            if t_heap <= t_static:
                self._serve_heap_item(heapq.heappop(heap))
                continue
            if not self.batch or t0 < sequential_until:
                self._serve_static(i)
                i += 1
                continue
            t1 = min(next_epoch, t_action, horizon, t0 + self.MAX_SPAN_S)
            j = int(np.searchsorted(times, t1, side="left"))
            if j - i > self.batch_size:
                j = i + self.batch_size
                t1 = float(times[j])
            if j - i < self.MIN_BATCH or not self._serve_batch(i, j, t1):
                sequential_until = t1
                continue
            i = j
        del arr, times  # _output frees the arrivals
        return self._output()

    # ------------------------------------------------------------------ one request at a time

    def _serve_heap_item(self, item: tuple) -> None:
        if item[3][0] == "apply":
            self._apply_row(item[0], item[3][1])
            return
        t, priority, seq, payload = item
        self.serving = (t, 0, priority, seq)
        _, op, user, client, attacker, attempt, region, _extra, key = payload
        if attacker < 0:
            if op == REFRESH and not self._has_session(t, user):
                op = SIGN_IN
            region = self.router.route(t, user if user >= 0 else 0)
        u = unit(key ^ self.salt)
        luck = unit(key ^ (self.salt >> 1))
        self._serve_one(t, op, user, client, attacker, attempt, region, payload, u, luck, -1,
                        seq, key)

    def _serve_static(self, index: int) -> None:
        arr = self.arrivals
        d = self.d
        t = arr.time_s.item(index)
        op = self.ops_np.item(index)
        attacker = arr.attacker.item(index)
        user = arr.user.item(index)
        luck = arr.pick.item(index)
        if attacker >= 0:
            client = -1
            region = self._attacker_region(attacker, user, t, self.epoch)
        else:
            if user >= d.population and op != SIGN_UP and not d.born[user]:
                # That user's sign-up has not succeeded: someone who exists acts instead.
                user = int(luck * d.population)
            client = d.client[user] if user >= 0 else 0
            if op == REFRESH and not self._has_session(t, user):
                op = SIGN_IN
                self.ops_np[index] = SIGN_IN
            region = self.router.route(t, user if user >= 0 else 0)
        self._serve_one(t, op, user, client, attacker, 0, region, None, arr.u.item(index),
                        luck, index, 0, index)

    def _serve_one(self, t: float, op: int, user: int, client: int, attacker: int, attempt: int,
                   region: int, payload, u: float, luck: float, index: int, seq: int,
                   key: int) -> None:
        """Serve one attempt through :meth:`_serve`, record it, schedule its retry."""
        result, served_user, extra, shadow, stale_age = self._serve(
            t, op, user, region, attacker, self.epoch, payload, u, luck)
        recorded_user = served_user if (op != SIGN_UP or result == OK) else -1
        if index >= 0:
            row = index
            self.out_outcome[index] = result
            self.out_region[index] = region
            self.out_user[index] = recorded_user
            self.out_client[index] = client
        else:
            dyn = self.dyn
            row = self.n_static + len(dyn["time"])
            dyn["time"].append(t)
            dyn["op"].append(op)
            dyn["user"].append(recorded_user)
            dyn["client"].append(client)
            dyn["attacker"].append(attacker)
            dyn["region"].append(region)
            dyn["outcome"].append(result)
            dyn["attempt"].append(attempt)
            dyn["seq"].append(seq)
        if stale_age is not None:
            self.stale_rows.append(row)
            self.staleness.append(stale_age)
        if extra:
            self.extra_rows.append(row)
        if shadow:
            self.shadow_rows.append(row)
        if result != OK and attacker < 0:
            self._maybe_retry(t, op, user, client, attempt, result, u, key)

    def _maybe_retry(self, t: float, op: int, user: int, client: int, attempt: int,
                     result: int, u: float, key: int) -> None:
        policy = self.client_retry[client]
        if attempt + 1 < policy.attempts and result in self.client_retry_codes[client]:
            # The jitter comes from the attempt's own draw and the retry's draws from its
            # key, so nothing depends on the order in which failures are handled.
            draw = (u * 1048576.0) % 1.0
            delay = policy.backoff * policy.multiplier ** attempt * (
                1.0 + policy.jitter * (2.0 * draw - 1.0))
            child = mix64(key * 64 + attempt + 1)
            self._push(t + delay, P_REQUEST,
                       ("request", op, user, client, -1, attempt + 1, -1, None, child))

    # ------------------------------------------------------------------ a batch of requests

    def _serve_batch(self, i: int, j: int, t1: float) -> bool:
        """Serve arrivals [i, j) and every heap item before ``t1``; False: not batchable.

        Requests (arrivals and already-scheduled retries) of legitimate users whose
        state nothing else in the batch can change are served vectorised, in waves
        (a wave's failures retried within the batch join the next wave; a user with
        several reads is served one request per wave, in order), and every draw is
        counter-based, so the order across users does not matter. Writes' commits
        keep their serving order (:meth:`_flush_commits`). Everything else is served
        one at a time in the sequential loop's order (docs/model.md lists who and
        why). A batch is used only when no quota bucket can run dry in it; its
        quota takes are booked at the end, and if one would have been refused after
        all, the run is redone one request at a time (:class:`BatchAssumptionBroken`).
        """
        arr = self.arrivals
        d = self.d
        heap = self.heap
        popped = []
        while heap and heap[0][0] < t1:
            popped.append(heapq.heappop(heap))
        requests = [it for it in popped if it[3][0] == "request"]
        applies = [it for it in popped if it[3][0] == "apply"]
        n_s = j - i

        # The batch's requests: arrivals first, then scheduled heap requests.
        t = np.concatenate([arr.time_s[i:j], np.array([it[0] for it in requests], np.float64)])
        op = np.concatenate([self.ops_np[i:j], np.array([it[3][1] for it in requests], np.int8)])
        user = np.concatenate([arr.user[i:j], np.array([it[3][2] for it in requests], np.int64)])
        legit = np.concatenate([arr.attacker[i:j] < 0,
                                np.array([it[3][4] < 0 for it in requests], np.bool_)])
        # A request for a user whose sign-up has not succeeded acts as int(pick × population)
        # instead, decided when served. Unless the batch holds that sign-up, it is decided
        # now; otherwise the stand-in counts as taking part too.
        newcomer = ((arr.user[i:j] >= d.population) & (arr.attacker[i:j] < 0)
                    & (view(d.born)[np.maximum(arr.user[i:j], 0)] == 0))
        settled = newcomer & (op[:n_s] != SIGN_UP)
        if settled.any():
            settled &= ~np.isin(user[:n_s], user[op == SIGN_UP])
            user[:n_s][settled] = (arr.pick[i:j][settled] * d.population).astype(np.int64)
        stand_ins = (arr.pick[i:j][newcomer & ~settled] * d.population).astype(np.int64)
        valid = user >= 0
        safe = np.where(valid, user, 0)
        apply_rows = np.array([it[3][1] for it in applies], dtype=np.int64)
        apply_users = view(self.w_user)[apply_rows]
        everyone = np.concatenate([user[valid], stand_ins, apply_users])
        values, counts = np.unique(everyone, return_counts=True)
        guessing = (self._guesses_alone(i, j, values, counts) if self.s.attackers
                    else np.zeros(n_s, dtype=np.bool_))
        # Applies to users nothing else in the batch concerns: all at once, now.
        alone = counts[np.searchsorted(values, apply_users)] == 1
        if alone.any():
            self._apply_rows(np.array([it[0] for it in applies])[alone], apply_rows[alone])
            applies = [it for it, a in zip(applies, alone.tolist(), strict=True) if not a]
        born = (user < d.population) | (view(d.born)[safe] != 0) | (op == SIGN_UP)
        m2m = legit & (op == M2M)  # changes no user's state
        # The operation each request would be served as now (exact for users served once;
        # a wave converts again when it serves them).
        as_now = op.copy()
        k = np.flatnonzero(valid & (op == REFRESH))
        who = safe[k]
        as_now[k[(view(d.session_revoked)[who] != 0) | (view(d.session_expires)[who] <= t[k])]] = \
            SIGN_IN
        # Lockout state matters to sign-ins only.
        touched = self.lockout.held_any(safe)
        eligible = legit & self.is_batched[op] & valid & born & ~m2m
        # Users with several eligible requests are served in rounds (one request per user
        # per wave, in order) if no sign-in of theirs can meet a superseded password,
        # lockout state or, migrating, a region without them, and, if they write, their
        # DNS answer stays the same through the batch (a write's replication to other
        # regions is made at the batch's end: no later request of theirs may go there).
        shared, times = np.unique(user[eligible], return_counts=True)
        several = shared[times > 1]
        mark = self.mark
        mark[several] = 1
        in_rounds = eligible & (mark[safe] == 1)
        mark[several] = 0
        # Served one at a time: users with a request not eligible, stand-ins, users with
        # a replication record applying in the batch, and the risky rounds above.
        blocked = [user[valid & ~eligible & ~m2m], stand_ins, apply_users[~alone],
                   user[in_rounds & touched]]
        writers = np.unique(user[in_rounds & IS_WRITE[op]])
        if len(writers):
            blocked.append(writers[~self.router.steady(float(t.min()), writers, t1)])
        if len(several):
            risky = np.zeros(len(several), dtype=np.bool_)
            newest = view(d.newest_cred)[several]
            for r in range(self.n_regions):
                risky |= view(d.cred[r])[several] < newest
                if self.mode == "migrate_on_sign_in":
                    risky |= view(d.exists[r])[several] == 0
            blocked.append(several[risky])
        blocked = np.concatenate(blocked)
        mark[blocked] = 1
        fast = (eligible & (mark[safe] == 0)) | m2m
        mark[blocked] = 0
        as_now = np.where(fast, as_now, op)
        fidx = np.flatnonzero(fast)
        region = self.router.route_many(t[fidx], safe[fidx])
        # A sign-in against a superseded password feeds the lockout counters: one at a time.
        keep = ~((as_now[fidx] == SIGN_IN) & (region >= 0) & (
            self._gather(d.cred, region, safe[fidx]) < view(d.newest_cred)[safe[fidx]]))
        if self.mode == "migrate_on_sign_in":
            keep &= ~((region >= 0) & (self._gather(d.exists, region, safe[fidx]) == 0))
        fidx, region = fidx[keep], region[keep]
        fast[:] = False
        fast[fidx] = True
        in_rounds &= fast

        # No bucket may run dry: count every other request at every region it might reach
        # (and a refresh served in rounds, which may become a sign-in, as a sign-in too).
        either = in_rounds & (op == REFRESH)
        slow_t = np.concatenate([t[~fast], t[either]])
        slow_cat = self.category_of_op[np.concatenate([as_now[~fast],
                                                       np.full(int(either.sum()), SIGN_IN)])]
        fast_t = t[fidx]
        fast_cat = self.category_of_op[as_now[fidx]]
        for r in range(self.n_regions):
            if self.epoch.status[r] == DOWN:
                continue  # nothing sent to a down region reaches its quota
            mine = region == r
            for c in np.unique(np.concatenate([fast_cat[mine], slow_cat])).tolist():
                # A few sorted runs (arrivals, heap requests): a merge sort's best case.
                times = np.sort(np.concatenate([fast_t[mine & (fast_cat == c)],
                                                slow_t[slow_cat == c]]), kind="stable")
                if not self.buckets[r][c].keeps(times, self.QUOTA_MARGIN):
                    for item in popped:
                        heapq.heappush(heap, item)
                    return False

        # Vectorised waves (arrivals first, then heap requests: the order of ``fidx``).
        self.take_log = []
        self.take_keys: list[int] = []
        self.take_times: list[float] = []
        self.commit_log: list[tuple[np.ndarray, ...]] = []
        is_heap = fidx >= n_s
        heap_pos = fidx[is_heap] - n_s
        wave = {
            "t": t[fidx],
            "op": op[fidx],
            "user": user[fidx],
            "region": region,
            "attempt": np.concatenate([np.zeros(int((~is_heap).sum()), np.int64),
                                       np.array([requests[k][3][5] for k in heap_pos.tolist()],
                                                np.int64)]),
            "key": np.concatenate([fidx[~is_heap].astype(np.uint64) + np.uint64(i),
                                   np.array([requests[k][3][8] for k in heap_pos.tolist()],
                                            np.uint64)]),
            "seq": np.concatenate([np.full(int((~is_heap).sum()), -1, np.int64),
                                   np.array([requests[k][2] for k in heap_pos.tolist()],
                                            np.int64)]),
        }
        # Arrivals keep their own draw; heap requests draw from their key.
        u_static = arr.u[i:j][fidx[~is_heap]]
        wave["u"] = np.concatenate([u_static, unit_many(wave["key"][len(u_static):],
                                                        self.salt)])
        # Waves: users served once, and the first request of each user served in rounds;
        # their later requests wait in ``rounds`` (with the retries of their failures).
        rounds = _take(wave, in_rounds[fidx])
        # In user order, the waves' look-ups in the directory's columns walk them forwards.
        once = np.flatnonzero(~in_rounds[fidx])
        wave = _take(wave, _by_value(wave["user"][once], once))
        rounds_users = np.unique(rounds["user"])
        mark[rounds_users] = 1
        while len(wave["t"]) or len(rounds["t"]):
            if len(rounds["t"]):
                first = _earliest_per_user(rounds)
                wave = _join(wave, _take(rounds, first))
                rounds = _take(rounds, ~first)
            retries = self._serve_wave(wave, t1)
            again = (retries["user"] >= 0) & (mark[np.maximum(retries["user"], 0)] == 1)
            rounds = _join(rounds, _take(retries, again))
            wave = _take(retries, ~again)
        mark[rounds_users] = 0
        if guessing.any():
            self._serve_guesses(i + np.flatnonzero(guessing))

        # The rest, one at a time, in the sequential loop's order. Keys: (time, 0, priority,
        # seq) for heap items, (time, 1, index, 0) for arrivals.
        self.batch_commits = self._sorted_commits()
        self.batch_end = t1
        self.applied_in_batch: list[tuple[np.ndarray, np.ndarray]] = []
        self.reserved: list[tuple[np.ndarray, ...]] = []
        slow_static = np.flatnonzero(~fast[:n_s] & ~guessing)
        entries = [(float(t[k]), 1, i + k, 0, None) for k in slow_static.tolist()]
        slow_heap = set(np.flatnonzero(~fast[n_s:]).tolist())
        entries.extend((it[0], 0, it[1], it[2], it) for k, it in enumerate(requests)
                       if k in slow_heap)
        entries.extend((it[0], 0, it[1], it[2], it) for it in applies)
        entries.sort()  # the first four fields are unique: the items are never compared
        for entry in entries:
            key = entry[:4]
            while heap and heap[0][0] < t1 and (heap[0][0], 0, heap[0][1], heap[0][2]) < key:
                self._serve_heap_item(heapq.heappop(heap))
            self.serving = key
            if entry[4] is None:
                self._serve_static(entry[2])
            else:
                self._serve_heap_item(entry[4])
        while heap and heap[0][0] < t1:
            self._serve_heap_item(heapq.heappop(heap))
        if self.batch_commits is not None:
            self._flush_commits(None)
        if self.reserved:
            self._commit_many(*(np.concatenate(c) for c in zip(*self.reserved, strict=True)))
            self.reserved = []
        if self.applied_in_batch:
            due, rows = (np.concatenate(c) for c in zip(*self.applied_in_batch, strict=True))
            self._apply_rows(due, rows, scheduled=False)
        self._book_takes()
        return True

    def _guesses_alone(self, i: int, j: int, values: np.ndarray,
                       counts: np.ndarray) -> np.ndarray:
        """Mask of arrivals [i, j) that are guesses :meth:`_serve_guesses` may serve.

        ``values``/``counts`` count every user the batch concerns. A guess qualifies
        if only guesses concern its account, and all of them qualify. A round-robin
        attacker's guesses qualify only all together (its turns go in arrival order).
        """
        arr = self.arrivals
        guess = np.flatnonzero(arr.attacker[i:j] >= 0)
        account = arr.user[i:j][guess]
        accounts, inverse, guesses = np.unique(account, return_inverse=True, return_counts=True)
        alone = (counts[np.searchsorted(values, accounts)] == guesses)[inverse]
        attacker = arr.attacker[i:j][guess]
        taking_turns = [a for a, spec in enumerate(self.s.attackers)
                        if spec.endpoint_choice == "round_robin"
                        and len(self.attacker_regions[a]) > 1]
        while taking_turns and not alone.all():
            qualifying = int(alone.sum())
            for a in taking_turns:
                if not alone[attacker == a].all():
                    alone[attacker == a] = False
            alone &= ~np.isin(account, account[~alone])
            if alone.sum() == qualifying:
                break
        mask = np.zeros(j - i, dtype=np.bool_)
        mask[guess[alone]] = True
        return mask

    def _serve_guesses(self, rows: np.ndarray) -> None:
        """Serve attackers' guesses (arrival rows) whose accounts nothing else in the batch
        concerns, as :meth:`_attacker_region`, :meth:`_serve` and :meth:`_sign_in` would.

        Only the lockout counters link guesses on one account, so the k-th guesses
        of every account form round k, served vectorised.
        """
        arr = self.arrivals
        arrays = self.epoch_arrays(self.epoch)
        status, error_rate, kms_down = arrays["status"], arrays["error_rate"], arrays["kms_down"]
        t, account, luck, u = arr.time_s[rows], arr.user[rows], arr.pick[rows], arr.u[rows]
        attacker = arr.attacker[rows]
        slot = np.unique(account, return_inverse=True)[1]
        own, shadow, lockout = self.own_scope, self.shadow_scope, self.lockout
        region = np.full(len(rows), -1, dtype=np.int64)  # -1: chosen when served
        odds = np.array([a.success_probability for a in self.s.attackers])[attacker]
        for a in np.unique(attacker).tolist():
            regions = self.attacker_regions[a]
            if self.s.attackers[a].endpoint_choice == "round_robin" or len(regions) == 1:
                mine = np.flatnonzero(attacker == a)
                turn = self.attacker_turn[a] + np.arange(len(mine))
                region[mine] = np.array(regions)[turn % len(regions)]
                self.attacker_turn[a] += len(mine)
        # Round k: the k-th guess (in arrival order) of every account.
        by_account = np.argsort(slot, kind="stable")
        first = np.r_[0, np.flatnonzero(np.diff(slot[by_account])) + 1]
        rank = np.empty(len(rows), dtype=np.int64)
        rank[by_account] = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first,
                                                                              len(rows)]))
        outcome = np.zeros(len(rows), dtype=np.uint8)
        extra = np.zeros(len(rows), dtype=np.bool_)
        shadowed = np.zeros(len(rows), dtype=np.bool_)
        for k in range(int(rank.max()) + 1 if len(rows) else 0):
            g = np.flatnonzero(rank == k)
            when, who = t[g], account[g]
            chooses = g[region[g] < 0]  # avoid_locked: the first reachable, unlocked region
            for a in np.unique(attacker[chooses]).tolist():
                mine = chooses[attacker[chooses] == a]
                choice = np.full(len(mine), -1, dtype=np.int64)
                up = [r for r in self.attacker_regions[a] if status[r] != DOWN]
                for r in up:
                    choice[(choice < 0) & ~lockout.locked(own[r], account[mine], t[mine])] = r
                choice[choice < 0] = up[0] if up else self.attacker_regions[a][0]
                region[mine] = choice
            r = region[g]
            st = status[r]
            out = np.zeros(len(g), dtype=np.uint8)  # OK
            out[kms_down[r]] = KMS_DOWN
            out[(st != 0) & (u[g] < error_rate[r])] = REGION_ERROR
            out[st == DOWN] = REGION_DOWN
            reached = out == OK
            self.take_log.append((r[reached] * self.n_categories + self.category_of_op[GUESS],
                                  when[reached]))
            out[reached & (self._gather(self.d.exists, r, who) == 0)] = NOT_FOUND
            live = out == OK
            scope = own[r]
            locked = live & lockout.locked(scope, who, when)
            out[locked] = LOCKED
            shadow_locked = (live & lockout.locked(shadow, who, when) if shadow >= 0
                             else np.zeros(len(g), dtype=np.bool_))
            shadowed[g] = shadow_locked
            tried = live & ~locked
            extra[g] = tried & shadow_locked
            right = tried & (luck[g] < odds[g])
            wrong = tried & ~right
            out[wrong] = WRONG_PASSWORD
            outcome[g] = out
            lockout.succeed(scope[right], who[right], when[right])
            lockout.fail(scope[wrong], who[wrong], when[wrong])
            if shadow >= 0:
                for mask, update in ((right, lockout.succeed), (wrong, lockout.fail)):
                    mask = mask & ~shadow_locked
                    update(np.full(int(mask.sum()), shadow), who[mask], when[mask])
        np.frombuffer(self.out_outcome, dtype=np.uint8)[rows] = outcome
        view(self.out_region)[rows] = region
        view(self.out_user)[rows] = account
        view(self.out_client)[rows] = -1
        self.extra_rows.extend(rows[extra].tolist())
        self.shadow_rows.extend(rows[shadowed].tolist())

    def _sorted_commits(self) -> tuple[list[np.ndarray], list[tuple], int] | None:
        """The batch's vectorised commits in serving order, their order keys, and how many
        were made (none yet)."""
        log = self.commit_log
        self.commit_log = []
        if not log:
            return None
        t, klass, a, b, user, kind, origin, value = (np.concatenate(c) for c in zip(*log,
                                                                                   strict=True))
        order = np.lexsort((b, a, klass, t))
        keys = list(zip(t[order].tolist(), klass[order].tolist(), a[order].tolist(),
                        b[order].tolist(), strict=True))
        return [t[order], user[order], kind[order], origin[order], value[order]], keys, 0

    def _flush_commits(self, before: tuple | None) -> None:
        """Make the batch's vectorised commits that come before ``before`` (all: None).

        A commit draws replication lags from one stream and numbers its write
        records, so commits must be made in serving order: before a request served
        one at a time commits, and at the end of the batch. Unless a throughput cap
        orders every record of a channel, that is all the order matters for (the
        commits' other effects concern only their users, who appear once in the
        batch, and the writes table is put in write-id order at the end): the lags
        and ids are reserved now and the records made once, at the end of the batch.
        """
        columns, keys, done = self.batch_commits
        end = len(keys) if before is None else bisect.bisect_left(keys, before, done)
        if end > done:
            chunk = [column[done:end] for column in columns]
            if self.capped:
                self._commit_many(*chunk)
            else:
                self.reserved.append(self._reserve(*chunk))
        self.batch_commits = None if end == len(keys) else (columns, keys, end)


    def _serve_wave(self, wave: dict, t1: float) -> dict:
        """Decide, record and apply one vectorised wave; returns the retries due in the batch."""
        d = self.d
        t, op, user, region = wave["t"], wave["op"], wave["user"], wave["region"]
        valid = user >= 0
        safe = np.where(valid, user, 0)
        refresh = op == REFRESH
        if refresh.any():  # a refresh without a session is served (and retried) as a sign-in
            no_session = ((view(d.session_revoked)[safe] != 0)
                          | (view(d.session_expires)[safe] <= t))
            op = wave["op"] = np.where(refresh & no_session, SIGN_IN, op).astype(np.int8)
        outcome, reached, effects = self._decide_vectorised(t, op, user, safe, region, wave["u"],
                                                            self.epoch)
        client = np.where(valid, view(d.client)[safe], 0)
        # Records: arrivals into their rows, heap requests as new rows; a failed
        # sign-up names no user.
        recorded = np.where((op == SIGN_UP) & (outcome != OK), -1, user)
        static = wave["seq"] < 0
        rows = wave["key"][static].astype(np.int64)
        np.frombuffer(self.out_outcome, dtype=np.uint8)[rows] = outcome[static]
        view(self.out_region)[rows] = region[static]
        view(self.out_user)[rows] = recorded[static]
        view(self.out_client)[rows] = client[static]
        self.ops_np[rows] = op[static]
        dynamic = np.flatnonzero(~static)
        row_of = np.empty(len(t), dtype=np.int64)
        row_of[static] = rows
        if len(dynamic):
            dyn = self.dyn
            first = self.n_static + len(dyn["time"])
            row_of[dynamic] = np.arange(first, first + len(dynamic))
            for name, values, code in (
                    ("time", t, "d"), ("op", op, "b"), ("user", recorded, "q"),
                    ("client", client, "b"), ("region", region, "b"),
                    ("outcome", outcome, "b"), ("attempt", wave["attempt"], "b"),
                    ("seq", wave["seq"], "q")):
                dyn[name].frombytes(values[dynamic].astype(_NP_OF[code]).tobytes())
            dyn["attacker"].frombytes(np.full(len(dynamic), -1, np.int16).tobytes())
        # Effects of the successes.
        new_session = effects["new_session"]
        if new_session.any():
            who = user[new_session]
            when = t[new_session]
            view(d.session_issued)[who] = when
            view(d.session_expires)[who] = when + self.s.sessions.refresh_token
            view(d.session_region)[who] = effects["region"][new_session]
            view(d.session_revoked)[who] = 0
        if effects["fed_primary"].any():
            view(d.fed_seen)[user[effects["fed_primary"]]] = 1
        if effects["write"].any():
            self._write_many(wave, np.flatnonzero(effects["write"]))
        for k, age in effects["stale"]:
            self.stale_rows.append(int(row_of[k]))
            self.staleness.append(age)
        if effects["lockout"] is not None:
            self._sign_in_counters(t, safe, outcome, row_of, *effects["lockout"])
        if reached.any():
            self.take_log.append((region[reached] * self.n_categories
                                  + self.category_of_op[op[reached]], t[reached]))
        return self._retries_of(wave, outcome, client, t1)

    def _sign_in_counters(self, t: np.ndarray, user: np.ndarray, outcome: np.ndarray,
                          row_of: np.ndarray, held: np.ndarray, scope: np.ndarray,
                          shadowed: np.ndarray) -> None:
        """Sign-ins of a wave whose counters may hold state, as :meth:`_sign_in` ends them:
        a success resets the counters (the shadow's unless it was locked), and every
        attempt that got past the disabled check records the shadow's verdict."""
        answer = outcome[held]
        self.shadow_rows.extend(row_of[held[shadowed & (answer != DISABLED)]].tolist())
        ok = answer == OK
        self.lockout.succeed(scope[ok], user[held[ok]], t[held[ok]])
        if self.shadow_scope >= 0:
            ok &= ~shadowed
            self.lockout.succeed(np.full(int(ok.sum()), self.shadow_scope), user[held[ok]],
                                 t[held[ok]])

    def _write_many(self, wave: dict, done: np.ndarray) -> None:
        """A wave's successful writes, as :meth:`_serve` makes them, on the origin's replica.

        Their commits are logged, not made: :meth:`_serve_batch` makes them in serving
        order (:meth:`_sorted_commits`). Every user appears once in a wave.
        """
        d = self.d
        t, op, user, region = (wave[k][done] for k in ("t", "op", "user", "region"))
        value = np.ones(len(done))
        sign_up = op == SIGN_UP
        if sign_up.any():
            view(d.born)[user[sign_up]] = 1
            d.created += int(sign_up.sum())
        profile = op == PROFILE_UPDATE
        cred = op == PASSWORD_CHANGE
        for mask, newest in ((profile, d.newest_profile), (cred, d.newest_cred)):
            if mask.any():
                version = view(newest)[user[mask]] + 1
                view(newest)[user[mask]] = version
                value[mask] = version
        for who, when in zip(user[profile].tolist(), t[profile].tolist(), strict=True):
            self.profile_acks.setdefault(who, []).append(when)
        sign_out = op == SIGN_OUT
        view(d.session_revoked)[user[sign_out]] = 1
        value[sign_out] = t[sign_out]
        for r in np.unique(region).tolist():
            here = region == r
            for mask, column, new in ((sign_up, d.exists, 1), (sign_up, d.cred, 0),
                                      (profile, d.profile, value), (cred, d.cred, value),
                                      (sign_out, d.revoked_at, t),
                                      (op == ADMIN_DISABLE, d.disabled, 1)):
                at = here & mask
                if at.any():
                    view(column[r])[user[at]] = new if np.isscalar(new) else new[at]
        static = wave["seq"][done] < 0
        self.commit_log.append((
            t, static.astype(np.int64),
            np.where(static, wave["key"][done].astype(np.int64), P_REQUEST),
            np.where(static, 0, wave["seq"][done]),
            user, KIND_OF_OP[op], region, value))

    def _retries_of(self, wave: dict, outcome: np.ndarray, client: np.ndarray,
                    t1: float) -> dict:
        """Retries of a wave's failures: those due before ``t1`` form the next wave."""
        failed = np.flatnonzero(outcome != OK)
        empty = {k: v[:0] for k, v in wave.items()}
        if not len(failed):
            return empty
        attempt = wave["attempt"][failed]
        kinds = client[failed]
        limit = self.retry_attempts[kinds]
        retry = (attempt + 1 < limit) & self.retry_on[kinds, outcome[failed]]
        failed, attempt, kinds = failed[retry], attempt[retry], kinds[retry]
        if not len(failed):
            return empty
        u = wave["u"][failed]
        draw = np.mod(u * 1048576.0, 1.0)
        delay = self.retry_backoff[kinds] * self.retry_growth[kinds, attempt] * (
            1.0 + self.retry_jitter[kinds] * (2.0 * draw - 1.0))
        when = wave["t"][failed] + delay
        key = mix64_many(wave["key"][failed] * np.uint64(64) + (attempt + 1).astype(np.uint64))
        seq = np.arange(self.seq + 1, self.seq + 1 + len(failed), dtype=np.int64)
        self.seq += len(failed)
        op = wave["op"][failed]
        user = wave["user"][failed]
        later = when >= t1
        # A retry may reach another region than its first attempt (DNS moved), and a
        # refresh whose session has expired meanwhile is a sign-in: the batch's
        # one-at-a-time conditions must hold for the retry too, else it goes to the heap.
        d = self.d
        safe_all = np.where(user >= 0, user, 0)
        region_all = self.router.route_many(when, safe_all)
        reached = region_all >= 0
        signs_in = (op == SIGN_IN) | ((op == REFRESH) & (
            (view(d.session_revoked)[safe_all] != 0) | (view(d.session_expires)[safe_all] <= when)))
        slow = signs_in & (self.lockout.held_any(safe_all) | reached & (
            self._gather(d.cred, region_all, safe_all) < view(d.newest_cred)[safe_all]))
        if self.mode == "migrate_on_sign_in":
            slow |= reached & (self._gather(d.exists, region_all, safe_all) == 0)
        later |= slow
        for k in np.flatnonzero(later).tolist():
            heapq.heappush(self.heap, (float(when[k]), P_REQUEST, int(seq[k]), (
                "request", int(op[k]), int(user[k]), int(kinds[k]), -1, int(attempt[k]) + 1, -1,
                None, int(key[k]))))
        now = ~later
        return {
            "t": when[now],
            "op": op[now],
            "user": user[now],
            "region": region_all[now],
            "attempt": attempt[now] + 1,
            "key": key[now],
            "seq": seq[now],
            "u": unit_many(key[now], self.salt),
        }

    def _take(self, r: int, op: int, t: float) -> bool:
        """The quota check; inside a batch every take is booked at the end (none can fail)."""
        if self.take_log is None:
            return self.bucket_of[r][op].take(t)
        self.take_keys.append(r * self.n_categories + int(self.category_of_op[op]))
        self.take_times.append(t)
        return True

    def _book_takes(self) -> None:
        """Apply a batch's quota takes to the buckets, in time order, and verify none failed."""
        log = self.take_log
        self.take_log = None
        log.append((np.array(self.take_keys, dtype=np.int64), np.array(self.take_times)))
        keys = np.concatenate([k for k, _ in log])
        times = np.concatenate([t for _, t in log])
        if not len(keys):
            return
        order = np.argsort(keys.astype(np.int16), kind="stable")  # a radix sort
        keys, times = keys[order], times[order]
        bounds = np.flatnonzero(np.diff(keys)) + 1
        for start, end in zip(np.r_[0, bounds].tolist(), np.r_[bounds, len(keys)].tolist(),
                              strict=True):
            key = int(keys[start])
            bucket = self.buckets[key // self.n_categories][key % self.n_categories]
            segment = np.sort(times[start:end])
            if not bucket.book(segment):
                raise BatchAssumptionBroken(f"a batched request would have been throttled near "
                                            f"t={segment[0]:.3f}s")

    @staticmethod
    def _gather(columns: list, region: np.ndarray, user: np.ndarray) -> np.ndarray:
        """``columns[region[k]][user[k]]`` for every k (region −1 reads region 0)."""
        result = view(columns[0])[user]
        for r in range(1, len(columns)):
            mask = region == r
            if mask.any():
                result[mask] = view(columns[r])[user[mask]]
        return result

    def epoch_arrays(self, epoch: Epoch) -> dict[str, np.ndarray]:
        """The epoch's per-region state as numpy arrays (cached per epoch)."""
        cached = self._epoch_cache.get(id(epoch))
        if cached is None:
            cached = {
                "status": np.array(epoch.status, dtype=np.int64),
                "error_rate": np.array(epoch.error_rate, dtype=np.float64),
                "kms_down": np.array(epoch.kms_down, dtype=np.bool_),
                "writable": np.array(epoch.writable, dtype=np.bool_),
            }
            self._epoch_cache[id(epoch)] = cached
        return cached

    def _decide_vectorised(self, t: np.ndarray, op: np.ndarray, user: np.ndarray,
                           safe_user: np.ndarray, region: np.ndarray, u: np.ndarray,
                           epoch: Epoch) -> tuple[np.ndarray, np.ndarray, dict]:
        """Outcomes of requests whose users' state cannot change during the batch.

        Mirrors :meth:`_serve` check for check, without changing any state.
        Returns the outcomes, the mask of requests that reached a quota bucket,
        and the data the commit needs.
        """
        d = self.d
        arrays = self.epoch_arrays(epoch)
        limits = self.s.secondary_limits
        gather = self._gather
        # Each group of checks is written last to first, so that the first failing
        # check of _serve is the one that stays.
        out = np.zeros(len(t), dtype=np.int64)  # OK
        r = np.where(region >= 0, region, 0)
        status = arrays["status"][r]
        out[arrays["kms_down"][r] & (op != M2M)] = KMS_DOWN
        out[(status != 0) & (u < arrays["error_rate"][r])] = REGION_ERROR
        out[status == DOWN] = REGION_DOWN
        out[region < 0] = DNS_DOWN
        reached = out == OK
        live = np.flatnonzero(reached & (op != M2M))
        is_write = IS_WRITE[op]
        w = live[is_write[live]]
        out[w[~arrays["writable"][r[w]]]] = READ_ONLY
        # A sign-up's user is the id reserved for it: nothing more to check.
        live = live[(out[live] == OK) & (op[live] != SIGN_UP)]
        missing = gather(d.exists, r[live], safe_user[live]) == 0
        out[live[missing]] = NOT_FOUND
        live = live[~missing]
        kind = op[live]

        def pins(k: np.ndarray) -> np.ndarray:
            return (view(d.pins_issuer)[safe_user[k]] != 0) & (r[k] != self.primary_role)

        def disabled(k: np.ndarray) -> np.ndarray:
            return gather(d.disabled, r[k], safe_user[k]) != 0

        k = live[kind == SIGN_IN]
        lockout = None  # sign-ins of users whose counters may hold state
        if len(k):
            out[k[pins(k)]] = TOKEN_REJECTED
            on_secondary = self.is_secondary_np[r[k]]
            mfa = view(d.mfa)[safe_user[k]]
            if not limits.sms_email_mfa:
                out[k[on_secondary & ((mfa == MFA_SMS) | (mfa == MFA_EMAIL))]] = MFA_UNSUPPORTED
            if not limits.totp_mfa:
                out[k[on_secondary & (mfa == MFA_TOTP)]] = MFA_UNSUPPORTED
            out[k[gather(d.cred, r[k], safe_user[k]) == NO_HASH]] = RESET_REQUIRED
            held = k[self.lockout.held_any(safe_user[k])]  # counters may hold state
            if len(held):
                who, when = safe_user[held], t[held]
                scope = self.own_scope[r[held]]
                out[held[self.lockout.locked(scope, who, when)]] = LOCKED
                shadowed = (self.lockout.locked(self.shadow_scope, who, when)
                            if self.shadow_scope >= 0 else np.zeros(len(held), np.bool_))
                lockout = (held, scope, shadowed)
            out[k[disabled(k)]] = DISABLED

        k = live[kind == REFRESH]
        if len(k):
            who = safe_user[k]
            out[k[pins(k)]] = TOKEN_REJECTED
            out[k[gather(d.revoked_at, r[k], who) >= view(d.session_issued)[who]]] = TOKEN_REJECTED
            if not self.s.sessions.cross_region_tokens:
                out[k[view(d.session_region)[who] != r[k]]] = TOKEN_REJECTED
            out[k[disabled(k)]] = DISABLED

        k = live[kind == FEDERATED]
        if len(k):
            out[k[pins(k)]] = TOKEN_REJECTED
            out[k[disabled(k)]] = DISABLED
            if limits.federated_needs_primary_sign_in:
                out[k[self.is_secondary_np[r[k]] & (view(d.fed_seen)[safe_user[k]] == 0)]] = \
                    NOT_FOUND
            if epoch.idp_down:
                out[k] = IDP_DOWN

        ok = out == OK
        effects = {"new_session": ok & ((op == SIGN_IN) | (op == FEDERATED)),
                   "write": ok & is_write,
                   "fed_primary": ok & (op == FEDERATED) & (r == self.primary_role),
                   "region": r, "stale": [], "lockout": lockout}
        k = live[kind == PROFILE_READ]
        if len(k):
            version = gather(d.profile, r[k], safe_user[k])
            stale = version < view(d.newest_profile)[safe_user[k]]
            for row, v in zip(k[stale].tolist(), version[stale].tolist(), strict=True):
                acks = self.profile_acks.get(int(user[row]))
                effects["stale"].append((row, float(t[row]) - acks[v] if acks and v < len(acks)
                                         else 0.0))
        return out, reached, effects

    def _output(self) -> DataPlaneOutput:
        """The record columns: the first attempts' rows, then the dynamic rows.

        The plane lets go of its arrivals and of each first-attempt column as soon as it
        is joined with its dynamic rows: unless the caller keeps the arrivals, the peak
        stays near one copy of the recorded columns.
        """
        time_s, attacker = self.arrivals.time_s, self.arrivals.attacker
        self.arrivals = None  # pick, u, user and op are not recorded
        dyn = self.dyn
        n_static = self.n_static
        n = n_static + len(dyn["time"])
        time_s = np.concatenate([time_s, view(dyn["time"])])
        attacker = np.concatenate([attacker, view(dyn["attacker"])])
        op = np.concatenate([self.ops_np, view(dyn["op"])])
        self.ops_np = None
        user = np.concatenate([view(self.out_user), view(dyn["user"])])
        self.out_user = None
        client = np.concatenate([view(self.out_client), view(dyn["client"])])
        self.out_client = None
        region = np.concatenate([view(self.out_region), view(dyn["region"])])
        self.out_region = None
        outcome = np.concatenate([np.frombuffer(self.out_outcome, dtype=np.uint8),
                                  view(dyn["outcome"]).astype(np.uint8)])
        self.out_outcome = None
        attempt = np.zeros(n, dtype=np.int8)
        attempt[n_static:] = view(dyn["attempt"])
        order_key = np.arange(n, dtype=np.int64)  # first attempts after heap items (seq)
        order_key[:n_static] += 1 << 40
        order_key[n_static:] = view(dyn["seq"])
        ids = np.frombuffer(self.w_id, dtype=np.int64)
        order = (np.argsort(ids, kind="stable") if len(ids) and (np.diff(ids) < 0).any()
                 else slice(None))  # batches make their vectorised records late
        writes = {
            "write_id": ids,
            "time_s": np.frombuffer(self.w_time, dtype=np.float64),
            "user": np.frombuffer(self.w_user, dtype=np.int64),
            "kind": np.frombuffer(self.w_kind, dtype=np.int8),
            "origin": np.frombuffer(self.w_origin, dtype=np.int8),
            "target": np.frombuffer(self.w_target, dtype=np.int8),
            "applied_s": np.frombuffer(self.w_applied, dtype=np.float64),
            "lost": np.frombuffer(bytes(self.w_lost), dtype=np.bool_),
            "conflict": np.frombuffer(bytes(self.w_conflict), dtype=np.bool_),
            "stuck": np.frombuffer(bytes(self.w_stuck), dtype=np.bool_),
        }
        writes = {name: column[order] for name, column in writes.items()}
        return DataPlaneOutput(
            time_s=time_s,
            op=op,
            user=user,
            client=client,
            attacker=attacker,
            region=region,
            outcome=outcome,
            attempt=attempt,
            order_key=order_key,
            stale_index=np.array(self.stale_rows, dtype=np.int64),
            staleness_s=np.array(self.staleness, dtype=np.float64),
            extra_guess_index=np.array(self.extra_rows, dtype=np.int64),
            shadow_locked_index=np.array(self.shadow_rows, dtype=np.int64),
            writes=writes,
            # Served in time order, except the guesses of a batch (a stable sort keeps
            # a guess's own counter before the shadow counter).
            locks=sorted(self.locks, key=lambda lock: lock[2]),
            users_created=self.d.created,
        )

    # ------------------------------------------------------------------ attackers

    def _attacker_region(self, attacker: int, account: int, t: float, epoch: Epoch) -> int:
        regions = self.attacker_regions[attacker]
        if self.s.attackers[attacker].endpoint_choice == "round_robin" or len(regions) == 1:
            turn = self.attacker_turn[attacker]
            self.attacker_turn[attacker] = turn + 1
            return regions[turn % len(regions)]
        # avoid_locked: the first reachable, unlocked region (the attacker reads the errors).
        for r in regions:
            if epoch.status[r] != DOWN and not self.counters[r].locked(account, t):
                return r
        for r in regions:
            if epoch.status[r] != DOWN:
                return r
        return regions[0]

    def _schedule_replays(self, t: float, op: int, user: int, issued: float,
                          old_version: int) -> None:
        if not self.replayers:
            return
        replay_op = {SIGN_OUT: REPLAY_REFRESH, PASSWORD_CHANGE: REPLAY_OLD_PASSWORD,
                     ADMIN_DISABLE: REPLAY_DISABLED}[op]
        value = issued if replay_op == REPLAY_REFRESH else old_version
        for index, targets, regions, delays in self.replayers:
            if user in targets:
                at = t + delays.next()
                for r in regions:
                    key = mix64(self.salt + (self.write_count << 12) + (r << 6) + index)
                    self._push(at, P_REQUEST,
                               ("request", replay_op, user, -1, index, 0, r, value, key))

    # ------------------------------------------------------------------ serving one request

    def _serve(self, t: float, op: int, user: int, r: int, attacker: int, epoch: Epoch,
               payload, u: float, luck: float) -> tuple[int, int, bool, bool, float | None]:
        """Outcome of one attempt: (outcome, user, extra_guess, shadow_locked, staleness).

        ``u`` and ``luck`` are the attempt's own uniform draws: ``u`` decides whether
        a degraded region fails it, ``luck`` whether an attacker's guess is right.
        """
        if r < 0:
            return DNS_DOWN, user, False, False, None
        status = epoch.status[r]
        if status == DOWN:
            return REGION_DOWN, user, False, False, None
        if status and u < epoch.error_rate[r]:
            return REGION_ERROR, user, False, False, None
        if epoch.kms_down[r] and op != M2M:
            return KMS_DOWN, user, False, False, None
        if not self._take(r, op, t):
            return THROTTLED, user, False, False, None
        d = self.d

        if op in WRITE_OPS:
            if not epoch.writable[r]:
                return READ_ONLY, user, False, False, None
            if self.mode == "sync":
                for x in range(self.n_regions):
                    if x != r and epoch.in_sync[x] and not epoch.reachable(r, x):
                        return SYNC_DOWN, user, False, False, None
            if op == SIGN_UP:  # ``user`` is the id reserved for this sign-up
                d.born[user] = 1
                d.created += 1
                d.exists[r][user] = 1
                d.cred[r][user] = 0  # a new user has a password, even in an imported pool
                self._commit(t, user, KIND_USER, r, 1.0, epoch)
                return OK, user, False, False, None

        if op == M2M:
            return OK, user, False, False, None

        if not d.exists[r][user]:
            if not self._migrate(r, user, op, epoch):
                return NOT_FOUND, user, False, False, None

        if op == SIGN_IN or op == GUESS:
            return self._sign_in(t, op, user, r, attacker, epoch, luck)
        if op == REFRESH:
            if not self._has_session(t, user):
                return self._sign_in(t, SIGN_IN, user, r, attacker, epoch, luck)
            return self._refresh(t, user, r, d.session_issued[user]), user, False, False, None
        if op == PROFILE_READ:
            version = d.profile[r][user]
            newest = d.newest_profile[user]
            if version < newest:
                acks = self.profile_acks.get(user)
                age = t - acks[version] if acks and version < len(acks) else 0.0
                return OK, user, False, False, age
            return OK, user, False, False, None
        if op == FEDERATED:
            if epoch.idp_down:
                return IDP_DOWN, user, False, False, None
            if (self.is_secondary[r] and self.s.secondary_limits.federated_needs_primary_sign_in
                    and not d.fed_seen[user]):
                return NOT_FOUND, user, False, False, None
            if d.disabled[r][user]:
                return DISABLED, user, False, False, None
            if d.pins_issuer[user] and r != self.primary_role:
                return TOKEN_REJECTED, user, False, False, None
            if r == self.primary_role:
                d.fed_seen[user] = 1
            self._new_session(t, user, r)
            return OK, user, False, False, None
        if op == PROFILE_UPDATE:
            version = int(d.newest_profile[user]) + 1
            d.newest_profile[user] = version
            d.profile[r][user] = version
            self.profile_acks.setdefault(user, []).append(t)
            self._commit(t, user, KIND_PROFILE, r, float(version), epoch)
            return OK, user, False, False, None
        if op == PASSWORD_CHANGE:
            old = int(d.newest_cred[user])
            version = old + 1
            d.newest_cred[user] = version
            d.cred[r][user] = version
            self._commit(t, user, KIND_CRED, r, float(version), epoch)
            self._schedule_replays(t, op, user, 0.0, old)
            return OK, user, False, False, None
        if op == SIGN_OUT:
            issued = float(d.session_issued[user])
            d.revoked_at[r][user] = t
            d.session_revoked[user] = 1
            self._commit(t, user, KIND_REVOCATION, r, t, epoch)
            self._schedule_replays(t, op, user, issued, 0)
            return OK, user, False, False, None
        if op == ADMIN_DISABLE:
            d.disabled[r][user] = 1
            self._commit(t, user, KIND_DISABLE, r, 1.0, epoch)
            self._schedule_replays(t, op, user, 0.0, 0)
            return OK, user, False, False, None
        if op == REPLAY_REFRESH:
            issued = payload[7]
            if d.session_region[user] != r and not self.s.sessions.cross_region_tokens:
                return TOKEN_REJECTED, user, False, False, None
            if d.revoked_at[r][user] >= issued:
                return TOKEN_REJECTED, user, False, False, None
            return OK, user, False, False, None
        if op == REPLAY_OLD_PASSWORD:
            if d.cred[r][user] == payload[7]:
                return OK, user, False, False, None
            return WRONG_PASSWORD, user, False, False, None
        if op == REPLAY_DISABLED:
            if d.disabled[r][user]:
                return DISABLED, user, False, False, None
            return OK, user, False, False, None
        raise AssertionError(f"unhandled operation code {op}")  # pragma: no cover

    def _migrate(self, r: int, user: int, op: int, epoch: Epoch) -> bool:
        """migrate_on_sign_in: copy a user from the old pool on first sign-in, if reachable."""
        if self.mode != "migrate_on_sign_in" or op not in (SIGN_IN, FEDERATED):
            return False
        source = self.primary_role
        d = self.d
        if source == r or not epoch.reachable(r, source) or not d.exists[source][user]:
            return False
        d.exists[r][user] = 1
        d.cred[r][user] = d.cred[source][user]
        d.profile[r][user] = d.profile[source][user]
        d.disabled[r][user] = d.disabled[source][user]
        return True

    def _has_session(self, t: float, user: int) -> bool:
        d = self.d
        return (not d.session_revoked[user]) and d.session_expires[user] > t

    def _new_session(self, t: float, user: int, r: int) -> None:
        d = self.d
        d.session_issued[user] = t
        d.session_expires[user] = t + self.s.sessions.refresh_token
        d.session_region[user] = r
        d.session_revoked[user] = 0

    def _refresh(self, t: float, user: int, r: int, issued: float) -> int:
        d = self.d
        if d.disabled[r][user]:
            return DISABLED
        if d.session_region[user] != r and not self.s.sessions.cross_region_tokens:
            return TOKEN_REJECTED
        if d.revoked_at[r][user] >= issued:
            return TOKEN_REJECTED
        if d.pins_issuer[user] and r != self.primary_role:
            return TOKEN_REJECTED
        return OK

    def _sign_in(self, t: float, op: int, user: int, r: int, attacker: int,
                 epoch: Epoch, luck: float) -> tuple[int, int, bool, bool, float | None]:
        d = self.d
        counter = self.counters[r]
        shadow = self.shadow
        if d.disabled[r][user] and op != GUESS:
            return DISABLED, user, False, False, None
        if counter.locked(user, t):
            return LOCKED, user, False, shadow is not None and shadow.locked(user, t), None
        shadow_locked = shadow is not None and shadow.locked(user, t)
        extra = shadow_locked
        if op == GUESS:
            correct = luck < self.s.attackers[attacker].success_probability
            if correct:
                counter.succeed(user, t)
                if shadow is not None and not shadow_locked:
                    shadow.succeed(user, t)
                return OK, user, extra, shadow_locked, None
            counter.fail(user, t)
            if shadow is not None and not shadow_locked:
                shadow.fail(user, t)
            return WRONG_PASSWORD, user, extra, shadow_locked, None
        credential = d.cred[r][user]
        if credential == NO_HASH:
            return RESET_REQUIRED, user, False, shadow_locked, None
        if credential < d.newest_cred[user]:
            counter.fail(user, t)
            if shadow is not None and not shadow_locked:
                shadow.fail(user, t)
            return STALE_CRED, user, False, shadow_locked, None
        if self.is_secondary[r]:
            mfa = d.mfa[user]
            limits = self.s.secondary_limits
            if mfa == MFA_TOTP and not limits.totp_mfa:
                return MFA_UNSUPPORTED, user, False, shadow_locked, None
            if (mfa == MFA_SMS or mfa == MFA_EMAIL) and not limits.sms_email_mfa:
                return MFA_UNSUPPORTED, user, False, shadow_locked, None
        if d.pins_issuer[user] and r != self.primary_role:
            return TOKEN_REJECTED, user, False, shadow_locked, None
        counter.succeed(user, t)
        if shadow is not None and not shadow_locked:
            shadow.succeed(user, t)
        self._new_session(t, user, r)
        return OK, user, False, shadow_locked, None


def _by_value(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Sorted non-negative ``labels`` ordered by their distinct non-negative ``values``
    (< 2**40): one sort of packed keys, a few times faster than an argsort."""
    if len(labels) and labels[-1] >= 1 << 23:
        return labels[np.argsort(values)]
    keys = np.sort((values.astype(np.int64) << np.int64(23)) | labels)
    return keys & np.int64((1 << 23) - 1)


def _take(items: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """The items (a dict of equal-length columns) where ``mask`` holds."""
    return {name: column[mask] for name, column in items.items()}


def _join(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Items of ``a`` then items of ``b``."""
    if not len(b["t"]):
        return a
    if not len(a["t"]):
        return b
    return {name: np.concatenate([a[name], b[name]]) for name in a}


def _earliest_per_user(items: dict[str, np.ndarray]) -> np.ndarray:
    """Mask of each user's first item in serving order (arrivals: ``seq`` < 0, by index;
    heap requests: by ``seq``; heap items first at equal times)."""
    static = items["seq"] < 0
    second = np.where(static, items["key"].astype(np.int64), items["seq"])
    order = np.lexsort((second, static, items["t"], items["user"]))
    sorted_users = items["user"][order]
    first = np.ones(len(order), dtype=np.bool_)
    first[1:] = sorted_users[1:] != sorted_users[:-1]
    mask = np.zeros(len(order), dtype=np.bool_)
    mask[order[first]] = True
    return mask


def base_latency_s() -> np.ndarray:
    """Service latency per operation code when nothing is wrong [assumption]."""
    from drsim.records import OPERATIONS

    table = {
        "sign_in": 0.15, "federated_sign_in": 0.4, "refresh": 0.05, "sign_up": 0.2,
        "profile_read": 0.03, "profile_update": 0.05, "password_change": 0.1,
        "sign_out": 0.05, "admin_disable": 0.05, "m2m_token": 0.05, "guess": 0.15,
        "replay_refresh": 0.05, "replay_old_password": 0.15, "replay_disabled": 0.15,
    }
    return np.array([table[name] for name in OPERATIONS], dtype=np.float32)


__all__ = ["BatchAssumptionBroken", "DataPlane", "DataPlaneOutput", "base_latency_s"]
