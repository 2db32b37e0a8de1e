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
    time_zone: TimeZone | None = Field(
        None,
        description="The population's local time, a fixed UTC offset such as 'UTC-5' or "
        "'+09:00' (no daylight saving): traffic.daily_profile and weekly_profile apply in it, "
        "and its requests are made by its own users. Give it on every client kind or on none.",
    )
