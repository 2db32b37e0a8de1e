"""Legitimate traffic: a Poisson rate per operation, daily and weekly profiles and bursts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from drsim.scenario import units
from drsim.scenario.sections.base import Model
from drsim.scenario.sections.distributions import Distribution
from drsim.scenario.sections.vocabulary import OPERATIONS
from drsim.scenario.types import Duration, Fraction, Rate


class Burst(Model):
    """A window in which one operation's rate (or all) is multiplied."""

    operation: Literal[OPERATIONS + ("all",)] = Field(  # type: ignore[valid-type]
        description="Operation affected, or 'all'."
    )
    start: Duration = Field(ge=0, description="When the burst starts.")
    duration: Duration = Field(gt=0, description="How long it lasts.")
    multiplier: float = Field(gt=0, description="Rate multiplier during the burst.")


USER_OPERATIONS = tuple(o for o in OPERATIONS if o != "m2m_token")
"""Operations a user makes (machine-to-machine tokens have no user to follow up)."""


class FollowUp(Model):
    """What a user does next: after each ``after`` request, ``count`` chances of a ``then``
    request by the same user, each with ``probability``, ``delay`` later.

    Journeys are built from these: a read-back after a profile update (read-your-writes),
    a sign-in and a profile update seconds after a sign-up, sign-ins on the user's other
    devices after a password change. A follow-up of one rule can trigger a later rule.
    """

    after: Literal[USER_OPERATIONS] = Field(  # type: ignore[valid-type]
        description="The request that is followed (a user's: not m2m_token).")
    then: Literal[tuple(o for o in USER_OPERATIONS if o != "sign_up")] = Field(  # type: ignore[valid-type]
        description="The follow-up request, by the same user (never a sign-up).")
    probability: Fraction = Field(
        units.parse_percent("100%"), description="Chance of each follow-up.")
    count: int = Field(1, ge=1, le=20, description="Follow-ups per request (each with the "
                       "probability and its own delay), e.g. the user's other devices.")
    delay: Distribution = Field(description="From the followed request to the follow-up.")


class Traffic(Model):
    """Legitimate traffic: Poisson arrivals per operation, shaped by daily and weekly profiles
    and bursts."""

    sign_in: Rate = Field(units.parse_rate("35/s"), description="Password sign-ins [doc: sizing].")
    federated_sign_in: Rate = Field(units.parse_rate("2/s"), description="Federated sign-ins.")
    refresh: Rate = Field(units.parse_rate("100/s"), description="Token refreshes [doc: sizing].")
    sign_up: Rate = Field(units.parse_rate("1/s"), description="Sign-ups [assumption].")
    profile_read: Rate = Field(units.parse_rate("20/s"), description="Profile reads.")
    profile_update: Rate = Field(units.parse_rate("2/s"), description="Profile updates.")
    password_change: Rate = Field(units.parse_rate("0.5/s"), description="Password changes/resets.")
    sign_out: Rate = Field(units.parse_rate("1/s"), description="Sign-outs (revoke refresh token).")
    admin_disable: Rate = Field(units.parse_rate("1/h"), description="Admin disables a user.")
    m2m_token: Rate = Field(units.parse_rate("0/s"), description="Client-credentials tokens.")
    daily_profile: tuple[float, ...] | None = Field(
        None,
        description="24 hourly rate multipliers (hour 0 first), in each client kind's local "
        "time (UTC without time zones); normalised to mean 1.",
    )
    weekly_profile: tuple[float, ...] | None = Field(
        None,
        description="7 daily rate multipliers (Monday first), in each client kind's local "
        "time; normalised to mean 1, so the week's mean rate is the configured rate. Needs "
        "run.start.",
    )
    start_hour: int | None = Field(
        None, ge=0, le=23,
        description="Hour of day (UTC) at t=0, a Monday; null means 0. run.start replaces it "
        "(giving both is an error).")
    bursts: tuple[Burst, ...] = Field((), description="Rate bursts.")
    follow_ups: tuple[FollowUp, ...] = Field(
        (), description="Requests that follow others by the same user (journeys), in order.")

    @model_validator(mode="after")
    def _profile_shape(self) -> Traffic:
        if self.daily_profile is not None:
            if len(self.daily_profile) != 24:
                raise ValueError(
                    f"daily_profile needs 24 hourly multipliers, got {len(self.daily_profile)}"
                )
            if any(x < 0 for x in self.daily_profile) or sum(self.daily_profile) <= 0:
                raise ValueError("daily_profile multipliers must be ≥ 0 and not all zero")
        return self

    @field_validator("weekly_profile")
    @classmethod
    def _weekly_shape(cls, profile: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if profile is not None:
            if len(profile) != 7:
                raise ValueError("weekly_profile needs 7 daily multipliers (Monday first), "
                                 f"got {len(profile)}")
            if any(x < 0 for x in profile) or sum(profile) <= 0:
                raise ValueError("weekly_profile multipliers must be ≥ 0 and not all zero")
        return profile

    def rate_of(self, operation: str) -> float:
        return float(getattr(self, operation))
