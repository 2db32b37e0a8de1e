"""Clients: populations sharing one resolver behaviour (how DNS TTLs are treated) and one
retry policy; the resolver behaviour decides how long a failed region keeps its traffic."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Distribution
from drsim.scenario.sections.vocabulary import NAME_PATTERN
from drsim.scenario.types import Duration, Fraction, TimeZone


class HonourTtl(Model):
    """Re-resolve as soon as the cached answer's TTL expires."""

    behaviour: Literal["honour"]


class ClampTtl(Model):
    """Clamp the TTL up to a minimum (e.g. Chrome holds answers at least 60 s)."""

    behaviour: Literal["clamp"]
    min_ttl: Duration = Field(gt=0, description="Minimum TTL applied.")


class ExtendTtl(Model):
    """Extend the TTL by a per-resolver extra drawn from a distribution."""

    behaviour: Literal["extend"]
    extra: Distribution = Field(description="Extra time an answer is kept beyond its TTL.")


class PinAnswer(Model):
    """Keep the answer for a drawn time regardless of TTL (connection reuse, JVM cache)."""

    behaviour: Literal["pin"]
    keep_for: Distribution | Literal["forever"] = Field(
        description="How long an answer is kept; 'forever' never re-resolves."
    )


DnsBehaviour = Annotated[
    HonourTtl | ClampTtl | ExtendTtl | PinAnswer, Field(discriminator="behaviour")
]

RETRY_ON_DEFAULT = (
    "region_down",
    "region_error",
    "throttled",
    "kms_unavailable",
    "dns_unavailable",
    "timeout",
    "shed",
)


class RetryBudget(Model):
    """A retry quota shared by a client kind: a token bucket that stops retries when many
    fail, as the AWS SDKs' standard retry mode [doc: aws-sdk-js-v3 middleware-retry
    constants INITIAL_RETRY_TOKENS 500, RETRY_COST 5, TIMEOUT_RETRY_COST 10,
    NO_RETRY_INCREMENT 1]. A retry takes ``retry_cost`` tokens (``timeout_cost`` after a
    timeout) or is not made; a success refunds what its retry took, or
    ``success_refund`` for a first attempt; the bucket never holds more than
    ``capacity``. All clients of the kind share one bucket [assumption: a fleet behind
    one SDK client; per device, a bucket of 500 would never run dry]."""

    capacity: float = Field(500.0, gt=0, description="Tokens when full (and at start) [doc].")
    retry_cost: float = Field(5.0, ge=0, description="Tokens a retry takes [doc].")
    timeout_cost: float = Field(10.0, ge=0, description="Tokens a retry after a timeout "
                                "takes [doc].")
    success_refund: float = Field(1.0, ge=0, description="Tokens a first attempt's success "
                                  "returns [doc].")


class RetryThrottling(Model):
    """gRPC retry throttling [doc: gRFC A6 "gRPC Retry Design", retryThrottling]: a token
    count per client kind, starting at ``max_tokens``; every attempt failing with a
    retried cause takes 1 (not below 0), every success gives back ``token_ratio`` (up to
    ``max_tokens``), and a failed attempt is retried only while the count is above
    ``max_tokens`` / 2. Retries stop when the failing share of attempts exceeds
    ``token_ratio`` / (1 + ``token_ratio``). All clients of the kind share one count
    [assumption: as the retry budget]."""

    max_tokens: float = Field(10.0, gt=0, le=1000, description="Tokens when full (and at "
                              "start) [doc: gRFC A6 example 10; 1 to 1000].")
    token_ratio: float = Field(0.1, gt=0, le=1, description="Tokens a success gives back "
                               "[doc: gRFC A6 example 0.1].")


class RetryPolicy(Model):
    """How a client retries a failed request."""

    attempts: int = Field(3, ge=1, le=20, description="Total attempts including the first.")
    backoff: Duration = Field(1.0, ge=0, description="Wait before the first retry.")
    multiplier: float = Field(2.0, ge=1, description="Backoff growth per retry.")
    jitter: Fraction = Field(
        units.parse_percent("50%"), description="Uniform ± jitter on each backoff."
    )
    retry_on: tuple[str, ...] = Field(
        RETRY_ON_DEFAULT, description="Outcome causes worth retrying."
    )
    jitter_kind: Literal["proportional", "full", "equal"] = Field(
        "proportional",
        description="proportional: the backoff × (1 ± jitter); full: uniform on [0, "
        "backoff]; equal: backoff/2 + uniform on [0, backoff/2] (AWS Architecture Blog, "
        "'Exponential Backoff And Jitter') [doc]. Full and equal ignore ``jitter``.",
    )
    budget: RetryBudget | None = Field(
        None, description="A retry quota (token bucket) shared by the kind; absent: none."
    )
    throttling: RetryThrottling | None = Field(
        None, description="gRPC retry throttling (a success/failure token ratio) shared by "
        "the kind; absent: none.")


class CircuitBreaker(Model):
    """A client-side circuit breaker shared by a client kind (Hystrix, Resilience4j, Polly)
    [doc: Resilience4j CircuitBreaker: CLOSED → OPEN → HALF_OPEN]. Closed: attempts go out;
    once ``failures`` attempts ending in a ``trip_on`` cause fall within ``window``, it
    opens. Open: for ``open_for`` every attempt fails fast in the client (outcome
    ``circuit_open``: no load on any region, not retried). Then half-open: the next
    ``half_open_probes`` attempts go out; if every one of them succeeds it closes, else it
    opens again. One breaker per kind [assumption: a fleet behind one endpoint name, as the
    retry budget]; it learns an attempt's result when the attempt is made [assumption:
    latencies of seconds against an ``open_for`` of tens of seconds]."""

    failures: int = Field(5, ge=1, description="Failures within window that open it "
                          "[assumption: Polly's and Hystrix's examples use 5 and 20].")
    window: Duration = Field(10.0, gt=0, description="The sliding window the failures are "
                             "counted in [assumption: Hystrix's default 10 s].")
    open_for: Duration = Field(30.0, gt=0, description="How long it stays open before "
                               "probing [assumption: 30 s, between Hystrix's 5 s and "
                               "Resilience4j's 60 s defaults].")
    half_open_probes: int = Field(1, ge=1, le=100, description="Attempts let through "
                                  "half-open; all must succeed to close it [doc: "
                                  "Resilience4j permittedNumberOfCallsInHalfOpenState].")
    trip_on: tuple[str, ...] = Field(
        RETRY_ON_DEFAULT, description="Outcome causes counted as failures (the service's "
        "own failures, not a user's wrong password).")


class ClientKind(Model):
    """A population of clients sharing resolver behaviour and retry policy."""

    name: str = Field(pattern=NAME_PATTERN, description="Client kind name.")
    share: Fraction = Field(description="Share of users using this kind; shares add to 100 %.")
    dns: DnsBehaviour = Field(description="How the client's resolver treats TTLs.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy, description="Retry policy.")
    home: str | None = Field(None, description="Home region for latency/geo routing.")
    timeout: Duration | None = Field(
        None, gt=0, description="The client gives up on an attempt at a region with a "
        "capacity whose latency would exceed this (outcome ``timeout``; the region still "
        "does the work); absent: never [assumption: e.g. 10 s for an SDK's socket "
        "timeout].")
    circuit_breaker: CircuitBreaker | None = Field(
        None, description="A circuit breaker shared by the kind; absent: none.")
    time_zone: TimeZone | None = Field(
        None,
        description="The population's local time, a fixed UTC offset such as 'UTC-5' or "
        "'+09:00' (no daylight saving): traffic.daily_profile and weekly_profile apply in it, "
        "and its requests are made by its own users. Give it on every client kind or on none.",
    )
