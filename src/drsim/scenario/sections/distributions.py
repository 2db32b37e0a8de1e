"""Distributions of durations: replication lag, operator steps, resolver behaviour, replay delay.

Every distribution knows its mean (``mean_s``, seconds); a plain duration such
as ``'5s'`` where a distribution is expected means a constant.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration

Z_99 = 2.3263478740408408
"""The standard normal's 99th percentile: a lognormal's p99 is ``exp(mu + Z_99 * sigma)``."""


class Constant(Model):
    """Always the same value."""

    distribution: Literal["constant"] = "constant"
    value: Duration = Field(description="The value every draw returns.", ge=0)

    @property
    def mean_s(self) -> float:
        return self.value


class Exponential(Model):
    """Exponential with the given mean (memoryless)."""

    distribution: Literal["exponential"]
    mean: Duration = Field(description="Mean of the distribution.", gt=0)

    @property
    def mean_s(self) -> float:
        return self.mean


class Lognormal(Model):
    """Lognormal given by its median and its 99th percentile (p99 > median)."""

    distribution: Literal["lognormal"]
    median: Duration = Field(description="Median (50th percentile).", gt=0)
    p99: Duration = Field(description="99th percentile; must exceed the median.", gt=0)

    @model_validator(mode="after")
    def _p99_above_median(self) -> Lognormal:
        if self.p99 <= self.median:
            raise ValueError(
                f"p99 ({units.format_duration(self.p99)}) must be greater than the median "
                f"({units.format_duration(self.median)})"
            )
        return self

    @property
    def mu(self) -> float:
        """Mean of the log of the value (``numpy``'s ``mean`` parameter), log-seconds."""
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        """Standard deviation of the log of the value (``numpy``'s ``sigma`` parameter)."""
        return (math.log(self.p99) - math.log(self.median)) / Z_99

    @property
    def mean_s(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)


class Uniform(Model):
    """Uniform between low and high."""

    distribution: Literal["uniform"]
    low: Duration = Field(description="Lower bound.", ge=0)
    high: Duration = Field(description="Upper bound (≥ low).", ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self

    @property
    def mean_s(self) -> float:
        return (self.low + self.high) / 2


class Empirical(Model):
    """Resampled from observed values: inline ``samples`` or a CSV ``file``.

    A CSV file has a header; its first column whose name ends in ``_s`` (seconds)
    or ``_ms`` (milliseconds) is read. The loader inlines the samples, so a
    resolved scenario is self-contained.
    """

    distribution: Literal["empirical"]
    samples: list[Duration] | None = Field(
        default=None, description="Observed values, each with a unit.", min_length=1
    )
    file: str | None = Field(
        default=None,
        description="CSV file of observed values (relative to the scenario file); "
        "column name ending in _s or _ms.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Empirical:
        if (self.samples is None) == (self.file is None):
            raise ValueError("give exactly one of 'samples' or 'file'")
        if self.samples is not None and any(s < 0 for s in self.samples):
            raise ValueError("samples must not be negative")
        return self

    @property
    def mean_s(self) -> float:
        assert self.samples is not None
        return sum(self.samples) / len(self.samples)


def _shorthand_constant(value: Any) -> Any:
    if isinstance(value, str):
        return {"distribution": "constant", "value": value}
    return value


Distribution = Annotated[
    Constant | Exponential | Lognormal | Uniform | Empirical,
    Field(discriminator="distribution"),
    BeforeValidator(_shorthand_constant),
]
"""A distribution of durations; a plain duration such as ``'5s'`` means constant."""
