"""Run settings: simulated time, seed, replications, and the thresholds RTO and DNS convergence use."""

from __future__ import annotations

from pydantic import Field, field_validator

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration, Fraction, WeekTime


class RunSettings(Model):
    """How long and how often to simulate."""

    duration: Duration = Field(7200.0, gt=0, description="Simulated time per replication.")
    start: WeekTime | None = Field(
        None,
        description="Weekday and UTC time of t = 0, e.g. 'Monday 14:00' (Monday 09:00 at "
        "UTC-5). Replaces traffic.start_hour (giving both is an error); unset, t = 0 is "
        "Monday at traffic.start_hour UTC.",
    )
    seed: int = Field(1, ge=0, description="Root seed; replication seeds are spawned from it.")
    replications: int = Field(5, ge=1, le=10_000, description="Independent replications.")
    rto_threshold: Fraction = Field(
        units.parse_percent("99%"),
        description="RTO ends when per-minute sign-in success is back to this share of its "
        "pre-fault baseline and stays there.",
    )
    rto_levels: list[Fraction] = Field(
        default_factory=lambda: [units.parse_percent(p) for p in ("50%", "90%", "99%")],
        min_length=1,
        description="The recovery curve: RTO at each of these shares of the pre-fault sign-in "
        "success rate (metrics rto_50_s, rto_90_s, rto_99_s) [assumption: MODEL.md 8, "
        "half, most and nearly all of the sign-ins back].",
    )
    min_attempts_per_window: int = Field(
        10,
        ge=1,
        description="A window (a minute for RTO, 10 s for DNS convergence) with fewer legitimate "
        "attempts than this is unknown, never recovered [assumption: with fewer than 10 "
        "attempts one failure moves the rate by more than 10 points].",
    )
    dns_converged: Fraction = Field(
        units.parse_percent("99%"),
        description="DNS convergence: share of client traffic reaching the new region.",
    )

    @field_validator("rto_levels")
    @classmethod
    def _levels_positive_and_sorted(cls, levels: list[float]) -> list[float]:
        if any(level <= 0.0 for level in levels):
            raise ValueError("every RTO level must be above 0%")
        return sorted(set(levels))
