"""Client retries: which failures a client kind retries, how often, after what delay.

A retry's delay is ``backoff × multiplier^attempt × f(v)``, with ``f(v) = 1 +
jitter × (2v − 1)`` (proportional jitter), ``v`` (full jitter) or ``(1 + v) / 2``
(equal jitter), ``v`` taken from the failed attempt's own draw, and the retry's
draws come from its key (derived from its parent's): nothing depends on the
order in which failures are handled, so batches and the reference retry
identically.

A retry budget (``retry.budget``, the AWS SDKs' retry quota) is one token
bucket per client kind, and gRPC retry throttling (``retry.throttling``) one
token count per kind, so their retries do depend on the order of their kind's
attempts: batches serve such a kind's requests one at a time
(:class:`~drsim.model.batch.BatchServer`), in the reference's order.

gRPC throttling's known answer (``tests/model/test_retry_throttling.py``): every
attempt failing, ⌈M/2⌉ − 1 failures are retried (M = ``max_tokens``), then none
(when the retries come after the first failures have drained the count);
with a share p of attempts failing, the count drifts by r(1 − p) − p per attempt
(r = ``token_ratio``) whether or not they are retried, so the failures are all
retried below p = r / (1 + r) and almost none above.
"""

from __future__ import annotations

import numpy as np

from drsim.model.agenda import Request
from drsim.model.operations import OK, REFRESH, SIGN_IN, TIMEOUT
from drsim.model.streams import mix64, mix64_many
from drsim.records import OUTCOME_CODE, SESSION_ENDING_OUTCOMES
from drsim.scenario.schema import Scenario

FALLBACK_KEY = 63  # a fallback sign-in's key: mix64(key × 64 + 63) (retries use 1..20)


class RetriesDue:
    """The retries of a vectorised wave's failures (:meth:`Retries.due_many`)."""

    __slots__ = ("failed", "t", "op", "key", "attempt", "client")

    def __init__(self, failed: np.ndarray, t: np.ndarray, op: np.ndarray, key: np.ndarray,
                 attempt: np.ndarray, client: np.ndarray) -> None:
        self.failed = failed  # positions of the failed attempts retried or followed up
        self.t = t  # when each retry is due
        self.op = op  # each retry's operation (a sign-in after a refused refresh)
        self.key = key  # each retry's randomness key
        self.attempt = attempt  # each retry's attempt number
        self.client = client  # each retry's client kind


class Retries:
    """The retry policies of the scenario's client kinds."""

    def __init__(self, scenario: Scenario) -> None:
        sessions = scenario.sessions
        self.reauthenticates = sessions.on_refused_refresh == "sign_in"
        self.reauthentication_delay = sessions.reauthentication_delay
        self.forcing = np.zeros(len(OUTCOME_CODE), dtype=np.bool_)
        self.forcing[[OUTCOME_CODE[c] for c in SESSION_ENDING_OUTCOMES]] = self.reauthenticates
        self.policies = [k.retry for k in scenario.clients]
        self.codes = [frozenset(OUTCOME_CODE[c] for c in p.retry_on) for p in self.policies]
        self.attempts = np.array([p.attempts for p in self.policies], dtype=np.int64)
        self.backoff = np.array([p.backoff for p in self.policies])
        self.jitter = np.array([p.jitter for p in self.policies])
        self.jitter_kind = [p.jitter_kind for p in self.policies]
        self.full = np.array([k == "full" for k in self.jitter_kind])
        self.equal = np.array([k == "equal" for k in self.jitter_kind])
        self.budgets = [p.budget for p in self.policies]
        self.throttles = [p.throttling for p in self.policies]
        # kinds whose retries depend on the order of their attempts (a budget, throttling)
        self.budgeted = np.array([b is not None or g is not None for b, g in zip(
            self.budgets, self.throttles, strict=True)], dtype=np.bool_)
        self.budgeted_any = bool(self.budgeted.any())
        self.tokens = [b.capacity if b is not None else 0.0 for b in self.budgets]
        self.throttle_tokens = [g.max_tokens if g is not None else 0.0 for g in self.throttles]
        # multiplier ** attempt, computed as the scalar form computes it (bit-identical)
        self.growth = np.array([[p.multiplier ** a for a in range(21)] for p in self.policies])
        self.retried = np.zeros((len(self.policies), len(OUTCOME_CODE)), dtype=np.bool_)
        for kind, codes in enumerate(self.codes):
            self.retried[kind, list(codes)] = True

    def retry(self, t: float, op: int, user: int, client: int, attempt: int, outcome: int,
              u: float, key: int) -> tuple[float, Request] | None:
        """The retry of a failed attempt (drawn ``u``, keyed ``key``), if its client makes one;
        a refresh the region refused for good is followed by an interactive sign-in instead."""
        if op == REFRESH and self.forcing[outcome]:
            child = mix64(key * 64 + FALLBACK_KEY)
            return (t + self.reauthentication_delay,
                    Request(SIGN_IN, user, client, -1, attempt + 1, -1, None, child))
        policy = self.policies[client]
        retried = outcome in self.codes[client]
        if retried and self.throttles[client] is not None and not self._throttle(client):
            return None  # gRPC throttling: the count is at or below half: no retry
        if attempt + 1 < policy.attempts and retried:
            cost = None
            budget = self.budgets[client]
            if budget is not None:
                cost = budget.timeout_cost if outcome == TIMEOUT else budget.retry_cost
                if self.tokens[client] < cost:
                    return None  # the retry quota is spent: the client gives up
                self.tokens[client] -= cost
            draw = (u * 1048576.0) % 1.0
            kind = self.jitter_kind[client]
            if kind == "full":
                factor = draw
            elif kind == "equal":
                factor = 0.5 * draw + 0.5
            else:
                factor = 1.0 + policy.jitter * (2.0 * draw - 1.0)
            delay = policy.backoff * policy.multiplier ** attempt * factor
            child = mix64(key * 64 + attempt + 1)
            return t + delay, Request(op, user, client, -1, attempt + 1, -1, cost, child)
        return None

    def _throttle(self, client: int) -> bool:
        """A failure with a retried cause takes a throttling token: whether the count left
        is above half, i.e. a retry is allowed."""
        throttle = self.throttles[client]
        tokens = max(0.0, self.throttle_tokens[client] - 1.0)
        self.throttle_tokens[client] = tokens
        return tokens > throttle.max_tokens / 2.0

    def succeed(self, client: int, request: Request | None) -> None:
        """A budgeted kind's success refunds its retry's cost, or a first attempt's refund;
        a throttled kind's gives back ``token_ratio``."""
        throttle = self.throttles[client]
        if throttle is not None:
            self.throttle_tokens[client] = min(throttle.max_tokens,
                                               self.throttle_tokens[client]
                                               + throttle.token_ratio)
        budget = self.budgets[client]
        if budget is None:
            return
        paid = request.value if request is not None and request.value is not None else None
        refund = budget.success_refund if paid is None else paid
        self.tokens[client] = min(budget.capacity, self.tokens[client] + refund)

    def due_many(self, t: np.ndarray, op: np.ndarray, outcome: np.ndarray, client: np.ndarray,
                 attempt: np.ndarray, u: np.ndarray, key: np.ndarray) -> RetriesDue:
        """:meth:`retry` of many legitimate attempts."""
        failed = np.flatnonzero(outcome != OK)
        kinds = client[failed]
        attempt = attempt[failed]
        forced = (op[failed] == REFRESH) & self.forcing[outcome[failed]]
        retry = forced | ((attempt + 1 < self.attempts[kinds])
                          & self.retried[kinds, outcome[failed]])
        failed, attempt, kinds, forced = failed[retry], attempt[retry], kinds[retry], forced[retry]
        draw = np.mod(u[failed] * 1048576.0, 1.0)
        factor = np.where(self.full[kinds], draw,
                          np.where(self.equal[kinds], 0.5 * draw + 0.5,
                                   1.0 + self.jitter[kinds] * (2.0 * draw - 1.0)))
        delay = self.backoff[kinds] * self.growth[kinds, attempt] * factor
        delay[forced] = self.reauthentication_delay
        salt = np.where(forced, FALLBACK_KEY, attempt + 1).astype(np.uint64)
        child = mix64_many(key[failed] * np.uint64(64) + salt)
        return RetriesDue(failed, t[failed] + delay,
                          np.where(forced, SIGN_IN, op[failed]).astype(op.dtype), child,
                          attempt + 1, kinds)
