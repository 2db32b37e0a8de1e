"""Pricing: the monthly cost model of the design (MAU prices, replication add-on, M2M tokens)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.types import Fraction, Money


class Pricing(Model):
    """Monthly cost model [report]."""

    tier: Literal["essentials", "plus"] = Field("essentials", description="Pricing tier.")
    replica_per_mau: Money | None = Field(
        None,
        ge=0,
        description="Replication add-on per MAU per replica per month; default by tier "
        "($0.0045 essentials, $0.006 plus) [report].",
    )
    baseline_per_mau: Money | None = Field(
        None,
        ge=0,
        description="Base price per MAU per month; default by tier ($0.015 essentials, "
        "$0.02 plus) [assumption].",
    )
    m2m_per_1000_tokens: Money = Field(
        0.00225, ge=0, description="Machine-to-machine token price per 1000 [assumption]."
    )
    m2m_surcharge: Fraction = Field(
        units.parse_percent("30%"), description="Replication surcharge on M2M tokens [report]."
    )
    monthly_active: Fraction = Field(
        units.parse_percent("60%"),
        description="Share of the population active in a month (MAU) [assumption].",
    )

    @property
    def replica_price(self) -> float:
        if self.replica_per_mau is not None:
            return self.replica_per_mau
        return 0.0045 if self.tier == "essentials" else 0.006

    @property
    def baseline_price(self) -> float:
        if self.baseline_per_mau is not None:
            return self.baseline_per_mau
        return 0.015 if self.tier == "essentials" else 0.02
