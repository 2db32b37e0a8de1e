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
    """Raw columns produced by the data plane (turned into tables by the model), in time
    order; the index columns hold row numbers in that order."""

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
    dependency_failures: dict[str, int] = field(default_factory=dict)  # attempts refused


_NP_OF = {"d": np.float64, "b": np.int8, "q": np.int64, "h": np.int16}
_DYNAMIC = (("time", "d"), ("op", "b"), ("user", "q"), ("client", "b"), ("attacker", "h"),
            ("region", "b"), ("outcome", "b"), ("attempt", "b"), ("seq", "q"))


class Recorder:
    """The attempts of one run.

    Args:
        arrivals: The run's first attempts; their operation column is copied (a
            refresh without a session is recorded as the sign-in it becomes), and their
            user column becomes the recorded user's (the account a guess aimed at, a
            newcomer's id), written as each is served: nothing reads an arrival's user
            once it is served, and one column of 8 bytes per request is not held twice.
    """

    def __init__(self, arrivals: Arrivals) -> None:
        n = self.n_static = len(arrivals)
        self.op = arrivals.op.copy()
        self.outcome = bytearray(n)
        self.region = array("b", bytes(n))
        self.user = arrivals.user
        assert self.user.dtype == np.int64
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
        dynamic = np.flatnonzero(~static)
        # Only arrivals (most waves): all of them; else their positions (read six times)
        static = slice(None) if not len(dynamic) else np.flatnonzero(static)
        rows = key[static].astype(np.int64)
        np.frombuffer(self.outcome, dtype=np.uint8)[rows] = outcome[static]
        view(self.region)[rows] = region[static]
        self.user[rows] = user[static]
        view(self.client)[rows] = client[static]
        self.op[rows] = op[static]
        if not len(dynamic):
            return rows
        row_of = np.empty(len(t), dtype=np.int64)
        row_of[static] = rows
        dyn = self.dynamic
        first = self.n_static + len(dyn["time"])
        row_of[dynamic] = np.arange(first, first + len(dynamic))
        for name, values in (("time", t), ("op", op), ("user", user), ("client", client),
                             ("region", region), ("outcome", outcome),
                             ("attempt", attempt), ("seq", seq)):
            dyn[name].frombytes(values[dynamic].astype(_NP_OF[dyn[name].typecode]).tobytes())
        dyn["attacker"].frombytes(np.full(len(dynamic), -1, np.int16).tobytes())
        return row_of

    def record_guesses(self, rows: np.ndarray, outcome: np.ndarray, region: np.ndarray,
                       account: np.ndarray, extra: np.ndarray, shadowed: np.ndarray) -> None:
        """Attackers' guesses (arrival rows) served vectorised."""
        np.frombuffer(self.outcome, dtype=np.uint8)[rows] = outcome
        view(self.region)[rows] = region
        self.user[rows] = account
        view(self.client)[rows] = -1
        self.extra_rows.extend(rows[extra].tolist())
        self.shadow_rows.extend(rows[shadowed].tolist())

    def output(self, arrivals: Arrivals, writes: dict[str, np.ndarray],
               locks: list[tuple[int, str, float, float]], users_created: int
               ) -> DataPlaneOutput:
        """The record columns in time order: the first attempts (the arrivals' ``time_s``
        and ``attacker`` columns, already in time order) merged with the dynamic rows
        (ordered by time, then scheduling order); at equal times, dynamic rows first.

        Each first-attempt column, the arrivals' two included (``arrivals`` lets go of
        them), is let go as soon as it is merged with its dynamic rows: unless something
        else keeps them, the peak stays near one copy of the recorded columns.
        """
        dyn = self.dynamic
        merge = _TimeMerge(arrivals.time_s, view(dyn["time"]), view(dyn["seq"]))
        stale_index, extra_guess_index, shadow_locked_index = (
            merge.positions(np.array(rows, dtype=np.int64), arrivals.time_s)
            for rows in (self.stale_rows, self.extra_rows, self.shadow_rows))
        time_s = merge.column(arrivals.time_s, view(dyn["time"]))
        arrivals.time_s = None
        attacker = merge.column(arrivals.attacker, view(dyn["attacker"]))
        arrivals.attacker = None
        op = merge.column(self.op, view(dyn["op"]))
        self.op = None
        user = merge.column(self.user, view(dyn["user"]))
        self.user = None
        client = merge.column(view(self.client), view(dyn["client"]))
        self.client = None
        region = merge.column(view(self.region), view(dyn["region"]))
        self.region = None
        outcome = merge.column(view(self.outcome), view(dyn["outcome"]))
        self.outcome = None
        return DataPlaneOutput(
            time_s=time_s,
            op=op,
            user=user,
            client=client,
            attacker=attacker,
            region=region,
            outcome=outcome,
            attempt=merge.column(None, view(dyn["attempt"])),
            stale_index=stale_index,
            staleness_s=np.array(self.staleness_s, dtype=np.float64),
            extra_guess_index=extra_guess_index,
            shadow_locked_index=shadow_locked_index,
            writes=writes,
            # Served in time order, except the guesses of a batch (a stable sort keeps
            # a guess's own counter before the shadow counter).
            locks=sorted(locks, key=lambda lock: lock[2]),
            users_created=users_created,
        )


class _TimeMerge:
    """Where the first attempts' rows (``static_t``, in time order) and the dynamic rows
    (times ``dynamic_t``, scheduling order ``seq``) go when merged in time order: the
    dynamic rows by time, then ``seq``; at equal times, dynamic rows first.
    """

    def __init__(self, static_t: np.ndarray, dynamic_t: np.ndarray, seq: np.ndarray) -> None:
        self.n_static = len(static_t)
        self.order = np.lexsort((seq, dynamic_t))  # the dynamic rows in time order
        sorted_t = dynamic_t[self.order]
        # Each dynamic row follows the first attempts before its time, and the dynamic
        # rows before it.
        self.at = np.searchsorted(static_t, sorted_t, "left") + np.arange(len(sorted_t))
        self.static = np.ones(self.n_static + len(sorted_t), dtype=np.bool_)
        self.static[self.at] = False
        self._sorted_t = sorted_t

    def column(self, static: np.ndarray | None, dynamic: np.ndarray) -> np.ndarray:
        """The merged column (the static part's dtype; ``None``: zeros of the dynamic's)."""
        if static is None:
            out = np.zeros(len(self.static), dtype=dynamic.dtype)
        else:
            out = np.empty(len(self.static), dtype=static.dtype)
            out[self.static] = static
        out[self.at] = dynamic[self.order]
        return out

    def positions(self, rows: np.ndarray, static_t: np.ndarray) -> np.ndarray:
        """The merged positions of row numbers (first attempts, then dynamic rows);
        ``static_t`` as given to the constructor (not kept: the first attempts' times are
        let go once merged)."""
        out = np.empty_like(rows)
        static = rows < self.n_static
        first = rows[static]
        # A first attempt follows the first attempts before it and the dynamic rows at or
        # before its time.
        out[static] = first + np.searchsorted(self._sorted_t, static_t[first], "right")
        rank = np.empty_like(self.order)
        rank[self.order] = np.arange(len(self.order))
        out[~static] = self.at[rank[rows[~static] - self.n_static]]
        return out
