"""The outcome rules: why a request fails, each rule once, in both forms.

A request is checked in this order, and the first rule that refuses it names
its outcome cause (docs/model.md, "One run"):

1. endpoint — no DNS answer, region down, gray-failure error, KMS unavailable;
2. quota — :mod:`drsim.model.quotas`;
3. writes — the region is read-only (or, synchronously, a peer is unreachable);
4. user state — the user does not exist in the region;
5. per operation — sign-in: misconfigured (a corruption fault), disabled, lockout (:mod:`drsim.model.lockout`),
   credential, second factor, issuer pinning; refresh: disabled, token region,
   revocation, issuer pinning; federated sign-in: IdP, first sign-in at the
   primary, disabled, issuer pinning;
6. dependencies — a sender or trigger the request needs is down or over capacity
   (:mod:`drsim.model.dependencies`, checked last by the data plane).

Each rule has a one-at-a-time form (scalars, for the reference and for requests
served one at a time) and, beside it, a vectorised form (``*_many``: arrays,
for batches) that must agree with it element by element; ``tests/model/
test_rules.py`` holds each pair to that, so a drift names the rule. Vectorised
checks run in the same order as the scalar ones: a check refuses only requests
no earlier check refused (:func:`refuse`).
"""

from __future__ import annotations

import numpy as np

from drsim.model.control import DOWN, Epoch
from drsim.model.directory import MFA_EMAIL, MFA_SMS, MFA_TOTP, NO_HASH, Directory, view
from drsim.model.operations import (
    DISABLED,
    DNS_DOWN,
    FEDERATED_UNSEEN,
    IDP_DOWN,
    KMS_DOWN,
    M2M,
    MFA_UNSUPPORTED,
    MISCONFIGURED,
    OK,
    READ_ONLY,
    REFRESH,
    REGION_DOWN,
    REGION_ERROR,
    RESET_REQUIRED,
    SIGN_IN,
    SIGN_UP,
    STALE_CRED,
    SYNC_DOWN,
    TOKEN_REJECTED,
)
from drsim.scenario.schema import Scenario


def refuse(outcome: np.ndarray, mask: np.ndarray, code: int) -> None:
    """Refuse the requests where ``mask`` holds with ``code``, unless an earlier check did."""
    np.copyto(outcome, code, where=mask & (outcome == OK))


def settle(outcome: np.ndarray, codes: np.ndarray) -> None:
    """Where no earlier check refused, the next check's outcome (OK or a refusal)."""
    np.copyto(outcome, codes, where=outcome == OK)


def gather(columns: list, region: np.ndarray, user: np.ndarray) -> np.ndarray:
    """``columns[region[k]][user[k]]`` for every k (region −1 reads region 0). Every
    user is read from the most common region's column, then the others' are read again
    from theirs."""
    first = int(region[0]) if len(region) else 0
    if len(columns) == 1 or (region == first).all():  # one region (a batch's usual case)
        return view(columns[max(first, 0)])[user]
    counts = np.bincount(np.maximum(region, 0), minlength=len(columns))
    most = int(counts.argmax())
    result = view(columns[most])[user]
    for r in np.flatnonzero(counts).tolist():
        if r != most:  # (positions: the regions are interleaved)
            at = np.flatnonzero(region == r if r else region <= 0)
            result[at] = view(columns[r])[user[at]]
    return result


class EpochArrays:
    """An epoch's per-region state as numpy arrays; ``troubled``: some region is down,
    degraded or without KMS (else only a missing DNS answer fails an endpoint)."""

    __slots__ = ("status", "error_rate", "kms_down", "writable", "troubled")

    def __init__(self, epoch: Epoch) -> None:
        self.status = np.array(epoch.status, dtype=np.int64)
        self.error_rate = np.array(epoch.error_rate, dtype=np.float64)
        self.kms_down = np.array(epoch.kms_down, dtype=np.bool_)
        self.writable = np.array(epoch.writable, dtype=np.bool_)
        self.troubled = bool(self.status.any() or self.kms_down.any())


class Rules:
    """The outcome rules of one run, bound to its scenario and directory."""

    def __init__(self, scenario: Scenario, directory: Directory) -> None:
        self.directory = directory
        roles = [r.role for r in scenario.regions]
        self.is_secondary = [role == "secondary" for role in roles]
        self.is_secondary_np = np.array(self.is_secondary, dtype=np.bool_)
        self.primary = roles.index("primary") if "primary" in roles else 0
        self.sync = scenario.replication.mode == "sync"
        self.n_regions = len(roles)
        limits = scenario.secondary_limits
        self.refresh_token_s = scenario.sessions.refresh_token  # a session's lifetime
        self.totp_on_secondary = limits.totp_mfa
        self.sms_email_on_secondary = limits.sms_email_mfa
        self.federation_needs_primary = limits.federated_needs_primary_sign_in
        self.cross_region_tokens = scenario.sessions.cross_region_tokens
        self.any_pinned = scenario.sessions.issuer_pinning > 0
        self._arrays: dict[int, tuple[Epoch, EpochArrays]] = {}

    def arrays(self, epoch: Epoch) -> EpochArrays:
        """The epoch's state as arrays (cached per epoch; the cache keeps the epoch, so
        that its id is not another's)."""
        cached = self._arrays.get(id(epoch))
        if cached is None or cached[0] is not epoch:
            cached = self._arrays[id(epoch)] = (epoch, EpochArrays(epoch))
        return cached[1]

    # ------------------------------------------------------------------ 1. endpoint

    def endpoint(self, epoch: Epoch, r: int, op: int, u: float) -> int:
        """DNS, region down, gray failure (``u``: the attempt's own draw), KMS."""
        if r < 0:
            return DNS_DOWN
        status = epoch.status[r]
        if status == DOWN:
            return REGION_DOWN
        if status and u < epoch.error_rate[r]:
            return REGION_ERROR
        if epoch.kms_down[r] and op != M2M:
            return KMS_DOWN
        return OK

    def endpoint_many(self, epoch: Epoch, region: np.ndarray, op: np.ndarray | int,
                      u: np.ndarray) -> np.ndarray:
        """:meth:`endpoint` of many requests."""
        arrays = self.arrays(epoch)
        out = np.where(region < 0, DNS_DOWN, OK)
        if not arrays.troubled:
            return out
        r = np.maximum(region, 0)
        status = arrays.status[r]
        refuse(out, status == DOWN, REGION_DOWN)
        refuse(out, (status != 0) & (u < arrays.error_rate[r]), REGION_ERROR)
        refuse(out, arrays.kms_down[r] & (op != M2M), KMS_DOWN)
        return out

    # ------------------------------------------------------------------ 3. writes

    def write(self, epoch: Epoch, r: int) -> int:
        """A write at a read-only region; synchronously, at a region that cannot reach
        an in-sync peer."""
        if not epoch.writable[r]:
            return READ_ONLY
        if self.sync:
            for x in range(self.n_regions):
                if x != r and epoch.in_sync[x] and not epoch.reachable(r, x):
                    return SYNC_DOWN
        return OK

    def write_many(self, epoch: Epoch, region: np.ndarray) -> np.ndarray:
        """:meth:`write` of many writes (batches serve no write under synchronous
        replication, see DataPlane.is_batched)."""
        return np.where(self.arrays(epoch).writable[region], OK, READ_ONLY)

    def sign_up_many(self, epoch: Epoch, region: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Outcomes of sign-ups as a batch decides them (no quota or queue runs dry in a
        batch): the endpoint, then the write; a sign-up's user is the id reserved for it."""
        out = self.endpoint_many(epoch, region, SIGN_UP, u)
        ok = np.flatnonzero(out == OK)
        out[ok] = self.write_many(epoch, region[ok])
        return out

    # ------------------------------------------------------------------ 4. user state

    def missing(self, r: int, user: int) -> bool:
        """The user does not exist in region ``r`` (before any lazy migration)."""
        return not self.directory.exists[r][user]

    def varied_many(self, user: np.ndarray, varied: np.ndarray | None = None) -> np.ndarray:
        """Positions of the users whose replicas may no longer hold the start state
        (:attr:`Directory.varied`): the others exist everywhere, enabled, never revoked,
        with credential and profile at version 0 as the truth. The vectorised rules read
        the replicas of these only (most users never write: one byte read per request
        instead of several wider ones). ``varied``: the users' marks, if read already
        (each ``*_many`` rule below takes them)."""
        return np.flatnonzero(view(self.directory.varied)[user] if varied is None else varied)

    def missing_many(self, region: np.ndarray, user: np.ndarray,
                     varied: np.ndarray | None = None) -> np.ndarray:
        missing = np.zeros(len(user), dtype=np.bool_)
        k = self.varied_many(user, varied)
        missing[k] = gather(self.directory.exists, region[k], user[k]) == 0
        return missing

    def disabled(self, r: int, user: int) -> bool:
        """The user is disabled in region ``r``."""
        return bool(self.directory.disabled[r][user])

    def disabled_many(self, region: np.ndarray, user: np.ndarray,
                      varied: np.ndarray | None = None) -> np.ndarray:
        disabled = np.zeros(len(user), dtype=np.bool_)
        k = self.varied_many(user, varied)
        disabled[k] = gather(self.directory.disabled, region[k], user[k]) != 0
        return disabled

    # ------------------------------------------------------------------ 5. sign-in

    def credential(self, r: int, user: int) -> int:
        """Region ``r`` holds no password hash (imported), or a superseded password."""
        d = self.directory
        stored = d.cred[r][user]
        if stored == NO_HASH:
            return RESET_REQUIRED
        if stored < d.newest_cred[user]:
            return STALE_CRED
        return OK

    def credential_many(self, region: np.ndarray, user: np.ndarray,
                        varied: np.ndarray | None = None) -> np.ndarray:
        out = np.full(len(user), OK, dtype=np.int64)
        k = self.varied_many(user, varied)
        stored = gather(self.directory.cred, region[k], user[k])
        out[k] = np.where(stored == NO_HASH, RESET_REQUIRED,
                          np.where(stored < view(self.directory.newest_cred)[user[k]],
                                   STALE_CRED, OK))
        return out

    def superseded_many(self, region: np.ndarray, user: np.ndarray,
                        varied: np.ndarray | None = None) -> np.ndarray:
        """Whether region ``region`` holds a superseded password of each user (such a
        sign-in feeds the lockout counters: the batch serves it one at a time)."""
        superseded = np.zeros(len(user), dtype=np.bool_)
        k = self.varied_many(user, varied)
        superseded[k] = (gather(self.directory.cred, region[k], user[k])
                         < view(self.directory.newest_cred)[user[k]])
        return superseded

    def second_factor(self, r: int, user: int) -> int:
        """The user's MFA kind is not supported in a secondary region."""
        if not self.is_secondary[r]:
            return OK
        mfa = self.directory.mfa[user]
        if mfa == MFA_TOTP and not self.totp_on_secondary:
            return MFA_UNSUPPORTED
        if (mfa == MFA_SMS or mfa == MFA_EMAIL) and not self.sms_email_on_secondary:
            return MFA_UNSUPPORTED
        return OK

    def second_factor_many(self, region: np.ndarray, user: np.ndarray) -> np.ndarray:
        """:meth:`second_factor` of many sign-ins (only those at a secondary region read
        the user's MFA kind)."""
        out = np.zeros(len(user), dtype=np.int64)
        if self.totp_on_secondary and self.sms_email_on_secondary:
            return out
        k = np.flatnonzero(self.is_secondary_np[region])
        mfa = view(self.directory.mfa)[user[k]]
        refused = np.zeros(len(k), dtype=np.bool_)
        if not self.totp_on_secondary:
            refused |= mfa == MFA_TOTP
        if not self.sms_email_on_secondary:
            refused |= (mfa == MFA_SMS) | (mfa == MFA_EMAIL)
        out[k[refused]] = MFA_UNSUPPORTED
        return out

    def pinned_elsewhere(self, r: int, user: int) -> bool:
        """The user's relying party pins the primary's issuer and ``r`` is not it."""
        return bool(self.directory.pins_issuer[user]) and r != self.primary

    def pinned_elsewhere_many(self, region: np.ndarray, user: np.ndarray) -> np.ndarray:
        if not self.any_pinned:  # no user pins an issuer
            return np.zeros(len(user), dtype=np.bool_)
        return (view(self.directory.pins_issuer)[user] != 0) & (region != self.primary)

    # ------------------------------------------------------------------ 5. sessions

    def has_session(self, t: float, user: int) -> bool:
        """The user holds a refresh token that is neither revoked nor expired at ``t``
        (a refresh without one is served, and retried, as a sign-in; a revoked one's
        issue time reads −inf)."""
        return self.directory.session_issued[user] + self.refresh_token_s > t

    def has_session_many(self, t: np.ndarray, user: np.ndarray) -> np.ndarray:
        expires = view(self.directory.session_issued)[user]
        expires += self.refresh_token_s
        return expires > t

    def served_as(self, op: int, t: float, user: int) -> int:
        """The operation a request is served as: a refresh without a session signs in."""
        if op == REFRESH and not self.has_session(t, user):
            return SIGN_IN
        return op

    def served_as_many(self, op: np.ndarray, t: np.ndarray, user: np.ndarray) -> np.ndarray:
        return np.where((op == REFRESH) & ~self.has_session_many(t, user), SIGN_IN,
                        op).astype(np.int8)

    def refresh(self, r: int, user: int) -> int:
        """A refresh of a live session: disabled, token from another region (unless
        accepted across regions), revoked in ``r``, issuer pinned elsewhere."""
        d = self.directory
        if d.disabled[r][user]:
            return DISABLED
        if d.session_region[user] != r and not self.cross_region_tokens:
            return TOKEN_REJECTED
        if d.revoked_at[r][user] >= d.session_issued[user]:
            return TOKEN_REJECTED
        if self.pinned_elsewhere(r, user):
            return TOKEN_REJECTED
        return OK

    def refresh_many(self, region: np.ndarray, user: np.ndarray,
                     varied: np.ndarray | None = None) -> np.ndarray:
        d = self.directory
        out = np.zeros(len(user), dtype=np.int64)
        k = self.varied_many(user, varied)  # only their replicas can hold a disable or a revocation
        if len(k):
            r, u = region[k], user[k]
            out[k] = np.where(gather(d.disabled, r, u) != 0, DISABLED,
                              np.where(gather(d.revoked_at, r, u) >= view(d.session_issued)[u],
                                       TOKEN_REJECTED, OK))
        if not self.cross_region_tokens:
            refuse(out, view(d.session_region)[user] != region, TOKEN_REJECTED)
        if self.any_pinned:
            refuse(out, self.pinned_elsewhere_many(region, user), TOKEN_REJECTED)
        return out

    def ends_session(self, r: int, user: int) -> bool:
        """A refresh of a live session at ``r`` is refused for good — the user is not
        there, or the token is rejected (a forced re-authentication follows)."""
        return self.missing(r, user) or self.refresh(r, user) == TOKEN_REJECTED

    def ends_session_many(self, region: np.ndarray, user: np.ndarray) -> np.ndarray:
        """:meth:`ends_session` of many refreshes: only the terms that can apply in this
        design are gathered (a batch asks it of every refresh)."""
        d = self.directory
        rejected = np.zeros(len(user), dtype=np.bool_)
        if not self.cross_region_tokens:
            rejected |= view(d.session_region)[user] != region
        if self.any_pinned:
            rejected |= self.pinned_elsewhere_many(region, user)
        k = self.varied_many(user)  # only their replicas can lack them, disable or revoke
        if len(k):
            r, u = region[k], user[k]
            revoked = gather(d.revoked_at, r, u) >= view(d.session_issued)[u]
            rejected[k] = (gather(d.exists, r, u) == 0) | (  # a disabled user: as disabled
                (rejected[k] | revoked) & (gather(d.disabled, r, u) == 0))
        return rejected

    # ------------------------------------------------------------------ 5. federation

    @staticmethod
    def misconfigured(epoch: Epoch, r: int) -> bool:
        """The region's pool configuration is corrupt (a corruption fault): no sign-in works."""
        return bool(epoch.misconfigured) and epoch.misconfigured[r]

    @staticmethod
    def misconfigured_many(epoch: Epoch, region: np.ndarray) -> np.ndarray:
        """:meth:`misconfigured` of many requests."""
        if not epoch.misconfigured:
            return np.zeros(len(region), dtype=np.bool_)
        return np.array(epoch.misconfigured, dtype=np.bool_)[region]

    def federated(self, epoch: Epoch, r: int, user: int) -> int:
        """A federated sign-in: misconfigured region; IdP down; a secondary that has not seen the user (who
        must first sign in at the primary); disabled; issuer pinned elsewhere."""
        if self.misconfigured(epoch, r):
            return MISCONFIGURED
        if epoch.idp_down:
            return IDP_DOWN
        if (self.is_secondary[r] and self.federation_needs_primary
                and not self.directory.fed_seen[user]):
            return FEDERATED_UNSEEN
        if self.disabled(r, user):
            return DISABLED
        if self.pinned_elsewhere(r, user):
            return TOKEN_REJECTED
        return OK

    def federated_many(self, epoch: Epoch, region: np.ndarray, user: np.ndarray,
                       varied: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(len(user), dtype=np.int64)
        refuse(out, self.misconfigured_many(epoch, region), MISCONFIGURED)
        if epoch.idp_down:
            out[out == OK] = IDP_DOWN
            return out
        if self.federation_needs_primary:
            refuse(out, self.is_secondary_np[region]
                   & (view(self.directory.fed_seen)[user] == 0), FEDERATED_UNSEEN)
        refuse(out, self.disabled_many(region, user, varied), DISABLED)
        refuse(out, self.pinned_elsewhere_many(region, user), TOKEN_REJECTED)
        return out

    # ------------------------------------------------------------------ reads

    def stale_version(self, r: int, user: int) -> int | None:
        """The profile version region ``r`` serves, if older than the newest acknowledged."""
        version = self.directory.profile[r][user]
        return version if version < self.directory.newest_profile[user] else None

    def stale_versions_many(self, region: np.ndarray, user: np.ndarray,
                            varied: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Which profile reads are stale, and the versions they read."""
        version = np.zeros(len(user), dtype=np.int32)
        stale = np.zeros(len(user), dtype=np.bool_)
        k = self.varied_many(user, varied)
        version[k] = gather(self.directory.profile, region[k], user[k])
        stale[k] = version[k] < view(self.directory.newest_profile)[user[k]]
        return stale, version
