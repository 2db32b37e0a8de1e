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
)


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


class ClientKind(Model):
    """A population of clients sharing resolver behaviour and retry policy."""

    name: str = Field(pattern=NAME_PATTERN, description="Client kind name.")
    share: Fraction = Field(description="Share of users using this kind; shares add to 100 %.")
    dns: DnsBehaviour = Field(description="How the client's resolver treats TTLs.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy, description="Retry policy.")
    home: str | None = Field(None, description="Home region for latency/geo routing.")
    time_zone: TimeZone | None = Field(
        None,
        description="The population's local time, a fixed UTC offset such as 'UTC-5' or "
        "'+09:00' (no daylight saving): traffic.daily_profile and weekly_profile apply in it, "
        "and its requests are made by its own users. Give it on every client kind or on none.",
    )
