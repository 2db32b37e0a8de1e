"""The data plane: every request served, in time order, against the control timeline.

Requests are records, not processes. First attempts come from the arrival
arrays; retries, token replays, replication applies and control actions
(promotion cut, failback, export snapshot, rejoin) are items of one time-ordered
heap. The control state is constant within an epoch, so the per-request work is
a few array look-ups: route → region state → quota → role → user state →
outcome. Every attempt ends in exactly one outcome cause.
"""

from __future__ import annotations

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
from drsim.model.distributions import sample
from drsim.model.lockout import LockoutCounters
from drsim.model.replication import Channel, LagSampler
from drsim.model.streams import Streams
from drsim.model.traffic import Arrivals, attacker_targets
from drsim.records import OP_CODE, OUTCOME_CODE, WRITE_KINDS
from drsim.scenario.schema import Scenario

O = OUTCOME_CODE
OK = O["ok"]
REGION_DOWN = O["region_down"]
REGION_ERROR = O["region_error"]
READ_ONLY = O["read_only"]
NOT_FOUND = O["user_not_found"]
STALE_CRED = O["stale_credential"]
RESET_REQUIRED = O["password_reset_required"]
MFA_UNSUPPORTED = O["mfa_unsupported"]
LOCKED = O["locked_out"]
WRONG_PASSWORD = O["wrong_password"]
THROTTLED = O["throttled"]
TOKEN_REJECTED = O["token_rejected"]
IDP_DOWN = O["idp_unavailable"]
KMS_DOWN = O["kms_unavailable"]
DNS_DOWN = O["dns_unavailable"]
SYNC_DOWN = O["sync_unavailable"]
DISABLED = O["user_disabled"]

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

# Heap item priorities at equal times: control actions, then applies, then requests.
P_ACTION, P_APPLY, P_REQUEST = 0, 1, 2


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
    stale_index: np.ndarray
    staleness_s: np.ndarray
    extra_guess_index: np.ndarray
    shadow_locked_index: np.ndarray
    writes: dict[str, np.ndarray]
    locks: list[tuple[int, str, float, float]]
    users_created: int


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


class DataPlane:
    """Serves every request of one replication."""

    def __init__(self, scenario: Scenario, streams: Streams, control: ControlTimeline,
                 arrivals: Arrivals, directory: Directory, router: Router) -> None:
        self.s = scenario
        self.control = control
        self.arrivals = arrivals
        self.d = directory
        self.router = router
        self.n_regions = n = len(scenario.regions)
        roles = [r.role for r in scenario.regions]
        self.is_secondary = [role == "secondary" for role in roles]
        self.primary_role = roles.index("primary") if "primary" in roles else 0
        self.mode = scenario.replication.mode
        self.peers = "peer" in roles
        self.horizon = scenario.run.duration

        self.buckets = [
            {
                category: TokenBucket(getattr(region.quotas, category), region.quotas.burst)
                for category in set(QUOTA_CATEGORY.values())
            }
            for region in scenario.regions
        ]
        self.bucket_of = [
            {op: self.buckets[r][category] for op, category in QUOTA_CATEGORY.items()}
            for r in range(n)
        ]

        # Lockout: real counters (per region or shared) and the shadow global counter.
        self.locks: list[tuple[int, str, float, float]] = []
        policy = scenario.lockout
        if policy.scope == "global":
            shared = LockoutCounters(policy, "shared", self.locks)
            self.counters = [shared] * n
            self.shadow = None
        else:
            self.counters = [LockoutCounters(policy, name, self.locks)
                             for name in scenario.region_names]
            self.shadow = LockoutCounters(policy, "global", self.locks)

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
        self.random = _Uniforms(streams.get("errors"))
        self.retry_random = _Uniforms(streams.get("retry"))

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
        self.w_pending: dict[int, int] = {}  # row -> heap presence (pending applies)
        self.write_count = 0
        self.profile_acks: dict[int, list[float]] = {}

        # Token-replay attackers.
        self.replayers = []
        for index, attacker in enumerate(scenario.attackers):
            if attacker.kind == "token_replay":
                targets = set(attacker_targets(scenario, streams, attacker).tolist())
                regions = (
                    list(range(n)) if attacker.regions == "all"
                    else [scenario.region_index(x) for x in attacker.regions]
                )
                delays = LagSampler(attacker.replay_delay, streams.get(f"replay/{attacker.name}"))
                self.replayers.append((index, attacker, targets, regions, delays))
        self.attacker_regions = []
        for attacker in scenario.attackers:
            self.attacker_regions.append(
                list(range(n)) if attacker.regions == "all"
                else [scenario.region_index(x) for x in attacker.regions]
            )
        self.attacker_turn = [0] * len(scenario.attackers)
        self.attack_random = _Uniforms(streams.get("attack/outcomes"))

        self.client_retry = [k.retry for k in scenario.clients]
        self.client_retry_codes = [
            frozenset(OUTCOME_CODE[c] for c in k.retry.retry_on) for k in scenario.clients
        ]

        self.heap: list[tuple] = []
        self.seq = 0
        for action in control.actions:
            self._push(action.time_s, P_ACTION, ("action", action))

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
        self.w_pending.pop(row, None)
        if self.w_lost[row]:
            return
        applied = self._apply(self.w_target[row], self.w_user[row], self.w_kind[row],
                              self.w_value[row])
        if not applied and self.w_stuck[row]:
            self.w_conflict[row] = 1
        self.w_applied[row] = t

    def _action(self, t: float, action, epoch: Epoch) -> None:
        d = self.d
        if action.kind == "promote":
            s, old = action.region, action.other
            lost = self.s.failover.failback.unreplicated_writes == "lost"
            for row in list(self.w_pending):
                if self.w_origin[row] == old and self.w_target[row] == s:
                    self.w_stuck[row] = 1
                    if lost:
                        self.w_lost[row] = 1
                        del self.w_pending[row]
            if self.mode != "async" and self.mode != "sync":
                # Nothing in flight: writes the old authority made after the last copy are lost.
                for row in range(len(self.w_time)):
                    if (self.w_origin[row] == old and self.w_target[row] == s
                            and math.isnan(self.w_applied[row]) and not self.w_lost[row]):
                        self.w_stuck[row] = 1
                        self.w_lost[row] = 1
        elif action.kind == "failback":
            p, s = action.region, action.other
            # Flush what is in flight to the old primary, then it adopts the authority's state.
            for row in list(self.w_pending):
                if self.w_target[row] == p:
                    self._apply_row(t, row)
            d.copy_replica(s, p)
            if self.s.failover.failback.unreplicated_writes == "lost":
                # Lost writes are gone for good: "newest acknowledged" is what survived.
                view(d.newest_cred)[:] = view(d.cred[p])
                survived = view(d.profile[p])
                newest = view(d.newest_profile)
                for user in np.nonzero(newest > survived)[0].tolist():
                    del self.profile_acks.get(user, [])[int(survived[user]):]
                newest[:] = survived
        elif action.kind == "export":
            r, source = action.region, action.other
            new = (view(d.exists[source]) == 1) & (view(d.exists[r]) == 0)
            for column in (d.exists, d.profile, d.disabled, d.revoked_at):
                view(column[r])[:] = view(column[source])
            view(d.cred[r])[new] = NO_HASH
            for row in range(len(self.w_time)):
                if (self.w_target[row] == r and math.isnan(self.w_applied[row])
                        and self.w_time[row] <= t and not self.w_lost[row]):
                    self.w_applied[row] = t
        elif action.kind == "rejoin":
            d.copy_replica(action.other, action.region)

    # ------------------------------------------------------------------ the loop

    def run(self) -> DataPlaneOutput:
        arr = self.arrivals
        n_static = len(arr)
        times = arr.time_s.tolist()
        ops = arr.op.tolist()
        picks = arr.pick.tolist()
        draws = arr.u.tolist()
        attackers = arr.attacker.tolist()
        accounts = arr.account.tolist()
        scripted = arr.user.tolist() if arr.user is not None else None

        # Resolve legitimate users lazily but route in bulk: routing needs the user, which
        # depends on how many users exist; route each request when it is served.
        outcome = bytearray(n_static)
        region_out = array("b", bytes(n_static))
        user_out = array("q", bytes(8 * n_static))
        client_out = array("b", bytes(n_static))

        dyn_time = array("d")
        dyn_op = array("b")
        dyn_user = array("q")
        dyn_client = array("b")
        dyn_attacker = array("h")
        dyn_region = array("b")
        dyn_outcome = bytearray()
        dyn_attempt = array("b")
        stale_index: list[int] = []
        staleness: list[float] = []
        extra_index: list[int] = []
        shadow_index: list[int] = []

        epochs = self.control.epochs
        epoch_i = 0
        epoch = epochs[0]
        next_epoch = epochs[1].start_s if len(epochs) > 1 else math.inf
        heap = self.heap
        d = self.d
        population = d.population
        route_one = self.router.route
        client_of = d.client
        i = 0
        inf = math.inf

        while True:
            t_arrival = times[i] if i < n_static else inf
            if heap and heap[0][0] <= t_arrival:
                t, _, _, payload = heapq.heappop(heap)
                if t >= self.horizon:
                    if i >= n_static:
                        break
                    continue
                static = False
            else:
                if i >= n_static:
                    break
                t = t_arrival
                payload = None
                static = True
            while t >= next_epoch:
                epoch_i += 1
                epoch = epochs[epoch_i]
                next_epoch = epochs[epoch_i + 1].start_s if epoch_i + 1 < len(epochs) else inf

            if static:
                index = i
                i += 1
                op = ops[index]
                attacker = attackers[index]
                attempt = 0
                u = draws[index]
                luck = picks[index]
                if attacker >= 0:
                    user = accounts[index]
                    client = -1
                    region = self._attacker_region(attacker, user, t, epoch)
                else:
                    if op == SIGN_UP:
                        user = -1
                        client = int(client_of[population + d.created]) if (
                            population + d.created < d.capacity) else 0
                    elif op == M2M:
                        user = -1
                        client = 0
                    elif scripted is not None:
                        user = scripted[index]
                        client = int(client_of[user])
                    else:
                        user = int(picks[index] * (population + d.created))
                        client = int(client_of[user])
                    region = route_one(t, user if user >= 0 else self._proxy_user())
            else:
                kind = payload[0]
                if kind == "apply":
                    self._apply_row(t, payload[1])
                    continue
                if kind == "action":
                    self._action(t, payload[1], epoch)
                    continue
                # A retry or a replay: ("request", op, user, client, attacker, attempt, region, extra)
                _, op, user, client, attacker, attempt, region, extra = payload
                u = self.random.next()
                luck = self.attack_random.next()
                if attacker < 0:
                    region = route_one(t, user if user >= 0 else self._proxy_user())
                index = n_static + len(dyn_time)

            result, user, extra_flag, shadow_flag, stale_age = self._serve(
                t, op, user, region, attacker, epoch, payload, u, luck
            )
            if stale_age is not None:
                stale_index.append(index)
                staleness.append(stale_age)
            if extra_flag:
                extra_index.append(index)
            if shadow_flag:
                shadow_index.append(index)
            if static:
                outcome[index] = result
                region_out[index] = region
                user_out[index] = user
                client_out[index] = client
            else:
                dyn_time.append(t)
                dyn_op.append(op)
                dyn_user.append(user)
                dyn_client.append(client)
                dyn_attacker.append(attacker)
                dyn_region.append(region)
                dyn_outcome.append(result)
                dyn_attempt.append(attempt)

            if result != OK and attacker < 0 and client >= 0:
                policy = self.client_retry[client]
                if attempt + 1 < policy.attempts and result in self.client_retry_codes[client]:
                    jitter = 1.0 + policy.jitter * (2.0 * self.retry_random.next() - 1.0)
                    delay = policy.backoff * policy.multiplier ** attempt * jitter
                    self._push(t + delay, P_REQUEST,
                               ("request", op, user, client, -1, attempt + 1, -1, None))

        columns = {
            "time_s": np.concatenate([arr.time_s, np.frombuffer(dyn_time, dtype=np.float64)]),
            "op": np.concatenate([arr.op, np.frombuffer(dyn_op, dtype=np.int8)]),
            "user": np.concatenate([np.frombuffer(user_out, dtype=np.int64),
                                    np.frombuffer(dyn_user, dtype=np.int64)]),
            "client": np.concatenate([np.frombuffer(client_out, dtype=np.int8),
                                      np.frombuffer(dyn_client, dtype=np.int8)]),
            "attacker": np.concatenate([arr.attacker, np.frombuffer(dyn_attacker, dtype=np.int16)]),
            "region": np.concatenate([np.frombuffer(region_out, dtype=np.int8),
                                      np.frombuffer(dyn_region, dtype=np.int8)]),
            "outcome": np.concatenate([np.frombuffer(bytes(outcome), dtype=np.uint8),
                                       np.frombuffer(bytes(dyn_outcome), dtype=np.uint8)]),
            "attempt": np.concatenate([np.zeros(n_static, dtype=np.int8),
                                       np.frombuffer(dyn_attempt, dtype=np.int8)]),
        }
        writes = {
            "write_id": np.frombuffer(self.w_id, dtype=np.int64),
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
        return DataPlaneOutput(
            time_s=columns["time_s"],
            op=columns["op"],
            user=columns["user"],
            client=columns["client"],
            attacker=columns["attacker"],
            region=columns["region"],
            outcome=columns["outcome"],
            attempt=columns["attempt"],
            stale_index=np.array(stale_index, dtype=np.int64),
            staleness_s=np.array(staleness, dtype=np.float64),
            extra_guess_index=np.array(extra_index, dtype=np.int64),
            shadow_locked_index=np.array(shadow_index, dtype=np.int64),
            writes=writes,
            locks=self.locks,
            users_created=d.created,
        )

    def _proxy_user(self) -> int:
        """The row whose client routes a request that has no user yet (sign-up, M2M)."""
        return min(self.d.population + self.d.created, self.d.capacity - 1)

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
        for index, _attacker, targets, regions, delays in self.replayers:
            if user in targets:
                at = t + delays.next()
                for r in regions:
                    self._push(at, P_REQUEST,
                               ("request", replay_op, user, -1, index, 0, r, value))

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
        if not self.bucket_of[r][op].take(t):
            return THROTTLED, user, False, False, None
        d = self.d

        if op in WRITE_OPS:
            if not epoch.writable[r]:
                return READ_ONLY, user, False, False, None
            if self.mode == "sync":
                for x in range(self.n_regions):
                    if x != r and epoch.in_sync[x] and not epoch.reachable(r, x):
                        return SYNC_DOWN, user, False, False, None
            if op == SIGN_UP:
                if d.population + d.created >= d.capacity:
                    return READ_ONLY, user, False, False, None
                user = d.population + d.created
                d.created += 1
                d.exists[r][user] = 1
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


class _Uniforms:
    """Buffered uniform draws from one stream, consumed in order."""

    __slots__ = ("rng", "buffer", "pos")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.buffer: list[float] = []
        self.pos = 0

    def next(self) -> float:
        if self.pos >= len(self.buffer):
            self.buffer = self.rng.random(8192).tolist()
            self.pos = 0
        value = self.buffer[self.pos]
        self.pos += 1
        return value


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


__all__ = ["DataPlane", "DataPlaneOutput", "base_latency_s", "sample"]
