"""Records: what happened in one run, as flat columnar tables.

The model appends; metrics read. Nothing here knows what a row *means* for a
design review — only its shape. Two kinds of monitor (salabim's distinction):

* **tallies** — one row per event: a request (:data:`REQUEST_COLUMNS`), an
  acknowledged write and where it applied (:data:`WRITE_COLUMNS`), a lock
  interval (:data:`LOCK_COLUMNS`);
* **levels** — state changes over time (:data:`EVENT_COLUMNS`): region state,
  health verdict, DNS answer, writable region (the replication backlog is a
  level derived from ``writes``: acknowledged, not yet applied). A level
  holds its value until the next row of the same ``kind`` and ``region``.

Codes: operations and outcomes are stored as small integers while running and
become pandas ``Categorical`` columns (named by :data:`OPERATIONS` and
:data:`OUTCOMES`) in the tables.

Tables of a run (:class:`RunRecords`):

``requests`` — one row per request attempt (retries are rows of their own):
    ``time_s`` (float64, when the attempt was made), ``op`` (category: an
    operation of :data:`OPERATIONS`), ``user`` (int64 user id; the targeted
    account for attackers), ``client`` (category: client kind name, or the
    attacker's name), ``attacker`` (bool), ``region`` (category: region the
    attempt reached, ``"none"`` when it reached none), ``outcome`` (category:
    :data:`OUTCOMES`), ``latency_s`` (float32), ``attempt`` (int8, 0 for the
    first try), ``stale`` (bool: a profile read served an older version than
    the newest acknowledged anywhere), ``staleness_s`` (float32: now − ack time
    of the oldest missed version; NaN unless stale), ``extra_guess`` (bool: an
    attacker guess the region evaluated but a global counter would have
    refused), ``shadow_locked`` (bool: the shadow global counter held the
    account locked at that instant).

``writes`` — one row per (acknowledged write, other region):
    ``write_id`` (int64), ``time_s`` (ack time), ``user``, ``kind`` (category:
    ``user``/``credential``/``profile``/``revocation``/``disable``),
    ``origin`` (region that acknowledged it), ``target`` (region it must
    reach), ``applied_s`` (float64: when it applied at target; NaN if never),
    ``stuck`` (bool: still not applied at the region promoted over its origin
    when promotion started — the RPO), ``lost`` (bool: discarded for good),
    ``conflict`` (bool: a reconciled write that a newer one had overwritten),
    ``split`` (int8: 0, or a write acknowledged while two regions took writes —
    1 without conflict, 2 a conflict's kept side, 3 its side lost by reconciliation).

``locks`` — one row per lock interval:
    ``user`` (account), ``scope`` (category: a region name, or ``"global"``
    for the shadow global counter when the real scope is per region, or
    ``"shared"`` when the real counter is global), ``start_s``, ``end_s``.

``events`` — one row per state change:
    ``time_s``, ``kind`` (category: see :data:`EVENT_KINDS`), ``region``
    (category; ``""`` when not about a region), ``value`` (float64),
    ``detail`` (str).

``meta`` — a dict of run facts: population, users created, the first fault's
start, detection, DNS flip, promotion start/end and failback times (seconds, or
None when it never happened), the seed and replication index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drsim.scenario.schema import OPERATIONS as LEGIT_OPERATIONS
from drsim.scenario.schema import OUTCOME_CAUSES

ATTACK_OPERATIONS = (
    "guess",  # an attacker's password guess
    "replay_refresh",  # replay of a refresh token after its revocation
    "replay_old_password",  # sign-in with a password after it was changed
    "replay_disabled",  # sign-in as a user after the user was disabled
)
OPERATIONS: tuple[str, ...] = LEGIT_OPERATIONS + ATTACK_OPERATIONS
OP_CODE = {name: i for i, name in enumerate(OPERATIONS)}

OUTCOMES: tuple[str, ...] = OUTCOME_CAUSES
OUTCOME_CODE = {name: i for i, name in enumerate(OUTCOMES)}
SESSION_ENDING_OUTCOMES: tuple[str, ...] = ("token_rejected", "user_not_found")
"""Refresh refusals that end the session: the region does not accept the token or know the
user, so the client can only sign in again (a forced re-authentication)."""

SIGN_IN_OPERATIONS = ("sign_in", "federated_sign_in")
"""Operations that count as logins in the failed-login metric."""

WRITE_KINDS = ("user", "credential", "profile", "revocation", "disable")

EVENT_KINDS = (
    "fault_start",  # detail: fault kind; value: fault index
    "fault_end",
    "region_state",  # detail: up | down | degraded
    "health",  # detail: healthy | unhealthy (the endpoint verdict)
    "dns_answer",  # detail: region answered; region: client home ("" = everyone)
    "promotion_start",  # region: the region being promoted
    "writable",  # region: the region now accepting writes
    "failback",  # region: the old primary taking writes again
    "link",  # detail: up | down; region: "a|b"
    "failback_start",  # region: the old primary; writes stop until the reverse backlog drains
    "failover_held",  # region: the primary; value: failovers in the last hour (the cap)
    "failover_blocked",  # detail: control plane; value: seconds the failover waits for it
    "detector",  # region: the secondary; detail: lost | heard (heartbeat, arbiter)
    "fenced",  # region: the old primary; its lease expired, it stops taking writes
    "demoted",  # region: the old primary, replaced while cut off, reached again: read-only
    "writers",  # value: regions taking writes; detail: their names (heartbeat, arbiter)
    "capacity",  # region: scaled up; value: its vCPUs from then on
    "cache_cold",  # region: its cache restarted empty
    "reopen",  # region: a reopen ramp starts; value: its length (s)
    "observers",  # region: cut off from the arbiter's observers (detail: cut) or reached
)

REQUEST_COLUMNS = (
    "time_s",
    "op",
    "user",
    "client",
    "attacker",
    "region",
    "outcome",
    "latency_s",
    "attempt",
    "stale",
    "staleness_s",
    "extra_guess",
    "shadow_locked",
)
WRITE_COLUMNS = (
    "write_id",
    "time_s",
    "user",
    "kind",
    "origin",
    "target",
    "applied_s",
    "stuck",
    "lost",
    "conflict",
    "split",
)
LOCK_COLUMNS = ("user", "scope", "start_s", "end_s")
EVENT_COLUMNS = ("time_s", "kind", "region", "value", "detail")


@dataclass
class RunRecords:
    """Everything one replication recorded, as pandas DataFrames."""

    requests: pd.DataFrame
    writes: pd.DataFrame
    locks: pd.DataFrame
    events: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def categorical(codes: np.ndarray, names: tuple[str, ...] | list[str]) -> pd.Categorical:
    """Integer codes → a Categorical with a fixed, complete category list."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int16), categories=list(names))
