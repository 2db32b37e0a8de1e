"""Run settings: simulated time, seed, replications, and the thresholds RTO and DNS convergence use."""

from __future__ import annotations

from pydantic import Field

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration, Fraction


class RunSettings(Model):
    """How long and how often to simulate."""

    duration: Duration = Field(7200.0, gt=0, description="Simulated time per replication.")
    seed: int = Field(1, ge=0, description="Root seed; replication seeds are spawned from it.")
    replications: int = Field(5, ge=1, le=10_000, description="Independent replications.")
    rto_threshold: Fraction = Field(
        units.parse_percent("99%"),
        description="RTO ends when per-minute sign-in success is back to this share of its "
        "pre-fault baseline and stays there.",
    )
    dns_converged: Fraction = Field(
        units.parse_percent("99%"),
        description="DNS convergence: share of client traffic reaching the new region.",
    )
