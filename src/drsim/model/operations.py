"""Operation, outcome and write-kind codes as the data plane uses them.

The names and their order are the record tables' contract (:mod:`drsim.records`);
this module gives each code a constant and says which operations write, which
quota category each draws from, and which write kind each write replicates as.
"""

from __future__ import annotations

import numpy as np

from drsim.records import OP_CODE, OPERATIONS, OUTCOME_CODE, WRITE_KINDS

OK = OUTCOME_CODE["ok"]
REGION_DOWN = OUTCOME_CODE["region_down"]
REGION_ERROR = OUTCOME_CODE["region_error"]
READ_ONLY = OUTCOME_CODE["read_only"]
NOT_FOUND = OUTCOME_CODE["user_not_found"]
STALE_CRED = OUTCOME_CODE["stale_credential"]
RESET_REQUIRED = OUTCOME_CODE["password_reset_required"]
MFA_UNSUPPORTED = OUTCOME_CODE["mfa_unsupported"]
LOCKED = OUTCOME_CODE["locked_out"]
WRONG_PASSWORD = OUTCOME_CODE["wrong_password"]
THROTTLED = OUTCOME_CODE["throttled"]
TOKEN_REJECTED = OUTCOME_CODE["token_rejected"]
IDP_DOWN = OUTCOME_CODE["idp_unavailable"]
KMS_DOWN = OUTCOME_CODE["kms_unavailable"]
DNS_DOWN = OUTCOME_CODE["dns_unavailable"]
SYNC_DOWN = OUTCOME_CODE["sync_unavailable"]
DISABLED = OUTCOME_CODE["user_disabled"]
FEDERATED_UNSEEN = OUTCOME_CODE["federated_user_unseen"]
TIMEOUT = OUTCOME_CODE["timeout"]
SHED_OUT = OUTCOME_CODE["shed"]
DEPENDENCY_DOWN = OUTCOME_CODE["dependency_down"]
DEPENDENCY_THROTTLED = OUTCOME_CODE["dependency_throttled"]
CIRCUIT_OPEN = OUTCOME_CODE["circuit_open"]
CORRUPT = OUTCOME_CODE["corrupt"]
MISCONFIGURED = OUTCOME_CODE["misconfigured"]

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
"""The quota (``regions[].quotas`` key) each operation draws a token from."""
QUOTA_CATEGORIES = sorted(set(QUOTA_CATEGORY.values()))
"""The quota categories, in the order of a region's buckets."""
CATEGORY_OF_OP = np.array([QUOTA_CATEGORIES.index(QUOTA_CATEGORY[op])
                           for op in range(len(OP_CODE))], dtype=np.int64)
"""Each operation code's quota category (its place in :data:`QUOTA_CATEGORIES`)."""

KIND_USER, KIND_CRED, KIND_PROFILE, KIND_REVOCATION, KIND_DISABLE = range(len(WRITE_KINDS))
IS_WRITE = np.zeros(len(OP_CODE), dtype=np.bool_)
IS_WRITE[list(WRITE_OPS)] = True
KIND_OF_OP = np.zeros(len(OP_CODE), dtype=np.int8)
KIND_OF_OP[[SIGN_UP, PASSWORD_CHANGE, PROFILE_UPDATE, SIGN_OUT, ADMIN_DISABLE]] = [
    KIND_USER, KIND_CRED, KIND_PROFILE, KIND_REVOCATION, KIND_DISABLE]
"""The write kind (``WRITE_KINDS``) each write operation replicates as."""


def base_latency_s() -> np.ndarray:
    """Service latency per operation code when nothing is wrong [assumption]."""
    table = {
        "sign_in": 0.15, "federated_sign_in": 0.4, "refresh": 0.05, "sign_up": 0.2,
        "profile_read": 0.03, "profile_update": 0.05, "password_change": 0.1,
        "sign_out": 0.05, "admin_disable": 0.05, "m2m_token": 0.05, "guess": 0.15,
        "replay_refresh": 0.05, "replay_old_password": 0.15, "replay_disabled": 0.15,
    }
    return np.array([table[name] for name in OPERATIONS], dtype=np.float32)
