"""The recorder: one row per attempt, as flat columns, for the ``requests`` table.

First attempts (arrivals) own the first rows, in arrival order, filled in when
served; retries and token replays are appended as *dynamic* rows. Beside the
outcome columns it keeps the rows that read a stale profile (with the
staleness), the guesses a shared counter would have refused (``extra``) and the
attempts the shadow global counter saw locked (``shadow``).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from drsim.model.directory import view
from drsim.model.traffic import Arrivals


class Served(NamedTuple):
    """What serving one attempt decided."""

    outcome: int
    extra_guess: bool = False  # a guess a shared (global) counter would have refused
    shadow_locked: bool = False  # the shadow global counter saw the account locked
    staleness_s: float | None = None  # a stale profile read: how old the version read is


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
    order_key: np.ndarray  # at equal times: agenda items by scheduling order, then arrivals
    stale_index: np.ndarray
    staleness_s: np.ndarray
    extra_guess_index: np.ndarray
    shadow_locked_index: np.ndarray
    writes: dict[str, np.ndarray]
    locks: list[tuple[int, str, float, float]]
    users_created: int
    dependency_failures: dict[str, int] = field(default_factory=dict)  # attempts refused


_NP_OF = {"d": np.float64, "b": np.int8, "q": np.int64, "h": np.int16}
_DYNAMIC = (("time", "d"), ("op", "b"), ("user", "q"), ("client", "b"), ("attacker", "h"),
            ("region", "b"), ("outcome", "b"), ("attempt", "b"), ("seq", "q"))


class Recorder:
    """The attempts of one run.

    Args:
        arrivals: The run's first attempts; their operation column is copied (a
            refresh without a session is recorded as the sign-in it becomes).
    """

    def __init__(self, arrivals: Arrivals) -> None:
        n = self.n_static = len(arrivals)
        self.op = arrivals.op.copy()
        self.outcome = bytearray(n)
        self.region = array("b", bytes(n))
        self.user = array("q", bytes(8 * n))
        self.client = array("b", bytes(n))
        self.dynamic = {name: array(code) for name, code in _DYNAMIC}
        self.stale_rows: list[int] = []
        self.staleness_s: list[float] = []
        self.extra_rows: list[int] = []
        self.shadow_rows: list[int] = []

    def record(self, index: int, t: float, op: int, user: int, client: int, attacker: int,
               attempt: int, region: int, seq: int, served: Served) -> None:
        """One attempt: arrival ``index`` (≥ 0) or a dynamic row (index −1)."""
        if index >= 0:
            row = index
            self.outcome[index] = served.outcome
            self.region[index] = region
            self.user[index] = user
            self.client[index] = client
        else:
            dyn = self.dynamic
            row = self.n_static + len(dyn["time"])
            dyn["time"].append(t)
            dyn["op"].append(op)
            dyn["user"].append(user)
            dyn["client"].append(client)
            dyn["attacker"].append(attacker)
            dyn["region"].append(region)
            dyn["outcome"].append(served.outcome)
            dyn["attempt"].append(attempt)
            dyn["seq"].append(seq)
        if served.staleness_s is not None:
            self.stale_rows.append(row)
            self.staleness_s.append(served.staleness_s)
        if served.extra_guess:
            self.extra_rows.append(row)
        if served.shadow_locked:
            self.shadow_rows.append(row)

    def record_many(self, t: np.ndarray, op: np.ndarray, user: np.ndarray, client: np.ndarray,
                    region: np.ndarray, outcome: np.ndarray, attempt: np.ndarray,
                    seq: np.ndarray, key: np.ndarray) -> np.ndarray:
        """Legitimate attempts served vectorised: arrivals (``seq`` < 0, row = ``key``)
        into their rows, the others as dynamic rows; returns each one's row."""
        static = seq < 0
        rows = key[static].astype(np.int64)
        np.frombuffer(self.outcome, dtype=np.uint8)[rows] = outcome[static]
        view(self.region)[rows] = region[static]
        view(self.user)[rows] = user[static]
        view(self.client)[rows] = client[static]
        self.op[rows] = op[static]
        dynamic = np.flatnonzero(~static)
        row_of = np.empty(len(t), dtype=np.int64)
        row_of[static] = rows
        if len(dynamic):
            dyn = self.dynamic
            first = self.n_static + len(dyn["time"])
            row_of[dynamic] = np.arange(first, first + len(dynamic))
            for name, values in (("time", t), ("op", op), ("user", user), ("client", client),
                                 ("region", region), ("outcome", outcome),
                                 ("attempt", attempt), ("seq", seq)):
                dyn[name].frombytes(values[dynamic].astype(_NP_OF[dyn[name].typecode])
                                    .tobytes())
            dyn["attacker"].frombytes(np.full(len(dynamic), -1, np.int16).tobytes())
        return row_of

    def record_guesses(self, rows: np.ndarray, outcome: np.ndarray, region: np.ndarray,
                       account: np.ndarray, extra: np.ndarray, shadowed: np.ndarray) -> None:
        """Attackers' guesses (arrival rows) served vectorised."""
        np.frombuffer(self.outcome, dtype=np.uint8)[rows] = outcome
        view(self.region)[rows] = region
        view(self.user)[rows] = account
        view(self.client)[rows] = -1
        self.extra_rows.extend(rows[extra].tolist())
        self.shadow_rows.extend(rows[shadowed].tolist())

    def output(self, arrivals: Arrivals, writes: dict[str, np.ndarray],
               locks: list[tuple[int, str, float, float]], users_created: int
               ) -> DataPlaneOutput:
        """The record columns: the first attempts' rows (the arrivals' ``time_s`` and
        ``attacker`` columns), then the dynamic rows.

        Each first-attempt column, the arrivals' two included (``arrivals`` lets go of
        them), is let go as soon as it is joined with its dynamic rows: unless something
        else keeps them, the peak stays near one copy of the recorded columns.
        """
        dyn = self.dynamic
        n_static = self.n_static
        n = n_static + len(dyn["time"])
        time_s = np.concatenate([arrivals.time_s, view(dyn["time"])])
        arrivals.time_s = None
        attacker = np.concatenate([arrivals.attacker, view(dyn["attacker"])])
        arrivals.attacker = None
        op = np.concatenate([self.op, view(dyn["op"])])
        self.op = None
        user = np.concatenate([view(self.user), view(dyn["user"])])
        self.user = None
        client = np.concatenate([view(self.client), view(dyn["client"])])
        self.client = None
        region = np.concatenate([view(self.region), view(dyn["region"])])
        self.region = None
        outcome = np.concatenate([np.frombuffer(self.outcome, dtype=np.uint8),
                                  view(dyn["outcome"]).astype(np.uint8)])
        self.outcome = None
        attempt = np.zeros(n, dtype=np.int8)
        attempt[n_static:] = view(dyn["attempt"])
        order_key = np.arange(n, dtype=np.int64)  # first attempts after agenda items (seq)
        order_key[:n_static] += 1 << 40
        order_key[n_static:] = view(dyn["seq"])
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
            staleness_s=np.array(self.staleness_s, dtype=np.float64),
            extra_guess_index=np.array(self.extra_rows, dtype=np.int64),
            shadow_locked_index=np.array(self.shadow_rows, dtype=np.int64),
            writes=writes,
            # Served in time order, except the guesses of a batch (a stable sort keeps
            # a guess's own counter before the shadow counter).
            locks=sorted(locks, key=lambda lock: lock[2]),
            users_created=users_created,
        )
